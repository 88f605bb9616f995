"""Fuzzing every handler's parsing: the real handlers, in-process, on moto, with what their callers send made wrong.

- The schema guard (target of the bus's catch-all rule): any event is either valid, or quarantined once with a
  reason that names the field; never an exception (EventBridge would retry it into the guard's DLQ).
- The SQS consumers (agents, callback, correlator deliveries): any message body is processed or reported as that
  message's batch failure; the invocation itself never fails, and a failed message leaves nothing behind (no
  idempotency record, no table item, no event on the bus).
- The functions a workflow invokes (inventory, payments, shipping, triage, synthesis, the correlator's register):
  any payload is answered, or refused with a pydantic ValidationError naming the field (the workflow's Catch sees
  it as the task's error) or one of the errors the state machine routes on; a refused payload writes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyValidationError
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from functions.agents import handler as agents_handler
from functions.callback import handler as callback_handler
from functions.correlator import handler as correlator_handler
from functions.correlator import register as register_handler
from functions.inventory import handler as inventory_handler
from functions.inventory.logic import OutOfStock
from functions.payments import handler as payments_handler
from functions.payments.logic import PaymentDeclined
from functions.schema_guard import handler as guard_handler
from functions.shipping import handler as shipping_handler
from functions.shipping.logic import NoCarrierAvailable
from functions.synthesis import handler as synthesis_handler
from functions.triage import handler as triage_handler
from schemas.catalog import event_types
from tests.builders import LambdaContext, delivered_event, sample_data, sqs_event
from tests.fuzz import strategies as fuzz
from tests.fuzz.conftest import BUS_NAME, SERVICES_TABLE, World, fresh, unprintable_input_tolerated

# What SQS accepts in a message attribute value (the characters XML allows), documented for SendMessage.
SQS_TEXT = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")
ORDER = sample_data("OrderPlaced")
SOURCES = {t.DETAIL_TYPE: t.SOURCE for t in event_types()}
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@pytest.fixture(scope="module", autouse=True)
def handler_caches() -> Iterator[None]:
    yield from fresh(
        guard_handler.quarantine,
        agents_handler.dependencies,
        callback_handler.dependencies,
        correlator_handler.dependencies,
        register_handler.dependencies,
        inventory_handler.dependencies,
        payments_handler.dependencies,
        shipping_handler.dependencies,
        triage_handler.reasoner,
        synthesis_handler.reasoner,
    )


def delivered(detail_type: str) -> dict[str, Any]:
    return delivered_event(detail_type, SOURCES[detail_type])


def events_of(*detail_types: str) -> st.SearchStrategy[Any]:
    """Events as EventBridge delivers them, of these types, broken (or not) in one or two places; or any JSON."""
    return st.one_of(
        *[fuzz.mutated(delivered(t)) for t in detail_types],
        *[st.just(delivered(t)) for t in detail_types],
        fuzz.json_values(),
    )


# -- the schema guard ------------------------------------------------------------------------------------------


def deliverable(event: Any) -> bool:
    """Whether EventBridge could deliver it: at most 256 KiB (PutEvents' limit)."""
    return len(fuzz.body_text(event)) <= 262_144


@given(event=events_of("OrderPlaced", "AgentTaskRequested", "ApprovalDecided", "TicketSubmitted").filter(deliverable))
@example(event=delivered("OrderPlaced"))
# Found by this fuzzer: a detail-type SQS cannot carry in a message attribute (a lone surrogate: UnicodeEncodeError;
# a control character: InvalidParameterValue) failed the guard instead of quarantining the event.
@example(event={**delivered("OrderPlaced"), "detail-type": "\ud800"})
@example(event={**delivered("OrderPlaced"), "detail-type": "Order\x00Placed"})
# and an event with thousands of unknown fields: every field error, twice (reason and errors), made the record more
# than SQS's 1 MiB (InvalidParameterValue: "Message must be shorter than 1048576 bytes").
@example(event=delivered_event("OrderPlaced", "shop.orders", {**ORDER, **{f"k{i}": 0 for i in range(15_000)}}))
# and an event nested about a thousand deep (which Lambda's runtime still parses) failed to encode (RecursionError).
@example(event=delivered_event("OrderPlaced", "shop.orders", {**ORDER, "x": fuzz.nest(990, False)}))
def test_the_schema_guard_passes_or_quarantines_every_event(world: World, event: Any) -> None:
    world.quarantined()
    with unprintable_input_tolerated():
        verdict = guard_handler.handler(event, LambdaContext())
    quarantined = world.quarantined()
    if verdict["valid"]:
        assert quarantined == []
        return
    ((message, attributes),) = quarantined
    assert message["reason"] and message["errors"], message
    assert all(e["field"] and e["reason"] for e in message["errors"]), message["errors"]
    # moto takes any string; SQS refuses a message attribute with characters outside what XML allows.
    assert all(SQS_TEXT.fullmatch(value) for value in attributes.values()), attributes


# -- the SQS consumers -----------------------------------------------------------------------------------------


def bodies_of(*detail_types: str) -> st.SearchStrategy[str]:
    return st.one_of(st.text(max_size=30), st.builds(fuzz.body_text, events_of(*detail_types)))


def consume(world: World, handler: Handler, body: str) -> None:
    """The property of a consumer: an answer, never a failed invocation; a failed message leaves nothing behind."""
    world.tap.received()
    tables = world.tables()
    with unprintable_input_tolerated():
        answer = handler(sqs_event([body]), LambdaContext())
    failed = [f["itemIdentifier"] for f in answer["batchItemFailures"]]
    assert failed in ([], ["m-0"]), answer
    if failed:
        assert world.tables() == tables, "a failed message left items behind"
        assert world.tap.received() == [], "a failed message put events on the bus"


@given(body=bodies_of("AgentTaskRequested"))
@example(body=json.dumps(delivered("AgentTaskRequested")))
def test_the_agents_consumer(world: World, body: str) -> None:
    consume(world, agents_handler.handler, body)


@given(body=bodies_of("AgentTaskCompleted", "AgentTaskFailed"))
@example(body=json.dumps(delivered("AgentTaskCompleted")))
def test_the_callback_consumer(world: World, body: str) -> None:
    consume(world, callback_handler.handler, body)


@given(body=bodies_of("ApprovalDecided"))
@example(body=json.dumps(delivered("ApprovalDecided")))
def test_the_correlator_consumer(world: World, body: str) -> None:
    consume(world, correlator_handler.handler, body)


# -- the functions a workflow invokes --------------------------------------------------------------------------

SAGA = {"saga_key": "saga-1", "correlation_id": "order-1001"}
TICKET = sample_data("TicketSubmitted")
REQUESTS: dict[str, tuple[Handler, list[dict[str, Any]]]] = {
    "inventory": (
        inventory_handler.handler,
        [
            {"action": "reserve", "idempotency_key": "saga-1:reserve", "order": ORDER, **SAGA},
            {"action": "release", "idempotency_key": "saga-1:release", **SAGA},
        ],
    ),
    "payments": (
        payments_handler.handler,
        [
            {"action": "charge", "idempotency_key": "saga-1:charge", "order": ORDER, **SAGA},
            {"action": "refund", "idempotency_key": "saga-1:refund", **SAGA},
        ],
    ),
    "shipping": (
        shipping_handler.handler,
        [{"action": "arrange", "idempotency_key": "saga-1:arrange", "order": ORDER, **SAGA}],
    ),
    "triage": (triage_handler.handler, [{"ticket": TICKET}]),
    "synthesis": (
        synthesis_handler.handler,
        [
            {
                "ticket": TICKET,
                "results": [
                    {"agent": "billing", "status": "succeeded", "output": {"agent": "billing", "summary": "Refunded."}},
                    {"agent": "account", "status": "timed_out", "error": "States.Timeout"},
                ],
            }
        ],
    ),
    "register": (
        register_handler.handler,
        [
            {
                "message_name": "ApprovalDecided",
                "correlation_key": "appr-1",
                "waiter_id": "exec-1:AwaitApproval:1",
                "task_token": "token-1",
                "timeout_seconds": 60,
            }
        ],
    ),
}
# Found by this fuzzer: an empty idempotency key reached Powertools, whose IdempotencyKeyError ("No data found to
# create a hashed idempotency_key") names no field; now the request model refuses it.
PINNED: dict[str, list[dict[str, Any]]] = {
    function: [{**request, "idempotency_key": ""} for request in REQUESTS[function][1]]
    for function in ("inventory", "payments", "shipping")
}
# What a state machine routes on by name (its Catch / Retry), besides a refused payload.
ROUTED_ERRORS = (OutOfStock, PaymentDeclined, NoCarrierAvailable, IdempotencyValidationError)


def payloads(function: str) -> st.SearchStrategy[Any]:
    valid = REQUESTS[function][1]
    return st.one_of(*[fuzz.mutated(request, max_mutations=3) for request in valid], fuzz.json_values())


def invoke(world: World, function: str, payload: Any) -> None:
    """The property of an invoked function: an answer, or a refusal by field that wrote nothing."""
    handler = REQUESTS[function][0]
    tables = world.tables()
    try:
        with unprintable_input_tolerated():
            answer = handler(payload, LambdaContext())
    except ValidationError as error:
        assert error.errors(), error
        assert world.tables() == tables, "a refused payload left items behind"
        return
    except ROUTED_ERRORS:
        return
    except ValueError as error:  # the register's own check of message_name, which names it
        assert str(error).startswith("message_name:"), error
        assert world.tables() == tables
        return
    json.dumps(answer)  # what the workflow gets must be JSON


@pytest.mark.parametrize("function", sorted(REQUESTS))
def test_an_invoked_function_answers_or_refuses_by_field(world: World, function: str) -> None:
    @given(payload=payloads(function))
    def fuzz_one(payload: Any) -> None:
        invoke(world, function, payload)

    for pinned in [*REQUESTS[function][1], *PINNED.get(function, [])]:
        invoke(world, function, pinned)
    fuzz_one()


# -- the checks can fail -----------------------------------------------------------------------------------------


def _half_writing_consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A consumer that puts an event on the bus, then reports its message failed."""
    boto3.client("events").put_events(
        Entries=[{"Source": "shop.orders", "DetailType": "OrderPlaced", "Detail": "{}", "EventBusName": BUS_NAME}]
    )
    return {"batchItemFailures": [{"itemIdentifier": "m-0"}]}


def _half_writing_function(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """An invoked function that stores a record, then refuses its payload."""
    boto3.client("dynamodb").put_item(TableName=SERVICES_TABLE, Item={"pk": {"S": "half-written"}})
    raise ValidationError.from_exception_data("Request", [{"type": "missing", "loc": ("order",), "input": {}}])


def test_the_consumer_check_fails_on_a_failed_message_that_wrote(world: World) -> None:
    with pytest.raises(AssertionError, match="put events on the bus"):
        consume(world, _half_writing_consumer, "{}")


def test_the_invoked_check_fails_on_a_refusal_that_wrote(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(REQUESTS, "half-writing", (_half_writing_function, []))
    with pytest.raises(AssertionError, match="left items behind"):
        invoke(world, "half-writing", {})
