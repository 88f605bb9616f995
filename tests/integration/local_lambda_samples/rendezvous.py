"""Lets test handlers and the test that runs them meet across threads: a shared module, imported normally by both.

Each wait is bounded, so a runtime that runs the handlers one at a time makes a test fail, never hang."""

from __future__ import annotations

import threading
from collections.abc import Iterable

_changed = threading.Condition()
_arrived: set[str] = set()


def reset() -> None:
    with _changed:
        _arrived.clear()


def arrive(name: str) -> None:
    """`name` has arrived (a handler started, or the test opened a gate)."""
    with _changed:
        _arrived.add(name)
        _changed.notify_all()


def wait_for(names: Iterable[str], timeout: float) -> bool:
    """Whether every one of `names` arrived within `timeout` real seconds."""
    wanted = set(names)
    with _changed:
        return _changed.wait_for(lambda: wanted <= _arrived, timeout)
