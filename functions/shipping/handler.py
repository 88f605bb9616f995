"""Lambda handler of the shipping service, invoked by the order saga (lambda:invoke): arrange a shipment.

Idempotency (Powertools, on the State stack's Idempotency table, functions/idempotency.py): each call is done once
per its `idempotency_key` (`<saga_key>:arrange`); a retried or redelivered call gets the stored answer. The same key
with another request raises IdempotencyValidationError: the saga sees it as the task's error.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.idempotency import OncePerEvent, once_per_request
from functions.log_context import correlated
from functions.observability import observability
from functions.pause_check import pause_checked
from functions.records import SagaServiceSettings
from functions.settings import load_settings
from functions.shipping.dynamodb import DynamoDBShipments
from functions.shipping.logic import ArrangeRequest, Shipments, arrange

logger, tracer, _ = observability()  # no metrics of its own


@dataclass(frozen=True)
class Dependencies:
    shipments: Shipments
    arrange_once: OncePerEvent[dict[str, Any]]


@cache
def dependencies() -> Dependencies:
    settings = load_settings(SagaServiceSettings)
    return Dependencies(
        shipments=DynamoDBShipments(boto3.resource("dynamodb").Table(settings.table_name)),
        arrange_once=once_per_request(_arrange, settings.idempotency_table),
    )


def _arrange(*, request: ArrangeRequest, shipments: Shipments) -> dict[str, Any]:
    shipment = arrange(request, shipments, new_id=f"ship-{uuid.uuid4()}")
    logger.info("shipment arranged", order_id=shipment.order_id, shipment_id=shipment.shipment_id)
    return {"shipment_id": shipment.shipment_id, "carrier": shipment.carrier}


@logger.inject_lambda_context
# A pause point of its workflow (no state transition spent on the check). Outside the tracer, which would log a
# held execution's PauseInForce as an exception of the handler.
@pause_checked
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # A malformed request fails here, before any idempotency record is written for it.
    request = ArrangeRequest.model_validate(event)
    deps = dependencies()
    with correlated(logger, request.correlation_id):
        return deps.arrange_once.call_within(context, request=request, shipments=deps.shipments)
