"""Work in flight in the local runtime, counted, so the runtime can tell when the system is quiet.

Every asynchronous piece of work the adapters start (an EventBridge delivery, a Lambda invoked with
InvocationType Event, a poller's batch) runs through `Activity.submit` or inside `Activity.busy()`, which enter it
in the runtime's ledger (ledger.py). A failure in such work is recorded, logged and surfaced by
`LocalCloud.wait_until_quiet`, never swallowed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from orchestrator.local.ledger import Ledger

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Failure:
    """An exception raised by background work: a defect of the local runtime or of a handler it ran."""

    work: str
    error: BaseException


class Activity:
    def __init__(self, ledger: Ledger | None = None) -> None:
        self.ledger = ledger or Ledger()
        self._cond = threading.Condition()
        self._in_flight = 0
        self._finished = 0
        self.failures: list[Failure] = []
        # Set when the runtime stops: no new work starts, and long waits (retry backoffs) should end early.
        self.stopping = threading.Event()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def finished(self) -> int:
        """How many pieces of work have ended so far."""
        return self._finished

    @contextmanager
    def busy(self, work: str, *, errors_are_failures: bool = True) -> Iterator[None]:
        """Counts the enclosed block as work in flight; an exception is re-raised, and recorded as a failure
        unless the caller uses exceptions as outcomes (moto's interpreter raises a failed task's error)."""
        self._begin()
        try:
            with self.ledger.work(work):
                yield
        except BaseException as error:
            if errors_are_failures:
                self.record(work, error)
            raise
        finally:
            self._end()

    def submit(self, work: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        """Runs `function` on a background thread, counted in flight from now until it returns. Once the runtime
        is stopping, nothing new starts: returns False (the work is logged, not run)."""
        with self._cond:
            if self.stopping.is_set():
                logger.warning("local runtime stopping: %s not started", work)
                return False
            self._in_flight += 1  # counted from now: a submitted piece of work is in flight before it starts
        self.ledger.expect(work)

        def run() -> None:
            try:
                with self.ledger.work(work, expected=True):
                    function(*args, **kwargs)
            except BaseException as error:  # noqa: BLE001 - recorded and surfaced by wait_until_quiet
                self.record(work, error)
            finally:
                self._end()

        try:
            threading.Thread(target=run, name=f"local-{work}", daemon=True).start()
        except BaseException:
            self.ledger.abandon(work)
            self._end()
            raise
        return True

    def stop(self, timeout: float) -> bool:
        """Refuses new work, tells waits to end (`stopping`), and waits for work in flight to finish; False if
        some was still running after `timeout` seconds."""
        with self._cond:
            self.stopping.set()
        return self.wait_idle(timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Waits (real time) until nothing is in flight; False if `timeout` passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: self._in_flight == 0, timeout)

    def _begin(self) -> None:
        with self._cond:
            self._in_flight += 1

    def _end(self) -> None:
        with self._cond:
            self._in_flight -= 1
            self._finished += 1
            self._cond.notify_all()

    def record(self, work: str, error: BaseException) -> None:
        """Records a failure of background work (for work that handles its own exceptions)."""
        logger.error("local runtime: %s failed: %r", work, error, exc_info=error)
        with self._cond:
            self.failures.append(Failure(work, error))
