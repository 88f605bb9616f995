"""Security checks over synthesized CloudFormation templates: each returns the violations it finds, one line each.

Pure functions of the templates (`{stack name: template}`), so a test runs them on the shipped app (no violation)
and on a copy it has widened on purpose (the violation reported): a check that cannot fail proves nothing.

What counts, where the issue left it to us:
- A wildcard action is `*` or `<service>:*` in an Allow statement, or an Allow with NotAction. Prefix wildcards
  (`kms:GenerateDataKey*`, which CDK's own KMS grants use) name a known family of actions and are not flagged. The
  one exception is KMS's default key policy: the key's own account root gets `kms:*` on the key, which is what hands
  the key to IAM (without it no IAM policy could grant the key, and the key could become unmanageable).
- Resource `*` (or NotResource) in an Allow statement of an IAM policy is allowed only for the actions of
  infra/nag.py's WILDCARD_RESOURCE_ACTIONS, the one list, each with its reason. In a KMS key policy `*` means "this
  key" (KMS requires it), so key policies are not held to that list.
- Encrypted means what the template says: a KMS key, or the service's own server-side encryption switched on
  explicitly (SqsManagedSseEnabled, DynamoDB SSEEnabled). A resource whose template says nothing fails, even where
  the service encrypts by default, because nothing in the app then guarantees it.
- The bus policy may allow only events:PutEvents, only to this account and the stage's trusted accounts, or to any
  principal only under an aws:PrincipalOrgID condition naming the stage's trusted organization.
- Every API Gateway method is signed: AuthorizationType AWS_IAM.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

Templates = Mapping[str, dict[str, Any]]

SERVICE_WILDCARD = re.compile(r"^[a-z0-9-]+:\*$")
THIS_ACCOUNT = "${AWS::AccountId}"


@dataclass(frozen=True)
class Statement:
    """One policy statement and where it is."""

    stack: str
    logical_id: str
    resource_type: str
    body: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.stack}/{self.logical_id}"

    @property
    def allows(self) -> bool:
        return self.body.get("Effect") == "Allow"

    def values(self, key: str) -> list[Any]:
        value = self.body.get(key, [])
        return value if isinstance(value, list) else [value]


def statements(templates: Templates) -> Iterator[Statement]:
    """Every statement of every identity and resource policy in the templates."""
    for stack, template in templates.items():
        for logical_id, resource in template.get("Resources", {}).items():
            for document in _documents(resource):
                listed = document.get("Statement", [])
                for body in listed if isinstance(listed, list) else [listed]:
                    yield Statement(stack, logical_id, resource["Type"], body)


def _documents(resource: dict[str, Any]) -> list[dict[str, Any]]:
    properties = resource.get("Properties", {})
    found = [
        properties[key] for key in ("PolicyDocument", "KeyPolicy", "AssumeRolePolicyDocument") if key in properties
    ]
    found += [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
    if resource["Type"] == "AWS::Events::EventBusPolicy":
        found.append({"Statement": _bus_statement(properties)})
    return found


def _bus_statement(properties: dict[str, Any]) -> Any:
    """The statement of an EventBusPolicy, whether in `Statement` or in the older Action/Principal/Condition form."""
    if "Statement" in properties:
        return properties["Statement"]
    principal = properties.get("Principal")
    statement = {"Effect": "Allow", "Action": properties.get("Action"), "Principal": {"AWS": principal}}
    if "Condition" in properties:
        condition = properties["Condition"]
        statement["Condition"] = {"StringEquals": {condition.get("Key"): condition.get("Value")}}
    return statement


def render(value: Any) -> str:
    """A template value as text: `Fn::Join` joined, `Ref`s of pseudo parameters and resources as `${Name}`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(render(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return "aws" if value["Ref"] == "AWS::Partition" else "${" + str(value["Ref"]) + "}"
    return json.dumps(value, sort_keys=True)


# -- wildcard actions ------------------------------------------------------------------------------------------


def wildcard_actions(templates: Templates) -> list[str]:
    """Allow statements granting every action, or every action of a service."""
    found = []
    for statement in statements(templates):
        if not statement.allows:
            continue  # a Deny with sqs:* (the TLS-only queue policies) takes away, it grants nothing
        if "NotAction" in statement.body:
            found.append(f"{statement.where}: Allow with NotAction {statement.body['NotAction']}")
        for action in statement.values("Action"):
            if (action == "*" or SERVICE_WILDCARD.match(str(action))) and not _default_key_policy(statement):
                found.append(f"{statement.where}: Allow {action}")
    return found


def _default_key_policy(statement: Statement) -> bool:
    principals = _principals(statement)
    return (
        statement.resource_type == "AWS::KMS::Key"
        and statement.values("Action") == ["kms:*"]
        and principals == [f"arn:aws:iam::{THIS_ACCOUNT}:root"]
        and "Condition" not in statement.body
    )


def _principals(statement: Statement) -> list[str]:
    principal = statement.body.get("Principal")
    if principal == "*":
        return ["*"]
    if not isinstance(principal, dict):
        return []
    values = principal.get("AWS", [])
    return [render(value) for value in (values if isinstance(values, list) else [values])]


# -- wildcard resources ----------------------------------------------------------------------------------------


def wildcard_resources(templates: Templates, allowed: Mapping[str, str]) -> list[str]:
    """Allow statements of IAM policies on Resource '*' (or NotResource) for an action not in `allowed`."""
    found = []
    for statement in _wildcard_resource_statements(templates):
        if "NotResource" in statement.body:
            found.append(f"{statement.where}: Allow with NotResource {statement.body['NotResource']}")
        found += [
            f"{statement.where}: {action} on Resource '*' is not in infra/nag.py's WILDCARD_RESOURCE_ACTIONS"
            for action in statement.values("Action")
            if action not in allowed
        ]
    return found


def unused_allowances(templates: Templates, allowed: Mapping[str, str]) -> list[str]:
    """Actions of `allowed` that no statement uses on Resource '*': the list must not outgrow the app."""
    used = {a for s in _wildcard_resource_statements(templates) for a in s.values("Action")}
    return sorted(set(allowed) - used)


def _wildcard_resource_statements(templates: Templates) -> Iterator[Statement]:
    for statement in statements(templates):
        in_key_policy = statement.resource_type == "AWS::KMS::Key"
        on_everything = "*" in statement.values("Resource") or "NotResource" in statement.body
        if statement.allows and on_everything and not in_key_policy:
            yield statement


# -- encryption at rest ----------------------------------------------------------------------------------------

Encrypted = Callable[[dict[str, Any]], bool]

# Resource type -> (what the template must say, the test of its properties).
ENCRYPTION: dict[str, tuple[str, Encrypted]] = {
    "AWS::SQS::Queue": (
        "KmsMasterKeyId, or SqsManagedSseEnabled: true",
        lambda p: bool(p.get("KmsMasterKeyId")) or p.get("SqsManagedSseEnabled") is True,
    ),
    "AWS::DynamoDB::Table": (
        "SSESpecification.SSEEnabled: true (KMS)",
        lambda p: p.get("SSESpecification", {}).get("SSEEnabled") is True,
    ),
    "AWS::SNS::Topic": ("KmsMasterKeyId", lambda p: bool(p.get("KmsMasterKeyId"))),
    "AWS::Logs::LogGroup": ("KmsKeyId", lambda p: bool(p.get("KmsKeyId"))),
    "AWS::Events::EventBus": ("KmsKeyIdentifier", lambda p: bool(p.get("KmsKeyIdentifier"))),
}


def unencrypted(templates: Templates) -> list[str]:
    """Queues, tables, topics, log groups and buses whose template does not say they are encrypted."""
    found = []
    for stack, template in templates.items():
        for logical_id, resource in template.get("Resources", {}).items():
            rule = ENCRYPTION.get(resource["Type"])
            if rule is not None and not rule[1](resource.get("Properties", {})):
                found.append(f"{stack}/{logical_id}: {resource['Type']} without {rule[0]}")
    return found


def encrypted_counts(templates: Templates) -> dict[str, int]:
    """How many resources of each checked type the templates hold (so a test sees the check had work to do)."""
    counts = dict.fromkeys(ENCRYPTION, 0)
    for template in templates.values():
        for resource in template.get("Resources", {}).values():
            if resource["Type"] in counts:
                counts[resource["Type"]] += 1
    return counts


# -- the bus policy --------------------------------------------------------------------------------------------


def bus_policy(templates: Templates, trusted_accounts: list[str], organization_id: str | None) -> list[str]:
    """Statements of the bus policy that let in more than this account, the trusted ones and the trusted org."""
    allowed = {f"arn:aws:iam::{account}:root" for account in [THIS_ACCOUNT, *trusted_accounts]}
    allowed |= {THIS_ACCOUNT, *trusted_accounts}
    found = []
    for statement in statements(templates):
        if statement.resource_type != "AWS::Events::EventBusPolicy" or not statement.allows:
            continue
        if statement.values("Action") != ["events:PutEvents"]:
            found.append(f"{statement.where}: allows {statement.values('Action')}, not only events:PutEvents")
        for principal in _principals(statement) or [render(statement.body.get("Principal"))]:
            if principal == "*":
                org = statement.body.get("Condition", {}).get("StringEquals", {}).get("aws:PrincipalOrgID")
                if organization_id is None or org != organization_id:
                    found.append(f"{statement.where}: any principal, without the trusted organization's condition")
            elif principal not in allowed:
                found.append(f"{statement.where}: {principal} is neither this account nor a trusted one")
    return found


# -- the APIs --------------------------------------------------------------------------------------------------


def unsigned_methods(templates: Templates) -> list[str]:
    """API Gateway methods that take requests without SigV4 (AuthorizationType other than AWS_IAM)."""
    return [
        f"{stack}/{logical_id}: {resource['Properties'].get('HttpMethod')} is "
        f"{resource['Properties'].get('AuthorizationType', 'NONE')}"
        for stack, template in templates.items()
        for logical_id, resource in template.get("Resources", {}).items()
        if resource["Type"] == "AWS::ApiGateway::Method"
        and resource["Properties"].get("AuthorizationType") != "AWS_IAM"
    ]
