"""Quiet detection: when the local cloud is still, and what it then waits on.

The runtime's ledger (ledger.py) knows which threads work and what each waits for: the adapters enter their work
there, the clock its waits, the Step Functions adapter every thread of moto's interpreter. The system is quiet at a
moment when, read in this order:
1. no timer of the clock is due and no message in a polled queue can be received (these live outside the ledger;
   what takes them up, the ticker or a poller, is a worker that leaves its wait as it does);
2. the ledger shows no work expected and every worker in a wait that is not over;
3. the ledger's epoch did not change from before step 1 to after step 2 (so 1 and 2 saw one moment).
No thread is sampled and no stillness window is waited out: the check is answered as soon as it holds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from orchestrator.local.pollers import Pollers
from orchestrator.local.runtime import Runtime

# How long to wait for the ledger to change before looking again: a wait can also end by time passing.
_RECHECK_SECONDS = 0.005


class NotQuietError(TimeoutError):
    """The system kept working past the timeout; the message says what was still busy."""


class LocalCloudError(RuntimeError):
    """Background work of the local runtime failed (a defect of an adapter or of a handler it ran)."""


@dataclass(frozen=True)
class Stillness:
    """What `wait_until_quiet` saw when the system came to rest."""

    waiting_executions: list[str]  # still RUNNING: each waits on something outside (a task token, the clock)
    clock_advanced_by: float  # seconds the clock was moved forward to get here
    pending_messages: int  # in polled queues, waiting out a visibility timeout, a delay or a batching window
    next_deadline_in: float | None  # seconds until the clock's next wait or timer is due (None: nothing waits)
    waits: list[str] = field(default_factory=list)  # what each waiting thread of the runtime waits for


class QuietDetector:
    """Reads the ledger, the clock's timers and the polled queues until nothing moves. Without `pollers` (a runtime
    of single adapters, as tests build one) no queue is polled, so no message is work to come."""

    def __init__(self, runtime: Runtime, pollers: Pollers | None = None) -> None:
        self._runtime = runtime
        self._pollers = pollers

    def wait(self, timeout: float, *, advance_clock: bool, failures_raise: bool = True) -> Stillness:
        """`LocalCloud.wait_until_quiet`: waits until still (jumping the clock to each next deadline with
        `advance_clock`); raises `LocalCloudError` when background work failed (unless not `failures_raise`: a
        test of those failures waits for them), `NotQuietError` after `timeout`."""
        clock, ledger = self._runtime.clock, self._runtime.ledger
        start_offset = clock.offset
        deadline = time.monotonic() + timeout
        while True:
            if failures_raise:
                self.raise_failures()
            epoch, busy, waits = self._look()
            if not busy:
                if advance_clock and clock.advance_to_next_deadline():
                    continue
                due = clock.next_deadline()
                if failures_raise:
                    self.raise_failures()
                return Stillness(
                    self.running_executions(),
                    clock.offset - start_offset,
                    0 if self._pollers is None else self._pollers.pending_messages(),
                    None if due is None else max(due - clock.now(), 0.0),
                    waits,
                )
            if time.monotonic() >= deadline:
                raise NotQuietError(f"the local cloud was still busy after {timeout} s: {self.busy_summary()}")
            ledger.wait_for_change(epoch, _RECHECK_SECONDS)

    def _look(self, *, everything: bool = False) -> tuple[int, list[str], list[str]]:
        """One consistent look: the epoch it was taken at, what is busy (only the first thing found, unless
        `everything`), and what the waiting threads wait for."""
        clock, ledger = self._runtime.clock, self._runtime.ledger
        before = ledger.epoch
        if not everything and (busy_now := ledger.first_busy(clock.now())):
            return before, [busy_now], []  # busy already: spare the full read and the queues' scan
        now = clock.now()
        busy = [f"{count} clock timer(s) due"] if (count := clock.due_timers()) else []
        if self._pollers is not None and (visible := self._pollers.visible_messages()):
            busy.append(f"{visible} message(s) to receive in polled queues")
        reading = ledger.read(now)
        busy += reading.busy
        if reading.epoch != before:
            busy.append("the ledger changed while it was read")
        waits = [
            f"{worker} waits for {wait.what}"
            + ("" if wait.deadline is None else f" ({wait.deadline - now:.3f} s left)")
            for worker, wait in reading.waits
        ]
        return before, busy, waits

    def raise_failures(self) -> None:
        """Raises `LocalCloudError` naming the first background failure, if any work failed."""
        failures = self._runtime.activity.failures
        if failures:
            first = failures[0]
            raise LocalCloudError(f"{len(failures)} background failure(s); first: {first.work}: {first.error!r}")

    def busy_summary(self) -> str:
        """What is still going on, in one line (for a timeout's message or a warning)."""
        _, busy, _ = self._look(everything=True)
        return "; ".join(busy) or f"nothing busy; running executions: {self.running_executions()}"

    def running_executions(self) -> list[str]:
        """The ARNs of the executions still RUNNING."""
        backend = self._sfn_backend()
        return [
            e.exec_arn if hasattr(e, "exec_arn") else e.execution_arn
            for m in backend.state_machines
            for e in m.executions
            if str(e.exec_status).endswith("RUNNING")
        ]

    def _sfn_backend(self) -> Any:
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        return stepfunctions_parser_backends[self._runtime.account][self._runtime.region]
