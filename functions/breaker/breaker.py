"""`CircuitBreaker`: guards a handler's downstream calls with the state kept behind the `BreakerStore` port.

The rules and the item layout are in schemas/breaker_rules.py; the decisions themselves are the pure functions
of functions/breaker/state.py. This module only reads, decides, writes conditionally and re-reads on a lost race.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeVar

from functions.breaker.listeners import BreakerListener, NoOpListener, StateChange
from functions.breaker.state import (
    BreakerSettings,
    BreakerState,
    Decision,
    decide,
    failed,
    millis,
    probe_claimed,
    probe_finished,
    retry_at,
)

T = TypeVar("T")

# Every lost race means another writer moved the state on, and each state has few successors, so a handful of
# re-reads always settles it; the bound only turns a bug (or a store that never accepts a write) into an error.
MAX_RACES = 50


class BreakerStore(Protocol):
    """Where breakers' states are kept; every write is conditional, as schemas/breaker_rules.py describes."""

    def read(self, breaker_id: str) -> BreakerState:
        """The breaker's current item, strongly consistent; version 0 (CLOSED) when it has none."""

    def replace(self, current: BreakerState, new: BreakerState) -> bool:
        """Writes `new` if the stored item is still `current` (same version and state); False when it is not."""


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""


class SystemClock:
    def now(self) -> float:
        return time.time()


class BreakerOpen(Exception):  # noqa: N818 - named for what the caller meets, like the workflow's error
    """The breaker refused the call (OPEN, or HALF_OPEN with another caller's probe) and no fallback was given."""

    def __init__(self, breaker_id: str, retry_at: float | None) -> None:
        super().__init__(f"circuit breaker {breaker_id} is open")
        self.breaker_id = breaker_id
        self.retry_at = retry_at  # epoch seconds when a probe may be claimed, if known


class BreakerContended(RuntimeError):
    """The breaker's item kept changing under this process for `MAX_RACES` re-reads."""


@dataclass(frozen=True)
class _Admission:
    """What a call may do; `state` is the state it was decided on, or for a probe the state its claim wrote."""

    decision: Decision
    state: BreakerState


def _every_failure(error: Exception) -> bool:
    return True


class CircuitBreaker:
    """One downstream's breaker: `call` runs the downstream, or the fallback when the breaker refuses."""

    def __init__(
        self,
        breaker_id: str,
        store: BreakerStore,
        settings: BreakerSettings,
        *,
        clock: Clock | None = None,
        listener: BreakerListener | None = None,
        is_failure: Callable[[Exception], bool] = _every_failure,
    ) -> None:
        self.breaker_id = breaker_id
        self._store = store
        self._settings = settings
        self._clock = clock or SystemClock()
        self._listener = listener or NoOpListener()
        self._is_failure = is_failure

    def state(self) -> BreakerState:
        """The breaker's stored state, as the next call would read it."""
        return self._store.read(self.breaker_id)

    def call(self, downstream: Callable[[], T], fallback: Callable[[], T] | None = None) -> T:
        """Runs `downstream` unless the breaker refuses; then returns `fallback()`, or raises `BreakerOpen`."""
        admission = self._admit()
        if admission.decision == "reject":
            if fallback is None:
                due = retry_at(admission.state, self._settings)
                raise BreakerOpen(self.breaker_id, None if due is None else due / 1000)
            return fallback()
        try:
            result = downstream()
        except Exception as error:
            self._finished(admission, succeeded=not self._is_failure(error))
            raise
        self._finished(admission, succeeded=True)
        return result

    def _admit(self) -> _Admission:
        for current in self._reads():
            decision = decide(current, self._now(), self._settings)
            if decision != "probe":
                return _Admission(decision, current)
            claimed = probe_claimed(current, self._now(), self._settings)
            if self._replace(current, claimed):
                return _Admission("probe", claimed)
        raise AssertionError("unreachable: _reads raises when exhausted")

    def _finished(self, admission: _Admission, *, succeeded: bool) -> None:
        if admission.decision == "probe":
            # A lost write means the claim was superseded (the probe outlived its lease): the outcome is stale.
            self._replace(admission.state, probe_finished(admission.state, succeeded, self._now(), self._settings))
        elif not succeeded:
            self._count_failure()

    def _count_failure(self) -> None:
        for current in self._reads():
            new = failed(current, self._now(), self._settings)
            if new is None or self._replace(current, new):
                return

    def _reads(self) -> Iterator[BreakerState]:
        """The stored state, read again each time the caller lost a race against it."""
        for _ in range(MAX_RACES):
            yield self._store.read(self.breaker_id)
        raise BreakerContended(f"circuit breaker {self.breaker_id} changed {MAX_RACES} times under one decision")

    def _replace(self, current: BreakerState, new: BreakerState) -> bool:
        if not self._store.replace(current, new):
            return False
        if new.state != current.state:
            self._listener.state_changed(
                StateChange(self.breaker_id, current.state, new.state, new.updated_at or self._now(), new.version)
            )
        return True

    def _now(self) -> int:
        return millis(self._clock.now())
