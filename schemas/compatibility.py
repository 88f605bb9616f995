"""Backward-compatibility check between an event's last published JSON Schema and a candidate one.

An event's contract is its published JSON Schema (Draft 4, fully inlined, covering the whole EventBridge event).
Events written under the published schema outlive it: consumers built against it stay deployed, and archived or
stored events are replayed and re-read. So a candidate is backward compatible only if every event valid under the
published schema still validates under the candidate, and every field consumers read is still declared. A change
that breaks this needs a new major version of the contract (`SCHEMA_VERSION`), not an edit in place.

Breaking changes, by rule:

- FIELD_REMOVED: a published property is no longer declared; consumers reading it lose it.
- REQUIRED_ADDED: a property is required that was not (a new required field, or an optional one made required);
  published events without it are rejected.
- TYPE_NARROWED: a JSON type is no longer accepted, including `null` dropped from a nullable `anyOf`. `integer` is
  a subset of `number`, so integer -> number is a widening and number -> integer a narrowing.
- ENUM_VALUE_REMOVED: a published enum value is no longer listed, or an enum now restricts a value that was free.
- CONSTRAINT_TIGHTENED: a lower bound raised or an upper bound lowered (length, value, item and property counts,
  exclusivity included), a pattern, format or multipleOf added or changed, uniqueItems turned on, or additional
  properties closed (`additionalProperties` from allowed to false).

Everything else is compatible: new optional properties, new enum values, wider types, looser constraints, changed
descriptions, titles and defaults. Where the check cannot decide it assumes the worst: a changed pattern or format
counts as tightened even if the new one happens to accept more. A new property of an object that was open
(`additionalProperties` absent, true or a schema) is compared with what the published object accepted for an unlisted
key, because published events may already carry that key with any such value.

Schemas are compared per JSON type: a schema, or each `anyOf`/`oneOf` branch, is split into one variant per type it
accepts, and each published variant is compared with the candidate variant of the same type that breaks least. So
published `anyOf` branches match candidate branches by type, not by position. `allOf` parts are merged into one
schema; tuple-form `items` and `patternProperties` are not analysed.

One module, though past 400 lines: one recursive comparison (`_compare` reaches the per-type checks, whose arrays and
objects call `_compare` again) whose rules read best beside the list above; apart, its halves would import each other.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple

FIELD_REMOVED = "FIELD_REMOVED"
REQUIRED_ADDED = "REQUIRED_ADDED"
TYPE_NARROWED = "TYPE_NARROWED"
ENUM_VALUE_REMOVED = "ENUM_VALUE_REMOVED"
CONSTRAINT_TIGHTENED = "CONSTRAINT_TIGHTENED"
RULES: tuple[str, ...] = (FIELD_REMOVED, REQUIRED_ADDED, TYPE_NARROWED, ENUM_VALUE_REMOVED, CONSTRAINT_TIGHTENED)

ROOT_PATH = "(root)"

Schema = Mapping[str, Any]

JSON_TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})
# Which candidate types can stand in for a published type: integers are numbers, and a published number narrowed to
# integer (reported as TYPE_NARROWED) still has its constraints compared with the integer.
_COUNTERPARTS: Mapping[str, frozenset[str]] = {
    "integer": frozenset({"integer", "number"}),
    "number": frozenset({"number", "integer"}),
}


@dataclass(frozen=True)
class BreakingChange:
    """One backward-incompatible change. `path` is a dotted path into the event (`[]` for array items, `*` for the
    values of an object's additional properties)."""

    event: str
    path: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.event}: {self.path}: {self.rule}: {self.detail}"


class _Finding(NamedTuple):
    path: str
    rule: str
    detail: str


class _Bound(NamedTuple):
    value: float
    exclusive: bool


def breaking_changes(event: str, published: Mapping[str, Any], candidate: Mapping[str, Any]) -> list[BreakingChange]:
    """Every backward-incompatible change from `published` to `candidate` (empty: compatible)."""
    # The same finding can come from two variants of one schema (integer and number); report it once.
    findings = dict.fromkeys(_compare("", published, candidate))
    return [BreakingChange(event, f.path or ROOT_PATH, f.rule, f.detail) for f in findings]


def _compare(path: str, old: Schema, new: Schema) -> list[_Finding]:
    old_variants = _variants(old)
    new_variants = _variants(new)
    findings = _type_narrowing(path, old_variants, new_variants)
    for json_type, old_variant in old_variants:
        options = [
            _compare_variant(path, json_type, old_variant, new_variant)
            for new_type, new_variant in new_variants
            if new_type in _COUNTERPARTS.get(json_type, frozenset({json_type}))
        ]
        # A published value only has to fit one candidate branch: the one that breaks least is the one it will match.
        if options:
            least = min(options, key=len)  # a separate name: inside `+=` mypy infers min() over Iterable, not list
            findings += least
    return findings


def _variants(schema: Schema) -> list[tuple[str, Schema]]:
    """The schema split into (JSON type, schema constraining values of that type), union branches flattened."""
    schema = _merge_all_of(schema)
    for keyword in ("anyOf", "oneOf"):
        branches = schema.get(keyword)
        if isinstance(branches, list):
            # Keywords beside the union (description, default, sometimes a constraint) apply to every branch.
            siblings = {k: v for k, v in schema.items() if k != keyword}
            return [variant for branch in branches for variant in _variants({**siblings, **branch})]
    return [(json_type, schema) for json_type in sorted(_accepted_types(schema))]


def _merge_all_of(schema: Schema) -> Schema:
    parts = schema.get("allOf")
    if not isinstance(parts, list):
        return schema
    # An inliner wraps a referenced model as `allOf: [model]` beside annotations; merging is exact for that shape.
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    for part in parts:
        merged.update(_merge_all_of(part))
    return merged


def _accepted_types(schema: Schema) -> set[str]:
    types = _declared_types(schema.get("type"))
    values = _enum(schema)
    if values is not None:
        types &= {json_type for value in values for json_type in _types_of(value)}
    return types


def _declared_types(declared: str | list[str] | None) -> set[str]:
    if declared is None:
        return set(JSON_TYPES)
    return {declared} if isinstance(declared, str) else set(declared)


def _type_narrowing(
    path: str, old_variants: list[tuple[str, Schema]], new_variants: list[tuple[str, Schema]]
) -> list[_Finding]:
    old_types = {json_type for json_type, _ in old_variants}
    new_types = {json_type for json_type, _ in new_variants}
    lost = {t for t in old_types if t not in new_types and not (t == "integer" and "number" in new_types)}
    if not lost:
        return []
    detail = f"type narrowed from {_describe_types(old_types)} to {_describe_types(new_types)}"
    if lost == {"null"}:
        detail = f"no longer accepts null ({detail})"
    return [_Finding(path, TYPE_NARROWED, detail)]


def _describe_types(types: set[str]) -> str:
    if types >= JSON_TYPES:
        return "any type"
    if not types:
        return "nothing"
    # "number" already says integers are accepted.
    shown = sorted(types - {"integer"} if "number" in types else types, key=lambda t: (t == "null", t))
    return shown[0] if len(shown) == 1 else f"[{', '.join(shown)}]"


def _compare_variant(path: str, json_type: str, old: Schema, new: Schema) -> list[_Finding]:
    findings = _enum_changes(path, json_type, old, new)
    check = _TYPE_CHECKS.get(json_type)
    if check is not None:
        findings += check(path, old, new)
    return findings


def _enum(schema: Schema) -> list[Any] | None:
    if "enum" in schema:
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    return None


def _types_of(value: Any) -> set[str]:
    if value is None:
        return {"null"}
    if isinstance(value, bool):
        return {"boolean"}
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return {"integer", "number"}
    if isinstance(value, float):
        return {"number"}
    if isinstance(value, str):
        return {"string"}
    if isinstance(value, list):
        return {"array"}
    return {"object"} if isinstance(value, Mapping) else set()


def _enum_changes(path: str, json_type: str, old: Schema, new: Schema) -> list[_Finding]:
    # null has a single value: whether it is still accepted is a type question, reported as TYPE_NARROWED.
    new_values = _enum_values_of_type(new, json_type)
    if json_type == "null" or new_values is None:
        return []
    old_values = _enum_values_of_type(old, json_type)
    if old_values is None:
        detail = f"enum added where there was none: only {_show_values(new_values)} accepted"
        return [_Finding(path, ENUM_VALUE_REMOVED, detail)]
    # Values are compared within one JSON type, so Python's 1 == True cannot match across types.
    removed = [v for v in old_values if v not in new_values]
    if not removed:
        return []
    noun = "value" if len(removed) == 1 else "values"
    return [_Finding(path, ENUM_VALUE_REMOVED, f"enum {noun} {_show_values(removed)} removed")]


def _enum_values_of_type(schema: Schema, json_type: str) -> list[Any] | None:
    values = _enum(schema)
    return None if values is None else [v for v in values if json_type in _types_of(v)]


def _show_values(values: list[Any]) -> str:
    return ", ".join(json.dumps(v, sort_keys=True) for v in values)


def _string_changes(path: str, old: Schema, new: Schema) -> list[_Finding]:
    return [*_count_changes(path, old, new, "minLength", "maxLength"), *_exact_changes(path, old, new)]


def _number_changes(path: str, old: Schema, new: Schema) -> list[_Finding]:
    return [
        *_bound_changes(path, "minimum", _lower(old), _lower(new), lower=True),
        *_bound_changes(path, "maximum", _upper(old), _upper(new), lower=False),
        *_multiple_of_changes(path, old, new),
    ]


def _array_changes(path: str, old: Schema, new: Schema) -> list[_Finding]:
    findings = _count_changes(path, old, new, "minItems", "maxItems")
    if new.get("uniqueItems") is True and old.get("uniqueItems") is not True:
        findings.append(_Finding(path, CONSTRAINT_TIGHTENED, "uniqueItems turned on"))
    old_items, new_items = old.get("items", {}), new.get("items", {})
    if isinstance(old_items, Mapping) and isinstance(new_items, Mapping):
        findings += _compare(f"{path}[]", old_items, new_items)
    return findings


def _object_changes(path: str, old: Schema, new: Schema) -> list[_Finding]:
    return [
        *_count_changes(path, old, new, "minProperties", "maxProperties"),
        *_property_changes(path, old, new),
        *_required_changes(path, old, new),
        *_additional_property_changes(path, old, new),
    ]


_TYPE_CHECKS: Mapping[str, Callable[[str, Schema, Schema], list[_Finding]]] = {
    "string": _string_changes,
    "integer": _number_changes,
    "number": _number_changes,
    "array": _array_changes,
    "object": _object_changes,
}


def _count_changes(path: str, old: Schema, new: Schema, min_key: str, max_key: str) -> list[_Finding]:
    # An absent minimum count is 0, so `minLength: 0` appearing is no tightening.
    old_min, new_min = _Bound(old.get(min_key, 0), False), _Bound(new.get(min_key, 0), False)
    old_max, new_max = (_Bound(s[max_key], False) if max_key in s else None for s in (old, new))
    return [
        *_bound_changes(path, min_key, old_min, new_min, lower=True),
        *_bound_changes(path, max_key, old_max, new_max, lower=False),
    ]


def _lower(schema: Schema) -> _Bound | None:
    bounds = _numeric_bounds(schema, "minimum", "exclusiveMinimum")
    return max(bounds, key=lambda b: (b.value, b.exclusive)) if bounds else None


def _upper(schema: Schema) -> _Bound | None:
    bounds = _numeric_bounds(schema, "maximum", "exclusiveMaximum")
    return min(bounds, key=lambda b: (b.value, not b.exclusive)) if bounds else None


def _numeric_bounds(schema: Schema, keyword: str, exclusive_keyword: str) -> list[_Bound]:
    exclusive = schema.get(exclusive_keyword)
    bounds = [_Bound(schema[keyword], exclusive is True)] if keyword in schema else []
    # Draft 4 makes exclusiveMinimum a boolean modifier; a generator left on Draft 6+ emits the bound itself.
    if isinstance(exclusive, int | float) and not isinstance(exclusive, bool):
        bounds.append(_Bound(exclusive, True))
    return bounds


def _bound_changes(path: str, name: str, old: _Bound | None, new: _Bound | None, *, lower: bool) -> list[_Finding]:
    if new is None or (old is not None and not _stricter(new, old, lower=lower)):
        return []
    if old is None:
        detail = f"{name} {_show_bound(new)} added"
    else:
        detail = f"{name} {'raised' if lower else 'lowered'} from {_show_bound(old)} to {_show_bound(new)}"
    return [_Finding(path, CONSTRAINT_TIGHTENED, detail)]


def _stricter(new: _Bound, old: _Bound, *, lower: bool) -> bool:
    if new.value != old.value:
        return new.value > old.value if lower else new.value < old.value
    return new.exclusive and not old.exclusive


def _show_bound(bound: _Bound) -> str:
    return f"{bound.value} (exclusive)" if bound.exclusive else f"{bound.value}"


def _multiple_of_changes(path: str, old: Schema, new: Schema) -> list[_Finding]:
    old_step, new_step = old.get("multipleOf"), new.get("multipleOf")
    # Every multiple of the old step is still valid when the new step divides it; Fraction keeps 0.1 exact.
    if new_step is None or (old_step is not None and Fraction(str(old_step)) % Fraction(str(new_step)) == 0):
        return []
    detail = f"multipleOf {new_step} added" if old_step is None else f"multipleOf changed from {old_step} to {new_step}"
    return [_Finding(path, CONSTRAINT_TIGHTENED, detail)]


def _exact_changes(path: str, old: Schema, new: Schema) -> list[_Finding]:
    findings = []
    # Whether one regex or format accepts everything another does is undecidable here: any change counts.
    for keyword in ("pattern", "format"):
        old_value, new_value = old.get(keyword), new.get(keyword)
        if new_value is None or new_value == old_value:
            continue
        if old_value is None:
            detail = f'{keyword} "{new_value}" added'
        else:
            detail = f'{keyword} changed from "{old_value}" to "{new_value}"'
        findings.append(_Finding(path, CONSTRAINT_TIGHTENED, detail))
    return findings


def _property_changes(path: str, old: Schema, new: Schema) -> list[_Finding]:
    old_properties: Mapping[str, Schema] = old.get("properties", {})
    new_properties: Mapping[str, Schema] = new.get("properties", {})
    findings = []
    for name, old_property in old_properties.items():
        if name in new_properties:
            findings += _compare(_child(path, name), old_property, new_properties[name])
        else:
            findings.append(_Finding(_child(path, name), FIELD_REMOVED, "field removed"))
    # A published open object may already carry a key the candidate now declares, with any value it allowed then.
    unlisted = _additional_schema(old)
    if unlisted is not None:
        for name, new_property in new_properties.items():
            if name not in old_properties:
                findings += _compare(_child(path, name), unlisted, new_property)
    return findings


def _required_changes(path: str, old: Schema, new: Schema) -> list[_Finding]:
    old_required = set(old.get("required", []))
    old_properties = old.get("properties", {})
    return [
        _Finding(
            _child(path, name),
            REQUIRED_ADDED,
            "optional field made required" if name in old_properties else "new required field",
        )
        for name in new.get("required", [])
        if name not in old_required
    ]


def _additional_property_changes(path: str, old: Schema, new: Schema) -> list[_Finding]:
    old_unlisted = _additional_schema(old)
    if old_unlisted is None:
        return []
    new_additional = new.get("additionalProperties", True)
    if new_additional is False:
        return [_Finding(path, CONSTRAINT_TIGHTENED, "additionalProperties changed from allowed to false")]
    if isinstance(new_additional, Mapping):
        return _compare(f"{path}.*", old_unlisted, new_additional)
    return []


def _additional_schema(schema: Schema) -> Schema | None:
    """What an object accepts as the value of a key it does not list; None: no unlisted key at all."""
    additional = schema.get("additionalProperties", True)
    if additional is False:
        return None
    return additional if isinstance(additional, Mapping) else {}


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


__all__ = [
    "CONSTRAINT_TIGHTENED",
    "ENUM_VALUE_REMOVED",
    "FIELD_REMOVED",
    "REQUIRED_ADDED",
    "ROOT_PATH",
    "RULES",
    "TYPE_NARROWED",
    "BreakingChange",
    "breaking_changes",
]
