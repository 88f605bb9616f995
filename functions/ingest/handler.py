"""Lambda handler of the HTTP ingestion API (API Gateway REST, IAM authorization): POST /events.

A request may carry the events of several business processes, so its log lines are correlated by the request's own
id (API Gateway's `requestContext.requestId`, which the caller gets as `x-amzn-RequestId`); the line of an accepted
request names the correlation ids of the events it published.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import jmespath_utils
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from functions.ingest.logic import ingest
from functions.log_context import correlated
from functions.observability import observability
from functions.producer import EventBridgeBus, EventPublisher
from functions.settings import load_settings

logger, tracer, metrics = observability()
app = APIGatewayRestResolver()


class Settings(BaseModel):
    event_bus_name: str = Field(min_length=1)
    max_events_per_request: int = Field(default=100, ge=1)


@cache
def settings() -> Settings:
    return load_settings(Settings)


@cache
def publisher() -> EventPublisher:
    return EventPublisher(EventBridgeBus(boto3.client("events")), settings().event_bus_name, producer="ingest-api")


@app.post("/events")
@tracer.capture_method
def post_events() -> Response[str]:
    request = app.current_event
    reply = ingest(
        request.body, publisher(), settings().max_events_per_request, base64_encoded=bool(request.is_base64_encoded)
    )
    accepted = len(reply.body.get("event_ids", []))
    metrics.add_metric(name="EventsAccepted", unit=MetricUnit.Count, value=accepted)
    if reply.status != 202:
        metrics.add_metric(name="RequestsRefused", unit=MetricUnit.Count, value=1)
        logger.info("request refused", status=reply.status, errors=len(reply.body.get("errors", [])))
        for result in reply.unsent:
            logger.warning(
                "event not published", event_id=result.event_id, code=result.error_code, error=result.error_message
            )
    else:
        logger.info("events accepted", correlation_ids=sorted({r["correlation_id"] for r in reply.body["results"]}))
    return Response(status_code=reply.status, content_type="application/json", body=json.dumps(reply.body))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with correlated(logger, jmespath_utils.query(envelope=correlation_paths.API_GATEWAY_REST, data=event)):
        return app.resolve(event, context)
