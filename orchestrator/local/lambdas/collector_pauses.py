"""The time this process has spent paused in its garbage collector, so that a Lambda invocation's duration can leave
out the pauses it only sat through.

Why: CPython's cyclic collector stops every thread while it runs (it holds the GIL), and a full collection walks every
object of the process, moto's whole state included. A reduced soak (300 orders, 30 pipelines) measured 16 full
collections, 17.5 s of pauses in all, the longest 3.3 s; the heap of a full soak is several times larger. On Lambda
each execution environment is a process of its own, whose collector walks its own objects only; here every handler
running while the collector walks the runtime's state waits for it, and full soaks saw handlers that used 0.1 s of
CPU overrun a 10 s timeout (`Sandbox.Timedout`, which Lambda would not have answered). So the Lambda runtime takes
the pauses that fell inside an invocation out of its duration (runtime.py), as it takes out its cold start.

Measured with `gc.callbacks` (CPython calls them at the start and the stop of each collection, in the collecting
thread, holding the GIL: one collection at a time, so a float total needs no lock). Registered once for the process,
when this module is imported: a callback is a function call per collection, nothing between collections.
"""

from __future__ import annotations

import gc
import time
from typing import Any


class CollectorPauses:
    """The seconds spent in collections so far (`total()`), read before and after what should not count them."""

    def __init__(self) -> None:
        self._total = 0.0
        self._started: float | None = None

    def on_collection(self, phase: str, info: dict[str, Any]) -> None:
        """A `gc.callbacks` callback."""
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started is not None:
            self._total += time.perf_counter() - self._started
            self._started = None

    def total(self) -> float:
        return self._total


PAUSES = CollectorPauses()
gc.callbacks.append(PAUSES.on_collection)
