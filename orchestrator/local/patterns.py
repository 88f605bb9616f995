"""EventBridge event patterns as AWS runs them: a pattern is validated once (`compile_pattern`), then matched.

Written after the EventBridge User Guide ("Creating Amazon EventBridge event patterns", "Content filtering in Amazon
EventBridge event patterns", "Comparison operators for use in event patterns", "Arrays in Amazon EventBridge event
patterns", "Matching null values and empty strings") and the aws/event-ruler README, the library EventBridge matches
with. Validation errors carry event-ruler's reasons in EventBridge's `InvalidEventPatternException` wording
("Event pattern is not valid. Reason: ...").

Why not a package: the one Python implementation on the package index, `event-ruler` (0.3.0, December 2023, one
maintainer), ships only compiled wheels for two CPython versions and no source, and is not AWS's library; moto's
`EventPattern` is what this module replaces (it misses arrays of objects, validates almost nothing and raises on some
patterns at match time). No moto import here: the local runtime's seams (delivery/rules.py) bind this to moto.

Semantics kept from event-ruler:
- fields of a pattern are ANDed, the values of a leaf ORed; a leaf matches when any value of the event field matches;
- arrays in the event are crushed out (any element, any depth), but the fields of one object in a pattern must match
  within one element of an event array (event-ruler's `rulesForJSONEvent`);
- `exists: false` holds when the field's path has no leaf value anywhere in the event; an object is not a leaf;
- values are typed: the string "5" is not the number 5; numbers compare as numbers (300 equals 3.0e2);
- operators on strings (prefix, suffix, equals-ignore-case, wildcard, cidr) never match other types;
- anything-but matches any present value not excluded, of any type, as event-ruler compares serialized values.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

__all__ = ["NUMERIC_LIMIT", "InvalidEventPattern", "Pattern", "compile_pattern", "matches"]

NUMERIC_LIMIT: Final = 5.0e9  # numeric matching works on values between -5.0e9 and +5.0e9 inclusive
OR: Final = "$or"
_STRING_OPERATORS: Final = ("prefix", "suffix", "equals-ignore-case", "wildcard")
OPERATORS: Final = frozenset({*_STRING_OPERATORS, "anything-but", "numeric", "exists", "cidr"})
_LOWER_BOUNDS: Final = {">": False, ">=": True}  # operator -> bound included
_UPPER_BOUNDS: Final = {"<": False, "<=": True}

Matcher = Callable[[Any], bool]  # one event value (a JSON scalar) -> matches


class InvalidEventPattern(ValueError):
    """A malformed pattern; `message` is the text of AWS's InvalidEventPatternException."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.message = f"Event pattern is not valid. Reason: {reason}"
        super().__init__(self.message)


@dataclass(frozen=True)
class _Leaf:
    path: tuple[str, ...]  # from the event's root, arrays crushed out
    matchers: tuple[Matcher, ...]
    exists: bool | None = None  # an `exists` matcher among the values (at most one is meaningful per value)
    absent: bool = False  # an `exists: false` value


@dataclass(frozen=True)
class _Object:
    fields: dict[str, _Leaf | _Object] = field(default_factory=dict)
    alternatives: tuple[tuple[_Object, ...], ...] = ()  # each `$or`: one of its objects must match


class Pattern:
    """A validated event pattern."""

    def __init__(self, root: _Object) -> None:
        self._root = root

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether the event (a JSON object, the whole envelope) matches."""
        return _match_object(self._root, event, event)


def compile_pattern(pattern: str | Mapping[str, Any]) -> Pattern:
    """The pattern validated (InvalidEventPattern naming the problem), ready to match."""
    if isinstance(pattern, str):
        return _compiled(pattern)
    return Pattern(_Compiler().root(pattern))


def matches(pattern: str | Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether `event` matches `pattern` (InvalidEventPattern for a malformed pattern)."""
    return compile_pattern(pattern).matches(event)


@lru_cache(maxsize=1024)
def _compiled(text: str) -> Pattern:
    try:
        parsed = json.loads(text)
    except ValueError as error:
        raise InvalidEventPattern(f"Invalid JSON: {error}") from None
    return Pattern(_Compiler().root(parsed))


# -- matching --------------------------------------------------------------------------------------------------------


def _match_object(node: _Object, value: Any, root: Mapping[str, Any]) -> bool:
    if isinstance(value, list):
        elements = [element for element in _crushed(value) if isinstance(element, dict)]
        if elements:
            return any(_match_object(node, element, root) for element in elements)
        value = {}
    elif not isinstance(value, dict):
        value = {}  # a scalar where the pattern has an object: the fields below it are absent
    for name, child in node.fields.items():
        found = value.get(name)
        if isinstance(child, _Object):
            if not _match_object(child, found, root):
                return False
        elif not _match_leaf(child, name in value, found, root):
            return False
    return all(any(_match_object(choice, value, root) for choice in group) for group in node.alternatives)


def _match_leaf(leaf: _Leaf, present: bool, value: Any, root: Mapping[str, Any]) -> bool:
    values = _leaf_values(value) if present else []
    if leaf.exists and values:
        return True
    if leaf.absent and not _leaf_values_at(root, leaf.path):
        return True
    return any(matcher(one) for one in values for matcher in leaf.matchers)


def _crushed(values: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for value in values:
        flat.extend(_crushed(value) if isinstance(value, list) else [value])
    return flat


def _leaf_values(value: Any) -> list[Any]:
    """The leaf values of one event field: itself, or its array's scalars; an object is not a leaf."""
    if isinstance(value, list):
        return [one for one in _crushed(value) if not isinstance(one, dict)]
    return [] if isinstance(value, dict) else [value]


def _leaf_values_at(root: Any, path: tuple[str, ...]) -> list[Any]:
    nodes = [root]
    for name in path:
        nodes = [child[name] for node in nodes for child in _objects(node) if name in child]
    return [one for node in nodes for one in _leaf_values(node)]


def _objects(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [one for one in _crushed(node) if isinstance(one, dict)]
    return [node] if isinstance(node, dict) else []


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same_number(left: float, right: float) -> bool:
    # event-ruler compares numbers in its range at six decimal places; beyond it, as written
    if abs(left) <= NUMERIC_LIMIT and abs(right) <= NUMERIC_LIMIT:
        return round(left * 1_000_000) == round(right * 1_000_000)
    return left == right


def _exactly(expected: Any) -> Matcher:
    if _is_number(expected):
        return lambda value: _is_number(value) and _same_number(value, expected)
    if isinstance(expected, bool) or expected is None:
        return lambda value: value is expected
    return lambda value: isinstance(value, str) and value == expected


def _wildcard(pattern: str) -> re.Pattern[str]:
    parts, index = [], 0
    while index < len(pattern):
        character = pattern[index]
        if character == "\\":
            following = pattern[index + 1 : index + 2]
            if following not in ("*", "\\"):
                raise InvalidEventPattern(f"Invalid escape character at pos {index + 1}")
            parts.append(re.escape(following))
            index += 2
            continue
        if character == "*":
            if pattern[index + 1 : index + 2] == "*":
                raise InvalidEventPattern(f"Consecutive wildcard characters at pos {index + 1}")
            parts.append(".*")
        else:
            parts.append(re.escape(character))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


def _string_matcher(operator: str, operand: Any) -> Matcher:
    """prefix, suffix (each also in its equals-ignore-case form), equals-ignore-case, wildcard."""
    folded = False
    if operator in ("prefix", "suffix") and isinstance(operand, dict):
        if list(operand) != ["equals-ignore-case"] or not isinstance(operand["equals-ignore-case"], str):
            raise InvalidEventPattern(f"{operator} match pattern must be a string or an equals-ignore-case object")
        operand, folded = operand["equals-ignore-case"], True
    if not isinstance(operand, str):
        raise InvalidEventPattern(f"{operator} match pattern must be a string")
    if operator == "wildcard":
        compiled = _wildcard(operand)
        return lambda value: isinstance(value, str) and compiled.fullmatch(value) is not None
    if operator == "equals-ignore-case":
        expected = operand.lower()
        return lambda value: isinstance(value, str) and value.lower() == expected
    wanted = operand.lower() if folded else operand
    test = str.startswith if operator == "prefix" else str.endswith

    def matcher(value: Any) -> bool:
        return isinstance(value, str) and test(value.lower() if folded else value, wanted)

    return matcher


def _checked_number(value: Any, operator: str) -> float:
    if not _is_number(value):
        raise InvalidEventPattern(f"Value of {operator} must be numeric")
    if abs(value) > NUMERIC_LIMIT:
        raise InvalidEventPattern("Value must be between -5.0E9 and 5.0E9, inclusive")
    return float(value)


def _numeric(operand: Any) -> Matcher:
    if not isinstance(operand, list):
        raise InvalidEventPattern("Value of numeric must be an array.")
    if not operand or not isinstance(operand[0], str):
        raise InvalidEventPattern(f"Invalid member in numeric match: {json.dumps(operand[:1])}")
    operator, rest = operand[0], operand[1:]
    if operator == "=":
        if len(rest) != 1:
            raise InvalidEventPattern("Too many elements in numeric expression")
        expected = _checked_number(rest[0] if rest else None, "=")
        return lambda value: _is_number(value) and abs(value) <= NUMERIC_LIMIT and _same_number(value, expected)
    bounds: list[tuple[str, float]] = []
    if operator not in _LOWER_BOUNDS and operator not in _UPPER_BOUNDS:
        raise InvalidEventPattern(f"Unrecognized numeric range operator: {operator}")
    bounds.append((operator, _checked_number(rest[0] if rest else None, operator)))
    if len(rest) > 1:
        if operator in _UPPER_BOUNDS:
            raise InvalidEventPattern("Too many elements in numeric expression")
        upper = rest[1]
        if not isinstance(upper, str) or upper not in _UPPER_BOUNDS:
            raise InvalidEventPattern(f"Bad numeric range operator: {upper}")
        bounds.append((upper, _checked_number(rest[2] if len(rest) > 2 else None, upper)))
        if len(rest) > 3:
            raise InvalidEventPattern("Too many terms in numeric range expression")
        if bounds[0][1] >= bounds[1][1]:
            raise InvalidEventPattern("Bottom must be less than top")
    checks = {">": float.__gt__, ">=": float.__ge__, "<": float.__lt__, "<=": float.__le__}

    def matcher(value: Any) -> bool:
        if not _is_number(value) or abs(value) > NUMERIC_LIMIT:
            return False
        return all(checks[op](float(value), bound) for op, bound in bounds)

    return matcher


def _cidr(operand: Any) -> Matcher:
    if not isinstance(operand, str):
        raise InvalidEventPattern("cidr match pattern must be a string")
    try:
        network = ipaddress.ip_network(operand, strict=False)
    except ValueError:
        raise InvalidEventPattern(f"Nonsensical CIDR: {operand}") from None

    def matcher(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return ipaddress.ip_address(value) in network
        except ValueError:
            return False

    return matcher


def _anything_but(operand: Any) -> Matcher:
    if isinstance(operand, dict):
        if len(operand) != 1:
            raise InvalidEventPattern("Only one key allowed in match expression")
        ((operator, inner),) = operand.items()
        if operator not in _STRING_OPERATORS:
            raise InvalidEventPattern(f"Unsupported anything-but pattern: {operator}")
        if operator in ("prefix", "suffix") and inner == "":
            raise InvalidEventPattern("Null prefix/suffix not allowed")
        if operator in ("equals-ignore-case", "wildcard") and isinstance(inner, list):
            if not inner or not all(isinstance(one, str) for one in inner):
                raise InvalidEventPattern(f"Inside anything-but/{operator} list, only strings are supported.")
            excluded = [_string_matcher(operator, one) for one in inner]
        elif operator in ("prefix", "suffix") and not isinstance(inner, str):
            raise InvalidEventPattern("prefix/suffix match pattern must be a string")
        else:
            excluded = [_string_matcher(operator, inner)]
        return lambda value: not any(test(value) for test in excluded)
    values = operand if isinstance(operand, list) else [operand]
    if not isinstance(operand, list) and not (isinstance(operand, str) or _is_number(operand)):
        raise InvalidEventPattern("Value of anything-but must be an array or single string/number value.")
    if any(not (isinstance(one, str) or _is_number(one)) for one in values):
        raise InvalidEventPattern("Inside anything but list, start|null|boolean is not supported.")
    if not values or (any(isinstance(one, str) for one in values) and any(_is_number(one) for one in values)):
        raise InvalidEventPattern(
            "Inside anything but list, either all values are number or string, mixed type is not supported"
        )
    excluded = [_exactly(one) for one in values]
    return lambda value: not any(test(value) for test in excluded)


# -- validation ------------------------------------------------------------------------------------------------------


class _Compiler:
    def root(self, pattern: Any) -> _Object:
        if not isinstance(pattern, dict):
            raise InvalidEventPattern("Filter is not an object")
        return self._object(pattern, (), inside_or=False)

    def _object(self, pattern: Mapping[str, Any], path: tuple[str, ...], *, inside_or: bool) -> _Object:
        if not pattern:
            raise InvalidEventPattern("Empty objects are not allowed")
        fields: dict[str, _Leaf | _Object] = {}
        alternatives: list[tuple[_Object, ...]] = []
        for name, value in pattern.items():
            if name == OR:
                alternatives.append(self._or(value, path))
                continue
            if inside_or and name in OPERATORS:
                raise InvalidEventPattern(f"{name} is Ruler reserved fieldName which cannot be used inside {OR}.")
            if isinstance(value, dict):
                fields[name] = self._object(value, (*path, name), inside_or=inside_or)
            elif isinstance(value, list):
                fields[name] = self._leaf(value, (*path, name))
            else:
                raise InvalidEventPattern(f'"{name}" must be an object or an array')
        return _Object(fields, tuple(alternatives))

    def _or(self, value: Any, path: tuple[str, ...]) -> tuple[_Object, ...]:
        if not isinstance(value, list):
            raise InvalidEventPattern(f"It must be an Array followed with {OR}.")
        if not all(isinstance(choice, dict) for choice in value):
            raise InvalidEventPattern(f"Only JSON object is allowed in array of {OR} relationship.")
        if len(value) < 2:
            raise InvalidEventPattern(f"There must have at least 2 Objects in {OR} relationship.")
        return tuple(self._object(choice, path, inside_or=True) for choice in value)

    def _leaf(self, values: list[Any], path: tuple[str, ...]) -> _Leaf:
        if not values:
            raise InvalidEventPattern("Empty arrays are not allowed")
        matchers: list[Matcher] = []
        exists = absent = False
        for value in values:
            if isinstance(value, dict):
                if not value:
                    raise InvalidEventPattern("Match expression name not found")
                if len(value) > 1:
                    raise InvalidEventPattern("Only one key allowed in match expression")
                ((operator, operand),) = value.items()
                if operator == "exists":
                    if not isinstance(operand, bool):
                        raise InvalidEventPattern("exists match pattern must be either true or false.")
                    exists, absent = exists or operand, absent or not operand
                else:
                    matchers.append(self._operator(operator, operand))
            elif isinstance(value, list):
                raise InvalidEventPattern("Match value must be String, number, true, false, or null")
            else:
                matchers.append(_exactly(value))
        return _Leaf(path, tuple(matchers), exists, absent)

    @staticmethod
    def _operator(operator: str, operand: Any) -> Matcher:
        if operator in _STRING_OPERATORS:
            return _string_matcher(operator, operand)
        if operator == "numeric":
            return _numeric(operand)
        if operator == "anything-but":
            return _anything_but(operand)
        if operator == "cidr":
            return _cidr(operand)
        raise InvalidEventPattern(f"Unrecognized match type {operator}")
