"""HTTP ingestion for producers that cannot use the SDK (webhooks): API Gateway + a validating Lambda.

IAM authorization (SigV4) on the only method, stage throttling from the config, access logs and tracing on.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_events as events
from constructs import Construct

from infra.constructs.alerts import api_alarm
from infra.constructs.emitting import grant_emit
from infra.constructs.lambda_function import PythonFunction, log_group
from schemas.envelope import Emitter
from schemas.stages import StageConfig

MAX_EVENTS_PER_REQUEST = 100

# A coarse shape check at the edge; the Lambda validates every field against the event models and names it.
_REQUEST_SCHEMA = apigw.JsonSchema(
    schema=apigw.JsonSchemaVersion.DRAFT4,
    type=apigw.JsonSchemaType.OBJECT,
    required=["events"],
    properties={
        "events": apigw.JsonSchema(
            type=apigw.JsonSchemaType.ARRAY,
            min_items=1,
            max_items=MAX_EVENTS_PER_REQUEST,
            items=apigw.JsonSchema(type=apigw.JsonSchemaType.OBJECT),
        )
    },
)


class IngestionStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, bus: events.IEventBus, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.function = PythonFunction(
            self,
            "Ingest",
            config=config,
            handler="functions.ingest.handler.handler",
            service="ingest",
            description="Validates events posted over HTTP and puts them on the bus",
            environment={"EVENT_BUS_NAME": bus.event_bus_name, "MAX_EVENTS_PER_REQUEST": str(MAX_EVENTS_PER_REQUEST)},
        ).function
        grant_emit(bus, self.function, Emitter.PRODUCERS)
        self.api = self._api(config)
        CfnOutput(self, "IngestUrl", value=self.api.url_for_path("/events"))

    def _api(self, config: StageConfig) -> apigw.RestApi:
        api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=f"orchestrator-ingest-{config.stage}",
            description="Puts validated events on the orchestrator bus",
            cloud_watch_role=True,
            deploy_options=stage_options(self, config),
        )
        model = api.add_model("EventsRequest", content_type="application/json", schema=_REQUEST_SCHEMA)
        validator = api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        # Name what the edge refused, so a 400 from API Gateway is as clear as one from the function.
        api.add_gateway_response(
            "BadRequestBody",
            type=apigw.ResponseType.BAD_REQUEST_BODY,
            templates={
                "application/json": '{"message": "$context.error.message", '
                '"errors": "$context.error.validationErrorString"}'
            },
        )
        api.root.add_resource("events").add_method(
            "POST",
            apigw.LambdaIntegration(self.function),
            authorization_type=apigw.AuthorizationType.IAM,
            request_models={"application/json": model},
            request_validator=validator,
        )
        api_alarm(api, config=config)
        return api


def stage_options(scope: Construct, config: StageConfig) -> apigw.StageOptions:
    """The stage of one of the app's REST APIs: throttled per the config, traced, errors and every access logged
    (as JSON, with the IAM caller) to a log group of the stage's retention."""
    access_logs = log_group(scope, "AccessLogs", config=config)
    return apigw.StageOptions(
        stage_name=config.stage,
        throttling_rate_limit=config.ingest_throttling.rate_limit,
        throttling_burst_limit=config.ingest_throttling.burst_limit,
        tracing_enabled=True,
        logging_level=apigw.MethodLoggingLevel.ERROR,
        access_log_destination=apigw.LogGroupLogDestination(access_logs),
        access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
            caller=True,
            http_method=True,
            ip=True,
            protocol=True,
            request_time=True,
            resource_path=True,
            response_length=True,
            status=True,
            user=True,
        ),
    )
