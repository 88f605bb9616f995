"""PutEvents authorized per entry (orchestrator/local/iam/put_events.py): which entries EventBridge refuses alone,
with which error code, and when the whole call is refused instead."""

from __future__ import annotations

from typing import Any

from orchestrator.local.iam.evaluation import Request, parse_policy
from orchestrator.local.iam.put_events import (
    NOT_AUTHORIZED_FOR_DETAIL_TYPE,
    NOT_AUTHORIZED_FOR_SOURCE,
    entry_refusal,
    may_put_on_bus,
)

PRINCIPAL = "arn:aws:sts::123456789012:assumed-role/Ingest/ingest"
BUS = "arn:aws:events:us-east-1:123456789012:event-bus/orchestrator-dev"


def statements(*raw: dict[str, Any]) -> Any:
    return parse_policy({"Version": "2012-10-17", "Statement": list(raw)})


def put(source: str, detail_types: list[str], effect: str = "Allow") -> dict[str, Any]:
    condition = {"StringEquals": {"events:source": source, "events:detail-type": detail_types}}
    return {"Effect": effect, "Action": "events:PutEvents", "Resource": BUS, "Condition": condition}


def entry(source: str, detail_type: str) -> Request:
    return Request(PRINCIPAL, "events:PutEvents", BUS, {"events:source": source, "events:detail-type": detail_type})


GRANTS = statements(put("shop.orders", ["OrderPlaced"]), put("support.tickets", ["TicketSubmitted"]))


def test_a_principal_with_a_conditioned_grant_may_put_on_the_bus() -> None:
    assert may_put_on_bus(PRINCIPAL, BUS, GRANTS)


def test_a_principal_without_any_grant_on_the_bus_is_refused_the_call() -> None:
    assert not may_put_on_bus(PRINCIPAL, BUS, statements())
    other_bus = {"Effect": "Allow", "Action": "events:PutEvents", "Resource": BUS + "-other"}
    assert not may_put_on_bus(PRINCIPAL, BUS, statements(other_bus))


def test_an_unconditioned_deny_refuses_the_call_but_a_deny_on_one_type_does_not() -> None:
    everything = {"Effect": "Deny", "Action": "events:PutEvents", "Resource": "*"}
    assert not may_put_on_bus(PRINCIPAL, BUS, statements(put("shop.orders", ["OrderPlaced"]), everything))
    one_type = put("shop.orders", ["OrderCancelled"], effect="Deny")
    assert may_put_on_bus(PRINCIPAL, BUS, statements(put("shop.orders", ["OrderPlaced"]), one_type))


def test_an_entry_of_a_source_no_statement_allows_fails_for_its_source() -> None:
    assert entry_refusal(entry("orchestrator.approvals", "ApprovalDecided"), GRANTS) == NOT_AUTHORIZED_FOR_SOURCE


def test_an_entry_of_an_allowed_source_but_another_detail_type_fails_for_its_detail_type() -> None:
    # shop.orders is allowed, but only for OrderPlaced.
    assert entry_refusal(entry("shop.orders", "OrderCompleted"), GRANTS) == NOT_AUTHORIZED_FOR_DETAIL_TYPE
    # The types of the other source's statement do not make it allowed: the statements are per source.
    assert entry_refusal(entry("shop.orders", "TicketSubmitted"), GRANTS) == NOT_AUTHORIZED_FOR_DETAIL_TYPE
