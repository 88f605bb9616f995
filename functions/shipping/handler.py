"""Lambda handler of the shipping service, invoked by the order saga (lambda:invoke): arrange a shipment."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from functions.settings import load_settings
from functions.shipping.dynamodb import DynamoDBShipments
from functions.shipping.logic import ArrangeRequest, Shipments, arrange

logger = Logger()
tracer = Tracer()


class ShippingSettings(BaseModel):
    table_name: str


@cache
def shipments() -> Shipments:
    return DynamoDBShipments(boto3.resource("dynamodb").Table(load_settings(ShippingSettings).table_name))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = ArrangeRequest.model_validate(event)
    shipment = arrange(request, shipments(), new_id=f"ship-{uuid.uuid4()}")
    logger.info("shipment arranged", order_id=shipment.order_id, shipment_id=shipment.shipment_id)
    return {"shipment_id": shipment.shipment_id, "carrier": shipment.carrier}
