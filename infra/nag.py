"""cdk-nag `AwsSolutions` on every synth. Every acknowledged finding of the app sits here, with its reason.

A finding that is not acknowledged fails the synth (CDK policy validation), so `make synth`, `cdk deploy` and the
tests all stop on it. (The grants the soak leaves unused, and why, are in infra/unused_access.py: plain data the
soak reads without the CDK.)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import jsii
from aws_cdk import Acknowledgment, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct, IValidation

_PACK = "AwsSolutions::"

_XRAY = "X-Ray tracing (functions and workflows)"
_LOG_DELIVERY = "Step Functions' logging to CloudWatch Logs (log delivery)"
# Resource "*" in an IAM policy of the app is allowed for these actions only: each is one the Service Authorization
# Reference gives no resource type (AWS requires '*'), with what the app uses it for. This is the one list:
# the IAM5[Resource::*] acknowledgments below are written from it, and tests/security checks every Resource "*" of
# the synthesized templates against it.
WILDCARD_RESOURCE_ACTIONS: dict[str, str] = {
    "xray:PutTraceSegments": _XRAY,
    "xray:PutTelemetryRecords": _XRAY,
    "xray:GetSamplingRules": _XRAY,
    "xray:GetSamplingTargets": _XRAY,
    **{
        f"logs:{action}": _LOG_DELIVERY
        for action in (
            "CreateLogDelivery",
            "GetLogDelivery",
            "UpdateLogDelivery",
            "DeleteLogDelivery",
            "ListLogDeliveries",
            "PutResourcePolicy",
            "DescribeResourcePolicies",
            "DescribeLogGroups",
        )
    },
    "cloudwatch:PutMetricData": "a workflow's own metrics, held to the stage's namespace by a condition",
    "states:ListStateMachines": "the control API's discovery of the app's state machines (by name and stage tag)",
    "dynamodb:ListTables": "the control API's discovery of the breaker table",
    "events:ListArchives": "orch replay's lookup of the bus's archive",
}


def wildcard_reason(*prefixes: str) -> str:
    """The acknowledgment of Resource '*' for the listed actions starting with `prefixes`."""
    actions = [a for a in WILDCARD_RESOURCE_ACTIONS if a.startswith(prefixes)]
    assert actions, f"no acknowledged wildcard action starts with {prefixes}"
    uses = sorted({WILDCARD_RESOURCE_ACTIONS[a] for a in actions})
    return f"{', '.join(actions)} support no resource-level permissions: AWS requires '*'. Used for: {'; '.join(uses)}."


# (construct path suffix, finding id, reason)
_ACKNOWLEDGED: list[tuple[str, str, str]] = [
    (
        "/Function/ServiceRole",
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        "AWSLambdaBasicExecutionRole only lets a function write its own CloudWatch logs: the AWS-maintained minimum.",
    ),
    (
        "/Function/ServiceRole",
        "AwsSolutions-IAM5[Resource::*]",
        wildcard_reason("xray:Put"),
    ),
    (
        "/Function",
        "AwsSolutions-L1",
        "Pinned to python3.13, the newest runtime the managed Powertools layer is published for "
        "(infra/constructs/lambda_function.py); raise both together.",
    ),
    (
        "/StateMachine/Role",
        "AwsSolutions-IAM5[Resource::*]",
        wildcard_reason("logs:", "xray:", "cloudwatch:"),
    ),
    (
        "DeadLetters/Queue",
        "AwsSolutions-SQS3",
        "This queue is a dead-letter queue: the end of the line, watched by an alarm.",
    ),
    (
        "Escalations/Queue",
        "AwsSolutions-SQS3",
        "The order saga's escalations are where a compensation that kept failing ends, watched by an alarm for a "
        "person to finish it; a further DLQ would hide them.",
    ),
    (
        "Quarantine/Queue",
        "AwsSolutions-SQS3",
        "The quarantine is where invalid events end, watched by an alarm; a further DLQ would hide them.",
    ),
    (
        "/Api/CloudWatchRole",
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
        "The AWS-maintained policy API Gateway needs to write its execution logs.",
    ),
    (
        "/Api",
        "AwsSolutions-APIG3",
        "Requests are SigV4-signed (IAM authorization) and throttled per stage; a WAF web ACL is an account-level "
        "choice left to the platform team.",
    ),
    (
        "/Discovery",
        "AwsSolutions-IAM5[Resource::*]",
        wildcard_reason("states:List", "dynamodb:List"),
    ),
    (
        "-Control/Api",
        "AwsSolutions-APIG2",
        "The control API's edge validates path parameters; bodies and query strings are validated by its function "
        "against the pydantic models its OpenAPI document is generated from, with errors naming the field.",
    ),
    (
        "/Api",
        "AwsSolutions-COG4",
        "The API uses IAM authorization: producers are AWS principals, not Cognito users.",
    ),
]


def add_nag_checks(scope: IConstruct) -> None:
    """Runs AwsSolutions on everything under `scope` at synth: an unacknowledged finding fails the synth."""
    Validations.of(scope).add_plugins(AwsSolutionsChecks(scope, verbose=True))


def acknowledge_known_findings(stack: Stack) -> None:
    """Acknowledges this project's reasoned findings on the constructs they are about."""
    for construct in stack.node.find_all():
        path = construct.node.path
        for suffix, finding, reason in _ACKNOWLEDGED:
            if path.endswith(suffix):
                Validations.of(construct).acknowledge(Acknowledgment(id=_PACK + finding, reason=reason))


EXECUTIONS_REASON = (
    "The control API describes, reads the history of and stops the executions of the app's own state machines, "
    "whatever their names: 'execution:<state machine name>:*' is how Step Functions scopes that (as grantExecution)."
)


def acknowledge_wildcards(construct: IConstruct, resources: Sequence[str], reason: str) -> None:
    """Acknowledges the IAM5 finding of each wildcard resource of `construct`'s policy, named as cdk-nag names it:
    the ARN's parts joined, pseudo parameters as `<AWS::Region>`, imports by export name, other tokens as compact
    JSON. A resource naming
    another stack's resource only resolves to its final form (an `Fn::ImportValue`) once the app is prepared for
    synthesis, so the names are made then: in a construct validation, which runs before the policy plugins."""
    construct.node.add_validation(_AcknowledgeWildcards(construct, resources, reason))


@jsii.implements(IValidation)
class _AcknowledgeWildcards:
    def __init__(self, construct: IConstruct, resources: Sequence[str], reason: str) -> None:
        self._construct = construct
        self._resources = resources
        self._reason = reason

    def validate(self) -> list[str]:
        stack = Stack.of(self._construct)
        for resource in self._resources:
            finding = f"{_PACK}AwsSolutions-IAM5[Resource::{_nag_text(stack.resolve(resource))}]"
            Validations.of(self._construct).acknowledge(Acknowledgment(id=finding, reason=self._reason))
        return []


def _nag_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_nag_text(part) for part in parts)
    if isinstance(value, dict) and set(value) == {"Ref"} and str(value["Ref"]).startswith("AWS::"):
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and set(value) == {"Fn::ImportValue"} and isinstance(value["Fn::ImportValue"], str):
        return str(value["Fn::ImportValue"])  # another stack's export, by its name
    return json.dumps(value, separators=(",", ":"))
