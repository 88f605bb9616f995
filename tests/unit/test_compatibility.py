"""Spec of the schema compatibility check: what a candidate schema may and may not change in a published contract.

Every breaking case also carries a witness: an event valid under the published document that the candidate rejects
(checked with jsonschema's Draft 4 validator), so each rule is shown to be a real break, not a matter of taste.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from jsonschema import Draft4Validator, FormatChecker

from schemas.compatibility import (
    CONSTRAINT_TIGHTENED,
    ENUM_VALUE_REMOVED,
    FIELD_REMOVED,
    REQUIRED_ADDED,
    RULES,
    TYPE_NARROWED,
    BreakingChange,
    breaking_changes,
)

EVENT = "shop.orders@OrderPlaced v1"

Schema = dict[str, Any]
Change = Callable[[Schema], None]

# ---------------------------------------------------------------------------------------------------------- builders

IDENTIFIER: Schema = {
    "type": "string",
    "minLength": 1,
    "maxLength": 128,
    "pattern": r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$",
}
NON_EMPTY: Schema = {"type": "string", "minLength": 1, "maxLength": 256}
CHANNEL: Schema = {"type": "string", "enum": ["web", "app", "phone"], "description": "Where the order came from."}
FREE_FORM: Schema = {"type": "object", "additionalProperties": True}
GIFT: Schema = {
    "anyOf": [
        {
            "type": "object",
            "properties": {"message": {"type": "string", "maxLength": 200}, "wrapped": {"type": "boolean"}},
            "required": ["wrapped"],
            "additionalProperties": False,
        },
        {"type": "null"},
    ],
    "default": None,
}


def closed_object(properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


def order_placed_document(**extra_data: Schema) -> Schema:
    """The published OrderPlaced v1 document, as the registry holds it; `extra_data` adds optional data fields."""
    metadata = closed_object(
        {
            "event_id": IDENTIFIER,
            "correlation_id": IDENTIFIER,
            "causation_id": {"anyOf": [IDENTIFIER, {"type": "null"}], "default": None},
            "idempotency_key": NON_EMPTY,
            "schema_version": {"type": "integer", "minimum": 1},
            "occurred_at": {"type": "string", "format": "date-time"},
            "producer": NON_EMPTY,
        },
        required=["event_id", "correlation_id", "idempotency_key", "schema_version", "occurred_at", "producer"],
    )
    item = closed_object(
        {
            "sku": IDENTIFIER,
            "quantity": {"type": "integer", "minimum": 1, "maximum": 10_000},
            "unit_price_cents": {"type": "integer", "minimum": 0},
        }
    )
    data_fields = {
        "order_id": IDENTIFIER,
        "customer_id": IDENTIFIER,
        "items": {"type": "array", "items": item, "minItems": 1, "maxItems": 100},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "total_cents": {"type": "integer", "minimum": 0},
    }
    data = closed_object({**data_fields, **extra_data}, required=list(data_fields))
    # The EventBridge envelope stays open: EventBridge itself adds keys such as `replay-name` to replayed events.
    return unshared(
        {
            "$schema": "http://json-schema.org/draft-04/schema#",
            "title": "OrderPlaced",
            "description": "A customer placed an order; starts the order saga.",
            "type": "object",
            "properties": {
                "version": {"type": "string"},
                "id": {"type": "string"},
                "detail-type": {"type": "string", "enum": ["OrderPlaced"]},
                "source": {"type": "string", "enum": ["shop.orders"]},
                "account": {"type": "string"},
                "time": {"type": "string", "format": "date-time"},
                "region": {"type": "string"},
                "resources": {"type": "array", "items": {"type": "string"}},
                "detail": closed_object({"metadata": metadata, "data": data}),
            },
            "required": ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"],
        }
    )


def order_placed_event() -> dict[str, Any]:
    """An OrderPlaced event valid under `order_placed_document()`."""
    return {
        "version": "0",
        "id": "5f0c1e2a-6b0e-4a51-9d1c-0f6c1b2a3d4e",
        "detail-type": "OrderPlaced",
        "source": "shop.orders",
        "account": "123456789012",
        "time": "2025-06-01T12:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": {
            "metadata": {
                "event_id": "evt-1",
                "correlation_id": "order-1",
                "causation_id": None,
                "idempotency_key": "order-1:placed",
                "schema_version": 1,
                "occurred_at": "2025-06-01T12:00:00Z",
                "producer": "orders-api",
            },
            "data": {
                "order_id": "order-1",
                "customer_id": "customer-1",
                "items": [{"sku": "sku-1", "quantity": 2, "unit_price_cents": 1250}],
                "currency": "EUR",
                "total_cents": 2500,
            },
        },
    }


def schema_at(document: Schema, path: str) -> Schema:
    """The schema of a dotted event path (`detail.data.items[].quantity`); `(root)` is the document itself."""
    node = document
    for part in [] if path == "(root)" else path.split("."):
        name, is_items = (part[:-2], True) if part.endswith("[]") else (part, False)
        node = node["properties"][name]
        if is_items:
            node = node["items"]
    return node


def set_keywords(path: str, **keywords: Any) -> Change:
    def change(document: Schema) -> None:
        schema_at(document, path).update(keywords)

    return change


def drop_keyword(path: str, keyword: str) -> Change:
    def change(document: Schema) -> None:
        del schema_at(document, path)[keyword]

    return change


def drop_field(path: str) -> Change:
    parent_path, _, name = path.rpartition(".")

    def change(document: Schema) -> None:
        parent = schema_at(document, parent_path)
        del parent["properties"][name]
        parent["required"] = [r for r in parent["required"] if r != name]

    return change


def require(path: str) -> Change:
    parent_path, _, name = path.rpartition(".")

    def change(document: Schema) -> None:
        schema_at(document, parent_path)["required"].append(name)

    return change


def add_field(path: str, schema: Schema) -> Change:
    parent_path, _, name = path.rpartition(".")

    def change(document: Schema) -> None:
        schema_at(document, parent_path).setdefault("properties", {})[name] = unshared(schema)

    return change


def unshared(document: Schema) -> Schema:
    """A copy sharing no sub-schema, so a change to one field never leaks into another built from the same constant."""
    copied: Schema = json.loads(json.dumps(document))
    return copied


def changed(document: Schema, *changes: Change) -> Schema:
    candidate = unshared(document)
    for change in changes:
        change(candidate)
    return candidate


def event_with(path: str, value: Any) -> dict[str, Any]:
    """A valid sample event with one value replaced; path parts are keys, or list indexes when numeric."""
    event = order_placed_event()
    *parents, last = path.split(".")
    node: Any = event
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[last] = value
    return event


def validation_errors(document: Schema, event: dict[str, Any]) -> list[str]:
    validator = Draft4Validator(document, format_checker=FormatChecker())
    return [error.message for error in validator.iter_errors(event)]


def assert_breaks(published: Schema, candidate: Schema, witness: dict[str, Any]) -> None:
    """The witness event is valid under the published document and rejected by the candidate."""
    assert validation_errors(published, witness) == []
    assert validation_errors(candidate, witness) != []


def found(changes: list[BreakingChange]) -> list[tuple[str, str]]:
    return [(change.path, change.rule) for change in changes]


# ---------------------------------------------------------------------------------------------------------- builders


def test_the_builders_make_a_draft_4_document_that_accepts_the_sample_event() -> None:
    # given
    document = order_placed_document(channel=CHANNEL, gift=GIFT, attributes=FREE_FORM)

    # then
    Draft4Validator.check_schema(document)
    assert validation_errors(document, order_placed_event()) == []


# ------------------------------------------------------------------------------------------------------- compatible


def test_identical_documents_have_no_breaking_changes() -> None:
    # given
    published = order_placed_document(channel=CHANNEL, gift=GIFT, attributes=FREE_FORM)

    # when
    changes = breaking_changes(EVENT, published, copy.deepcopy(published))

    # then
    assert changes == []


@dataclass(frozen=True)
class Additive:
    changes: tuple[Change, ...]
    extra_data: dict[str, Schema] = field(default_factory=dict)


ADDITIVE = {
    "new optional field": Additive((add_field("detail.data.note", {"type": "string", "maxLength": 500}),)),
    "new enum value": Additive(
        (set_keywords("detail.data.channel", enum=["web", "app", "phone", "kiosk"]),), {"channel": CHANNEL}
    ),
    "enum dropped": Additive((drop_keyword("detail.data.channel", "enum"),), {"channel": CHANNEL}),
    "integer to number": Additive((set_keywords("detail.data.total_cents", type="number"),)),
    "loosened maxLength": Additive((set_keywords("detail.data.customer_id", maxLength=256),)),
    "lowered minimum": Additive((set_keywords("detail.data.items[].quantity", minimum=0),)),
    "raised maxItems": Additive((set_keywords("detail.data.items", maxItems=1000),)),
    "pattern removed": Additive((drop_keyword("detail.data.currency", "pattern"),)),
    "multipleOf divides the published one": Additive(
        (set_keywords("detail.data.rounded_cents", multipleOf=5),),
        {"rounded_cents": {"type": "integer", "multipleOf": 10}},
    ),
    "description and title changed": Additive(
        (
            set_keywords("detail.data.customer_id", description="Who placed the order.", title="Customer"),
            set_keywords("(root)", description="Someone bought something."),
        )
    ),
    "null accepted": Additive((set_keywords("detail.data.currency", type=["string", "null"]),)),
    "required made optional": Additive(
        (lambda document: schema_at(document, "detail.data")["required"].remove("customer_id"),)
    ),
    "additional properties allowed": Additive((set_keywords("detail.data", additionalProperties=True),)),
    "anyOf branches reordered": Additive(
        (lambda document: schema_at(document, "detail.data.gift")["anyOf"].reverse(),), {"gift": GIFT}
    ),
    "free-form value declared with the type it already had": Additive(
        (add_field("detail.data.attributes.colour", {"type": "string"}),),
        {"attributes": {"type": "object", "properties": {}, "additionalProperties": {"type": "string"}}},
    ),
}


@pytest.mark.parametrize("case", ADDITIVE.values(), ids=ADDITIVE.keys())
def test_an_additive_change_is_compatible(case: Additive) -> None:
    # given
    published = order_placed_document(**case.extra_data)
    candidate = changed(published, *case.changes)

    # when
    changes = breaking_changes(EVENT, published, candidate)

    # then
    assert candidate != published
    assert changes == []


# --------------------------------------------------------------------------------------------------- one per rule


def test_a_removed_field_is_field_removed() -> None:
    # given
    published = order_placed_document()
    candidate = changed(published, drop_field("detail.data.customer_id"))

    # when
    changes = breaking_changes(EVENT, published, candidate)

    # then
    assert [str(c) for c in changes] == [
        "shop.orders@OrderPlaced v1: detail.data.customer_id: FIELD_REMOVED: field removed"
    ]
    assert_breaks(published, candidate, order_placed_event())


def test_a_new_required_field_is_required_added() -> None:
    # given
    published = order_placed_document()
    candidate = changed(published, add_field("detail.data.channel", CHANNEL), require("detail.data.channel"))

    # when
    changes = breaking_changes(EVENT, published, candidate)

    # then
    assert [str(c) for c in changes] == [
        "shop.orders@OrderPlaced v1: detail.data.channel: REQUIRED_ADDED: new required field"
    ]
    assert_breaks(published, candidate, order_placed_event())


def test_an_optional_field_made_required_is_required_added() -> None:
    # given
    published = order_placed_document()
    candidate = changed(published, require("detail.metadata.causation_id"))

    # when
    changes = breaking_changes(EVENT, published, candidate)

    # then
    assert [str(c) for c in changes] == [
        "shop.orders@OrderPlaced v1: detail.metadata.causation_id: REQUIRED_ADDED: optional field made required"
    ]
    event = order_placed_event()
    del event["detail"]["metadata"]["causation_id"]
    assert_breaks(published, candidate, event)


@dataclass(frozen=True)
class Narrowing:
    published: Schema
    candidate: Schema
    detail: str
    witness: Any


NARROWINGS = {
    "number to integer": Narrowing(
        {"type": "number"}, {"type": "integer"}, "type narrowed from number to integer", 1.5
    ),
    "type list to one": Narrowing(
        {"type": ["string", "integer"]}, {"type": "string"}, "type narrowed from [integer, string] to string", 3
    ),
    "object to string": Narrowing(FREE_FORM, {"type": "string"}, "type narrowed from object to string", {}),
    "array to object": Narrowing(
        {"type": "array", "items": {"type": "string"}}, FREE_FORM, "type narrowed from array to object", []
    ),
    "untyped to typed": Narrowing({}, {"type": "boolean"}, "type narrowed from any type to boolean", "yes"),
    "null dropped from type list": Narrowing(
        {"type": ["string", "null"]},
        {"type": "string"},
        "no longer accepts null (type narrowed from [string, null] to string)",
        None,
    ),
}


@pytest.mark.parametrize("case", NARROWINGS.values(), ids=NARROWINGS.keys())
def test_a_type_no_longer_accepted_is_type_narrowed(case: Narrowing) -> None:
    # given
    published = order_placed_document(weight=case.published)
    candidate = order_placed_document(weight=case.candidate)

    # when
    changes = breaking_changes(EVENT, published, candidate)

    # then
    assert [str(c) for c in changes] == [
        f"shop.orders@OrderPlaced v1: detail.data.weight: TYPE_NARROWED: {case.detail}"
    ]
    assert_breaks(published, candidate, event_with("detail.data.weight", case.witness))


def test_a_nullable_field_no_longer_accepting_null_is_type_narrowed() -> None:
    # given
    published = order_placed_document()
    candidate = changed(
        published, lambda document: schema_at(document, "detail.metadata")["properties"].update(causation_id=IDENTIFIER)
    )

    # when
    changes = breaking_changes(EVENT, published, candidate)

    # then
    assert [str(c) for c in changes] == [
        "shop.orders@OrderPlaced v1: detail.metadata.causation_id: TYPE_NARROWED: "
        "no longer accepts null (type narrowed from [string, null] to string)"
    ]
    assert_breaks(published, candidate, order_placed_event())


def test_a_narrowed_type_at_the_top_of_the_document_names_the_root() -> None:
    # given
    published = {"type": ["object", "array"]}
    candidate = {"type": "object"}

    # when
    changes = breaking_changes(EVENT, published, candidate)

    # then
    assert [str(c) for c in changes] == [
        "shop.orders@OrderPlaced v1: (root): TYPE_NARROWED: type narrowed from [array, object] to object"
    ]


@pytest.mark.parametrize(
    ("candidate_channel", "detail", "witness"),
    [
        ({"type": "string", "enum": ["web", "app"]}, 'enum value "phone" removed', "phone"),
        ({"type": "string", "enum": ["web"]}, 'enum values "app", "phone" removed', "app"),
        ({"type": "string", "const": "web"}, 'enum values "app", "phone" removed', "app"),
    ],
    ids=["one value", "two values", "narrowed to a const"],
)
def test_a_removed_enum_value_is_enum_value_removed(candidate_channel: Schema, detail: str, witness: str) -> None:
    # given
    published = order_placed_document(channel=CHANNEL)
    candidate = order_placed_document(channel=candidate_channel)

    # when
    changes = breaking_changes(EVENT, published, candidate)

    # then
    assert [str(c) for c in changes] == [
        f"shop.orders@OrderPlaced v1: detail.data.channel: ENUM_VALUE_REMOVED: {detail}"
    ]
    # Draft 4 has no `const`; the witness check runs where Draft 4 can read the candidate.
    if "const" not in candidate_channel:
        assert_breaks(published, candidate, event_with("detail.data.channel", witness))


def test_an_enum_where_there_was_none_is_enum_value_removed() -> None:
    # given
    published = order_placed_document()
    candidate = changed(published, set_keywords("detail.data.currency", enum=["EUR", "USD"]))

    # when
    changes = breaking_changes(EVENT, published, candidate)

    # then
    assert [str(c) for c in changes] == [
        "shop.orders@OrderPlaced v1: detail.data.currency: ENUM_VALUE_REMOVED: "
        'enum added where there was none: only "EUR", "USD" accepted'
    ]
    assert_breaks(published, candidate, event_with("detail.data.currency", "GBP"))


@dataclass(frozen=True)
class Tightening:
    path: str
    keywords: dict[str, Any]
    detail: str
    witness: tuple[str, Any]  # an event path and a value the published schema accepts there


TIGHTENINGS = {
    "minLength raised": Tightening(
        "detail.data.customer_id", {"minLength": 3}, "minLength raised from 1 to 3", ("detail.data.customer_id", "c1")
    ),
    "maxLength lowered": Tightening(
        "detail.data.customer_id",
        {"maxLength": 8},
        "maxLength lowered from 128 to 8",
        ("detail.data.customer_id", "c" * 9),
    ),
    "maxLength added": Tightening(
        "detail.data.currency", {"maxLength": 2}, "maxLength 2 added", ("detail.data.currency", "EUR")
    ),
    "minimum raised": Tightening(
        "detail.data.items[].quantity",
        {"minimum": 2},
        "minimum raised from 1 to 2",
        ("detail.data.items.0.quantity", 1),
    ),
    "maximum lowered": Tightening(
        "detail.data.items[].quantity",
        {"maximum": 100},
        "maximum lowered from 10000 to 100",
        ("detail.data.items.0.quantity", 101),
    ),
    "maximum added": Tightening(
        "detail.data.total_cents", {"maximum": 1000}, "maximum 1000 added", ("detail.data.total_cents", 1001)
    ),
    "minimum made exclusive": Tightening(
        "detail.data.total_cents",
        {"exclusiveMinimum": True},
        "minimum raised from 0 to 0 (exclusive)",
        ("detail.data.total_cents", 0),
    ),
    "multipleOf added": Tightening(
        "detail.data.total_cents", {"multipleOf": 5}, "multipleOf 5 added", ("detail.data.total_cents", 2501)
    ),
    "minItems raised": Tightening(
        "detail.data.items",
        {"minItems": 2},
        "minItems raised from 1 to 2",
        ("detail.data.items", [{"sku": "sku-1", "quantity": 1, "unit_price_cents": 1}]),
    ),
    "maxItems lowered": Tightening(
        "detail.data.items",
        {"maxItems": 1},
        "maxItems lowered from 100 to 1",
        ("detail.data.items", [{"sku": "sku-1", "quantity": 1, "unit_price_cents": 1}] * 2),
    ),
    "uniqueItems turned on": Tightening(
        "resources", {"uniqueItems": True}, "uniqueItems turned on", ("resources", ["arn:aws:x", "arn:aws:x"])
    ),
    "pattern added": Tightening(
        "detail.metadata.producer",
        {"pattern": "^[a-z-]+$"},
        'pattern "^[a-z-]+$" added',
        ("detail.metadata.producer", "Orders API"),
    ),
    "pattern changed": Tightening(
        "detail.data.currency",
        {"pattern": "^(EUR|USD)$"},
        'pattern changed from "^[A-Z]{3}$" to "^(EUR|USD)$"',
        ("detail.data.currency", "GBP"),
    ),
    "format added": Tightening(
        "detail.metadata.producer", {"format": "email"}, 'format "email" added', ("detail.metadata.producer", "orders")
    ),
    "additional properties closed": Tightening(
        "(root)",
        {"additionalProperties": False},
        "additionalProperties changed from allowed to false",
        ("replay-name", "nightly-replay"),
    ),
    "maxProperties added": Tightening(
        "(root)", {"maxProperties": 9}, "maxProperties 9 added", ("replay-name", "nightly-replay")
    ),
}


@pytest.mark.parametrize("case", TIGHTENINGS.values(), ids=TIGHTENINGS.keys())
def test_a_tighter_constraint_is_constraint_tightened(case: Tightening) -> None:
    # given
    published = order_placed_document()
    candidate = changed(published, set_keywords(case.path, **case.keywords))

    # when
    changes = breaking_changes(EVENT, published, candidate)

    # then
    assert [str(c) for c in changes] == [
        f"shop.orders@OrderPlaced v1: {case.path}: CONSTRAINT_TIGHTENED: {case.detail}"
    ]
    assert_breaks(published, candidate, event_with(*case.witness))


def test_a_draft_6_exclusive_minimum_is_read_as_a_bound() -> None:
    # given a generator that left pydantic's numeric `exclusiveMinimum` in place
    published = order_placed_document()
    candidate = changed(
        published,
        drop_keyword("detail.data.total_cents", "minimum"),
        set_keywords("detail.data.total_cents", exclusiveMinimum=0),
    )

    # when
    changes = breaking_changes(EVENT, published, candidate)

    # then
    assert found(changes) == [("detail.data.total_cents", CONSTRAINT_TIGHTENED)]
    assert changes[0].detail == "minimum raised from 0 to 0 (exclusive)"


def test_every_rule_has_a_distinct_name() -> None:
    assert len(set(RULES)) == 5
    assert {FIELD_REMOVED, REQUIRED_ADDED, TYPE_NARROWED, ENUM_VALUE_REMOVED, CONSTRAINT_TIGHTENED} == set(RULES)


# ---------------------------------------------------------------------------------------------------------- nested


def test_a_field_removed_inside_array_items_is_named_with_brackets() -> None:
    # given
    published = order_placed_document()
    candidate = changed(published, drop_field("detail.data.items[].unit_price_cents"))

    # when
    changes = breaking_changes(EVENT, published, candidate)

    # then
    assert [str(c) for c in changes] == [
        "shop.orders@OrderPlaced v1: detail.data.items[].unit_price_cents: FIELD_REMOVED: field removed"
    ]
    assert_breaks(published, candidate, order_placed_event())


def test_a_narrowed_type_inside_array_items_is_found() -> None:
    # given
    published = order_placed_document()
    candidate = changed(published, set_keywords("detail.data.items[].sku", type="integer"))

    # when
    changes = breaking_changes(EVENT, published, candidate)

    # then
    assert found(changes) == [("detail.data.items[].sku", TYPE_NARROWED)]
    assert changes[0].detail == "type narrowed from string to integer"


def gift_message(document: Schema, union: str) -> Schema:
    gift = schema_at(document, "detail.data.gift")
    branch: Schema = next(b for b in gift[union] if b.get("type") == "object")
    message: Schema = branch["properties"]["message"]
    return message


@pytest.mark.parametrize("union", ["anyOf", "oneOf"])
def test_a_tightened_field_inside_a_union_branch_is_found(union: str) -> None:
    # given
    gift = {union: GIFT["anyOf"], "default": None}
    published = order_placed_document(gift=gift)
    candidate = changed(
        published,
        lambda document: gift_message(document, union).update(maxLength=50),
        lambda document: schema_at(document, "detail.data.gift")[union].reverse(),
    )

    # when
    changes = breaking_changes(EVENT, published, candidate)

    # then
    assert [str(c) for c in changes] == [
        "shop.orders@OrderPlaced v1: detail.data.gift.message: CONSTRAINT_TIGHTENED: maxLength lowered from 200 to 50"
    ]
    assert_breaks(
        published, candidate, event_with("detail.data.gift", {"message": "Happy birthday! " * 4, "wrapped": True})
    )


def test_a_union_losing_its_null_branch_reports_only_the_lost_null() -> None:
    # given
    published = order_placed_document(gift=GIFT)
    candidate = order_placed_document(gift=GIFT["anyOf"][0])

    # when
    changes = breaking_changes(EVENT, published, candidate)

    # then
    assert found(changes) == [("detail.data.gift", TYPE_NARROWED)]
    assert changes[0].detail == "no longer accepts null (type narrowed from [object, null] to object)"
    assert_breaks(published, candidate, event_with("detail.data.gift", None))


def test_a_field_removed_inside_all_of_is_found() -> None:
    # given
    address = closed_object({"street": NON_EMPTY, "city": NON_EMPTY})
    published = order_placed_document(shipping={"allOf": [address], "description": "Where to ship."})
    candidate = copy.deepcopy(published)
    del schema_at(candidate, "detail.data.shipping")["allOf"][0]["properties"]["city"]

    # when
    changes = breaking_changes(EVENT, published, candidate)

    # then
    assert found(changes) == [("detail.data.shipping.city", FIELD_REMOVED)]


def test_a_narrowed_additional_properties_schema_is_named_with_a_star() -> None:
    # given
    published = order_placed_document(
        attributes={"type": "object", "additionalProperties": {"type": ["string", "integer"]}}
    )
    candidate = order_placed_document(attributes={"type": "object", "additionalProperties": {"type": "string"}})

    # when
    changes = breaking_changes(EVENT, published, candidate)

    # then
    assert [str(c) for c in changes] == [
        "shop.orders@OrderPlaced v1: detail.data.attributes.*: TYPE_NARROWED: "
        "type narrowed from [integer, string] to string"
    ]
    assert_breaks(published, candidate, event_with("detail.data.attributes", {"size": 42}))


def test_declaring_a_typed_field_in_an_open_object_narrows_what_it_accepted() -> None:
    # given a free-form object: published events may already carry `colour` with any value
    published = order_placed_document(attributes=FREE_FORM)
    candidate = changed(published, add_field("detail.data.attributes.colour", {"type": "string"}))

    # when
    changes = breaking_changes(EVENT, published, candidate)

    # then
    assert [str(c) for c in changes] == [
        "shop.orders@OrderPlaced v1: detail.data.attributes.colour: TYPE_NARROWED: "
        "type narrowed from any type to string"
    ]
    assert_breaks(published, candidate, event_with("detail.data.attributes", {"colour": 5}))


# ------------------------------------------------------------------------------------------------------- together


def test_several_breaks_are_reported_together() -> None:
    # given
    published = order_placed_document(channel=CHANNEL)
    candidate = changed(
        published,
        drop_field("detail.data.customer_id"),
        add_field("detail.data.channel", {"type": "string", "enum": ["web", "app"]}),
        set_keywords("detail.data.total_cents", type="string"),
        set_keywords("detail.data.items[].quantity", maximum=10),
        add_field("detail.data.store_id", IDENTIFIER),
        require("detail.data.store_id"),
    )

    # when
    changes = breaking_changes(EVENT, published, candidate)

    # then
    assert sorted(found(changes)) == [
        ("detail.data.channel", ENUM_VALUE_REMOVED),
        ("detail.data.customer_id", FIELD_REMOVED),
        ("detail.data.items[].quantity", CONSTRAINT_TIGHTENED),
        ("detail.data.store_id", REQUIRED_ADDED),
        ("detail.data.total_cents", TYPE_NARROWED),
    ]
    assert all(c.event == EVENT for c in changes)
