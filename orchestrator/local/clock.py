"""The local runtime's clock: real time plus an offset that tests and the demo move forward.

Everything in the local runtime that waits (Step Functions Wait states, task timeouts, heartbeats, retry
intervals, EventBridge target retries, SQS visibility timeouts of the pollers) waits on this clock, so
`advance(hours=24)` makes a 24-hour approval timeout fire at once, while short waits still pass in real time.

Waits are polled in short real-time slices rather than signalled: the events that end them belong to moto and
cannot be told about the clock. Each wait is entered in the runtime's ledger with its name and deadline, so quiet
detection knows what a thread waits for without looking at it.
"""

from __future__ import annotations

import datetime
import heapq
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from orchestrator.local.ledger import Ledger

POLL_SECONDS = 0.005


@dataclass(order=True)
class _Timer:
    deadline: float
    order: int
    action: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class Clock:
    """Virtual time: `time.time()` plus every `advance` so far. Thread-safe."""

    def __init__(self, now: Callable[[], float] | None = None, ledger: Ledger | None = None) -> None:
        import time

        self._real = now or time.time
        self._offset = 0.0
        self._lock = threading.Lock()
        self.ledger = ledger or Ledger()  # where every wait is entered
        self._timers: list[_Timer] = []
        self._ids = itertools.count()
        # Where a failing timer's error goes when `fire_due_timers` is given no handler (the runtime records it).
        self.on_timer_error: Callable[[BaseException], None] | None = None

    def now(self) -> float:
        """Seconds since the epoch, on this clock."""
        return self._real() + self._offset

    def utcnow(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self.now(), tz=datetime.UTC)

    @property
    def offset(self) -> float:
        """How far this clock has been moved ahead of real time, in seconds."""
        return self._offset

    def advance(self, seconds: float = 0.0, *, minutes: float = 0.0, hours: float = 0.0) -> None:
        """Moves time forward: every wait whose deadline is passed ends, every due timer fires."""
        total = seconds + 60 * minutes + 3600 * hours
        if total < 0:
            raise ValueError(f"the clock only moves forward; got {total} seconds")
        with self._lock:
            self._offset += total
        self.fire_due_timers()

    def wait(self, event: threading.Event | None, timeout: float | None, what: str = "a wait on the clock") -> bool:
        """`event.wait(timeout)` with the timeout measured on this clock: True when the event was set, False when
        the timeout passed first. No event: a sleep. No timeout: wait for the event only. `what` names the wait
        in the ledger."""
        deadline = None if timeout is None else self.now() + max(timeout, 0.0)
        if deadline is None:
            assert event is not None, "a wait needs an event or a timeout"

        def over(now: float) -> bool:
            return (event is not None and event.is_set()) or (deadline is not None and now >= deadline)

        with self.ledger.waiting(what, over, deadline):
            while True:
                if event is not None and event.is_set():
                    return True
                if deadline is None:
                    event.wait(POLL_SECONDS * 20)  # type: ignore[union-attr]  # nothing on the clock can end it
                    continue
                remaining = deadline - self.now()
                if remaining <= 0:
                    return event is not None and event.is_set()
                if event is None:
                    threading.Event().wait(min(remaining, POLL_SECONDS))
                else:
                    event.wait(min(remaining, POLL_SECONDS))

    def sleep(self, seconds: float, what: str = "a sleep on the clock") -> None:
        self.wait(None, seconds, what)

    def call_later(self, delay: float, action: Callable[[], None]) -> _Timer:
        """Runs `action` once `delay` seconds have passed on this clock, from `fire_due_timers` (called by
        `advance` and by the runtime's ticker). Timers are not threads: a due timer runs on the caller's."""
        timer = _Timer(self.now() + max(delay, 0.0), next(self._ids), action)
        with self._lock:
            heapq.heappush(self._timers, timer)
        return timer

    def fire_due_timers(self, on_error: Callable[[BaseException], None] | None = None) -> int:
        """Runs every timer whose deadline has passed, in deadline order; returns how many ran. A timer that
        raises is handed to `on_error` (or re-raised without one) after the other due timers have run."""
        fired = 0
        errors: list[BaseException] = []
        while True:
            with self._lock:
                if not self._timers or self._timers[0].deadline > self.now():
                    break
                timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            try:
                timer.action()
            except Exception as error:  # noqa: BLE001 - one failing timer must not stop the others
                errors.append(error)
            fired += 1
        handler = on_error or self.on_timer_error
        for failure in errors:
            if handler is None:
                raise failure
            handler(failure)
        return fired

    def next_deadline(self) -> float | None:
        """The earliest moment a wait or timer is due, or None when nothing waits on the clock."""
        deadlines = self.ledger.deadlines()
        with self._lock:
            first = self._first_timer()
        if first is not None:
            deadlines.append(first.deadline)
        return min(deadlines, default=None)

    def due_timers(self) -> int:
        """Timers whose deadline has passed and that have not fired yet: work about to happen."""
        now = self.now()
        with self._lock:
            first = self._first_timer()
            if first is None or first.deadline > now:
                return 0  # the common answer, without reading every timer (the ticker asks every few ms)
            return sum(1 for t in self._timers if not t.cancelled and t.deadline <= now)

    def _first_timer(self) -> _Timer | None:
        """The earliest timer not cancelled (under `_lock`): cancelled ones at the top of the heap are dropped
        (a pollers' batch cancels its redelivery timer when it settles, so most timers end cancelled)."""
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)
        return self._timers[0] if self._timers else None

    def advance_to_next_deadline(self) -> bool:
        """Jumps to the earliest deadline (if it is in the future); False when nothing waits on the clock."""
        deadline = self.next_deadline()
        if deadline is None:
            return False
        self.advance(max(deadline - self.now(), 0.0) + POLL_SECONDS)
        return True
