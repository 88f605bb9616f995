"""Quiet detection: when the local cloud is still, and what it then waits on.

Nothing in moto says "done": executions run on moto's interpreter threads, deliveries and invocations on the
runtime's, messages wait in queues. The system is still when, for several polls in a row over a minimum of real
time, no work is in flight or unstarted, no message can be received or is being processed, and no execution makes
progress (a fingerprint of statuses and history lengths). A thread counts as working unless its innermost frame is a
wait (`frame_waits`): moto's threads are not ours to instrument, so what each is doing is read off its stack.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from dataclasses import dataclass
from types import FrameType
from typing import Any

from orchestrator.local import clock as clock_module
from orchestrator.local.lambdas import LambdaRuntime
from orchestrator.local.pollers import Pollers
from orchestrator.local.runtime import Runtime
from orchestrator.local.stepfunctions import StepFunctionsAdapter

# A system is still when this many polls in a row (10 ms apart), over at least this much real time, see no progress.
# The time matters on a loaded machine: a thread that is about to move but not yet scheduled can look still for
# several polls (a saga's retry was seen lost that way with two test workers on two busy cores).
_STABLE_POLLS = 5
_STABLE_SECONDS = 0.15


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


class QuietDetector:
    """Watches the runtime, its pollers, its Lambda invocations and moto's executions until nothing moves."""

    def __init__(
        self, runtime: Runtime, lambdas: LambdaRuntime, pollers: Pollers, stepfunctions: StepFunctionsAdapter
    ) -> None:
        self._runtime = runtime
        self._lambdas = lambdas
        self._pollers = pollers
        self._stepfunctions = stepfunctions

    def wait(self, timeout: float, *, advance_clock: bool) -> Stillness:
        """`LocalCloud.wait_until_quiet`: waits until still (jumping the clock to each next deadline with
        `advance_clock`); raises `LocalCloudError` when background work failed, `NotQuietError` after `timeout`."""
        clock = self._runtime.clock
        start_offset = clock.offset
        deadline = time.monotonic() + timeout
        still, still_since, last = 0, 0.0, None
        while time.monotonic() < deadline:
            self.raise_failures()
            fingerprint = self._progress()
            still = still + 1 if fingerprint == last and not self._busy() else 0
            still_since = still_since if still > 1 else time.monotonic()
            last = fingerprint
            if still >= _STABLE_POLLS and time.monotonic() - still_since >= _STABLE_SECONDS:
                waiting = self.running_executions()
                if advance_clock and clock.advance_to_next_deadline():
                    still = 0
                    continue
                due = clock.next_deadline()
                return Stillness(
                    waiting,
                    clock.offset - start_offset,
                    self._pollers.pending_messages(),
                    None if due is None else max(due - clock.now(), 0.0),
                )
            time.sleep(0.01)
        raise NotQuietError(f"the local cloud was still busy after {timeout} s: {self.busy_summary()}")

    def raise_failures(self) -> None:
        """Raises `LocalCloudError` naming the first background failure, if any work failed."""
        failures = self._runtime.activity.failures
        if failures:
            first = failures[0]
            raise LocalCloudError(f"{len(failures)} background failure(s); first: {first.work}: {first.error!r}")

    def busy_summary(self) -> str:
        """What is still going on, in one line (for a timeout's message or a warning)."""
        return (
            f"{self._runtime.activity.in_flight} deliveries or invocations in flight, "
            f"{self._pollers.pending_messages()} messages waiting in polled queues, "
            f"running executions: {self.running_executions()}"
        )

    def running_executions(self) -> list[str]:
        """The ARNs of the executions still RUNNING."""
        backend = self._sfn_backend()
        return [
            e.exec_arn if hasattr(e, "exec_arn") else e.execution_arn
            for m in backend.state_machines
            for e in m.executions
            if str(e.exec_status).endswith("RUNNING")
        ]

    def _busy(self) -> bool:
        """Something is working now, rather than waiting: a thread of in-flight work or of the Step Functions
        interpreter that is running code (not blocked in a wait: on the clock, a task token, a Map's iterations),
        work submitted but not started, or a message a poller can receive or is processing."""
        if self._runtime.activity.unstarted() > 0 or self._working_threads():
            return True
        return self._pollers.visible_messages() > 0 or self._pollers.working_messages() > 0

    def _working_threads(self) -> list[int]:
        """Threads of in-flight work or of executions whose innermost Python frame is not a wait. moto's threads are
        not ours to instrument, so what each is doing is read off its stack."""
        threads = self._runtime.activity.threads() | {t.ident for t in self._stepfunctions.interpreter_threads()}
        frames = current_frames()
        return [ident for ident in threads if ident in frames and not frame_waits(frames[ident])]

    def _progress(self) -> tuple[object, ...]:
        """A fingerprint that changes whenever anything in the system moves: work finished, invocations, and per
        execution its status and the length of its history (an execution thread is not counted as work in flight,
        so its history is how it shows it is moving)."""
        executions = []
        for machine in self._sfn_backend().state_machines:
            for execution in machine.executions:
                env = getattr(getattr(execution, "exec_worker", None), "env", None)  # None until it starts
                executions.append((str(execution.exec_status), _history_length(env)))
        return (self._runtime.activity.finished, len(self._lambdas.invocations), tuple(executions))

    def _sfn_backend(self) -> Any:
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        return stepfunctions_parser_backends[self._runtime.account][self._runtime.region]


def current_frames() -> dict[int, FrameType]:
    """`sys._current_frames()` with the garbage collector paused. CPython 3.11 (3.11.7 here) holds its thread list's
    lock while it builds the dict; a collection there can run a finalizer that lets another thread take the GIL and
    wait for that lock (starting a thread does), and the process deadlocks (python/cpython#106883, fixed the same
    way). The soak, with hundreds of threads polled every 10 ms, hung on it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return sys._current_frames()
    finally:
        if enabled:
            gc.enable()


def _history_length(env: Any) -> int:
    """How many history events an execution has. moto's `get_event_history()` deep-copies the whole history, and
    this is read for every execution at every poll of `wait_until_quiet`: with thousands of executions (the soak)
    the copies cost more than the work. The list's length is read without a copy where moto keeps it."""
    if env is None:
        return 0
    manager = env.event_manager
    events = getattr(manager, "_history_event_list", None)
    return len(events) if isinstance(events, list) else len(manager.get_event_history())


clock_file = clock_module.__file__
_WAITS = {"wait", "wait_for", "join", "_wait_for_tstate_lock"}  # threading's blocking calls


def frame_waits(frame: FrameType) -> bool:
    """The thread whose innermost frame this is blocks in a wait of `threading` (an Event, a Condition, a join) or
    polls the local clock for a deadline: it moves again only when something else happens or time passes. A wait
    already satisfied (notified) whose thread has not run since does not count: on a loaded machine a woken thread
    can sit there for longer than the quiet window, and the system would look still while it is about to move."""
    code = frame.f_code
    if code.co_filename == threading.__file__ and code.co_name in _WAITS:
        return not _notified(frame) and not _clock_wait_over(frame) and not _starting_a_thread(frame)
    return code.co_filename == clock_file and not _clock_wait_over(frame)


def _starting_a_thread(frame: FrameType) -> bool:
    """The wait is `Thread.start()` waiting for the new thread to run. That thread is in no frame yet (nor has an
    ident) so nothing shows it working, and on a loaded machine it can take longer than the quiet window to be
    scheduled: the starter is about to move, not still (a Step Functions task's worker, say)."""
    current: FrameType | None = frame
    while current is not None and current.f_code.co_filename == threading.__file__:
        if current.f_code.co_name == "start":
            return True
        current = current.f_back
    return False


def _clock_wait_over(frame: FrameType) -> bool:
    """The thread is inside `Clock.wait` (polling its event in short real waits) and that wait is over: its event is
    set or its deadline has passed on the clock. It leaves at its next poll, or is leaving now; not still."""
    current: FrameType | None = frame
    while current is not None:
        if current.f_code.co_filename == clock_file and current.f_code.co_name == "wait":
            local = current.f_locals
            event, deadline, clock = local.get("event"), local.get("deadline"), local.get("self")
            if isinstance(event, threading.Event) and event.is_set():
                return True
            return isinstance(deadline, float) and isinstance(clock, clock_module.Clock) and clock.now() >= deadline
        current = current.f_back
    return False


def _notified(frame: FrameType) -> bool:
    """`Condition.wait` (which Event.wait and the clock's polls block in) parks on a lock of its own, `waiter`, that
    `notify()` releases: released while the frame is still in the wait means woken but not yet running."""
    waiter = frame.f_locals.get("waiter") if frame.f_code.co_name == "wait" else None
    locked = getattr(waiter, "locked", None)
    return callable(locked) and not locked()
