"""Security as tests, on the synthesized app: no wildcard grants, every Resource '*' acknowledged with its reason,
everything encrypted at rest, a bus only trusted accounts may write to, and APIs that take only signed requests.

Each check runs twice: on the shipped templates, where it finds nothing, and on a copy widened on purpose, where it
must report exactly what was widened (tests/security/checks.py says what counts).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from infra.nag import WILDCARD_RESOURCE_ACTIONS
from schemas.stages import load_stage
from tests.security import checks

Templates = dict[str, dict[str, Any]]
DEV = load_stage("dev")
BUS_STACK = "Orchestrator-dev-EventPlane"


def widened(templates: Templates, stack: str, logical_id: str, resource: dict[str, Any]) -> Templates:
    """A copy of the templates with one resource added (or replaced)."""
    copied = copy.deepcopy(templates)
    copied[stack]["Resources"][logical_id] = resource
    return copied


def iam_policy(*statements: dict[str, Any]) -> dict[str, Any]:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return {"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "widened", "PolicyDocument": document}}


def first(templates: Templates, resource_type: str) -> tuple[str, str, dict[str, Any]]:
    """The first resource of a type: its stack, logical id, and a copy of it."""
    for stack, template in templates.items():
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] == resource_type:
                return stack, logical_id, copy.deepcopy(resource)
    raise AssertionError(f"no {resource_type} in the app")


# -- wildcard actions ------------------------------------------------------------------------------------------


def test_no_statement_allows_every_action_or_every_action_of_a_service(all_templates: Templates) -> None:
    assert checks.wildcard_actions(all_templates) == []


@pytest.mark.parametrize(
    ("statement", "reported"),
    [
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, "Allow *"),
        ({"Effect": "Allow", "Action": ["sqs:SendMessage", "dynamodb:*"], "Resource": "arn:x"}, "Allow dynamodb:*"),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "NotAction"),
    ],
    ids=["star", "service-star", "not-action"],
)
def test_a_wildcard_action_is_reported(all_templates: Templates, statement: dict[str, Any], reported: str) -> None:
    widened_app = widened(all_templates, BUS_STACK, "Widened", iam_policy(statement))
    (violation,) = checks.wildcard_actions(widened_app)
    assert violation.startswith(f"{BUS_STACK}/Widened:") and reported in violation


def test_kms_star_is_reported_in_a_key_policy_for_anyone_but_the_keys_own_account(all_templates: Templates) -> None:
    stack, logical_id, key = first(all_templates, "AWS::KMS::Key")
    (default,) = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if s["Action"] == "kms:*"]
    default["Principal"] = {"AWS": "*"}
    (violation,) = checks.wildcard_actions(widened(all_templates, stack, logical_id, key))
    assert violation == f"{stack}/{logical_id}: Allow kms:*"


# -- wildcard resources ----------------------------------------------------------------------------------------


def test_every_resource_star_is_an_acknowledged_action_and_every_acknowledgment_is_used(
    all_templates: Templates,
) -> None:
    assert checks.wildcard_resources(all_templates, WILDCARD_RESOURCE_ACTIONS) == []
    assert checks.unused_allowances(all_templates, WILDCARD_RESOURCE_ACTIONS) == []
    assert all(len(reason) > 20 for reason in WILDCARD_RESOURCE_ACTIONS.values())


def test_a_resource_star_for_an_action_that_takes_a_resource_is_reported(all_templates: Templates) -> None:
    statement = {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "dynamodb:GetItem"], "Resource": "*"}
    widened_app = widened(all_templates, "Orchestrator-dev-State", "Widened", iam_policy(statement))
    assert checks.wildcard_resources(widened_app, WILDCARD_RESOURCE_ACTIONS) == [
        "Orchestrator-dev-State/Widened: dynamodb:GetItem on Resource '*' is not in infra/nag.py's "
        "WILDCARD_RESOURCE_ACTIONS"
    ]


def test_a_shipped_grant_widened_to_every_resource_is_reported(all_templates: Templates) -> None:
    # The ingestion function's PutEvents on the stage's bus, widened to every bus.
    stack = "Orchestrator-dev-Ingestion"
    (logical_id,) = [k for k, r in all_templates[stack]["Resources"].items() if r["Type"] == "AWS::IAM::Policy"]
    policy = copy.deepcopy(all_templates[stack]["Resources"][logical_id])
    statement = next(
        s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Action"] == "events:PutEvents"
    )
    statement["Resource"] = "*"
    assert checks.wildcard_resources(widened(all_templates, stack, logical_id, policy), WILDCARD_RESOURCE_ACTIONS) == [
        f"{stack}/{logical_id}: events:PutEvents on Resource '*' is not in infra/nag.py's WILDCARD_RESOURCE_ACTIONS"
    ]


def test_an_acknowledgment_the_app_no_longer_needs_is_reported(all_templates: Templates) -> None:
    acknowledged = {**WILDCARD_RESOURCE_ACTIONS, "s3:ListAllMyBuckets": "nothing uses it"}
    assert checks.unused_allowances(all_templates, acknowledged) == ["s3:ListAllMyBuckets"]


# -- encryption at rest ----------------------------------------------------------------------------------------


def test_every_queue_table_topic_log_group_and_bus_is_encrypted(all_templates: Templates) -> None:
    assert checks.unencrypted(all_templates) == []
    assert all(count > 0 for count in checks.encrypted_counts(all_templates).values())


@pytest.mark.parametrize(
    ("resource_type", "strip"),
    [
        ("AWS::SQS::Queue", ("SqsManagedSseEnabled", "KmsMasterKeyId")),
        ("AWS::DynamoDB::Table", ("SSESpecification",)),
        ("AWS::SNS::Topic", ("KmsMasterKeyId",)),
        ("AWS::Logs::LogGroup", ("KmsKeyId",)),
        ("AWS::Events::EventBus", ("KmsKeyIdentifier",)),
    ],
)
def test_a_resource_without_encryption_is_reported(
    all_templates: Templates, resource_type: str, strip: tuple[str, ...]
) -> None:
    stack, logical_id, resource = first(all_templates, resource_type)
    for name in strip:
        resource["Properties"].pop(name, None)
    (violation,) = checks.unencrypted(widened(all_templates, stack, logical_id, resource))
    assert violation.startswith(f"{stack}/{logical_id}: {resource_type} without")


def test_sqs_managed_encryption_switched_off_is_reported(all_templates: Templates) -> None:
    stack, logical_id, queue = first(all_templates, "AWS::SQS::Queue")
    queue["Properties"]["SqsManagedSseEnabled"] = False
    assert len(checks.unencrypted(widened(all_templates, stack, logical_id, queue))) == 1


# -- the bus policy --------------------------------------------------------------------------------------------


def test_the_bus_policy_lets_in_only_this_account_and_the_trusted_ones(all_templates: Templates) -> None:
    assert [s for s in checks.statements(all_templates) if s.resource_type == "AWS::Events::EventBusPolicy"]
    assert checks.bus_policy(all_templates, DEV.trusted_account_ids, DEV.trusted_organization_id) == []


def _bus_policy_with(all_templates: Templates, **changes: Any) -> Templates:
    stack, logical_id, policy = first(all_templates, "AWS::Events::EventBusPolicy")
    policy["Properties"]["Statement"].update(changes)
    return widened(all_templates, stack, logical_id, policy)


@pytest.mark.parametrize(
    ("changes", "reported"),
    [
        ({"Principal": "*"}, "any principal, without the trusted organization's condition"),
        ({"Principal": {"AWS": "*"}}, "any principal, without the trusted organization's condition"),
        ({"Principal": {"AWS": "arn:aws:iam::999999999999:root"}}, "999999999999:root is neither this account"),
        ({"Principal": {"AWS": "999999999999"}}, "999999999999 is neither this account"),
        (
            {"Principal": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-someoneelse"}}},
            "any principal, without the trusted organization's condition",
        ),
        ({"Action": ["events:PutEvents", "events:PutRule"]}, "not only events:PutEvents"),
    ],
    ids=["star", "aws-star", "other-account-root", "other-account-id", "other-org", "more-actions"],
)
def test_a_bus_policy_opened_to_others_is_reported(
    all_templates: Templates, changes: dict[str, Any], reported: str
) -> None:
    (violation,) = checks.bus_policy(_bus_policy_with(all_templates, **changes), [], None)
    assert reported in violation


def test_the_trusted_accounts_and_organization_of_the_config_are_let_in(all_templates: Templates) -> None:
    org_statement = {"Principal": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-trusted"}}}
    assert checks.bus_policy(_bus_policy_with(all_templates, **org_statement), [], "o-trusted") == []
    other = {"Principal": {"AWS": "arn:aws:iam::999999999999:root"}}
    assert checks.bus_policy(_bus_policy_with(all_templates, **other), ["999999999999"], None) == []


# -- the APIs --------------------------------------------------------------------------------------------------


def test_every_method_of_every_api_takes_only_signed_requests(all_templates: Templates) -> None:
    methods = [r for t in all_templates.values() for r in t["Resources"].values() if r["Type"].endswith("::Method")]
    assert len(methods) > 1  # POST /events and the control API's routes
    assert checks.unsigned_methods(all_templates) == []


@pytest.mark.parametrize("authorization", ["NONE", None])
def test_an_unsigned_method_is_reported(all_templates: Templates, authorization: str | None) -> None:
    stack, logical_id, method = first(all_templates, "AWS::ApiGateway::Method")
    method["Properties"]["AuthorizationType"] = authorization
    if authorization is None:
        del method["Properties"]["AuthorizationType"]
    (violation,) = checks.unsigned_methods(widened(all_templates, stack, logical_id, method))
    assert violation.startswith(f"{stack}/{logical_id}:") and violation.endswith("NONE")
