"""Lambda handler of a workflow's admission (functions/admission), invoked as its first state (lambda:invoke):
`{"event": <the start event>, "workflow": "<name>", "execution": "<execution ARN>"}` ->
`{"business_id", "claim"}`, or the error the workflow's Catch routes: `InvalidStartEvent` and
`IdempotencyKeyConflict` to `Rejected`, `DuplicateStart` to `Duplicate`, `ClaimsUnavailable` retried."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from functions.admission.dynamodb import DynamoDBClaims
from functions.admission.logic import admit
from functions.observability import observability
from functions.settings import load_settings

logger, tracer, _ = observability()


class AdmissionSettings(BaseModel):
    idempotency_table: str = Field(min_length=1)


class AdmissionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: Any
    workflow: str = Field(min_length=1, max_length=64)
    execution: str = Field(min_length=1, max_length=2048)


@cache
def claims() -> DynamoDBClaims:
    settings = load_settings(AdmissionSettings)
    return DynamoDBClaims(boto3.client("dynamodb"), settings.idempotency_table)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    request = AdmissionRequest.model_validate(event)
    admitted = admit(request.event, request.workflow, request.execution, claims())
    logger.info("admitted", workflow=request.workflow, business_id=admitted.business_id)
    return admitted.as_dict()
