"""Event contracts: models round-trip, registry documents are current and accept real events, break on bad ones."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
from jsonschema import Draft4Validator

from schemas.catalog import event_type_for, event_types
from schemas.compatibility import FIELD_REMOVED, REQUIRED_ADDED
from schemas.envelope import EventData, EventDetail
from schemas.orders import OrderItem
from schemas.registry import document_path, problems, registry_document
from schemas.validation import EventValidationError, validate_data, validate_detail
from tests.builders import delivered_event, sample_data, sample_event

DETAIL_TYPES = [t.DETAIL_TYPE for t in event_types()]


def _validator(event_type: type[EventData]) -> Draft4Validator:
    document = json.loads(document_path(event_type).read_text(encoding="utf-8"))
    Draft4Validator.check_schema(document)
    return Draft4Validator(document)


def test_the_catalog_has_the_saga_agent_protocol_and_support_events() -> None:
    assert set(DETAIL_TYPES) == {
        "OrderPlaced", "InventoryReserved", "PaymentCharged", "OrderShipped", "OrderCompleted", "OrderCancelled",
        "OrderCompensationEscalated",
        "AgentTaskRequested", "AgentTaskCompleted", "AgentTaskFailed", "ApprovalRequested", "ApprovalDecided",
        "WorkflowStatusChanged", "TicketSubmitted", "TicketResolved", "TicketReplyRejected", "TicketEscalated",
        "BreakerStateChanged", "ExecutionPaused", "ExecutionResumed", "DagTaskFinished", "CustomerSignedUp",
    }  # fmt: skip


@pytest.mark.parametrize("detail_type", DETAIL_TYPES)
def test_each_model_round_trips_through_json(detail_type: str) -> None:
    event_type = event_type_for(detail_type)
    model = event_type.model_validate(sample_data(detail_type))
    assert event_type.model_validate_json(model.model_dump_json()) == model
    detail = EventDetail[event_type].model_validate(delivered_event(detail_type, event_type.SOURCE)["detail"])  # type: ignore[valid-type]
    assert EventDetail[event_type].model_validate_json(detail.model_dump_json()) == detail  # type: ignore[valid-type]


def test_committed_registry_documents_are_current_and_compatible() -> None:
    breaking, stale = problems()
    assert breaking == []
    assert stale == [], "run `make schemas` and commit schemas/registry"


@pytest.mark.parametrize("detail_type", DETAIL_TYPES)
def test_registry_document_accepts_a_delivered_event(detail_type: str) -> None:
    event_type = event_type_for(detail_type)
    errors = list(_validator(event_type).iter_errors(delivered_event(detail_type, event_type.SOURCE)))
    assert errors == []


def test_registry_document_accepts_the_recorded_sample_event() -> None:
    event = sample_event("order_placed")
    assert list(_validator(event_type_for("OrderPlaced")).iter_errors(event)) == []
    assert (
        validate_detail(event["detail-type"], event["detail"], event["source"]).metadata.correlation_id == "order-1001"
    )


@pytest.mark.parametrize(
    ("breakage", "expected_path"),
    [
        (lambda e: e["detail"]["data"].pop("customer_id"), ["detail", "data"]),
        (lambda e: e["detail"]["data"]["items"][0].update(quantity="two"), ["detail", "data", "items", 0, "quantity"]),
        (lambda e: e["detail"]["data"].update(currency="euro"), ["detail", "data", "currency"]),
        (lambda e: e["detail"]["metadata"].update(schema_version=2), ["detail", "metadata", "schema_version"]),
        (lambda e: e.update(source="someone.else"), ["source"]),
        (lambda e: e["detail"].pop("metadata"), ["detail"]),
        (lambda e: e["detail"]["data"].update(surprise=True), ["detail", "data"]),
    ],
    ids=["missing-field", "wrong-type", "bad-pattern", "other-version", "wrong-source", "no-metadata", "extra-field"],
)
def test_registry_document_rejects_a_broken_event(breakage: Any, expected_path: list[Any]) -> None:
    event = sample_event("order_placed")
    breakage(event)
    errors = list(_validator(event_type_for("OrderPlaced")).iter_errors(event))
    assert [list(e.absolute_path) for e in errors] == [expected_path]


def test_registry_document_is_draft4_with_no_references() -> None:
    for event_type in event_types():
        text = json.dumps(registry_document(event_type))
        assert '"$ref"' not in text and '"$defs"' not in text and '"const"' not in text
        assert registry_document(event_type)["$schema"] == "http://json-schema.org/draft-04/schema#"


def test_validation_errors_name_the_event_the_field_and_the_reason() -> None:
    data = sample_data("OrderPlaced")
    data["items"][0]["quantity"] = 0
    del data["customer_id"]
    with pytest.raises(EventValidationError) as caught:
        validate_data("OrderPlaced", data)
    assert {(e.detail_type, e.field) for e in caught.value.errors} == {
        ("OrderPlaced", "data.items[0].quantity"),
        ("OrderPlaced", "data.customer_id"),
    }
    assert "greater than or equal to 1" in str(caught.value)


def test_unknown_detail_type_and_wrong_source_are_named() -> None:
    with pytest.raises(EventValidationError, match="unknown detail-type 'OrderTeleported'"):
        validate_data("OrderTeleported", {})
    with pytest.raises(EventValidationError) as caught:
        validate_data("OrderPlaced", sample_data("OrderPlaced"), source="shop.payments")
    assert caught.value.errors[0].field == "source"


class _OrderPlacedWithoutCustomer(EventData):
    """OrderPlaced v1 as a careless change would make it: a field removed, a new required one."""

    DETAIL_TYPE: ClassVar[str] = "OrderPlaced"
    SOURCE: ClassVar[str] = "shop.orders"
    DESCRIPTION: ClassVar[str] = "A customer placed an order; starts the order saga."

    order_id: str
    items: list[OrderItem]
    currency: str
    total_cents: int
    channel: str


def test_a_breaking_change_without_a_new_version_is_caught_against_the_published_document() -> None:
    breaking, _ = problems([_OrderPlacedWithoutCustomer])
    found = {(c.path, c.rule) for c in breaking}
    assert ("detail.data.customer_id", FIELD_REMOVED) in found
    assert ("detail.data.channel", REQUIRED_ADDED) in found
    assert all(str(c).startswith("shop.orders@OrderPlaced v1: ") for c in breaking)


def test_the_same_change_under_a_new_version_is_a_new_document() -> None:
    class _OrderPlacedV2(_OrderPlacedWithoutCustomer):
        SCHEMA_VERSION: ClassVar[int] = 2

    breaking, stale = problems([_OrderPlacedV2])
    assert breaking == []
    assert stale == ["registry/shop.orders@OrderPlaced/v2.json is missing"]
