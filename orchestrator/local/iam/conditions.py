"""IAM's Condition element: its operators, and whether a request's condition keys satisfy them.

Part of the policy evaluator (evaluation.py), after the IAM User Guide's "IAM JSON policy elements: Condition
operators" page, with its "Condition" and "Single-valued vs. multivalued context keys" pages for the set qualifiers:
- Every condition operator: String (Equals, NotEquals, EqualsIgnoreCase, NotEqualsIgnoreCase, Like, NotLike),
  Numeric and Date (Equals, NotEquals, LessThan, LessThanEquals, GreaterThan, GreaterThanEquals), Bool,
  BinaryEquals, IpAddress and NotIpAddress, Arn (Equals, Like, NotEquals, NotLike) and Null; each but Null with the
  `IfExists` suffix, and with the `ForAllValues:` / `ForAnyValue:` set qualifiers. Operator names are matched
  case-insensitively (a lenient reading: the local runtime must not reject a policy AWS accepts).
- AWS's rules for a key absent from the request: the condition fails, except that an ...IfExists, a ForAllValues or
  a negated operator (StringNotEquals, ArnNotLike, ...) holds; Null "true" holds when the key is absent.
- Condition values read as their operator's kind: numbers (decimal, with an optional exponent), dates (ISO 8601,
  UTC unless it says otherwise, or seconds since the epoch), booleans, base64 binary, IPv4 and IPv6 addresses and
  CIDR blocks. A policy value its operator cannot read makes the policy malformed (`check_conditions`); a request
  value it cannot read matches nothing.
- Policy variables in String, Bool and Arn values (the operators AWS lists as supporting them), with patterns.py's
  wildcards for StringLike and the Arn operators.
- Condition keys looked up case-insensitively in the request context (`patterns.Context`, its keys lower-cased).

Not here: which condition keys a request carries is the caller's business (requests.py); none is added here, not
even global ones such as aws:CurrentTime or aws:SourceIp. Reading the Condition element's JSON (`parse_policy`) and
reporting a ConditionError as a PolicyError are evaluation.py's. Not as AWS: a multivalued request key under an
operator without a qualifier (AWS asks for one) is read as ForAnyValue by a positive operator, and a negated one
holds when no value matches.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final

from orchestrator.local.iam.patterns import Context, Variables, arn_matches, substituted, wildcard_matches

__all__ = ["ConditionError", "ConditionValues", "Conditions", "check_conditions", "conditions_hold"]

# Condition values as the policy gives them and as the request context gives them.
ConditionValues = tuple[str, ...]
Conditions = Mapping[str, Mapping[str, ConditionValues]]  # operator -> condition key -> values


class ConditionError(ValueError):
    """An unknown condition operator, or a value its operator cannot compare; the message names the element."""


# (policy value, request value, variables) -> whether they match, for the positive form of an operator.
_Test = Callable[[str, str, Variables], bool]


@dataclass(frozen=True)
class _Operator:
    kind: str  # String, Numeric, Date, Bool, Binary, IpAddress, Arn, Null: what its values are
    test: _Test
    negated: bool  # StringNotEquals and the like: true when the request value matches none of the policy values
    qualifier: str = ""  # "", "ForAllValues" or "ForAnyValue"
    if_exists: bool = False

    def valid(self, value: str) -> bool:
        """Whether a policy value can be compared at all (variables, where supported, are checked when used)."""
        if self.kind in ("String", "Arn") or (self.kind == "Bool" and "${" in value):
            return True
        return _VALIDATORS[self.kind](value)


def conditions_hold(conditions: Conditions, context: Context, variables: Variables) -> bool:
    """Every operator holds, and within one every key holds (AND); for one key any policy value may match (OR)."""
    return all(
        _condition_holds(_operator(name), context.get(key.lower()), values, variables)
        for name, keys in conditions.items()
        for key, values in keys.items()
    )


def check_conditions(conditions: Conditions) -> None:
    """ConditionError unless every operator is known and every policy value one its operator can compare (the
    message starts with the element at fault)."""
    for name, keys in conditions.items():
        condition = _operator(name)
        for key, values in keys.items():
            for value in values:
                if not condition.valid(value):
                    raise ConditionError(f"Condition.{name}.{key}: {value!r} is not a valid {condition.kind} value")


def _condition_holds(
    condition: _Operator, request_values: tuple[str, ...] | None, policy_values: ConditionValues, variables: Variables
) -> bool:
    if condition.kind == "Null":  # "true": the key must be absent (or an empty multivalued key); "false": present
        return any((value.lower() == "true") == (not request_values) for value in policy_values)
    if not request_values:
        # AWS: an absent key fails a condition, except that ...IfExists and ForAllValues hold, and a negated
        # operator (StringNotLike, ArnNotLike, ...) holds, as the key does not match.
        if condition.if_exists or condition.qualifier == "ForAllValues":
            return True
        return condition.negated and condition.qualifier != "ForAnyValue"

    def satisfied(value: str) -> bool:
        return any(condition.test(p, value, variables) for p in policy_values) != condition.negated

    if condition.qualifier == "ForAllValues":
        return all(satisfied(value) for value in request_values)
    if condition.qualifier == "ForAnyValue":
        return any(satisfied(value) for value in request_values)
    # No qualifier on a multivalued request value (our choice; AWS asks for a qualifier there): a positive operator
    # holds when any request value matches (as ForAnyValue), a negated one when none does (the positive one's
    # negation). Single-valued keys, the usual case, are the same either way.
    if condition.negated:
        return all(satisfied(value) for value in request_values)
    return any(satisfied(value) for value in request_values)


@lru_cache(maxsize=512)
def _operator(name: str) -> _Operator:
    """The operator a condition names: `[ForAllValues:|ForAnyValue:]<Operator>[IfExists]`; ConditionError otherwise.
    Names are matched case-insensitively (a lenient reading: the runtime must not reject a policy AWS accepts)."""
    base, qualifier = name, ""
    for prefix in ("ForAllValues:", "ForAnyValue:"):
        if base.lower().startswith(prefix.lower()):
            base, qualifier = base[len(prefix) :], prefix[:-1]
    if_exists = base.lower().endswith("ifexists")
    if if_exists:
        base = base[: -len("IfExists")]
    if base.lower() == "null" and not if_exists:
        return _Operator("Null", _never, False, qualifier)
    found = _OPERATORS.get(base.lower())
    if found is None:
        raise ConditionError(f"Condition: unknown condition operator {name!r}")
    kind, test, negated = found
    return _Operator(kind, test, negated, qualifier, if_exists)


def _never(policy: str, value: str, variables: Variables) -> bool:
    return False


def _string_equals(policy: str, value: str, variables: Variables) -> bool:
    expected = substituted(policy, variables)
    return expected is not None and expected == value


def _string_equals_ignore_case(policy: str, value: str, variables: Variables) -> bool:
    expected = substituted(policy, variables)
    return expected is not None and expected.casefold() == value.casefold()


def _bool(policy: str, value: str, variables: Variables) -> bool:
    expected = substituted(policy, variables)
    return expected is not None and expected.lower() == value.lower()


_NUMBER: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


@lru_cache(maxsize=1024)
def _number(text: str) -> Decimal | None:
    return Decimal(text) if _NUMBER.fullmatch(text.strip()) else None


@lru_cache(maxsize=1024)
def _date(text: str) -> datetime | None:
    """ISO 8601 (a date, or a date and time; UTC unless it says otherwise) or seconds since the epoch."""
    try:
        if _NUMBER.fullmatch(text.strip()):
            return datetime.fromtimestamp(float(text), tz=UTC)
        moment = datetime.fromisoformat(text.strip())
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _numeric(compare: Callable[[Decimal, Decimal], bool]) -> _Test:
    def test(policy: str, value: str, variables: Variables) -> bool:
        expected, actual = _number(policy), _number(value)
        return expected is not None and actual is not None and compare(actual, expected)

    return test


def _dated(compare: Callable[[datetime, datetime], bool]) -> _Test:
    def test(policy: str, value: str, variables: Variables) -> bool:
        expected, actual = _date(policy), _date(value)
        return expected is not None and actual is not None and compare(actual, expected)

    return test


def _decoded(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _binary_equals(policy: str, value: str, variables: Variables) -> bool:
    expected = _decoded(policy)
    return expected is not None and expected == _decoded(value)


@lru_cache(maxsize=1024)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _ip_address(policy: str, value: str, variables: Variables) -> bool:
    """The request's address lies in the policy's CIDR block (an IPv4 address never lies in an IPv6 block)."""
    network = _network(policy)
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return False
    return network is not None and address in network


def _operators() -> dict[str, tuple[str, _Test, bool]]:
    """Every operator by its lower-cased name: (kind, the positive form's test, negated)."""
    table: dict[str, tuple[str, _Test, bool]] = {
        "StringEquals": ("String", _string_equals, False),
        "StringNotEquals": ("String", _string_equals, True),
        "StringEqualsIgnoreCase": ("String", _string_equals_ignore_case, False),
        "StringNotEqualsIgnoreCase": ("String", _string_equals_ignore_case, True),
        "StringLike": ("String", wildcard_matches, False),
        "StringNotLike": ("String", wildcard_matches, True),
        "Bool": ("Bool", _bool, False),
        "BinaryEquals": ("Binary", _binary_equals, False),
        "IpAddress": ("IpAddress", _ip_address, False),
        "NotIpAddress": ("IpAddress", _ip_address, True),
        "ArnEquals": ("Arn", arn_matches, False),
        "ArnLike": ("Arn", arn_matches, False),
        "ArnNotEquals": ("Arn", arn_matches, True),
        "ArnNotLike": ("Arn", arn_matches, True),
    }
    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        "Equals": operator.eq,
        "LessThan": operator.lt,
        "LessThanEquals": operator.le,
        "GreaterThan": operator.gt,
        "GreaterThanEquals": operator.ge,
    }
    for suffix, compare in comparisons.items():
        table[f"Numeric{suffix}"] = ("Numeric", _numeric(compare), False)
        table[f"Date{suffix}"] = ("Date", _dated(compare), False)
    table["NumericNotEquals"] = ("Numeric", _numeric(operator.eq), True)
    table["DateNotEquals"] = ("Date", _dated(operator.eq), True)
    return {name.lower(): entry for name, entry in table.items()}


_OPERATORS: Final = _operators()
_VALIDATORS: Final[dict[str, Callable[[str], bool]]] = {
    "Numeric": lambda value: _number(value) is not None,
    "Date": lambda value: _date(value) is not None,
    "Bool": lambda value: value.lower() in ("true", "false"),
    "Binary": lambda value: _decoded(value) is not None,
    "IpAddress": lambda value: _network(value) is not None,
    "Null": lambda value: value.lower() in ("true", "false"),
}
