"""Lambda handler of the inventory service, invoked by the order saga (lambda:invoke): reserve or release.

Idempotency (Powertools, on the State stack's Idempotency table, functions/idempotency.py): each call is done once
per its `idempotency_key` (`<saga_key>:reserve`, `<saga_key>:release`); a retried or redelivered call gets the stored
answer. The same key with another request raises IdempotencyValidationError: the saga sees it as the task's error.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field, TypeAdapter

from functions.idempotency import OncePerEvent, once_per_request
from functions.inventory.dynamodb import DynamoDBReservations
from functions.inventory.logic import ReleaseRequest, Reservations, ReserveRequest, release, reserve
from functions.log_context import correlated
from functions.observability import observability
from functions.pause_check import pause_checked
from functions.records import SagaServiceSettings
from functions.settings import load_settings

logger, tracer, _ = observability()  # no metrics of its own

_REQUEST: TypeAdapter[ReserveRequest | ReleaseRequest] = TypeAdapter(
    Annotated[ReserveRequest | ReleaseRequest, Field(discriminator="action")]
)


@dataclass(frozen=True)
class Dependencies:
    reservations: Reservations
    act_once: OncePerEvent[dict[str, Any]]


@cache
def dependencies() -> Dependencies:
    settings = load_settings(SagaServiceSettings)
    return Dependencies(
        reservations=DynamoDBReservations(boto3.resource("dynamodb").Table(settings.table_name)),
        act_once=once_per_request(_act, settings.idempotency_table),
    )


def _act(*, request: ReserveRequest | ReleaseRequest, reservations: Reservations) -> dict[str, Any]:
    if isinstance(request, ReserveRequest):
        held = reserve(request, reservations, new_id=f"res-{uuid.uuid4()}")
        logger.info("inventory reserved", order_id=held.order_id, reservation_id=held.reservation_id)
        return {"reservation_id": held.reservation_id, "status": held.status}
    released = release(request, reservations)
    logger.info("inventory released", reservation_id=released.reservation_id, released=released.released)
    return {"released": released.released, "reservation_id": released.reservation_id}


@logger.inject_lambda_context
# A pause point of its workflow (no state transition spent on the check). Outside the tracer, which would log a
# held execution's PauseInForce as an exception of the handler.
@pause_checked
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # A malformed request fails here, before any idempotency record is written for it.
    request = _REQUEST.validate_python(event)
    deps = dependencies()
    with correlated(logger, request.correlation_id):
        return deps.act_once.call_within(context, request=request, reservations=deps.reservations)
