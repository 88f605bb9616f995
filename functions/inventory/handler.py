"""Lambda handler of the inventory service, invoked by the order saga (lambda:invoke): reserve or release."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Annotated, Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field, TypeAdapter

from functions.inventory.dynamodb import DynamoDBReservations
from functions.inventory.logic import ReleaseRequest, Reservations, ReserveRequest, release, reserve
from functions.settings import load_settings

logger = Logger()
tracer = Tracer()

_REQUEST: TypeAdapter[ReserveRequest | ReleaseRequest] = TypeAdapter(
    Annotated[ReserveRequest | ReleaseRequest, Field(discriminator="action")]
)


class InventorySettings(BaseModel):
    table_name: str


@cache
def reservations() -> Reservations:
    table = boto3.resource("dynamodb").Table(load_settings(InventorySettings).table_name)
    return DynamoDBReservations(table)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = _REQUEST.validate_python(event)
    if isinstance(request, ReserveRequest):
        held = reserve(request, reservations(), new_id=f"res-{uuid.uuid4()}")
        logger.info("inventory reserved", order_id=held.order_id, reservation_id=held.reservation_id)
        return {"reservation_id": held.reservation_id, "status": held.status}
    released = release(request, reservations())
    logger.info("inventory released", reservation_id=released.reservation_id, released=released.released)
    return {"released": released.released, "reservation_id": released.reservation_id}
