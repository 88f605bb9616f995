"""AWS IAM policy evaluation in pure Python: is a principal's request allowed by its policies and the resource's?

The local runtime evaluates every AWS API call a Lambda handler or a state machine makes against the role policies
the CDK synthesized, so that a grant missing from the template fails locally as it would on AWS. This module is the
evaluation only: parsing policy documents (`parse_policy`) and deciding one request (`evaluate`), following the IAM
User Guide's "Policy evaluation logic" and its "IAM JSON policy elements" reference. Two modules of this package are
its parts: conditions.py (the Condition element's operators) and patterns.py (wildcards and policy variables). The
three know nothing of the rest of the project and use the standard library only.

Implemented:
- Effect, Action / NotAction, Resource / NotResource, Principal / NotPrincipal (resource-based policies), Condition,
  Sid, Version (policy variables only with "2012-10-17"; a document without Version is "2008-10-17", as on AWS).
- Action matching case-insensitive, Resource matching case-sensitive, both with the `*` and `?` wildcards, and
  policy variables in Resource and NotResource (patterns.py).
- Every condition operator, with AWS's rules for keys absent from the request (conditions.py).
- The decision for identity policies plus an optional resource-based policy: an explicit Deny anywhere wins; in one
  account an Allow in either grants; across accounts both must allow.

Not implemented: permissions boundaries, session policies, Organizations SCPs and RCPs, the root user's implicit
access, and service-specific rules (a KMS key policy or a role trust policy that must allow by itself; a same-account
resource-based policy naming an account principal, which on AWS may also need the identity policy to allow: here an
Allow in either suffices). Which action, resource and condition keys an API call carries is the caller's business
(requests.py in this package), not this module's. A Principal element in an identity policy (IAM rejects one) is
parsed and ignored.

Why not moto: moto's `moto.iam.access_control` (5.2.5, the version installed) evaluates only the identity policies
of users and assumed roles (resource-based policies are a TODO there). Most calls reach it with the resource "*"
(only S3 and SQS calls, IAM calls on a role and sts:AssumeRole carry theirs), so a statement scoped to an ARN never
matches, say, a DynamoDB call. Its patterns turn `*` into an unescaped regular expression (other metacharacters such
as `.` act as regex, `?` is no wildcard, actions match case-sensitively), and NotResource is not read, so such a
statement applies to every resource. Of the condition operators it knows StringEquals only and treats every other
one as met; identity-policy conditions get no request values, so they always pass; and when a condition does fail
(role trust checks), the statement yields a deny whatever its Effect: an Allow with an unmet condition becomes an
explicit deny instead of not applying.

One module, though past 400 lines: the Statement it defines, the parser that builds it and validates it on
construction, and the evaluation and principal matching that read it are one model of a policy; its self-contained
parts, the condition operators and the patterns, live in their own modules.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

from orchestrator.local.iam.conditions import (
    ConditionError,
    Conditions,
    ConditionValues,
    check_conditions,
    conditions_hold,
)
from orchestrator.local.iam.patterns import Context, Variables, action_matches, resource_matches

__all__ = [
    "Decision",
    "Evaluation",
    "PolicyError",
    "Request",
    "Statement",
    "evaluate",
    "parse_policy",
]

POLICY_VERSION: Final = "2012-10-17"  # the current policy language: policy variables
LEGACY_POLICY_VERSION: Final = "2008-10-17"  # AWS's default when a document has no Version: variables are text
_VERSIONS: Final = (POLICY_VERSION, LEGACY_POLICY_VERSION)
_EFFECTS: Final = ("Allow", "Deny")
_DOCUMENT_ELEMENTS: Final = frozenset({"Version", "Id", "Statement"})
_STATEMENT_ELEMENTS: Final = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"}
)
_PRINCIPAL_TYPES: Final = frozenset({"AWS", "Service", "Federated", "CanonicalUser"})

PrincipalMap = Mapping[str, tuple[str, ...]]


class PolicyError(ValueError):
    """A malformed policy document or statement; the message names the field and the reason."""


class Decision(enum.Enum):
    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicitly denied"
    IMPLICIT_DENY = "implicitly denied"  # no statement allows


@dataclass(frozen=True)
class Statement:
    """One policy statement, normalized: every list element a tuple of strings, condition values as JSON text.

    Exactly one of `actions` / `not_actions` is non-empty; `resources` and `not_resources` are not both given (a
    resource-based policy statement may give neither: it is about the resource it is attached to). `principals` /
    `not_principals` matter in resource-based policies only. Constructing one validates it (PolicyError).
    """

    effect: str  # "Allow" | "Deny"
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    conditions: Conditions = field(default_factory=dict)  # operator -> key -> values
    principals: PrincipalMap | None = None  # {"AWS": (...), "Service": (...)}; "*" as {"*": ("*",)}
    not_principals: PrincipalMap | None = None
    sid: str = ""
    source: str = ""  # where it came from, e.g. "role/MyRole inline policy MyRoleDefaultPolicy"; for reports
    index: int = 0  # position in its policy
    version: str = POLICY_VERSION  # its document's Version: policy variables are substituted with "2012-10-17" only

    def __post_init__(self) -> None:
        _check_statement(self)

    def __hash__(self) -> int:  # the mappings are not hashable; statements are kept in sets by access reports
        return hash(
            (
                self.effect,
                self.actions,
                self.not_actions,
                self.resources,
                self.not_resources,
                _frozen_conditions(self.conditions),
                _frozen_principals(self.principals),
                _frozen_principals(self.not_principals),
                self.sid,
                self.source,
                self.index,
                self.version,
            )
        )


@dataclass(frozen=True)
class Request:
    """One request as IAM evaluates it: who, which action, on which resource, with which condition keys."""

    principal_arn: str  # "arn:aws:sts::123456789012:assumed-role/RoleName/session", a role ARN, or a service name
    action: str  # "dynamodb:GetItem"
    resource: str  # one ARN, or "*" for actions without resource-level permissions
    # condition keys -> value(s); keys compare case-insensitively; a multivalued key (dynamodb:LeadingKeys) as a list
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Evaluation:
    """The decision and the statements that matched (all of them, for an access report of the statements used).

    `allowed_by` lists every matching Allow even when the decision is not ALLOWED (an explicit deny elsewhere, or a
    cross-account request only one side allows).
    """

    decision: Decision
    allowed_by: tuple[Statement, ...]  # every Allow statement that matched
    denied_by: tuple[Statement, ...]  # every Deny statement that matched

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOWED


# -- Parsing -----------------------------------------------------------------------------------------------------


def parse_policy(document: Mapping[str, Any] | str, source: str = "") -> list[Statement]:
    """Statements of a policy document (JSON text or parsed); Statement may be one object or a list. Raises
    PolicyError (a ValueError) naming the field and the reason for a malformed document (e.g. no Effect, an Effect
    that is not Allow/Deny, both Action and NotAction, neither, Condition not an object)."""
    try:
        return _parse_document(_load(document), source)
    except PolicyError as error:
        raise PolicyError(f"{source}: {error}" if source else str(error)) from None


def _load(document: Mapping[str, Any] | str) -> Mapping[str, Any]:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as error:
            raise PolicyError(
                f"policy: not valid JSON ({error.msg}, line {error.lineno} column {error.colno})"
            ) from None
    if not isinstance(document, Mapping):
        raise PolicyError(f"policy: must be a JSON object, got {type(document).__name__}")
    return document


def _parse_document(document: Mapping[str, Any], source: str) -> list[Statement]:
    for element in document:
        if element not in _DOCUMENT_ELEMENTS:
            raise PolicyError(f"{element}: not a policy element (expected {', '.join(sorted(_DOCUMENT_ELEMENTS))})")
    version = document.get("Version", LEGACY_POLICY_VERSION)
    if version not in _VERSIONS:
        raise PolicyError(f"Version: must be {' or '.join(_VERSIONS)}, got {version!r}")
    if "Statement" not in document:
        raise PolicyError("Statement: missing")
    raw = document["Statement"]
    if isinstance(raw, Mapping):
        return [_parse_statement(raw, "Statement", source, 0, version)]
    if not isinstance(raw, list):
        raise PolicyError(f"Statement: must be an object or a list of objects, got {type(raw).__name__}")
    return [_parse_statement(item, f"Statement[{i}]", source, i, version) for i, item in enumerate(raw)]


def _parse_statement(raw: Any, path: str, source: str, index: int, version: str) -> Statement:
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{path}: must be an object, got {type(raw).__name__}")
    for element in raw:
        if element not in _STATEMENT_ELEMENTS:
            raise PolicyError(f"{path}.{element}: not a statement element")
    if "Effect" not in raw:
        raise PolicyError(f"{path}.Effect: missing")
    actions, not_actions = _exclusive(raw, "Action", "NotAction", path, required=True)
    resources, not_resources = _exclusive(raw, "Resource", "NotResource", path, required=False)
    if "Principal" in raw and "NotPrincipal" in raw:
        raise PolicyError(f"{path}.Principal: a statement has Principal or NotPrincipal, not both")
    sid = raw.get("Sid", "")
    if not isinstance(sid, str):
        raise PolicyError(f"{path}.Sid: must be a string, got {type(sid).__name__}")
    try:
        return Statement(
            effect=raw["Effect"],
            actions=actions,
            not_actions=not_actions,
            resources=resources,
            not_resources=not_resources,
            conditions=_parse_conditions(raw.get("Condition")),
            principals=_parse_principal(raw, "Principal"),
            not_principals=_parse_principal(raw, "NotPrincipal"),
            sid=sid,
            source=source,
            index=index,
            version=version,
        )
    except PolicyError as error:
        raise PolicyError(f"{path}.{error}") from None


def _exclusive(
    raw: Mapping[str, Any], name: str, negated: str, path: str, *, required: bool
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The element and its Not- form (Action / NotAction, Resource / NotResource): one of them, or neither."""
    if name in raw and negated in raw:
        raise PolicyError(f"{path}.{name}: a statement has {name} or {negated}, not both")
    if required and name not in raw and negated not in raw:
        raise PolicyError(f"{path}.{name}: missing (a statement needs {name} or {negated})")
    given = _strings(raw[name], f"{path}.{name}") if name in raw else ()
    not_given = _strings(raw[negated], f"{path}.{negated}") if negated in raw else ()
    return given, not_given


def _strings(value: Any, path: str) -> tuple[str, ...]:
    """A string or a non-empty list of strings, as a tuple."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise PolicyError(f"{path}: must be a string or a non-empty list of strings, got {_shown(value)}")


def _shown(value: Any) -> str:
    """A value of a malformed document, for the error message: as JSON when it is JSON."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def _parse_principal(raw: Mapping[str, Any], name: str) -> PrincipalMap | None:
    if name not in raw:
        return None
    value = raw[name]
    if value == "*":
        return {"*": ("*",)}
    if not isinstance(value, Mapping) or not value:
        raise PolicyError(f'{name}: must be "*" or an object such as {{"AWS": ...}}, got {_shown(value)}')
    for kind in value:
        if kind not in _PRINCIPAL_TYPES:
            raise PolicyError(f"{name}.{kind}: not a principal type (expected {', '.join(sorted(_PRINCIPAL_TYPES))})")
    return {kind: _strings(values, f"{name}.{kind}") for kind, values in value.items()}


def _parse_conditions(raw: Any) -> dict[str, dict[str, ConditionValues]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise PolicyError(f"Condition: must be an object of operators, got {_shown(raw)}")
    conditions: dict[str, dict[str, ConditionValues]] = {}
    for name, keys in raw.items():
        if not isinstance(keys, Mapping) or not keys:
            raise PolicyError(f"Condition.{name}: must be an object of condition keys, got {_shown(keys)}")
        conditions[name] = {key: _condition_values(values, f"Condition.{name}.{key}") for key, values in keys.items()}
    return conditions


def _condition_values(value: Any, path: str) -> ConditionValues:
    """Condition values as text: JSON booleans and numbers as their JSON text ("true", "10")."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise PolicyError(f"{path}: must not be an empty list")
    texts: list[str] = []
    for item in items:
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, bool | int | float):
            texts.append(json.dumps(item))
        else:
            raise PolicyError(f"{path}: values must be strings, numbers or booleans, got {_shown(item)}")
    return tuple(texts)


def _check_statement(statement: Statement) -> None:
    """PolicyError unless the statement is well formed (the message starts with the element at fault)."""
    if statement.effect not in _EFFECTS:
        raise PolicyError(f'Effect: must be "Allow" or "Deny", got {statement.effect!r}')
    if bool(statement.actions) == bool(statement.not_actions):
        raise PolicyError("Action: a statement has exactly one of Action and NotAction")
    for action in (*statement.actions, *statement.not_actions):
        if action != "*" and ":" not in action:
            raise PolicyError(f'Action: {action!r} is neither "*" nor "<service>:<action>"')
    if statement.resources and statement.not_resources:
        raise PolicyError("Resource: a statement has Resource or NotResource, not both")
    if statement.principals is not None and statement.not_principals is not None:
        raise PolicyError("Principal: a statement has Principal or NotPrincipal, not both")
    if statement.version not in _VERSIONS:
        raise PolicyError(f"Version: must be {' or '.join(_VERSIONS)}, got {statement.version!r}")
    try:
        check_conditions(statement.conditions)
    except ConditionError as error:
        raise PolicyError(str(error)) from None


def _frozen_conditions(conditions: Conditions) -> tuple[tuple[str, tuple[tuple[str, ConditionValues], ...]], ...]:
    return tuple((name, tuple(keys.items())) for name, keys in conditions.items())


def _frozen_principals(principals: PrincipalMap | None) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    return None if principals is None else tuple(principals.items())


# -- Evaluation --------------------------------------------------------------------------------------------------


def evaluate(
    request: Request,
    identity: Sequence[Statement],
    resource_policy: Sequence[Statement] = (),
    principal_account: str | None = None,
    resource_account: str | None = None,
) -> Evaluation:
    """AWS's evaluation for a principal and a resource: an explicit Deny in either policy wins; otherwise, in the
    same account, an Allow in the identity policies OR in the resource policy (for the principal) allows; across
    accounts (principal_account != resource_account, both given) both must allow; otherwise implicitly denied."""
    context = _normalized_context(request.context)
    chain = _principal_chain(request.principal_arn)
    from_identity = [s for s in identity if _identity_statement_applies(s, request, context)]
    from_resource = [s for s in resource_policy if _resource_statement_applies(s, request, context, chain)]
    denied_by = tuple(s for s in (*from_identity, *from_resource) if s.effect == "Deny")
    allowed_by = tuple(s for s in (*from_identity, *from_resource) if s.effect == "Allow")
    if denied_by:
        decision = Decision.EXPLICIT_DENY
    else:
        identity_allows = any(s.effect == "Allow" for s in from_identity)
        resource_allows = any(s.effect == "Allow" for s in from_resource)
        cross_account = (
            principal_account is not None and resource_account is not None and principal_account != resource_account
        )
        granted = (identity_allows and resource_allows) if cross_account else (identity_allows or resource_allows)
        decision = Decision.ALLOWED if granted else Decision.IMPLICIT_DENY
    return Evaluation(decision, allowed_by, denied_by)


def _identity_statement_applies(statement: Statement, request: Request, context: Context) -> bool:
    """An identity statement is about its own principal: a Principal element in it is ignored. Without Resource or
    NotResource it applies to nothing (IAM requires one of them in identity policies)."""
    variables = _variables(statement, context)
    return (
        _action_applies(statement, request.action)
        and _resource_applies(statement, request.resource, variables, implied=False)
        and conditions_hold(statement.conditions, context, variables)
    )


def _resource_statement_applies(
    statement: Statement, request: Request, context: Context, chain: tuple[_Identity, ...]
) -> bool:
    """A resource-based policy statement applies to the principals its Principal names (or its NotPrincipal does
    not); without either it applies to no one. Without Resource or NotResource it is about its own resource."""
    variables = _variables(statement, context)
    return (
        _principal_applies(statement, chain)
        and _action_applies(statement, request.action)
        and _resource_applies(statement, request.resource, variables, implied=True)
        and conditions_hold(statement.conditions, context, variables)
    )


def _variables(statement: Statement, context: Context) -> Variables:
    """Policy variables are substituted from the request context in "2012-10-17" documents only ("Version")."""
    return context if statement.version == POLICY_VERSION else None


def _normalized_context(context: Mapping[str, str | Sequence[str]]) -> dict[str, tuple[str, ...]]:
    return {
        key.lower(): (value,) if isinstance(value, str) else tuple(str(item) for item in value)
        for key, value in context.items()
    }


# -- Action and Resource -----------------------------------------------------------------------------------------


def _action_applies(statement: Statement, action: str) -> bool:
    """Action: any pattern matches (case-insensitive). NotAction: none does."""
    if statement.actions:
        return any(action_matches(pattern, action) for pattern in statement.actions)
    return not any(action_matches(pattern, action) for pattern in statement.not_actions)


def _resource_applies(statement: Statement, resource: str, variables: Variables, *, implied: bool) -> bool:
    """Resource: any pattern matches. NotResource: none does. Neither: `implied` (resource-based policies)."""
    if statement.resources:
        return any(resource_matches(pattern, resource, variables) for pattern in statement.resources)
    if statement.not_resources:
        return not any(resource_matches(pattern, resource, variables) for pattern in statement.not_resources)
    return implied


# -- Principal and NotPrincipal ----------------------------------------------------------------------------------

# Who the request's principal is, from the account down ("NotPrincipal": AWS may check the account, then the role,
# then the assumed-role session): ("account", id), ("role", account, name), ("session", account, name, arn),
# ("arn", arn) for any other ARN, ("service", name) for a service principal.
_Identity = tuple[str, ...]


@lru_cache(maxsize=1024)
def _arn_parts(text: str) -> tuple[str, ...] | None:
    """The six parts of an ARN (the last keeps any further colons), or None."""
    parts = tuple(text.split(":", 5))
    return parts if len(parts) == 6 and parts[0] == "arn" else None


@lru_cache(maxsize=1024)
def _principal_chain(principal_arn: str) -> tuple[_Identity, ...]:
    parts = _arn_parts(principal_arn)
    if parts is None:
        return (("service", principal_arn),)
    service, account, resource = parts[2], parts[4], parts[5]
    chain: list[_Identity] = [("account", account)] if account else []
    if service == "iam" and resource == "root":
        return tuple(chain)
    role = _role_of(principal_arn)
    session = resource.split("/") if service == "sts" and resource.startswith("assumed-role/") else []
    if role is not None:
        chain.append(("role", *role))
    elif len(session) >= 3:
        chain += [("role", account, session[1]), ("session", account, session[1], principal_arn)]
    else:
        chain.append(("arn", principal_arn))
    return tuple(chain)


def _role_of(arn: str) -> tuple[str, str] | None:
    """(account, role name) of a role ARN (`arn:aws:iam::<account>:role/<path>Name`): paths do not name roles."""
    parts = _arn_parts(arn)
    if parts is None or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None
    return parts[4], parts[5].rsplit("/", 1)[1]


def _account_of(value: str) -> str | None:
    """The account an account principal names: a 12-digit id or `arn:aws:iam::<account>:root`."""
    if len(value) == 12 and value.isdigit():
        return value
    parts = _arn_parts(value)
    return parts[4] if parts is not None and parts[2] == "iam" and parts[5] == "root" else None


def _covers(kind: str, value: str, identity: _Identity) -> bool:
    """Whether the principal `kind: value` of a policy names `identity` (Principal element: no wildcards but *)."""
    if kind == "*" or (kind == "AWS" and value == "*"):
        return True
    if kind == "Service":
        return identity[0] == "service" and identity[1] == value
    if kind != "AWS":  # Federated, CanonicalUser: as written
        return identity[0] in ("arn", "service") and identity[-1] == value
    account = _account_of(value)
    if account is not None:
        return identity[0] == "account" and identity[1] == account
    role = _role_of(value)
    if role is not None:  # the role and every session of it
        return identity[0] in ("role", "session") and identity[1:3] == role
    return identity[0] in ("session", "arn") and identity[-1] == value


def _names(principals: PrincipalMap, identity: _Identity) -> bool:
    return any(_covers(kind, value, identity) for kind, values in principals.items() for value in values)


def _principal_applies(statement: Statement, chain: tuple[_Identity, ...]) -> bool:
    """Principal: it names the principal (its account, its role, or itself). NotPrincipal: the statement applies
    unless it names the principal at every level (AWS: "you must also specify the account ARN of the not-denied
    principal", and the role's ARN for a session). Neither: a resource-based statement applies to no one."""
    if statement.principals is not None:
        return any(_names(statement.principals, identity) for identity in chain)
    if statement.not_principals is not None:
        return not all(_names(statement.not_principals, identity) for identity in chain)
    return False
