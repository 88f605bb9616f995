"""HTTP ingestion, handler called in-process against moto: 202 and on the bus, or a 4xx that names the problem."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from functions.ingest import handler as ingest_handler
from tests.builders import LambdaContext, api_request, sample_data
from tests.integration.conftest import BusTap


@pytest.fixture
def post(bus_tap: BusTap, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("EVENT_BUS_NAME", bus_tap.bus_name)
    monkeypatch.setenv("MAX_EVENTS_PER_REQUEST", "5")
    ingest_handler.settings.cache_clear()
    ingest_handler.publisher.cache_clear()

    def _post(body: str | None) -> tuple[int, dict[str, Any]]:
        response = ingest_handler.handler(api_request(body), LambdaContext())
        return response["statusCode"], json.loads(response["body"])

    yield _post
    ingest_handler.settings.cache_clear()
    ingest_handler.publisher.cache_clear()


def _body(*events: dict[str, Any]) -> str:
    return json.dumps({"events": list(events)})


def order_placed(**overrides: Any) -> dict[str, Any]:
    return {"detail-type": "OrderPlaced", "data": sample_data("OrderPlaced"), **overrides}


def test_valid_events_are_accepted_and_arrive_on_the_bus(post: Any, bus_tap: BusTap) -> None:
    status, body = post(
        _body(
            order_placed(correlation_id="order-1001"),
            {"detail-type": "TicketSubmitted", "data": sample_data("TicketSubmitted")},
        )
    )
    assert status == 202
    assert len(body["event_ids"]) == 2
    delivered = {e["detail"]["metadata"]["event_id"]: e for e in bus_tap.received(expected=2)}
    assert set(delivered) == set(body["event_ids"])
    placed = delivered[body["event_ids"][0]]
    assert placed["source"] == "shop.orders"
    assert placed["detail"]["metadata"]["correlation_id"] == "order-1001"
    assert placed["detail"]["metadata"]["producer"] == "ingest-api"
    # What the producer validated and sent: the sample with the model's defaults filled in.
    assert placed["detail"]["data"] == {
        **sample_data("OrderPlaced"),
        "payment_method": "card",
        "shipping_option": "standard",
    }


@pytest.mark.parametrize(
    ("body", "status", "message", "fields"),
    [
        ('{"events": [', 400, "not valid JSON", []),
        (None, 400, "no body", []),
        ("[1, 2]", 400, "expected shape", ["(root)"]),
        ('{"events": []}', 400, "expected shape", ["events"]),
        (_body({"data": {}}), 400, "expected shape", ["events[0].detail-type"]),
        (
            _body(order_placed(), order_placed(data={**sample_data("OrderPlaced"), "total_cents": "lots"})),
            400,
            "field error",
            ["events[1].data.total_cents"],
        ),
        (
            _body(order_placed(data={"order_id": "o-1"})),
            400,
            "field error",
            [
                "events[0].data.customer_id",
                "events[0].data.items",
                "events[0].data.currency",
                "events[0].data.total_cents",
            ],
        ),
        (_body({"detail-type": "OrderTeleported", "data": {}}), 400, "field error", ["events[0].detail-type"]),
        (_body(order_placed(source="shop.payments")), 400, "field error", ["events[0].source"]),
        (_body(*[order_placed()] * 6), 400, "too many events", ["events"]),
        (_body(order_placed(data={**sample_data("OrderPlaced"), "customer_id": "x" * 300_000})), 413, "limit is", []),
    ],
    ids=[
        "malformed-json",
        "no-body",
        "not-an-object",
        "no-events",
        "missing-detail-type",
        "wrong-type",
        "missing-fields",
        "unknown-detail-type",
        "wrong-source",
        "too-many",
        "oversize",
    ],
)
def test_bad_requests_get_a_4xx_naming_the_problem_and_nothing_is_published(
    post: Any, bus_tap: BusTap, body: str | None, status: int, message: str, fields: list[str]
) -> None:
    got_status, got = post(body)
    assert got_status == status
    assert message in got["message"]
    assert [e["field"] for e in got["errors"]] == fields
    assert all(e["reason"] for e in got["errors"])
    bus_tap.received(expected=0)


@pytest.mark.parametrize(
    "detail_type", ["ApprovalDecided", "AgentTaskCompleted", "DagTaskFinished", "ExecutionResumed", "OrderCompleted"]
)
def test_an_internal_event_type_is_refused_whole_with_403_naming_it(
    post: Any, bus_tap: BusTap, detail_type: str
) -> None:
    # Only the app's own components state these facts: one in a request refuses the whole request, valid or not.
    status, reply = post(_body(order_placed(), {"detail-type": detail_type, "data": sample_data(detail_type)}))
    assert status == 403, reply
    (error,) = reply["errors"]
    assert error["field"] == "events[1].detail-type"
    assert error["reason"].startswith(f"{detail_type} is internal")
    assert "OrderPlaced" in error["reason"]  # what the producer may send instead
    bus_tap.received(expected=0)
