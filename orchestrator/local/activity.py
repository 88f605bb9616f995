"""Work in flight in the local runtime, counted, so the runtime can tell when the system is quiet.

Every asynchronous piece of work the adapters start (an EventBridge delivery, a Lambda invoked with
InvocationType Event, a poller's batch) runs through `Activity.submit` or inside `Activity.busy()`. A failure in
such work is recorded, logged and surfaced by `LocalCloud.wait_until_quiet`, never swallowed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Failure:
    """An exception raised by background work: a defect of the local runtime or of a handler it ran."""

    work: str
    error: BaseException


class Activity:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._in_flight = 0
        self._finished = 0
        self.failures: list[Failure] = []

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def finished(self) -> int:
        """How many pieces of work have ended so far: part of the progress fingerprint."""
        return self._finished

    @contextmanager
    def busy(self, work: str) -> Iterator[None]:
        """Counts the enclosed block as work in flight; an exception is recorded and re-raised."""
        with self._cond:
            self._in_flight += 1
        try:
            yield
        except BaseException as error:
            self._record(work, error)
            raise
        finally:
            with self._cond:
                self._in_flight -= 1
                self._finished += 1
                self._cond.notify_all()

    def submit(self, work: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Runs `function` on a background thread, counted in flight from now until it returns."""
        with self._cond:
            self._in_flight += 1

        def run() -> None:
            try:
                function(*args, **kwargs)
            except BaseException as error:  # noqa: BLE001 - recorded and surfaced by wait_until_quiet
                self._record(work, error)
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._finished += 1
                    self._cond.notify_all()

        threading.Thread(target=run, name=f"local-{work}", daemon=True).start()

    def wait_idle(self, timeout: float) -> bool:
        """Waits (real time) until nothing is in flight; False if `timeout` passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: self._in_flight == 0, timeout)

    def _record(self, work: str, error: BaseException) -> None:
        logger.error("local runtime: %s failed: %r", work, error, exc_info=error)
        with self._cond:
            self.failures.append(Failure(work, error))
