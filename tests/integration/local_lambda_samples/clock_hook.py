"""Hands the local runtime's clock to the test handlers: a shared module, imported normally by tests and handlers."""

from __future__ import annotations

from orchestrator.local.clock import Clock

CLOCK: Clock | None = None


def clock() -> Clock:
    assert CLOCK is not None, "the test sets clock_hook.CLOCK to its runtime's clock before invoking"
    return CLOCK
