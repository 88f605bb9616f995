"""The breaker's state and its transitions as pure functions: what the next item is, never how it is written.

The layout and the rules are described in functions/breaker/__init__.py; the CDK construct mirrors these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

State = Literal["CLOSED", "OPEN", "HALF_OPEN"]
Decision = Literal["call", "reject", "probe"]


class BreakerSettings(BaseModel):
    """A breaker's configuration; `load_settings(BreakerSettings)` reads it from `BREAKER_*` environment variables."""

    model_config = ConfigDict(frozen=True)

    breaker_failure_threshold: int = Field(default=5, ge=1)
    breaker_window_seconds: float = Field(default=60.0, gt=0)
    breaker_cooldown_seconds: float = Field(default=30.0, gt=0)
    breaker_probe_timeout_seconds: float = Field(default=60.0, gt=0)


@dataclass(frozen=True)
class BreakerState:
    """One breaker's item; times are epoch milliseconds. Version 0 is the item that is not written yet."""

    breaker_id: str
    state: State = "CLOSED"
    version: int = 0
    failures: tuple[int, ...] = ()
    opened_at: int | None = None
    probe_started_at: int | None = None
    updated_at: int | None = None

    def _next(
        self,
        now: int,
        state: State,
        *,
        failures: tuple[int, ...] = (),
        opened_at: int | None = None,
        probe_started_at: int | None = None,
    ) -> BreakerState:
        """The item that replaces this one: attributes not given are dropped, so the put removes them."""
        return BreakerState(self.breaker_id, state, self.version + 1, failures, opened_at, probe_started_at, now)


def millis(seconds: float) -> int:
    return round(seconds * 1000)


def decide(current: BreakerState, now: int, settings: BreakerSettings) -> Decision:
    """Whether a call may go to the downstream now, must be refused, or may try to claim the probe."""
    if current.state == "CLOSED":
        return "call"
    if current.state == "OPEN":
        assert current.opened_at is not None, "an OPEN breaker has opened_at"
        due = current.opened_at + millis(settings.breaker_cooldown_seconds)
    else:
        assert current.probe_started_at is not None, "a HALF_OPEN breaker has probe_started_at"
        due = current.probe_started_at + millis(settings.breaker_probe_timeout_seconds)
    return "probe" if now >= due else "reject"


def retry_at(current: BreakerState, settings: BreakerSettings) -> int | None:
    """When a refused caller could next claim the probe (epoch ms), or None when the breaker is CLOSED."""
    if current.state == "OPEN" and current.opened_at is not None:
        return current.opened_at + millis(settings.breaker_cooldown_seconds)
    if current.state == "HALF_OPEN" and current.probe_started_at is not None:
        return current.probe_started_at + millis(settings.breaker_probe_timeout_seconds)
    return None


def probe_claimed(current: BreakerState, now: int) -> BreakerState:
    """OPEN -> HALF_OPEN, or a stale HALF_OPEN claimed again: the caller holding this version is the probe."""
    opened_at = current.opened_at if current.opened_at is not None else now
    return current._next(now, "HALF_OPEN", opened_at=opened_at, probe_started_at=now)


def probe_finished(claimed: BreakerState, succeeded: bool, now: int) -> BreakerState:
    """HALF_OPEN -> CLOSED on success, HALF_OPEN -> OPEN (a new cool-down) on failure."""
    return claimed._next(now, "CLOSED") if succeeded else claimed._next(now, "OPEN", opened_at=now)


def failed(current: BreakerState, now: int, settings: BreakerSettings) -> BreakerState | None:
    """A failure of a call let through while CLOSED; None when the breaker is not CLOSED any more (nothing to count)."""
    if current.state != "CLOSED":
        return None
    window = millis(settings.breaker_window_seconds)
    failures = (*(at for at in current.failures if now - at < window), now)
    if len(failures) >= settings.breaker_failure_threshold:
        return current._next(now, "OPEN", opened_at=now)
    return current._next(now, "CLOSED", failures=failures)
