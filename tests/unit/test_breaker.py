"""The circuit breaker's semantics on an in-memory store that honours the same conditional writes as DynamoDB."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from aws_lambda_powertools import Logger

from functions.breaker import (
    BreakerListener,
    BreakerOpen,
    BreakerSettings,
    BreakerState,
    CircuitBreaker,
    LoggingListener,
    StateChange,
)
from functions.settings import SettingsError, load_settings
from orchestrator.local.clock import Clock

T0 = 1_800_000_000.0
SETTINGS = BreakerSettings(
    breaker_failure_threshold=3,
    breaker_window_seconds=10,
    breaker_cooldown_seconds=30,
    breaker_probe_timeout_seconds=60,
)


class DownstreamDown(Exception):
    """What the fake downstream raises when it is failing."""


@dataclass
class Downstream:
    """A fake downstream: answers `ok` (or raises `DownstreamDown` while `failing`) and counts its calls."""

    failing: bool = False
    calls: int = 0
    during_call: Callable[[], object] | None = None  # runs inside the call, while it is in flight
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self) -> str:
        with self._lock:
            self.calls += 1
        if self.during_call is not None:
            self.during_call()
        if self.failing:
            raise DownstreamDown("the downstream is down")
        return "ok"


@dataclass
class RecordingListener:
    changes: list[StateChange] = field(default_factory=list)

    def state_changed(self, change: StateChange) -> None:
        self.changes.append(change)

    def path(self) -> list[str]:
        return [f"{c.previous}->{c.current}" for c in self.changes]


@dataclass
class MemoryStore:
    """The BreakerStore port in memory: a write lands only if the stored version and state are the ones read."""

    items: dict[str, BreakerState] = field(default_factory=dict)
    writes: int = 0
    before_next_replace: Callable[[], None] | None = None  # lets a test make another writer win a race
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def read(self, breaker_id: str) -> BreakerState:
        return self.items.get(breaker_id, BreakerState(breaker_id))

    def replace(self, current: BreakerState, new: BreakerState) -> bool:
        if self.before_next_replace is not None:
            interfere, self.before_next_replace = self.before_next_replace, None
            interfere()
        with self._lock:
            stored = self.items.get(current.breaker_id)
            if stored is None and current.version != 0:
                return False
            if stored is not None and (stored.version, stored.state) != (current.version, current.state):
                return False
            self.items[new.breaker_id] = new
            self.writes += 1
            return True


@dataclass
class World:
    store: MemoryStore
    clock: Clock
    listener: RecordingListener

    def breaker(self, listener: BreakerListener | None = None, **kwargs: Callable[[Exception], bool]) -> CircuitBreaker:
        """A breaker on the shared store, as another Lambda instance would have."""
        return CircuitBreaker(
            "payments-gateway", self.store, SETTINGS, clock=self.clock, listener=listener or self.listener, **kwargs
        )


@pytest.fixture
def world() -> World:
    return World(MemoryStore(), Clock(now=lambda: T0), RecordingListener())


def fail(breaker: CircuitBreaker, downstream: Downstream, times: int) -> None:
    downstream.failing = True
    for _ in range(times):
        with pytest.raises(DownstreamDown):
            breaker.call(downstream)


def trip(world: World, breaker: CircuitBreaker) -> None:
    """Given an OPEN breaker."""
    fail(breaker, Downstream(), SETTINGS.breaker_failure_threshold)
    assert breaker.state().state == "OPEN"


def test_opens_exactly_at_the_threshold(world: World) -> None:
    breaker, downstream = world.breaker(), Downstream()

    fail(breaker, downstream, 2)
    assert breaker.state().state == "CLOSED"
    assert world.listener.changes == []

    fail(breaker, downstream, 1)  # the third failure still reached the downstream, then opened the breaker

    assert downstream.calls == 3
    opened = breaker.state()
    assert (opened.state, opened.opened_at, opened.failures) == ("OPEN", T0 * 1000, ())
    assert world.listener.path() == ["CLOSED->OPEN"]


def test_no_downstream_call_while_open(world: World) -> None:
    breaker = world.breaker()
    trip(world, breaker)
    downstream = Downstream()
    world.clock.advance(SETTINGS.breaker_cooldown_seconds - 1)

    assert breaker.call(downstream, fallback=lambda: "cached") == "cached"
    with pytest.raises(BreakerOpen) as refused:
        breaker.call(downstream)

    assert downstream.calls == 0
    assert refused.value.retry_at == T0 + SETTINGS.breaker_cooldown_seconds


def test_failures_outside_the_window_do_not_count(world: World) -> None:
    breaker, downstream = world.breaker(), Downstream()
    fail(breaker, downstream, 2)
    world.clock.advance(SETTINGS.breaker_window_seconds)  # both are exactly one window old: out

    fail(breaker, downstream, 2)
    assert breaker.state().state == "CLOSED"
    assert len(breaker.state().failures) == 2

    fail(breaker, downstream, 1)
    assert breaker.state().state == "OPEN"


def test_success_in_closed_writes_nothing_and_keeps_the_count(world: World) -> None:
    breaker, downstream = world.breaker(), Downstream()
    fail(breaker, downstream, 2)
    writes = world.store.writes

    downstream.failing = False
    assert breaker.call(downstream) == "ok"
    assert world.store.writes == writes

    fail(breaker, downstream, 1)  # the successes in between did not reset the two failures
    assert breaker.state().state == "OPEN"


def test_after_the_cooldown_one_probe_closes_on_success(world: World) -> None:
    breaker = world.breaker()
    trip(world, breaker)
    world.clock.advance(SETTINGS.breaker_cooldown_seconds)
    other_caller = world.breaker()
    refused_during_probe: list[str] = []
    downstream = Downstream(
        during_call=lambda: refused_during_probe.append(other_caller.call(Downstream(), fallback=lambda: "fallback"))
    )

    assert breaker.call(downstream) == "ok"

    assert downstream.calls == 1
    assert refused_during_probe == ["fallback"]  # HALF_OPEN: the other caller did not probe
    closed = breaker.state()
    assert (closed.state, closed.failures, closed.opened_at, closed.probe_started_at) == ("CLOSED", (), None, None)
    assert world.listener.path() == ["CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED"]


def test_a_failed_probe_reopens_for_a_new_cooldown(world: World) -> None:
    breaker = world.breaker()
    trip(world, breaker)
    world.clock.advance(SETTINGS.breaker_cooldown_seconds)
    probe = Downstream(failing=True)

    with pytest.raises(DownstreamDown):
        breaker.call(probe)

    reopened = breaker.state()
    assert (reopened.state, reopened.opened_at) == ("OPEN", (T0 + SETTINGS.breaker_cooldown_seconds) * 1000)
    world.clock.advance(SETTINGS.breaker_cooldown_seconds - 1)
    later = Downstream()
    assert breaker.call(later, fallback=lambda: "fallback") == "fallback"
    assert later.calls == 0
    assert world.listener.path() == ["CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->OPEN"]


def test_a_stale_probe_is_claimed_again_and_its_outcome_dropped(world: World) -> None:
    stale, fresh = world.breaker(), world.breaker()
    trip(world, stale)
    world.clock.advance(SETTINGS.breaker_cooldown_seconds)
    fresh_probe = Downstream()

    def outlive_the_lease() -> None:
        world.clock.advance(SETTINGS.breaker_probe_timeout_seconds)
        assert fresh.call(fresh_probe) == "ok"  # claims the probe again and closes the breaker

    with pytest.raises(DownstreamDown):
        stale.call(Downstream(failing=True, during_call=outlive_the_lease))

    assert fresh_probe.calls == 1
    assert stale.state().state == "CLOSED"  # the stale failure did not reopen it
    assert world.listener.path() == ["CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED"]


def test_a_lost_race_is_read_again_and_decided_again(world: World) -> None:
    mine, theirs = world.breaker(), world.breaker()
    fail(mine, Downstream(), 1)
    # Between my read and my write another instance counts a failure: my write loses, I read 2 and open at 3.
    world.store.before_next_replace = lambda: fail(theirs, Downstream(), 1)

    fail(mine, Downstream(), 1)

    assert mine.state().state == "OPEN"
    assert world.listener.path() == ["CLOSED->OPEN"]


def test_a_failure_that_finds_the_breaker_open_is_not_counted(world: World) -> None:
    mine, theirs = world.breaker(), world.breaker()
    fail(mine, Downstream(), 2)
    world.store.before_next_replace = lambda: fail(theirs, Downstream(), 1)  # theirs opens it first

    fail(mine, Downstream(), 1)

    assert mine.state().state == "OPEN"
    assert world.listener.path() == ["CLOSED->OPEN"]  # opened once, by theirs


def test_errors_that_are_not_failures_pass_through_uncounted(world: World) -> None:
    breaker = world.breaker(is_failure=lambda error: not isinstance(error, ValueError))

    def declined() -> str:
        raise ValueError("card declined")

    for _ in range(SETTINGS.breaker_failure_threshold):
        with pytest.raises(ValueError, match="declined"):
            breaker.call(declined)

    assert breaker.state() == BreakerState("payments-gateway")  # nothing written


def test_settings_come_from_breaker_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BREAKER_FAILURE_THRESHOLD", "7")
    monkeypatch.setenv("BREAKER_COOLDOWN_SECONDS", "12.5")
    settings = load_settings(BreakerSettings)
    assert (settings.breaker_failure_threshold, settings.breaker_cooldown_seconds) == (7, 12.5)

    monkeypatch.setenv("BREAKER_FAILURE_THRESHOLD", "0")
    with pytest.raises(SettingsError, match="BREAKER_FAILURE_THRESHOLD"):
        load_settings(BreakerSettings)


def test_the_logging_listener_logs_each_change_with_keys(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    trip(world, world.breaker(LoggingListener(Logger(service="breaker-test"))))

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [(line["level"], line["message"], line["previous_state"], line["state"]) for line in lines] == [
        ("WARNING", "circuit breaker state changed", "CLOSED", "OPEN")
    ]
    assert lines[0]["breaker_id"] == "payments-gateway"
