"""Lambda handler of the payments service, invoked by the order saga (lambda:invoke): charge or refund.

Idempotency (Powertools, on the State stack's Idempotency table, functions/idempotency.py): each call is done once
per its `idempotency_key` (`<saga_key>:charge`, `<saga_key>:refund`); a retried or redelivered call gets the stored
answer and moves no money. The same key with another request raises IdempotencyValidationError: the saga sees it as
the task's error. A call that raised (a declined card, a gateway timeout) stores nothing, so its retry runs again.
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
from functions.log_context import correlated
from functions.observability import observability
from functions.pause_check import pause_checked
from functions.payments.dynamodb import DynamoDBPayments
from functions.payments.gateway import SandboxGateway
from functions.payments.logic import ChargeRequest, PaymentGateway, Payments, RefundRequest, charge, refund
from functions.records import SagaServiceSettings
from functions.settings import load_settings

logger, tracer, _ = observability()  # no metrics of its own

_REQUEST: TypeAdapter[ChargeRequest | RefundRequest] = TypeAdapter(
    Annotated[ChargeRequest | RefundRequest, Field(discriminator="action")]
)


@dataclass(frozen=True)
class Dependencies:
    payments: Payments
    gateway: PaymentGateway
    act_once: OncePerEvent[dict[str, Any]]


@cache
def dependencies() -> Dependencies:
    settings = load_settings(SagaServiceSettings)
    store = DynamoDBPayments(boto3.resource("dynamodb").Table(settings.table_name))
    # The sandbox gateway keeps its one-shot faults in the payments table (FaultLedger).
    return Dependencies(store, SandboxGateway(store), once_per_request(_act, settings.idempotency_table))


def _act(*, request: ChargeRequest | RefundRequest, payments: Payments, gateway: PaymentGateway) -> dict[str, Any]:
    if isinstance(request, ChargeRequest):
        paid = charge(request, payments, gateway, new_id=f"pay-{uuid.uuid4()}")
        logger.info("payment charged", order_id=paid.order_id, payment_id=paid.payment_id)
        return {"payment_id": paid.payment_id, "status": paid.status}
    refunded = refund(request, payments, gateway)
    logger.info("payment refunded", payment_id=refunded.payment_id, refunded=refunded.refunded)
    return {"refunded": refunded.refunded, "payment_id": refunded.payment_id}


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
        return deps.act_once.call_within(context, request=request, payments=deps.payments, gateway=deps.gateway)
