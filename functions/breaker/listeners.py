"""Where a breaker reports its state changes: a handler turns them into a metric and an event; logging is built in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aws_lambda_powertools import Logger

from functions.breaker.state import State


@dataclass(frozen=True)
class StateChange:
    """A transition this process won the conditional write for; `at` is epoch milliseconds."""

    breaker_id: str
    previous: State
    current: State
    at: int
    version: int


class BreakerListener(Protocol):
    def state_changed(self, change: StateChange) -> None:
        """Called once per transition, by the process whose write made it, after the write."""


class NoOpListener:
    def state_changed(self, change: StateChange) -> None:
        pass


class LoggingListener:
    """Logs every transition with structured keys, at WARNING when the breaker leaves CLOSED."""

    def __init__(self, logger: Logger | None = None) -> None:
        self._logger = logger or Logger()

    def state_changed(self, change: StateChange) -> None:
        log = self._logger.info if change.current == "CLOSED" else self._logger.warning
        log(
            "circuit breaker state changed",
            breaker_id=change.breaker_id,
            previous_state=change.previous,
            state=change.current,
            version=change.version,
        )
