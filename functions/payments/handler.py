"""Lambda handler of the payments service, invoked by the order saga (lambda:invoke): charge or refund."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Annotated, Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field, TypeAdapter

from functions.payments.dynamodb import DynamoDBPayments
from functions.payments.gateway import SandboxGateway
from functions.payments.logic import ChargeRequest, RefundRequest, charge, refund
from functions.settings import load_settings

logger = Logger()
tracer = Tracer()

_REQUEST: TypeAdapter[ChargeRequest | RefundRequest] = TypeAdapter(
    Annotated[ChargeRequest | RefundRequest, Field(discriminator="action")]
)


class PaymentsSettings(BaseModel):
    table_name: str


@cache
def payments() -> DynamoDBPayments:
    return DynamoDBPayments(boto3.resource("dynamodb").Table(load_settings(PaymentsSettings).table_name))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = _REQUEST.validate_python(event)
    store = payments()
    gateway = SandboxGateway(store)
    if isinstance(request, ChargeRequest):
        paid = charge(request, store, gateway, new_id=f"pay-{uuid.uuid4()}")
        logger.info("payment charged", order_id=paid.order_id, payment_id=paid.payment_id)
        return {"payment_id": paid.payment_id, "status": paid.status}
    refunded = refund(request, store, gateway)
    logger.info("payment refunded", payment_id=refunded.payment_id, refunded=refunded.refunded)
    return {"refunded": refunded.refunded, "payment_id": refunded.payment_id}
