"""The HTTP ingestion API as deployed: IAM authorization, throttling, access logs, validation at the edge."""

from __future__ import annotations

from typing import Any

from schemas.stages import load_stage
from tests.infra.helpers import logical_id, only, resources

DEV = load_stage("dev")


def test_post_events_requires_iam_authorization_and_validates_the_body(templates: dict[str, Any]) -> None:
    template = templates["Ingestion"]
    (method,) = [m["Properties"] for m in resources(template, "AWS::ApiGateway::Method").values()]
    assert method["HttpMethod"] == "POST"
    assert method["AuthorizationType"] == "AWS_IAM"
    validator = template["Resources"][logical_id(method["RequestValidatorId"])]["Properties"]
    assert validator["ValidateRequestBody"] is True
    assert "application/json" in method["RequestModels"]


def test_stage_is_throttled_traced_and_access_logged(templates: dict[str, Any]) -> None:
    stage = only(templates["Ingestion"], "AWS::ApiGateway::Stage")
    assert stage["StageName"] == DEV.stage
    assert stage["TracingEnabled"] is True
    assert "AccessLogSetting" in stage
    (settings,) = stage["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == DEV.ingest_throttling.rate_limit
    assert settings["ThrottlingBurstLimit"] == DEV.ingest_throttling.burst_limit


def test_ingest_function_may_put_events_on_the_bus_only(templates: dict[str, Any]) -> None:
    template = templates["Ingestion"]
    statements = [
        s
        for p in resources(template, "AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    puts = [s for s in statements if s["Action"] == "events:PutEvents"]  # one per source (test_event_classes.py)
    assert puts
    for put_events in puts:
        assert put_events["Resource"] != "*"
        assert "ImportValue" in str(put_events["Resource"]), "the bus ARN comes from the event plane stack"
