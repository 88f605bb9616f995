"""The local clock: real time plus an offset; waits and timers end when it passes their deadline."""

from __future__ import annotations

import threading

import pytest

from orchestrator.local.clock import Clock
from tests.settling import until_a_wait


class FrozenTime:
    """Real time that does not move on its own, so only `advance` moves the clock."""

    def __init__(self) -> None:
        self.value = 1_000_000.0

    def __call__(self) -> float:
        return self.value


def background_wait(
    clock: Clock, event: threading.Event | None, timeout: float | None
) -> tuple[threading.Thread, list[bool]]:
    outcome: list[bool] = []
    thread = threading.Thread(target=lambda: outcome.append(clock.wait(event, timeout)), daemon=True)
    thread.start()
    return thread, outcome


def until_waiting(clock: Clock) -> None:
    until_a_wait(clock.ledger)


def test_now_is_real_time_plus_every_advance() -> None:
    real = FrozenTime()
    clock = Clock(now=real)
    clock.advance(30, minutes=1, hours=1)
    assert clock.now() == real.value + 3690
    assert clock.offset == 3690
    assert clock.utcnow().timestamp() == clock.now()


def test_a_day_long_wait_ends_when_the_clock_passes_its_deadline() -> None:
    clock = Clock(now=FrozenTime())
    thread, outcome = background_wait(clock, None, 86_400)
    until_waiting(clock)
    clock.advance(hours=23)
    thread.join(0.05)
    assert thread.is_alive(), "23 hours into a 24-hour wait it still waits"
    clock.advance(hours=1)
    thread.join(5)
    assert outcome == [False]


def test_a_wait_ends_early_when_its_event_is_set() -> None:
    clock = Clock(now=FrozenTime())
    event = threading.Event()
    thread, outcome = background_wait(clock, event, 3600)
    until_waiting(clock)
    event.set()
    thread.join(5)
    assert outcome == [True]
    assert clock.next_deadline() is None, "a finished wait leaves nothing on the clock"


def test_a_wait_without_timeout_waits_for_its_event_only() -> None:
    clock = Clock(now=FrozenTime())
    event = threading.Event()
    thread, outcome = background_wait(clock, event, None)
    clock.advance(hours=1000)
    thread.join(0.05)
    assert thread.is_alive()
    event.set()
    thread.join(5)
    assert outcome == [True]


def test_timers_fire_in_deadline_order_once_due_and_not_when_cancelled() -> None:
    clock = Clock(now=FrozenTime())
    fired: list[str] = []
    clock.call_later(120, lambda: fired.append("two minutes"))
    clock.call_later(60, lambda: fired.append("one minute"))
    clock.call_later(90, lambda: fired.append("cancelled")).cancel()
    clock.call_later(7200, lambda: fired.append("two hours"))
    assert clock.next_deadline() == clock.now() + 60
    clock.advance(minutes=5)
    assert fired == ["one minute", "two minutes"]
    assert clock.fire_due_timers() == 0
    assert clock.advance_to_next_deadline()
    assert fired[-1] == "two hours"
    assert not clock.advance_to_next_deadline(), "nothing left on the clock"


def test_the_clock_never_moves_back() -> None:
    with pytest.raises(ValueError, match="only moves forward"):
        Clock().advance(-1)


def test_a_failing_timer_does_not_stop_the_others_and_its_error_is_handed_on() -> None:
    clock = Clock(now=FrozenTime())
    fired: list[str] = []
    errors: list[BaseException] = []
    clock.on_timer_error = errors.append

    def broken() -> None:
        raise RuntimeError("queue gone")

    clock.call_later(1, broken)
    clock.call_later(2, lambda: fired.append("after the broken one"))
    clock.advance(5)
    assert fired == ["after the broken one"]
    assert [str(e) for e in errors] == ["queue gone"]


def test_cancelled_timers_neither_set_the_next_deadline_nor_count_as_due() -> None:
    """`next_deadline` and `due_timers` read the earliest live timer (cancelled ones at the heap's top are dropped):
    a cancelled earlier timer does not hide a later live one, nor a live one behind it."""
    clock = Clock(now=FrozenTime())
    fired: list[str] = []
    first = clock.call_later(10, lambda: fired.append("cancelled first"))
    clock.call_later(20, lambda: fired.append("live"))
    clock.call_later(15, lambda: fired.append("cancelled second")).cancel()
    first.cancel()
    assert clock.next_deadline() == clock.now() + 20
    assert clock.due_timers() == 0
    clock._real.value += 30  # type: ignore[attr-defined]  # real time passes; nothing fired yet
    assert clock.due_timers() == 1
    assert clock.fire_due_timers() == 1
    assert fired == ["live"] and clock.next_deadline() is None and clock.due_timers() == 0
