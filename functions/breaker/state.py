"""The breaker's state and its transitions as pure functions: what the next item is, never how it is written.

The rules are the rows of schemas/breaker_rules.py (the workflows' breaker generates its states from the same rows);
these functions pick the row that applies, evaluate its guard, and build the next item from what the row holds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas import breaker_rules as rules
from schemas.breaker_rules import Elapsed, Limits, State, Threshold, Transition, Trigger, Value

Decision = Literal["call", "reject", "probe"]


class BreakerSettings(BaseModel):
    """A breaker's configuration; `load_settings(BreakerSettings)` reads it from `BREAKER_*` environment variables.

    The unprefixed properties are the names of `schemas.breaker_rules.Limits`, which the rows' guards read."""

    model_config = ConfigDict(frozen=True)

    breaker_failure_threshold: int = Field(default=5, ge=1)
    breaker_window_seconds: float = Field(default=60.0, gt=0)
    breaker_cooldown_seconds: float = Field(default=30.0, gt=0)
    breaker_probe_timeout_seconds: float = Field(default=60.0, gt=0)

    @property
    def failure_threshold(self) -> int:
        return self.breaker_failure_threshold

    @property
    def window_seconds(self) -> float:
        return self.breaker_window_seconds

    @property
    def cooldown_seconds(self) -> float:
        return self.breaker_cooldown_seconds

    @property
    def probe_timeout_seconds(self) -> float:
        return self.breaker_probe_timeout_seconds


@dataclass(frozen=True)
class BreakerState:
    """One breaker's item (its fields are the item's attributes); times are epoch milliseconds. Version 0 is the item
    that is not written yet."""

    breaker_id: str
    state: State = "CLOSED"
    version: int = 0
    failures: tuple[int, ...] = ()
    opened_at: int | None = None
    probe_started_at: int | None = None
    updated_at: int | None = None


def millis(seconds: float) -> int:
    return round(seconds * 1000)


def decide(current: BreakerState, now: int, limits: Limits) -> Decision:
    """Whether a call may go to the downstream now, must be refused, or may try to claim the probe."""
    if current.state in rules.PASSES:
        return "call"
    return "probe" if _row(current, "call", now, limits) is not None else "reject"


def retry_at(current: BreakerState, limits: Limits) -> int | None:
    """When a refused caller could next claim the probe (epoch ms), or None when no call row leaves this state."""
    for row in rules.rows("call", current.state):
        if isinstance(row.guard, Elapsed) and (since := getattr(current, row.guard.since)) is not None:
            return int(since) + millis(getattr(limits, row.guard.limit))
    return None


def probe_claimed(current: BreakerState, now: int, limits: Limits) -> BreakerState:
    """The claim of the probe (OPEN past its cool-down, or HALF_OPEN past the lease): the caller holding the version
    this writes is the probe. Only for a state `decide` answered "probe" for."""
    row = _row(current, "call", now, limits)
    assert row is not None, f"no probe to claim in {current.state} at {now}"
    return _next(row, current, now, limits)


def probe_finished(claimed: BreakerState, succeeded: bool, now: int, limits: Limits) -> BreakerState:
    """The probe's outcome, written against its claim: CLOSED on success, OPEN (a new cool-down) on failure."""
    row = _row(claimed, "probe_succeeded" if succeeded else "probe_failed", now, limits)
    assert row is not None, f"a probe's outcome from {claimed.state}"
    return _next(row, claimed, now, limits)


def failed(current: BreakerState, now: int, limits: Limits) -> BreakerState | None:
    """A failure of a call let through; None when no row counts it (the breaker is not CLOSED any more)."""
    row = _row(current, "failure", now, limits)
    return None if row is None else _next(row, current, now, limits)


def _row(current: BreakerState, trigger: Trigger, now: int, limits: Limits) -> Transition | None:
    """The first row of `trigger` from the current state whose guard holds."""
    return next((r for r in rules.rows(trigger, current.state) if _holds(r, current, now, limits)), None)


def _holds(row: Transition, current: BreakerState, now: int, limits: Limits) -> bool:
    guard = row.guard
    if guard is None:
        return True
    if isinstance(guard, Elapsed):
        since = getattr(current, guard.since)
        assert since is not None, f"a {current.state} breaker has {guard.since}"
        return now >= int(since) + millis(getattr(limits, guard.limit))
    assert isinstance(guard, Threshold)
    reached = len(_in_window(current, now, limits)) + 1 >= limits.failure_threshold
    return reached == guard.reached


def _in_window(current: BreakerState, now: int, limits: Limits) -> tuple[int, ...]:
    window = millis(limits.window_seconds)
    return tuple(at for at in current.failures if now - at < window)


def _next(row: Transition, current: BreakerState, now: int, limits: Limits) -> BreakerState:
    """The item that replaces `current` by `row`: the attributes the row does not hold are dropped (the put removes
    them)."""
    held: dict[str, Any] = {attribute: _value(attribute, value, current, now, limits) for attribute, value in row.holds}
    return replace(BreakerState(current.breaker_id, row.target, current.version + 1, updated_at=now), **held)


def _value(attribute: str, value: Value, current: BreakerState, now: int, limits: Limits) -> Any:
    if value == "now":
        return now
    if value == "kept":
        return getattr(current, attribute)
    if value == "in_window":
        return (*_in_window(current, now, limits), now)
    return ()
