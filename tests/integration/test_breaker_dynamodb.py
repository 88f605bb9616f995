"""The circuit breaker on DynamoDB (moto): the same semantics through the real adapter, and one probe under load."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.breaker import BreakerOpen, CircuitBreaker
from functions.breaker.dynamodb import DynamoDBBreakerStore
from orchestrator.local.clock import Clock
from orchestrator.local.dynamodb import AtomicWrites
from tests.unit.test_breaker import SETTINGS, T0, Downstream, DownstreamDown, RecordingListener

TABLE = "CircuitBreakers"
BREAKER = "support-model"

MakeBreaker = Callable[[], CircuitBreaker]


@pytest.fixture
def atomic_moto_writes() -> Iterator[None]:
    """DynamoDB checks a condition and writes the item as one step; moto does not (see orchestrator.local.dynamodb),
    so without the local runtime's lock the single-probe test could fail because of moto."""
    writes = AtomicWrites()
    writes.install()
    yield
    writes.uninstall()


@pytest.fixture
def clock() -> Clock:
    return Clock(now=lambda: T0)


@pytest.fixture
def listener() -> RecordingListener:
    return RecordingListener()


@pytest.fixture
def table(aws_credentials: None, atomic_moto_writes: None) -> Iterator[Any]:
    """The CircuitBreakers table with the State stack's key schema."""
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "breaker_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "breaker_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield boto3.resource("dynamodb").Table(TABLE)


@pytest.fixture
def make_breaker(table: Any, clock: Clock, listener: RecordingListener) -> MakeBreaker:
    """A breaker with its own session and table resource, as each Lambda instance has (resources are per thread)."""

    def make() -> CircuitBreaker:
        own_table = boto3.session.Session().resource("dynamodb").Table(TABLE)
        return CircuitBreaker(BREAKER, DynamoDBBreakerStore(own_table), SETTINGS, clock=clock, listener=listener)

    return make


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        with pytest.raises(DownstreamDown):
            breaker.call(Downstream(failing=True))


def stored(table: Any) -> dict[str, Any]:
    item: dict[str, Any] = table.get_item(Key={"breaker_id": BREAKER}, ConsistentRead=True)["Item"]
    return item


def test_opens_exactly_at_the_threshold(make_breaker: MakeBreaker, table: Any, listener: RecordingListener) -> None:
    breaker = make_breaker()

    fail(breaker, 2)
    closed = stored(table)
    assert (closed["state"], closed["version"], closed["failures"]) == ("CLOSED", 2, [T0 * 1000, T0 * 1000])

    fail(breaker, 1)

    opened = stored(table)
    assert (opened["state"], opened["version"], opened["opened_at"]) == ("OPEN", 3, T0 * 1000)
    assert "failures" not in opened
    assert listener.path() == ["CLOSED->OPEN"]


def test_no_downstream_call_while_open(make_breaker: MakeBreaker, clock: Clock) -> None:
    breaker = make_breaker()
    fail(breaker, 3)
    clock.advance(SETTINGS.breaker_cooldown_seconds - 1)
    downstream = Downstream()

    assert make_breaker().call(downstream, fallback=lambda: "fallback") == "fallback"
    with pytest.raises(BreakerOpen):
        make_breaker().call(downstream)

    assert downstream.calls == 0


def test_failures_outside_the_window_do_not_count(make_breaker: MakeBreaker, table: Any, clock: Clock) -> None:
    breaker = make_breaker()
    fail(breaker, 2)
    clock.advance(SETTINGS.breaker_window_seconds)

    fail(breaker, 2)
    assert stored(table)["state"] == "CLOSED"

    fail(breaker, 1)
    assert stored(table)["state"] == "OPEN"


def test_a_single_probe_under_concurrent_callers(
    make_breaker: MakeBreaker, table: Any, clock: Clock, listener: RecordingListener
) -> None:
    fail(make_breaker(), 3)
    clock.advance(SETTINGS.breaker_cooldown_seconds)
    callers = [make_breaker() for _ in range(10)]
    start = threading.Barrier(len(callers))
    fallbacks: list[str] = []
    everyone_else_refused = threading.Event()

    def fallback() -> str:
        fallbacks.append("fallback")
        if len(fallbacks) == len(callers) - 1:
            everyone_else_refused.set()
        return "fallback"

    # The probe holds the breaker HALF_OPEN until the others are refused: a probe that closed it at once would let
    # late callers through legitimately. The timeout only bounds a broken run (two probes never see 9 fallbacks).
    downstream = Downstream(during_call=lambda: everyone_else_refused.wait(timeout=10))
    answers: list[str] = []

    def caller(breaker: CircuitBreaker) -> None:
        start.wait()
        answers.append(breaker.call(downstream, fallback=fallback))

    threads = [threading.Thread(target=caller, args=(breaker,)) for breaker in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert downstream.calls == 1
    assert sorted(answers) == ["fallback"] * 9 + ["ok"]
    assert stored(table)["state"] == "CLOSED"
    assert listener.path() == ["CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED"]


def test_closes_on_probe_success(make_breaker: MakeBreaker, table: Any, clock: Clock) -> None:
    fail(make_breaker(), 3)
    clock.advance(SETTINGS.breaker_cooldown_seconds)

    assert make_breaker().call(Downstream()) == "ok"

    closed = stored(table)
    assert (closed["state"], closed["failures"]) == ("CLOSED", [])
    assert "opened_at" not in closed and "probe_started_at" not in closed
    after = Downstream()
    assert make_breaker().call(after) == "ok"
    assert after.calls == 1


def test_reopens_on_probe_failure(make_breaker: MakeBreaker, table: Any, clock: Clock) -> None:
    fail(make_breaker(), 3)
    clock.advance(SETTINGS.breaker_cooldown_seconds)

    fail(make_breaker(), 1)

    reopened = stored(table)
    assert (reopened["state"], reopened["opened_at"]) == ("OPEN", (T0 + SETTINGS.breaker_cooldown_seconds) * 1000)
    assert "probe_started_at" not in reopened
    clock.advance(SETTINGS.breaker_cooldown_seconds - 1)
    refused = Downstream()
    assert make_breaker().call(refused, fallback=lambda: "fallback") == "fallback"
    assert refused.calls == 0
