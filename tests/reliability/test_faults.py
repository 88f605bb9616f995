"""Each kind of injected fault on its own, on the real app: it happens, and the app's own retries, compensations,
idempotency and dead-letter handling absorb it (orchestrator/local/faults.py)."""

from __future__ import annotations

import json
from typing import Any

from orchestrator.local.cloud import LocalCloud
from orchestrator.local.faults import (
    CRASHED,
    Faults,
    crash_handler,
    delay_events,
    duplicate_events,
    duplicate_messages,
    fail_handler,
    throttle_dynamodb,
    throttle_lambda,
    throttle_put_events,
    time_out,
)
from schemas.agents import ApprovalDecided
from schemas.orders import OrderPlaced
from schemas.support import TicketSubmitted
from tests.builders import sample_data, ticket
from tests.reliability.conftest import StartCloud, injected
from tests.workflows.conftest import Tap, business_path
from tests.workflows.test_order_saga import SUCCESS_PATH, service_table

ORDER_ID = "order-1001"
TICKET_ID = "ticket-2001"


class Order:
    """One order placed on the bus and run to its end (the clock moved through every retry)."""

    def __init__(self, cloud: LocalCloud, **changes: Any) -> None:
        self.tap = Tap(cloud, cloud.bus_name, {"source": ["shop.orders"]}, "test-orders-tap")
        cloud.put_event(OrderPlaced.model_validate({**sample_data("OrderPlaced"), **changes}), correlation_id=ORDER_ID)
        cloud.wait_until_quiet(advance_clock=True)
        machine = cloud.physical_id("AWS::StepFunctions::StateMachine", "OrderSaga")
        self.executions = cloud.executions(machine)
        self.paths = [[v.name for v in business_path(cloud, e["executionArn"])] for e in self.executions]
        self.histories = [cloud.history(e["executionArn"]) for e in self.executions]
        self.events = [e for e in self.tap.events() if e["detail-type"] != "OrderPlaced"]
        # The services' records; the sandbox gateway's ledger (`money#...`) is `balance`.
        tables = {s: service_table(cloud, s) for s in ("Inventory", "Payments", "Shipping")}
        self.tables = {s: {k: i for k, i in t.items() if not k.startswith("money#")} for s, t in tables.items()}
        ledger = {k: int(i["amount_cents"]) for k, i in tables["Payments"].items() if k.startswith("money#")}
        self.balance = sum(v if k.startswith("money#charged#") else -v for k, v in ledger.items())

    def failed_attempts(self, state: str) -> list[str]:
        """The errors of the state's failed task attempts, over every execution, in order."""
        errors = []
        for history in self.histories:
            current = ""
            for event in sorted(history, key=lambda e: int(e["id"])):
                current = event.get("stateEnteredEventDetails", {}).get("name", current)
                if event["type"] == "TaskFailed" and current == state:
                    errors.append(event["taskFailedEventDetails"]["error"])
        return errors

    def emitted(self, detail_type: str) -> list[dict[str, Any]]:
        return [e["detail"]["data"] for e in self.events if e["detail-type"] == detail_type]

    def statuses(self) -> dict[str, list[str]]:
        return {service: sorted(str(i["status"]) for i in items.values()) for service, items in self.tables.items()}


def assert_completed_once(order: Order) -> None:
    """One saga did the work and completed; every record written once; one OrderCompleted."""
    assert [p for p in order.paths if p[-1] != "Duplicate"] == [SUCCESS_PATH]
    assert order.statuses() == {"Inventory": ["RESERVED"], "Payments": ["CHARGED"], "Shipping": ["ARRANGED"]}
    (completed,) = order.emitted("OrderCompleted")
    (payment,) = order.tables["Payments"].values()
    assert completed["payment_id"] == payment["payment_id"]
    assert order.balance == sample_data("OrderPlaced")["total_cents"], "the gateway charged the customer once"


def test_a_handler_that_fails_once_before_running_is_retried_by_the_saga(cloud_with: StartCloud) -> None:
    cloud = cloud_with(fail_handler("Inventory", error="InventoryUnavailable", calls=[1]))

    order = Order(cloud)

    assert order.failed_attempts("ReserveInventory") == ["InventoryUnavailable"]
    assert_completed_once(order)
    assert [(i.kind, i.attempt) for i in injected(cloud)] == [("handler_error", 1)]


def test_a_lambda_timed_out_mid_flight_after_charging_is_retried_and_charges_once(cloud_with: StartCloud) -> None:
    cloud = cloud_with(time_out("Payments", calls=[1]))

    order = Order(cloud)

    # The first charge ran to its end (the payment was stored) and its answer was lost: the retry got the stored one.
    assert order.failed_attempts("ChargePayment") == ["Sandbox.Timedout"]
    assert_completed_once(order)
    charges = [i for i in cloud.lambdas.invocations if "Payments" in i.function_name]
    assert [i.error_type for i in charges] == ["Sandbox.Timedout", None]


def test_an_admission_timed_out_after_claiming_is_retried_and_the_order_completes_once(cloud_with: StartCloud) -> None:
    # The claim was written and the answer lost: Begin retries Sandbox.Timedout, and the retry finds the execution's
    # own claim (a full soak once failed an order in Begin on an admission that overran its timeout).
    cloud = cloud_with(time_out("Admission", calls=[1]))

    order = Order(cloud)

    assert order.failed_attempts("Begin") == ["Sandbox.Timedout"]
    assert_completed_once(order)


def test_a_permanent_handler_failure_exhausts_the_retries_and_compensates(cloud_with: StartCloud) -> None:
    cloud = cloud_with(fail_handler("Shipping", error="ShippingUnavailable", times=None))

    order = Order(cloud)

    assert order.failed_attempts("ArrangeShipping") == ["ShippingUnavailable"] * 4  # 1 + dev's 3 transient retries
    assert order.statuses() == {"Inventory": ["RELEASED"], "Payments": ["REFUNDED"], "Shipping": []}
    (cancelled,) = order.emitted("OrderCancelled")
    assert cancelled["failed_step"] == "shipping" and cancelled["reason"].startswith("ShippingUnavailable")
    assert cancelled["compensated_steps"] == ["payment", "inventory"]


def test_a_throttled_lambda_invoke_is_retried_by_the_saga(cloud_with: StartCloud) -> None:
    cloud = cloud_with(throttle_lambda("Inventory", calls=[1]))

    order = Order(cloud)

    assert order.failed_attempts("ReserveInventory") == ["Lambda.TooManyRequestsException"]
    assert_completed_once(order)
    reserves = [i for i in cloud.lambdas.invocations if "Inventory" in i.function_name]
    assert len(reserves) == 1, "the throttled call never reached the handler"


def test_put_events_throttles_some_entries_of_a_call_and_puts_the_others(cloud_with: StartCloud) -> None:
    cloud = cloud_with(throttle_put_events("Probe", calls=[2]))
    tap = Tap(cloud, cloud.bus_name, {"source": ["soak.test"]}, "test-probe-tap")
    entries = [
        {"EventBusName": cloud.bus_name, "Source": "soak.test", "DetailType": "Probe", "Detail": json.dumps({"n": n})}
        for n in range(3)
    ]

    answer = cloud.client("events").put_events(Entries=entries)

    assert answer["FailedEntryCount"] == 1
    assert [e.get("ErrorCode") for e in answer["Entries"]] == [None, "ThrottlingException", None]
    assert all("EventId" in e for i, e in enumerate(answer["Entries"]) if i != 1)
    cloud.wait_until_quiet()
    assert sorted(e["detail"]["n"] for e in tap.events()) == [0, 2]


def test_a_throttled_put_events_task_is_retried_and_the_event_published_once(cloud_with: StartCloud) -> None:
    cloud = cloud_with(throttle_put_events("OrderCompleted", calls=[1]))

    order = Order(cloud)

    assert order.failed_attempts("PublishCompleted") == ["EventBridge.FailedEntry"]
    assert_completed_once(order)


def test_a_producer_whose_put_is_throttled_retries_it_and_the_order_is_placed_once(cloud_with: StartCloud) -> None:
    cloud = cloud_with(throttle_put_events("OrderPlaced", calls=[1]))

    order = Order(cloud)  # put through the producer library, which retries a throttled entry

    assert [(i.kind, i.site) for i in injected(cloud)] == [("put_events_throttle", "OrderPlaced")]
    assert len(order.executions) == 1
    assert_completed_once(order)


def test_a_throttled_claim_is_retried_by_the_saga(cloud_with: StartCloud) -> None:
    cloud = cloud_with(throttle_dynamodb("Idempotency", calls=[1]))

    order = Order(cloud)

    # Admission's claim transaction throttled: its error, which the Begin state retries.
    assert order.failed_attempts("Begin") == ["ClaimsUnavailable"]
    assert_completed_once(order)


def test_a_charge_whose_answer_is_lost_lambda_unknown_is_retried_and_charges_once(cloud_with: StartCloud) -> None:
    # The platform's own failure (the function ran, charged and recorded, its answer was lost): Lambda.Unknown is
    # retried, and the retry gets the stored answer; nothing is charged twice and nothing is compensated.
    cloud = cloud_with(fail_handler("Payments", error="Lambda.Unknown", phase="after", calls=[1]))

    order = Order(cloud)

    assert order.failed_attempts("ChargePayment") == ["Lambda.Unknown"]
    assert_completed_once(order)


def test_a_charge_killed_between_the_gateway_and_its_record_ends_refunded(cloud_with: StartCloud) -> None:
    # The process dies after the gateway took the money and before the payment is recorded CHARGED (its first
    # update_item of the payments table): the record says PENDING. Not retried (Runtime.ExitError); the saga
    # compensates, and the refund of a PENDING charge asks the gateway, which took it: the customer is paid back.
    cloud = cloud_with(crash_handler("Payments", at="update_item PaymentsTable", calls=[1]))

    order = Order(cloud)

    assert order.failed_attempts("ChargePayment") == [CRASHED]
    (crash,) = injected(cloud)
    assert crash.kind == "handler_crash" and "/update_item " in crash.key
    assert order.statuses() == {"Inventory": ["RELEASED"], "Payments": ["REFUNDED"], "Shipping": []}
    assert order.balance == 0, "charged by the gateway, then refunded: the ledger balances"
    (cancelled,) = order.emitted("OrderCancelled")
    assert cancelled["failed_step"] == "payment" and cancelled["compensated_steps"] == ["payment", "inventory"]


def test_a_failed_escalation_still_releases_the_inventory(cloud_with: StartCloud) -> None:
    # The refund fails every retry, and the escalation of it cannot be put either: the saga goes on undoing.
    cloud = cloud_with(throttle_put_events("OrderCompensationEscalated", times=None))

    order = Order(cloud, payment_method="refund-broken", shipping_option="no-carrier")

    (path,) = order.paths
    assert path[path.index("RefundPayment") :] == [
        "RefundPayment", "EscalateRefund", "ReleaseInventory", "Cancel", "PublishCancelled", "CountCancelled",
        "EverythingUndone", "CompensationEscalated",
    ]  # fmt: skip
    assert order.failed_attempts("EscalateRefund") == ["EventBridge.FailedEntry"] * 6  # 1 + its 5 retries
    assert order.statuses()["Inventory"] == ["RELEASED"]
    assert order.executions[0]["status"] == "FAILED", "failed and alarmed: a person must refund by hand"
    assert order.balance == sample_data("OrderPlaced")["total_cents"], "still charged: the escalation says so"


def test_an_order_delivered_twice_to_the_saga_is_done_once(cloud_with: StartCloud) -> None:
    cloud = cloud_with(duplicate_events("OrderSaga"))

    order = Order(cloud)

    assert sorted(p[-1] for p in order.paths) == ["Completed", "Duplicate"]
    assert_completed_once(order)


def run_ticket(cloud: LocalCloud) -> tuple[Tap, dict[str, Any]]:
    """A ticket and its approval (put right after it), run to the end; the bus tap and the one execution."""
    tap = Tap(cloud, cloud.bus_name, {"detail-type": ["TicketResolved", "TicketEscalated"]}, "test-outcomes")
    cloud.put_event(TicketSubmitted.model_validate(ticket(TICKET_ID)))
    decision = {"approval_id": TICKET_ID, "decision": "approved", "decided_by": "lead@example.com", "comment": "ok"}
    cloud.put_event(ApprovalDecided.model_validate(decision), correlation_id=TICKET_ID)
    cloud.wait_until_quiet(advance_clock=True)
    (execution,) = cloud.executions(cloud.physical_id("AWS::StepFunctions::StateMachine", "AgentPipeline"))
    return tap, execution


def test_sqs_messages_received_twice_resume_the_pipeline_once(cloud_with: StartCloud) -> None:
    cloud = cloud_with(duplicate_messages())

    tap, execution = run_ticket(cloud)

    assert execution["status"] == "SUCCEEDED"
    assert [e["detail-type"] for e in tap.events()] == ["TicketResolved"]
    processed = [m for r in cloud.pollers.records for m in r.message_ids]
    twice = {m for m in processed if processed.count(m) == 2}
    assert twice and twice == {i.key.rsplit("/", 1)[1] for i in injected(cloud)}
    assert all(processed.count(m) <= 2 for m in processed)


def test_a_decision_overtaking_its_ticket_is_buffered_then_resumes_the_pipeline(cloud_with: StartCloud) -> None:
    cloud = cloud_with(delay_events("AgentPipeline", delay=600.0))

    tap, execution = run_ticket(cloud)

    assert execution["status"] == "SUCCEEDED"
    assert [e["detail-type"] for e in tap.events()] == ["TicketResolved"]
    control = cloud.physical_id("AWS::DynamoDB::Table", "WorkflowControl")
    (message,) = cloud.table_items(control)
    assert message["sk"]["S"].startswith("message#") and "matched" in message
    (delayed,) = injected(cloud)
    assert delayed.kind == "event_delay"


def test_the_same_seed_hits_the_same_calls_whatever_their_order() -> None:
    ids = [f"m-{n}" for n in range(200)]

    def hits(seed: int, order: list[str]) -> set[str]:
        return Faults(seed, [duplicate_messages(rate=0.3)]).undeleted("arn:aws:sqs:::q", order)

    first = hits(7, ids)
    assert first == hits(7, list(reversed(ids))), "same seed, same calls, in any order"
    assert first != hits(8, ids)
    assert 40 <= len(first) <= 80, "about the rate"


def test_without_faults_nothing_is_patched_and_with_them_only_while_running(
    assembly_dir: Any, aws_credentials: None
) -> None:
    from moto.events.models import EventsBackend

    original = EventsBackend.put_events
    with LocalCloud.from_assembly(assembly_dir) as cloud:
        assert cloud.runtime.faults is None
        assert EventsBackend.put_events is original
    with LocalCloud.from_assembly(assembly_dir, faults=Faults(7, [throttle_put_events(rate=0.0)])):
        assert EventsBackend.put_events is not original
    assert EventsBackend.put_events is original
