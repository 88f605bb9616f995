"""The local runtime's IAM policy evaluator, rule by rule, against the AWS IAM User Guide.

Each test names in its docstring the page (and where useful the example) of the guide whose rule it checks:
"Policy evaluation logic" and its sub-pages, and the "IAM JSON policy elements" reference (Action, NotAction,
Resource, NotResource, Principal, NotPrincipal, Condition, Condition operators, Variables and tags, Version).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from orchestrator.local.iam.evaluation import (
    Decision,
    Evaluation,
    PolicyError,
    Request,
    Statement,
    evaluate,
    parse_policy,
)

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/WorkerRole"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/WorkerRole/worker-function"
OTHER_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/OtherRole/other-function"
FOREIGN_SESSION = f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/WorkerRole/worker-function"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Orders"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:work"
RULE = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/orchestrator-completions"
BUS = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/orchestrator"

Context = Mapping[str, str | Sequence[str]]


def policy(*statements: Mapping[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    document: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        document["Version"] = version
    return document


def parsed(*statements: Mapping[str, Any], version: str | None = "2012-10-17") -> list[Statement]:
    return parse_policy(policy(*statements, version=version), source="role/WorkerRole policy Test")


def allow(
    action: str | list[str] = "dynamodb:GetItem", resource: str | list[str] = TABLE, **more: Any
) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def deny(
    action: str | list[str] = "dynamodb:GetItem", resource: str | list[str] = TABLE, **more: Any
) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **more}


def decide(
    identity: Sequence[Statement],
    action: str = "dynamodb:GetItem",
    resource: str = TABLE,
    context: Context | None = None,
    principal: str = SESSION,
    resource_policy: Sequence[Statement] = (),
    **accounts: str,
) -> Decision:
    return evaluate(Request(principal, action, resource, context or {}), identity, resource_policy, **accounts).decision


def holds(condition: Mapping[str, Any], context: Context | None = None, version: str = "2012-10-17") -> bool:
    """Whether an Allow statement with `condition` (and nothing else restrictive) allows a request with `context`."""
    statements = parsed({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}, version=version)
    return decide(statements, "s3:GetObject", "*", context) is Decision.ALLOWED


def queue_policy(*statements: Mapping[str, Any]) -> list[Statement]:
    """A resource-based policy (an SQS queue policy): its statements name principals."""
    return parse_policy(policy(*statements), source="queue/work policy")


def on_queue(principal: Any, **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": "sqs:SendMessage", "Resource": QUEUE, **more}


def queue_decision(resource_policy: Sequence[Statement], principal: str, context: Context | None = None) -> Decision:
    return decide((), "sqs:SendMessage", QUEUE, context, principal, resource_policy)


# -- Deny, allow, implicit deny ------------------------------------------------------------------------------------


def test_explicit_deny_in_identity_policy_overrides_an_allow() -> None:
    """Policy evaluation logic, "How AWS enforcement code logic evaluates requests": an explicit deny overrides any
    allow; the evaluation reports every statement that matched, allowing and denying."""
    statements = parsed(allow(), deny())
    evaluation = evaluate(Request(SESSION, "dynamodb:GetItem", TABLE), statements)
    assert evaluation.decision is Decision.EXPLICIT_DENY
    assert not evaluation.allowed
    assert evaluation.allowed_by == (statements[0],)
    assert evaluation.denied_by == (statements[1],)


def test_resource_policy_deny_overrides_identity_allow() -> None:
    """Policy evaluation logic: the enforcement code looks for a Deny in all applicable policies, resource-based
    ones included, before any Allow counts."""
    identity = parsed(allow("sqs:SendMessage", QUEUE))
    resource_policy = queue_policy({**on_queue({"AWS": ROLE}), "Effect": "Deny"})
    evaluation = evaluate(Request(SESSION, "sqs:SendMessage", QUEUE), identity, resource_policy)
    assert evaluation.decision is Decision.EXPLICIT_DENY
    assert evaluation.allowed_by == (identity[0],)
    assert evaluation.denied_by == (resource_policy[0],)


def test_no_matching_statement_is_an_implicit_deny() -> None:
    """Policy evaluation logic: by default every request is implicitly denied; only a matching Allow grants."""
    statements = parsed(allow("dynamodb:GetItem", TABLE))
    evaluation = evaluate(Request(SESSION, "dynamodb:PutItem", TABLE), statements)
    assert evaluation == Evaluation(Decision.IMPLICIT_DENY, (), ())
    assert decide([]) is Decision.IMPLICIT_DENY


def test_matching_allow_is_allowed_and_reported() -> None:
    """Policy evaluation logic: a matching Allow and no Deny gives the final decision Allow."""
    statements = parsed(allow(["dynamodb:GetItem", "dynamodb:PutItem"]), allow("sqs:SendMessage", QUEUE))
    evaluation = evaluate(Request(SESSION, "dynamodb:PutItem", TABLE), statements)
    assert evaluation.allowed
    assert evaluation.allowed_by == (statements[0],)
    assert evaluation.denied_by == ()


def test_same_account_resource_policy_allow_suffices_without_identity_allow() -> None:
    """Policy evaluation for requests within a single account: if either the identity-based policy or the
    resource-based policy allows the request and the other does not, the request is still allowed."""
    resource_policy = queue_policy(on_queue({"AWS": ROLE}))
    assert queue_decision(resource_policy, SESSION) is Decision.ALLOWED
    assert decide((), "sqs:SendMessage", QUEUE, None, SESSION, resource_policy, principal_account=ACCOUNT) is (
        Decision.ALLOWED
    )


def test_cross_account_request_needs_both_identity_and_resource_policy_to_allow() -> None:
    """Cross-account policy evaluation logic: the identity-based policy in the trusted account and the
    resource-based policy in the trusting account must both allow."""
    identity = parsed(allow("sqs:SendMessage", QUEUE))
    resource_policy = queue_policy(on_queue({"AWS": OTHER_ACCOUNT}))
    accounts = {"principal_account": OTHER_ACCOUNT, "resource_account": ACCOUNT}

    def cross(identity: Sequence[Statement], resource_policy: Sequence[Statement]) -> Decision:
        return decide(identity, "sqs:SendMessage", QUEUE, None, FOREIGN_SESSION, resource_policy, **accounts)

    assert cross(identity, resource_policy) is Decision.ALLOWED
    assert cross(identity, ()) is Decision.IMPLICIT_DENY
    assert cross((), resource_policy) is Decision.IMPLICIT_DENY


def test_principal_element_in_an_identity_policy_is_ignored() -> None:
    """IAM JSON policy elements: Principal: identity-based policies do not use Principal (the principal is the
    identity the policy is attached to); a stray one is parsed and does not restrict the statement."""
    statements = parsed(allow(Principal={"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}))
    assert statements[0].principals == {"AWS": (f"arn:aws:iam::{OTHER_ACCOUNT}:root",)}
    assert decide(statements) is Decision.ALLOWED


# -- Action and NotAction ------------------------------------------------------------------------------------------


def test_action_wildcards_star_and_question_mark() -> None:
    """IAM JSON policy elements: Action: `*` matches any run of characters and `?` one character, anywhere in the
    action; "*" alone matches every action of every service."""
    assert decide(parsed(allow("dynamodb:Get*")), "dynamodb:GetItem") is Decision.ALLOWED
    assert decide(parsed(allow("dynamodb:*Item")), "dynamodb:PutItem") is Decision.ALLOWED
    assert decide(parsed(allow("dynamodb:?etItem")), "dynamodb:GetItem") is Decision.ALLOWED
    assert decide(parsed(allow("dynamodb:?etItem")), "dynamodb:BatchGetItem") is Decision.IMPLICIT_DENY
    assert decide(parsed(allow("*", "*")), "states:StartExecution", "*") is Decision.ALLOWED
    assert decide(parsed(allow("s3:*", "*")), "s3express:CreateSession", "*") is Decision.IMPLICIT_DENY


def test_action_matching_is_case_insensitive() -> None:
    """IAM JSON policy elements: Action: action names (and service prefixes) are case-insensitive."""
    assert decide(parsed(allow("DynamoDB:getitem")), "dynamodb:GetItem") is Decision.ALLOWED
    assert decide(parsed(allow("dynamodb:GETITEM")), "DYNAMODB:getItem") is Decision.ALLOWED


def test_not_action_applies_to_every_action_not_listed() -> None:
    """IAM JSON policy elements: NotAction: "NotAction with Allow" allows every action except those listed."""
    statements = parsed({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::bucket/key") is Decision.ALLOWED
    assert decide(statements, "iam:CreateRole", "*") is Decision.IMPLICIT_DENY


def test_not_action_with_deny_denies_every_action_not_listed() -> None:
    """IAM JSON policy elements: NotAction: "NotAction with Deny" denies every action except those listed."""
    statements = parsed(allow("*", "*"), {"Effect": "Deny", "NotAction": ["dynamodb:*"], "Resource": "*"})
    assert decide(statements, "dynamodb:Query") is Decision.ALLOWED
    assert decide(statements, "sqs:SendMessage", QUEUE) is Decision.EXPLICIT_DENY


# -- Resource and NotResource --------------------------------------------------------------------------------------


def test_resource_wildcards_span_colons_and_question_mark_is_one_character() -> None:
    """IAM JSON policy elements: Resource: wildcards (`*`, `?`) may be used in any part of the ARN, and a `*` may
    cover several colon-separated parts."""
    assert decide(parsed(allow(resource="arn:aws:dynamodb:*"))) is Decision.ALLOWED
    assert decide(parsed(allow(resource=f"arn:aws:dynamodb:*:{ACCOUNT}:table/Ord*"))) is Decision.ALLOWED
    question = parsed(allow("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue-?"))
    assert decide(question, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue-1") is Decision.ALLOWED
    assert decide(question, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue-10") is Decision.IMPLICIT_DENY
    objects = parsed(allow("s3:GetObject", "arn:aws:s3:::bucket/*"))
    assert decide(objects, "s3:GetObject", "arn:aws:s3:::bucket/a/b:c") is Decision.ALLOWED
    assert decide(objects, "s3:GetObject", "arn:aws:s3:::bucket") is Decision.IMPLICIT_DENY


def test_resource_matching_is_case_sensitive_and_takes_other_characters_literally() -> None:
    """IAM JSON policy elements: Resource: ARNs are case-sensitive; only `*` and `?` are wildcards (a `.` in a
    bucket name is a dot, not any character)."""
    assert decide(parsed(allow(resource=TABLE.replace("Orders", "orders")))) is Decision.IMPLICIT_DENY
    dotted = parsed(allow("s3:GetObject", "arn:aws:s3:::my.bucket/*"))
    assert decide(dotted, "s3:GetObject", "arn:aws:s3:::my.bucket/key") is Decision.ALLOWED
    assert decide(dotted, "s3:GetObject", "arn:aws:s3:::myXbucket/key") is Decision.IMPLICIT_DENY


def test_not_resource_applies_to_every_resource_not_listed() -> None:
    """IAM JSON policy elements: NotResource: the statement matches every resource except those listed."""
    statements = parsed({"Effect": "Allow", "Action": "s3:*", "NotResource": ["arn:aws:s3:::secret/*"]})
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::public/key") is Decision.ALLOWED
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::secret/key") is Decision.IMPLICIT_DENY


def test_request_resource_star_matches_only_statement_resource_star() -> None:
    """IAM JSON policy elements: Resource: an action without resource-level permissions (sqs:ListQueues) is
    granted by "Resource": "*" only; an ARN pattern, however wide, does not name "all resources"."""
    assert decide(parsed(allow("sqs:ListQueues", "*")), "sqs:ListQueues", "*") is Decision.ALLOWED
    scoped = parsed(allow("sqs:ListQueues", f"arn:aws:sqs:us-east-1:{ACCOUNT}:*"))
    assert decide(scoped, "sqs:ListQueues", "*") is Decision.IMPLICIT_DENY
    wildcards = parsed(allow("sqs:ListQueues", "*?"))  # matches any non-empty ARN, but is not the Resource "*"
    assert decide(wildcards, "sqs:ListQueues", "*") is Decision.IMPLICIT_DENY
    excluded = parsed({"Effect": "Allow", "Action": "sqs:ListQueues", "NotResource": QUEUE})
    assert decide(excluded, "sqs:ListQueues", "*") is Decision.ALLOWED


def test_identity_statement_without_resource_applies_to_nothing() -> None:
    """IAM JSON policy elements: Resource: identity-based policy statements must include Resource or NotResource;
    the evaluator does not let a statement without either (a resource-policy form) grant anything."""
    assert decide(parsed({"Effect": "Allow", "Action": "dynamodb:GetItem"})) is Decision.IMPLICIT_DENY


# -- Condition operators -------------------------------------------------------------------------------------------


def test_string_equals_and_string_not_equals() -> None:
    """Condition operators, String condition operators: StringEquals is an exact, case-sensitive match (a `*` is
    no wildcard); StringNotEquals is its negation."""
    condition = {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}
    assert holds(condition, {"aws:PrincipalTag/job-category": "iamuser-admin"})
    assert not holds(condition, {"aws:PrincipalTag/job-category": "IAMUser-Admin"})
    assert not holds({"StringEquals": {"k": "a*"}}, {"k": "abc"})
    assert holds({"StringNotEquals": {"k": ["a", "b"]}}, {"k": "c"})
    assert not holds({"StringNotEquals": {"k": ["a", "b"]}}, {"k": "b"})


def test_string_equals_ignore_case_and_its_negation() -> None:
    """Condition operators, String condition operators: StringEqualsIgnoreCase / StringNotEqualsIgnoreCase."""
    assert holds({"StringEqualsIgnoreCase": {"k": "Production"}}, {"k": "PRODUCTION"})
    assert not holds({"StringEqualsIgnoreCase": {"k": "Production"}}, {"k": "staging"})
    assert holds({"StringNotEqualsIgnoreCase": {"k": "Production"}}, {"k": "staging"})
    assert not holds({"StringNotEqualsIgnoreCase": {"k": "Production"}}, {"k": "production"})


def test_string_like_and_string_not_like_wildcards() -> None:
    """Condition operators, String condition operators: StringLike matches case-sensitively with `*` (any run) and
    `?` (one character) anywhere in the value; StringNotLike is its negation."""
    assert holds({"StringLike": {"s3:prefix": ["home/*", "public/?"]}}, {"s3:prefix": "home/alice/docs"})
    assert holds({"StringLike": {"s3:prefix": ["home/*", "public/?"]}}, {"s3:prefix": "public/x"})
    assert not holds({"StringLike": {"s3:prefix": ["home/*", "public/?"]}}, {"s3:prefix": "public/xy"})
    assert not holds({"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "HOME/alice"})
    assert holds({"StringNotLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "other/alice"})
    assert not holds({"StringNotLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/alice"})


def test_numeric_operators() -> None:
    """Condition operators, Numeric condition operators (the request value compared with the policy value); the
    guide's example: "NumericLessThanEquals": {"s3:max-keys": "10"}."""
    assert holds({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"})
    assert not holds({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "11"})
    assert holds({"NumericLessThan": {"aws:MultiFactorAuthAge": 3600}}, {"aws:MultiFactorAuthAge": "120"})
    assert not holds({"NumericLessThan": {"aws:MultiFactorAuthAge": 3600}}, {"aws:MultiFactorAuthAge": "3600"})
    assert holds({"NumericGreaterThan": {"k": "1.5"}}, {"k": "2"})
    assert holds({"NumericGreaterThanEquals": {"k": "2"}}, {"k": "2.0"})
    assert holds({"NumericEquals": {"k": "10"}}, {"k": "10.0"})
    assert holds({"NumericNotEquals": {"k": "10"}}, {"k": "11"})
    assert not holds({"NumericNotEquals": {"k": "10"}}, {"k": "10"})
    assert not holds({"NumericEquals": {"k": "10"}}, {"k": "ten"})


def test_date_operators_take_iso_8601_and_epoch_seconds() -> None:
    """Condition operators, Date condition operators: dates in ISO 8601 or as epoch (UNIX) time; the guide's
    example "DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}."""
    after = {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}
    assert holds(after, {"aws:TokenIssueTime": "2020-06-01T12:00:00Z"})
    assert not holds(after, {"aws:TokenIssueTime": "2019-12-31T23:59:59Z"})
    assert holds({"DateLessThan": {"aws:CurrentTime": "1704067200"}}, {"aws:CurrentTime": "2023-12-31T00:00:00Z"})
    assert holds({"DateEquals": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}, {"aws:CurrentTime": "1704067200"})
    assert holds({"DateEquals": {"aws:CurrentTime": "2024-01-01"}}, {"aws:CurrentTime": "2024-01-01T00:00:00+00:00"})
    assert holds({"DateNotEquals": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}, {"aws:CurrentTime": "1704067201"})
    assert not holds({"DateNotEquals": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}, {"aws:CurrentTime": "1704067200"})
    assert holds({"DateLessThanEquals": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}, {"aws:CurrentTime": "1704067200"})
    assert holds(
        {"DateGreaterThanEquals": {"aws:CurrentTime": "2024-01-01T02:00:00+02:00"}}, {"aws:CurrentTime": "1704067200"}
    )
    assert not holds({"DateGreaterThan": {"aws:CurrentTime": "2024-01-01"}}, {"aws:CurrentTime": "not a date"})


def test_bool_secure_transport_false_deny_statement() -> None:
    """Condition operators, Boolean condition operators: the guide's example denies requests made without TLS with
    "Bool": {"aws:SecureTransport": "false"}; a request over TLS, or without the key, is not denied by it."""
    statements = parsed(
        allow("s3:*", "*"),
        deny("s3:*", "*", Condition={"Bool": {"aws:SecureTransport": "false"}}),
    )
    assert decide(statements, "s3:GetObject", "*", {"aws:SecureTransport": "false"}) is Decision.EXPLICIT_DENY
    assert decide(statements, "s3:GetObject", "*", {"aws:SecureTransport": "true"}) is Decision.ALLOWED
    assert decide(statements, "s3:GetObject", "*", {}) is Decision.ALLOWED
    assert holds({"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": "TRUE"})


def test_binary_equals_compares_base64_values() -> None:
    """Condition operators, Binary condition operators: BinaryEquals compares base-64 encoded binary values; the
    guide's example "BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}."""
    value = "QmluYXJ5VmFsdWVJbkJhc2U2NA=="
    assert base64.b64decode(value) == b"BinaryValueInBase64"
    assert holds({"BinaryEquals": {"key": value}}, {"key": value})
    assert not holds({"BinaryEquals": {"key": value}}, {"key": base64.b64encode(b"other").decode()})
    assert not holds({"BinaryEquals": {"key": value}}, {"key": "not base64!"})


def test_ip_address_and_not_ip_address() -> None:
    """Condition operators, IP address condition operators: IpAddress matches the request's address against CIDR
    blocks (the guide's example "203.0.113.0/24" and an IPv6 "2001:DB8:1234:5678::/64"); NotIpAddress negates."""
    condition = {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}
    assert holds(condition, {"aws:SourceIp": "203.0.113.7"})
    assert holds(condition, {"aws:SourceIp": "2001:db8:1234:5678::1"})
    assert not holds(condition, {"aws:SourceIp": "198.51.100.1"})
    assert not holds(condition, {"aws:SourceIp": "not an address"})
    assert holds({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"})
    assert not holds({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.9"})


def test_arn_like_and_arn_equals_on_source_arn() -> None:
    """Condition operators, Amazon Resource Name (ARN) condition operators: the guide's example, a queue policy
    that lets an SNS topic send with "ArnEquals": {"aws:SourceArn": "<topic ARN>"}; ArnLike with wildcards."""
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts"
    assert holds({"ArnEquals": {"aws:SourceArn": topic}}, {"aws:SourceArn": topic})
    assert not holds({"ArnEquals": {"aws:SourceArn": topic}}, {"aws:SourceArn": topic + "-other"})
    rules = {"ArnLike": {"aws:SourceArn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/*"}}
    assert holds(rules, {"aws:SourceArn": RULE})
    assert not holds(rules, {"aws:SourceArn": f"arn:aws:events:us-east-1:{OTHER_ACCOUNT}:rule/orchestrator"})
    assert not holds(rules, {"aws:SourceArn": RULE.upper()})


def test_arn_operators_match_each_of_the_six_parts_on_its_own() -> None:
    """Condition operators, ARN condition operators: each of the six colon-delimited parts is checked separately
    (a `*` stays within its part; the last part keeps its own colons); a value with fewer parts never matches."""
    machine = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:Saga"
    assert holds(
        {"ArnLike": {"aws:SourceArn": f"arn:aws:states:*:{ACCOUNT}:stateMachine:*"}}, {"aws:SourceArn": machine}
    )
    assert holds({"ArnLike": {"aws:SourceArn": f"arn:aws:sqs:us-east-?:{ACCOUNT}:*"}}, {"aws:SourceArn": QUEUE})
    five_parts = f"arn:aws:*:{ACCOUNT}:*"
    assert holds({"StringLike": {"aws:SourceArn": five_parts}}, {"aws:SourceArn": QUEUE})  # `*` spans colons
    assert not holds({"ArnLike": {"aws:SourceArn": five_parts}}, {"aws:SourceArn": QUEUE})
    assert not holds({"ArnLike": {"aws:SourceArn": "arn:aws:*"}}, {"aws:SourceArn": "arn:aws:sqs"})
    assert not holds({"ArnEquals": {"aws:SourceArn": "arn:aws:sqs:::"}}, {"aws:SourceArn": "arn:aws:sqs::"})


def test_arn_not_like_and_arn_not_equals() -> None:
    """Condition operators, ARN condition operators: ArnNotEquals / ArnNotLike hold when the value matches none."""
    pattern = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/*"
    assert holds({"ArnNotLike": {"aws:SourceArn": pattern}}, {"aws:SourceArn": QUEUE})
    assert not holds({"ArnNotLike": {"aws:SourceArn": pattern}}, {"aws:SourceArn": RULE})
    assert holds({"ArnNotEquals": {"aws:SourceArn": RULE}}, {"aws:SourceArn": QUEUE})
    assert not holds({"ArnNotEquals": {"aws:SourceArn": RULE}}, {"aws:SourceArn": RULE})


def test_source_account_and_source_arn_on_a_service_principal() -> None:
    """The confused deputy problem: a resource policy lets a service principal act only for the source account
    ("StringEquals": {"aws:SourceAccount": ...}) and source resource ("ArnLike": {"aws:SourceArn": ...})."""
    resource_policy = queue_policy(
        on_queue(
            {"Service": "events.amazonaws.com"},
            Condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": RULE}},
        )
    )
    service = "events.amazonaws.com"
    mine = {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": RULE}
    assert queue_decision(resource_policy, service, mine) is Decision.ALLOWED
    theirs = {"aws:SourceAccount": OTHER_ACCOUNT, "aws:SourceArn": RULE}
    assert queue_decision(resource_policy, service, theirs) is Decision.IMPLICIT_DENY
    assert queue_decision(resource_policy, service, {"aws:SourceArn": RULE}) is Decision.IMPLICIT_DENY


def test_absent_key_fails_a_positive_condition_and_satisfies_a_negated_one() -> None:
    """Condition operators, the "Important" note: a key absent from the request context does not match, so the
    condition is false; for a negated operator (StringNotLike, ArnNotLike, ...) it is true."""
    assert not holds({"StringEquals": {"aws:PrincipalTag/team": "core"}}, {})
    assert not holds({"NumericLessThan": {"k": "1"}}, {})
    assert holds({"StringNotEquals": {"aws:PrincipalTag/team": "core"}}, {})
    assert holds({"StringNotLike": {"aws:PrincipalTag/team": "c*"}}, {})
    assert holds({"ArnNotLike": {"aws:SourceArn": RULE}}, {})
    assert holds({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {})


def test_if_exists_holds_when_key_absent_and_is_evaluated_when_present() -> None:
    """Condition operators, ...IfExists condition operators: the guide's example
    "StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}: true when the key is absent, otherwise
    evaluated as StringLike."""
    condition = {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}
    assert holds(condition, {})
    assert holds(condition, {"ec2:InstanceType": "t2.micro"})
    assert not holds(condition, {"ec2:InstanceType": "m5.large"})
    assert holds({"NumericLessThanIfExists": {"k": "5"}}, {})
    assert not holds({"NumericLessThanIfExists": {"k": "5"}}, {"k": "9"})
    assert holds({"ArnEqualsIfExists": {"aws:SourceArn": RULE}}, {})
    assert holds({"StringNotEqualsIfExists": {"k": "a"}}, {"k": "b"})
    assert not holds({"StringNotEqualsIfExists": {"k": "a"}}, {"k": "a"})


def test_null_tests_whether_the_key_is_present() -> None:
    """Condition operators, Condition operator to check existence of condition keys: "Null": {"key": "true"} holds
    when the key is absent, "false" when it is present (the guide's example uses aws:TokenIssueTime)."""
    assert holds({"Null": {"aws:TokenIssueTime": "true"}}, {})
    assert not holds({"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"})
    assert holds({"Null": {"aws:TokenIssueTime": False}}, {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"})
    assert not holds({"Null": {"aws:TokenIssueTime": "false"}}, {})


def test_for_all_values_holds_when_the_key_is_absent_or_empty() -> None:
    """Set operators for multivalued context keys: ForAllValues returns true if the key is absent from the request
    or resolves to an empty data set (the guide warns this makes an Allow with it permissive)."""
    condition = {"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}
    assert holds(condition, {})
    assert holds(condition, {"aws:TagKeys": []})
    assert holds(condition, {"aws:TagKeys": ["environment"]})
    assert holds(condition, {"aws:TagKeys": ["environment", "cost-center"]})


def test_for_all_values_is_false_when_one_value_is_outside_the_policy_values() -> None:
    """Set operators for multivalued context keys: ForAllValues requires every request value to match some policy
    value."""
    condition = {"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}
    assert not holds(condition, {"aws:TagKeys": ["environment", "owner"]})
    assert not holds(condition, {"aws:TagKeys": "owner"})


def test_for_any_value_needs_one_matching_value_and_is_false_when_absent() -> None:
    """Set operators for multivalued context keys: ForAnyValue returns true if at least one request value matches a
    policy value, false if the key is absent or empty."""
    condition = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment"]}}
    assert holds(condition, {"aws:TagKeys": ["owner", "environment"]})
    assert not holds(condition, {"aws:TagKeys": ["owner"]})
    assert not holds(condition, {})
    assert not holds(condition, {"aws:TagKeys": []})
    assert holds(
        {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["environment"]}}, {"aws:TagKeys": ["environment", "x"]}
    )
    assert holds({"ForAnyValue:NumericGreaterThan": {"k": "5"}}, {"k": ["1", "9"]})


def test_qualifiers_with_if_exists_and_negated_operators() -> None:
    """Set operators for multivalued context keys, with an ...IfExists operator and a negated one: ForAllValues with
    a negated operator requires every request value to match none of the policy values."""
    assert holds({"ForAnyValue:StringLikeIfExists": {"k": "a*"}}, {})
    assert holds({"ForAllValues:StringNotEquals": {"k": ["a", "b"]}}, {"k": ["c", "d"]})
    assert not holds({"ForAllValues:StringNotEquals": {"k": ["a", "b"]}}, {"k": ["c", "a"]})


def test_dynamodb_leading_keys_for_all_values_string_like() -> None:
    """DynamoDB, "Using IAM policy conditions for fine-grained access control": dynamodb:LeadingKeys with a
    ForAllValues qualifier limits the partition keys a request may name; a request that names none (a Scan) passes
    the condition, as ForAllValues does on an absent key."""
    statements = parsed(
        allow(
            ["dynamodb:GetItem", "dynamodb:Scan"],
            TABLE,
            Condition={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["pause#*"]}},
        )
    )
    assert decide(statements, context={"dynamodb:LeadingKeys": ["pause#x"]}) is Decision.ALLOWED
    assert decide(statements, context={"dynamodb:LeadingKeys": ["pause#x", "other"]}) is Decision.IMPLICIT_DENY
    assert decide(statements, context={"dynamodb:LeadingKeys": ["other"]}) is Decision.IMPLICIT_DENY
    assert decide(statements, "dynamodb:Scan") is Decision.ALLOWED


def test_eventbridge_put_events_source_and_detail_type_string_equals() -> None:
    """EventBridge, "Using IAM policy conditions": events:PutEvents limited by "events:source" and
    "events:detail-type" with StringEquals. Each entry of a PutEvents call is its own request here, so single-valued."""
    statements = parsed(
        allow(
            "events:PutEvents",
            BUS,
            Condition={
                "StringEquals": {
                    "events:source": "orchestrator.agents",
                    "events:detail-type": ["TaskCompleted", "TaskFailed"],
                }
            },
        )
    )

    def put(context: Context) -> Decision:
        return decide(statements, "events:PutEvents", BUS, context)

    assert put({"events:source": "orchestrator.agents", "events:detail-type": "TaskFailed"}) is Decision.ALLOWED
    assert put({"events:source": "orchestrator.agents", "events:detail-type": "Other"}) is Decision.IMPLICIT_DENY
    assert put({"events:source": "someone.else", "events:detail-type": "TaskFailed"}) is Decision.IMPLICIT_DENY
    assert put({"events:source": "orchestrator.agents"}) is Decision.IMPLICIT_DENY


def test_unqualified_operator_on_a_multivalued_key_matches_like_for_any_value() -> None:
    """Condition element, multivalued keys without a set operator (the guide asks for one): our choice is a
    positive operator holds when any request value matches, a negated one when none does."""
    assert holds({"StringEquals": {"dynamodb:LeadingKeys": "a"}}, {"dynamodb:LeadingKeys": ["a", "b"]})
    assert not holds({"StringNotEquals": {"dynamodb:LeadingKeys": "a"}}, {"dynamodb:LeadingKeys": ["a", "b"]})
    assert holds({"StringNotEquals": {"dynamodb:LeadingKeys": "a"}}, {"dynamodb:LeadingKeys": ["b", "c"]})


def test_conditions_are_and_across_operators_and_keys_and_or_across_values() -> None:
    """Condition element, "Evaluation logic for conditions": all operators and all keys must hold (AND); for one key
    any of its values may match (OR)."""
    condition = {
        "StringEquals": {"aws:PrincipalTag/team": ["core", "platform"], "aws:RequestedRegion": "us-east-1"},
        "Bool": {"aws:SecureTransport": "true"},
    }
    base = {"aws:PrincipalTag/team": "platform", "aws:RequestedRegion": "us-east-1", "aws:SecureTransport": "true"}
    assert holds(condition, base)
    assert not holds(condition, {**base, "aws:PrincipalTag/team": "data"})
    assert not holds(condition, {**base, "aws:RequestedRegion": "eu-west-1"})
    assert not holds(condition, {**base, "aws:SecureTransport": "false"})


def test_condition_keys_are_case_insensitive_values_are_not() -> None:
    """Condition element: condition key names are not case-sensitive; the values' case matters per operator."""
    assert holds({"StringEquals": {"AWS:SourceAccount": ACCOUNT}}, {"aws:sourceaccount": ACCOUNT})
    assert not holds({"StringEquals": {"aws:PrincipalTag/team": "Core"}}, {"AWS:PRINCIPALTAG/TEAM": "core"})


def test_unknown_condition_operator_raises_policy_error_naming_it() -> None:
    """Condition operators: only the documented operators exist; an unknown one is a malformed policy."""
    with pytest.raises(PolicyError, match="StringEqualz"):
        parsed(allow(Condition={"StringEqualz": {"k": "v"}}))
    with pytest.raises(PolicyError, match="NullIfExists"):  # "...IfExists" applies to every operator but Null
        parsed(allow(Condition={"NullIfExists": {"k": "true"}}))
    with pytest.raises(PolicyError, match="NumericAbout"):
        Statement("Allow", ("s3:GetObject",), resources=("*",), conditions={"NumericAbout": {"k": ("1",)}})


def test_condition_values_the_operator_cannot_read_raise_policy_error() -> None:
    """Condition operators: Numeric, Date, Bool, Binary and IP operators take values of their type."""
    for operator_name, value in [
        ("NumericLessThan", "soon"),
        ("DateGreaterThan", "yesterday"),
        ("Bool", "maybe"),
        ("BinaryEquals", "%%%"),
        ("IpAddress", "300.1.1.1/8"),
        ("Null", "perhaps"),
    ]:
        with pytest.raises(PolicyError, match=rf"Statement\[0\]\.Condition\.{operator_name}\.k"):
            parsed(allow(Condition={operator_name: {"k": value}}))


# -- Principal and NotPrincipal ------------------------------------------------------------------------------------


def test_account_id_and_root_arn_principals_match_any_principal_of_that_account() -> None:
    """IAM JSON policy elements: Principal, "AWS account principals": an account ID or its root ARN stands for the
    account, and so for its principals."""
    for named in (ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root"):
        resource_policy = queue_policy(on_queue({"AWS": named}))
        assert queue_decision(resource_policy, SESSION) is Decision.ALLOWED
        assert queue_decision(resource_policy, ROLE) is Decision.ALLOWED
        assert queue_decision(resource_policy, f"arn:aws:iam::{ACCOUNT}:root") is Decision.ALLOWED
        assert queue_decision(resource_policy, FOREIGN_SESSION) is Decision.IMPLICIT_DENY
        assert queue_decision(resource_policy, "events.amazonaws.com") is Decision.IMPLICIT_DENY


def test_role_arn_principal_matches_the_role_and_its_assumed_role_sessions() -> None:
    """IAM JSON policy elements: Principal, "IAM role principals" and "Role session principals": a role ARN grants
    the role, and so every session of it (an assumed-role ARN names the role by account and name, without path)."""
    for named in (ROLE, f"arn:aws:iam::{ACCOUNT}:role/WorkerRole"):
        resource_policy = queue_policy(on_queue({"AWS": [named]}))
        assert queue_decision(resource_policy, SESSION) is Decision.ALLOWED
        assert queue_decision(resource_policy, ROLE) is Decision.ALLOWED
        assert queue_decision(resource_policy, OTHER_SESSION) is Decision.IMPLICIT_DENY
        assert queue_decision(resource_policy, FOREIGN_SESSION) is Decision.IMPLICIT_DENY


def test_assumed_role_session_principal_matches_only_that_session() -> None:
    """IAM JSON policy elements: Principal, "Role session principals": an assumed-role session ARN names that
    session only."""
    resource_policy = queue_policy(on_queue({"AWS": SESSION}))
    assert queue_decision(resource_policy, SESSION) is Decision.ALLOWED
    assert queue_decision(resource_policy, SESSION.replace("worker-function", "another")) is Decision.IMPLICIT_DENY
    assert queue_decision(resource_policy, ROLE) is Decision.IMPLICIT_DENY


def test_service_principal_matches_that_service_exactly() -> None:
    """IAM JSON policy elements: Principal, "AWS service principals": {"Service": "events.amazonaws.com"}."""
    resource_policy = queue_policy(on_queue({"Service": ["events.amazonaws.com"]}))
    assert queue_decision(resource_policy, "events.amazonaws.com") is Decision.ALLOWED
    assert queue_decision(resource_policy, "sns.amazonaws.com") is Decision.IMPLICIT_DENY
    assert queue_decision(resource_policy, SESSION) is Decision.IMPLICIT_DENY


def test_star_principal_matches_anyone() -> None:
    """IAM JSON policy elements: Principal, "All principals": "Principal": "*" and {"AWS": "*"}."""
    for principal in ("*", {"AWS": "*"}):
        resource_policy = queue_policy(on_queue(principal))
        for caller in (SESSION, FOREIGN_SESSION, ROLE, "events.amazonaws.com"):
            assert queue_decision(resource_policy, caller) is Decision.ALLOWED


def test_resource_policy_statement_without_principal_never_matches() -> None:
    """IAM JSON policy elements: Principal: a resource-based policy must name a principal; a statement without
    Principal or NotPrincipal grants (and denies) no one."""
    resource_policy = queue_policy({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": QUEUE})
    assert queue_decision(resource_policy, SESSION) is Decision.IMPLICIT_DENY


def test_not_principal_deny_applies_to_every_principal_not_listed() -> None:
    """IAM JSON policy elements: NotPrincipal: with Deny it denies every principal except those listed (the guide
    lists the account, the role and the session of the principal it exempts)."""
    resource_policy = queue_policy(
        on_queue("*"),
        {
            "Effect": "Deny",
            "NotPrincipal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:root", ROLE]},
            "Action": "sqs:*",
            "Resource": QUEUE,
        },
    )
    assert queue_decision(resource_policy, SESSION) is Decision.ALLOWED
    assert queue_decision(resource_policy, ROLE) is Decision.ALLOWED
    assert queue_decision(resource_policy, OTHER_SESSION) is Decision.EXPLICIT_DENY
    assert queue_decision(resource_policy, FOREIGN_SESSION) is Decision.EXPLICIT_DENY
    assert queue_decision(resource_policy, "events.amazonaws.com") is Decision.EXPLICIT_DENY


def test_not_principal_must_also_name_the_account_to_exempt_its_role() -> None:
    """IAM JSON policy elements: NotPrincipal, "Specifying NotPrincipal with Deny": without the account ARN of the
    not-denied principal the policy may deny the entire account, as AWS may check the account before the role."""
    resource_policy = queue_policy(
        on_queue("*"),
        {"Effect": "Deny", "NotPrincipal": {"AWS": ROLE}, "Action": "sqs:*", "Resource": QUEUE},
    )
    assert queue_decision(resource_policy, SESSION) is Decision.EXPLICIT_DENY


def test_not_principal_allow_applies_to_principals_not_listed() -> None:
    """IAM JSON policy elements: NotPrincipal: with Allow (discouraged) it grants every principal not listed."""
    resource_policy = queue_policy(
        {"Effect": "Allow", "NotPrincipal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:*", "Resource": QUEUE}
    )
    assert queue_decision(resource_policy, "events.amazonaws.com") is Decision.ALLOWED
    assert queue_decision(resource_policy, "sns.amazonaws.com") is Decision.IMPLICIT_DENY


# -- Policy variables ----------------------------------------------------------------------------------------------


def test_policy_variable_in_resource_is_substituted_from_the_request() -> None:
    """IAM policy elements: Variables and tags, "Using variables in policies": the guide's example
    "arn:aws:s3:::amzn-s3-demo-bucket/${aws:username}/*" (variable names compare case-insensitively)."""
    statements = parsed(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*"))
    alice = {"aws:username": "alice"}
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::bucket/alice/notes", alice) is Decision.ALLOWED
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::bucket/bob/notes", alice) is Decision.IMPLICIT_DENY
    upper = parsed(allow("s3:GetObject", "arn:aws:s3:::bucket/${AWS:UserName}/*"))
    assert decide(upper, "s3:GetObject", "arn:aws:s3:::bucket/alice/notes", alice) is Decision.ALLOWED


def test_policy_variable_in_condition_values() -> None:
    """IAM policy elements: Variables and tags, "Where you can use policy variables": in string comparisons of the
    Condition element, e.g. "StringLike": {"s3:prefix": ["${aws:username}/*"]}; and in ARN comparisons."""
    condition = {"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}}
    assert holds(condition, {"s3:prefix": "home/alice/docs", "aws:username": "alice"})
    assert not holds(condition, {"s3:prefix": "home/bob/docs", "aws:username": "alice"})
    tags = {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}
    assert holds(tags, {"aws:ResourceTag/team": "core", "aws:PrincipalTag/team": "core"})
    assert not holds(tags, {"aws:ResourceTag/team": "data", "aws:PrincipalTag/team": "core"})
    arn = {"ArnLike": {"aws:SourceArn": "arn:aws:events:us-east-1:${aws:SourceAccount}:rule/*"}}
    assert holds(arn, {"aws:SourceArn": RULE, "aws:SourceAccount": ACCOUNT})
    assert not holds(arn, {"aws:SourceArn": RULE, "aws:SourceAccount": OTHER_ACCOUNT})


def test_policy_variable_special_characters_and_values_are_literal() -> None:
    """IAM policy elements: Variables and tags, "Special characters": ${*}, ${?} and ${$} stand for the literal
    characters; a substituted value is text, its `*` no wildcard."""
    statements = parsed(allow("s3:GetObject", "arn:aws:s3:::bucket/${*}${?}${$}"))
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::bucket/*?$") is Decision.ALLOWED
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::bucket/ab$") is Decision.IMPLICIT_DENY
    home = parsed(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*"))
    sneaky = {"aws:username": "*"}
    assert decide(home, "s3:GetObject", "arn:aws:s3:::bucket/bob/notes", sneaky) is Decision.IMPLICIT_DENY
    assert decide(home, "s3:GetObject", "arn:aws:s3:::bucket/*/notes", sneaky) is Decision.ALLOWED


def test_absent_policy_variable_matches_nothing_unless_it_has_a_default() -> None:
    """IAM policy elements: Variables and tags, "Policy variables with no value" and "Specifying default values"
    (${aws:PrincipalTag/team, 'company-wide'})."""
    statements = parsed(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/*"))
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::bucket/alice/notes") is Decision.IMPLICIT_DENY
    defaulted = parsed(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'company-wide'}/*"))
    assert decide(defaulted, "s3:GetObject", "arn:aws:s3:::bucket/company-wide/x") is Decision.ALLOWED
    core = {"aws:PrincipalTag/team": "core"}
    assert decide(defaulted, "s3:GetObject", "arn:aws:s3:::bucket/core/x", core) is Decision.ALLOWED
    assert not holds({"StringEquals": {"k": "${aws:username}"}}, {"k": "alice"})
    assert holds({"StringNotEquals": {"k": "${aws:username}"}}, {"k": "alice"})


def test_policy_variables_are_literal_text_without_version_2012_10_17() -> None:
    """IAM JSON policy elements: Version: without "2012-10-17" (a document without Version is "2008-10-17")
    variables such as ${aws:username} are not recognized and are treated as literal strings."""
    for version in (None, "2008-10-17"):
        statements = parsed(allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}"), version=version)
        assert statements[0].version == "2008-10-17"
        alice = {"aws:username": "alice"}
        assert decide(statements, "s3:GetObject", "arn:aws:s3:::bucket/alice", alice) is Decision.IMPLICIT_DENY
        literal = "arn:aws:s3:::bucket/${aws:username}"
        assert decide(statements, "s3:GetObject", literal, alice) is Decision.ALLOWED


# -- Parsing -------------------------------------------------------------------------------------------------------


def test_parse_policy_accepts_statement_as_object_or_list_and_elements_as_string_or_list() -> None:
    """IAM JSON policy element reference (grammar): Statement is one statement or an array of them; Action,
    Resource and the like are a string or an array of strings."""
    single = parse_policy({"Version": "2012-10-17", "Statement": allow()})
    listed = parse_policy({"Version": "2012-10-17", "Statement": [allow(["dynamodb:GetItem"], [TABLE])]})
    assert single == listed
    assert single[0].actions == ("dynamodb:GetItem",)
    assert single[0].resources == (TABLE,)
    assert single[0].not_actions == () and single[0].not_resources == ()


def test_parse_policy_accepts_json_text_and_records_source_sid_and_index() -> None:
    """IAM JSON policy elements: Sid; statements keep where they came from for the access report."""
    text = (
        '{"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject",'
        ' "Resource": "*"}, {"Effect": "Deny", "NotAction": "s3:*", "NotResource": "arn:aws:s3:::b"}]}'
    )
    statements = parse_policy(text, source="role/WorkerRole inline policy Default")
    assert [(s.sid, s.index, s.source, s.effect) for s in statements] == [
        ("Read", 0, "role/WorkerRole inline policy Default", "Allow"),
        ("", 1, "role/WorkerRole inline policy Default", "Deny"),
    ]
    assert statements[1].not_actions == ("s3:*",) and statements[1].not_resources == ("arn:aws:s3:::b",)


def test_parse_policy_normalizes_condition_values_and_principals() -> None:
    """IAM JSON policy elements: Condition (values are strings, or JSON booleans and numbers) and Principal
    ("*" is everyone)."""
    [statement] = parsed(
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": True}, "NumericLessThan": {"s3:max-keys": [10, 2.5]}},
        }
    )
    assert statement.conditions == {
        "Bool": {"aws:SecureTransport": ("true",)},
        "NumericLessThan": {"s3:max-keys": ("10", "2.5")},
    }
    assert statement.principals == {"*": ("*",)}
    [service] = parsed(on_queue({"Service": "events.amazonaws.com", "AWS": [ACCOUNT]}))
    assert service.principals == {"Service": ("events.amazonaws.com",), "AWS": (ACCOUNT,)}


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (policy({"Action": "s3:*", "Resource": "*"}), r"Statement\[0\]\.Effect: missing"),
        (policy({"Effect": "allow", "Action": "s3:*", "Resource": "*"}), r"Statement\[0\]\.Effect"),
        (policy({"Effect": "Allow", "Action": "s3:*", "NotAction": "iam:*", "Resource": "*"}), r"\.Action"),
        (policy({"Effect": "Allow", "Resource": "*"}), r"Statement\[0\]\.Action: missing"),
        (policy({"Effect": "Allow", "Action": [], "Resource": "*"}), r"Statement\[0\]\.Action"),
        (policy({"Effect": "Allow", "Action": 3, "Resource": "*"}), r"Statement\[0\]\.Action"),
        (policy({"Effect": "Allow", "Action": "getitem", "Resource": "*"}), r"Statement\[0\]\.Action"),
        (policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "NotResource": "x"}), r"\.Resource"),
        (policy({**allow(), "Condition": "aws:SecureTransport"}), r"Statement\[0\]\.Condition"),
        (policy({**allow(), "Condition": {"Bool": "true"}}), r"Statement\[0\]\.Condition\.Bool"),
        (policy({**allow(), "Condition": {"Bool": {"k": None}}}), r"Statement\[0\]\.Condition\.Bool\.k"),
        (policy({**allow(), "Principal": "arn:aws:iam::123456789012:root"}), r"Statement\[0\]\.Principal"),
        (policy({**allow(), "Principal": {"Users": "x"}}), r"Statement\[0\]\.Principal\.Users"),
        (policy({**allow(), "Principal": "*", "NotPrincipal": "*"}), r"Statement\[0\]\.Principal"),
        (policy({**allow(), "Sid": 7}), r"Statement\[0\]\.Sid"),
        (policy({**allow(), "Actions": "s3:*"}), r"Statement\[0\]\.Actions"),
        ({"Version": "2012-10-17", "Statement": [allow(), "not a statement"]}, r"Statement\[1\]: must be an object"),
        ({"Version": "2012-10-17"}, r"Statement: missing"),
        ({"Version": "2012-10-17", "Statement": "x"}, r"Statement: must be"),
        ({"Version": "2020-01-01", "Statement": [allow()]}, r"Version"),
        ({"Version": "2012-10-17", "Statement": [allow()], "Extra": 1}, r"Extra"),
        ("{not json", r"policy: not valid JSON"),
        ("[1, 2]", r"policy: must be a JSON object"),
    ],
)
def test_malformed_policy_raises_policy_error_naming_the_field(document: Any, field: str) -> None:
    """IAM JSON policy element reference (grammar): a document IAM would reject is a PolicyError naming the field
    at fault (the runtime must not evaluate a policy AWS would refuse)."""
    with pytest.raises(PolicyError, match=field):
        parse_policy(document)


def test_policy_error_is_a_value_error_and_names_the_source() -> None:
    """The error says which policy it is about (as IAM's MalformedPolicyDocument names the policy)."""
    with pytest.raises(ValueError, match=r"^role/WorkerRole inline policy Default: Statement\[0\]\.Effect"):
        parse_policy(policy({"Action": "s3:*", "Resource": "*"}), source="role/WorkerRole inline policy Default")


def test_statements_are_hashable_for_access_reports() -> None:
    """Statements (with their condition and principal mappings) can be collected in sets."""
    statements = parsed(allow(Condition={"StringEquals": {"k": "v"}}), on_queue({"AWS": ROLE}))
    assert len(set(statements + parsed(allow(Condition={"StringEquals": {"k": "v"}})))) == 2
