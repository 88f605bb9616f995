"""moto's Step Functions interpreter on the runtime's clock: its waits, its retries, its timestamps.

Every wait of the interpreter that real time bounds waits on `runtime.clock` instead, so `clock.advance(hours=24)`
ends a 24-hour Wait at once: Wait states (Seconds, SecondsPath, Timestamp, TimestampPath), Retry intervals, task
`TimeoutSeconds`, `HeartbeatSeconds`, `.waitForTaskToken` and activity waits, and the state machine's own
`TimeoutSeconds`. History event timestamps, execution start and stop dates, `$$.State.EnteredTime` and Map Run dates
read the clock too, so a timeline shows a 24-hour wait as 24 hours. (The 0.5 s poll of `.sync` integrations is an
interval between status checks, not a bound on a wait; it stays in real time.)

Where moto reads the time inside a method that can be patched, that method is the seam; two module globals remain,
where the time is read in the middle of a long method of moto's (`execute_state.threading` for a task's time-out,
`retrier_decl.time` for a retry's sleep, `state.datetime` for EnteredTime).
"""

from __future__ import annotations

import datetime
import functools
import threading
import time
from collections.abc import Callable
from typing import Any, Final

from orchestrator.local import seams
from orchestrator.local.clock import Clock
from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import stepfunctions as declared
from orchestrator.local.stepfunctions.task_timeouts import TaskStarts, task_timeout_event_class
from orchestrator.local.stepfunctions.threads import InterpreterThreads

_A: Final[str] = "moto.stepfunctions.parser.asl"


def bind_clock(
    seam_set: SeamSet, clock: Clock, program_started: Callable[[Any], None], threads: InterpreterThreads
) -> None:
    """Binds the clock seams of `seams.stepfunctions` into `seam_set`, each wait named in the ledger;
    `program_started(env)` is called as each program starts running (it can be stopped from then on); `threads`
    enters the program's thread in the ledger."""
    # moto's stand-in for "no TimeoutSeconds" is waited as no time-out at all, so that a task without one never
    # shows up as a clock deadline three years ahead.
    no_timeout = seams.read(f"{_A}.component.common.timeouts.timeout.TimeoutSeconds").DEFAULT_TIMEOUT_SECONDS

    def clock_wait(event: threading.Event, timeout: float | None, what: str) -> bool:
        return clock.wait(event, None if timeout is None or timeout >= no_timeout else timeout, what)

    def wait_interval(_wait_function: Any, env: Any, wait_seconds: int) -> None:
        clock.wait(_UntilProgramEnds(env), max(wait_seconds, 0), "a Wait state")

    def callback_wait(endpoint: Any, timeout: float | None = None) -> Any:
        clock_wait(endpoint._notify_event, timeout, "a task token")
        return endpoint._outcome

    def heartbeat_clear_and_wait(endpoint: Any) -> bool:
        with endpoint._mutex:
            if endpoint._next_heartbeat_event.is_set():
                endpoint._next_heartbeat_event.clear()
                return True
        return clock_wait(endpoint._next_heartbeat_event, endpoint._heartbeat_seconds, "a task heartbeat")

    def activity_start_wait(endpoint: Any, timeout_seconds: float) -> Any:
        clock_wait(endpoint._next_activity_task_start_event, timeout_seconds, "an activity worker")
        return endpoint._outcome

    seam_set.replace(declared.CLOCK_WAIT_STATE, wait_interval)
    # Task TimeoutSeconds: ExecutionState._evaluate_with_timeout waits on a `threading.Event()` it creates.
    event = functools.partial(_clock_event_class, clock_wait)
    # A service task's timeout counts from its TaskStarted event (task_timeouts.py).
    starts = TaskStarts()
    starts.bind(seam_set)
    task_event = task_timeout_event_class(clock_wait, event("its task, or its TimeoutSeconds"), starts)
    seam_set.replace(declared.CLOCK_TASK_TIMEOUT, _Overlay(threading, Event=task_event))
    seam_set.replace(declared.PARALLEL_BRANCHES_WAIT, _Overlay(threading, Event=event("its Parallel branches")))
    seam_set.replace(declared.MAP_ITERATIONS_WAIT, _Overlay(threading, Event=event("its Map iterations")))
    seam_set.replace(declared.CLOCK_CALLBACK_WAIT, callback_wait)
    seam_set.replace(declared.CLOCK_HEARTBEAT_WAIT, heartbeat_clear_and_wait)
    seam_set.replace(declared.CLOCK_ACTIVITY_START_WAIT, activity_start_wait)
    _bind_retry_interval(seam_set, clock)
    seam_set.replace(declared.CLOCK_PROGRAM_TIMEOUT, _program_eval(clock, program_started, threads))
    _bind_timestamps(seam_set, clock)


def _bind_timestamps(seam_set: SeamSet, clock: Clock) -> None:
    """Execution, history, state and Map Run times read the clock; a Timestamp wait counts from the clock's now."""
    now = _clock_now(clock)
    failure_event_exception = seams.read(f"{_A}.component.common.error_name.failure_event.FailureEventException")

    def map_run_started(original: Callable[..., None]) -> Callable[..., None]:
        def init(record: Any, *args: Any, **kwargs: Any) -> None:
            original(record, *args, **kwargs)
            record.start_date = now(datetime.UTC)

        return init

    def map_run_stopped(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        def set_stop(record: Any, status: Any) -> None:
            original(record, status)
            record.stop_date = now(datetime.UTC)

        return set_stop

    def starting_on_the_clock(original: Callable[[Any], None]) -> Callable[[Any], None]:
        def start(execution: Any) -> None:
            execution.start_date = now(datetime.UTC)  # before the worker reads it for $$.Execution.StartTime
            original(execution)

        return start

    def stopping_on_the_clock(original: Callable[[Any], None]) -> Callable[[Any], None]:
        def reflect_execution_status(communication: Any) -> None:
            original(communication)
            communication.execution.stop_date = now(datetime.UTC)

        return reflect_execution_status

    def get_wait_seconds(timestamp_wait: Any, env: Any) -> int:
        timestamp_wait.string.eval(env=env)
        timestamp_text = env.stack.pop()
        timestamp = timestamp_wait._from_timestamp_string(timestamp=timestamp_text)
        if timestamp is None:
            raise failure_event_exception(timestamp_wait._create_failure_event(env, timestamp_text))
        # moto parses the timestamp as a naive UTC time: compare it with the clock's UTC now, not with local time.
        return int((timestamp - now(None)).total_seconds())

    seam_set.wrap(declared.CLOCK_EXECUTION_START, starting_on_the_clock)
    seam_set.wrap(declared.CLOCK_EXECUTION_STOP, stopping_on_the_clock)
    seam_set.replace(declared.CLOCK_HISTORY_TIMESTAMPS, lambda: now(datetime.UTC))
    seam_set.replace(declared.CLOCK_ENTERED_TIME, _Overlay(datetime, datetime=_Overlay(datetime.datetime, now=now)))
    seam_set.replace(declared.CLOCK_TIMESTAMP_WAIT, get_wait_seconds)
    seam_set.wrap(declared.CLOCK_MAP_RUN_START, map_run_started)
    seam_set.wrap(declared.CLOCK_MAP_RUN_STOP, map_run_stopped)


class _Overlay:
    """Stands in for a module (or class) inside one moto module: the given names replaced, all others passed on."""

    def __init__(self, base: Any, **replacements: Any) -> None:
        self._base = base
        self.__dict__.update(replacements)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)


def _clock_event_class(clock_wait: Callable[[threading.Event, float | None, str], bool], what: str) -> type:
    class ClockEvent:
        """`threading.Event` whose `wait` is a wait on the clock named `what`."""

        def __init__(self) -> None:
            self._event = threading.Event()

        def is_set(self) -> bool:
            return self._event.is_set()

        def set(self) -> None:
            self._event.set()

        def clear(self) -> None:
            self._event.clear()

        def wait(self, timeout: float | None = None) -> bool:
            return clock_wait(self._event, timeout, what)

    return ClockEvent


class _UntilProgramEnds(threading.Event):
    """Reads as set once the execution stopped, timed out or failed: a wait on it ends early then, as on AWS."""

    def __init__(self, env: Any) -> None:
        super().__init__()
        self._env = env

    def is_set(self) -> bool:
        return not self._env.is_running()

    def wait(self, timeout: float | None = None) -> bool:
        self._env.program_state_event.wait(timeout)  # moto pulses it on every change of the program state
        return self.is_set()


def _clock_now(clock: Clock) -> Callable[..., datetime.datetime]:
    def now(tz: datetime.tzinfo | None = None) -> datetime.datetime:
        moment = datetime.datetime.fromtimestamp(clock.now(), tz or datetime.UTC)
        # A naive `now()` is compared with a naive UTC timestamp (the Timestamp wait): answer in UTC.
        return moment if tz is not None else moment.replace(tzinfo=None)

    return now


def _bind_retry_interval(seam_set: SeamSet, clock: Clock) -> None:
    """`RetrierDecl._eval_body` sleeps with `time.sleep`; make that a clock wait that ends when the program does."""
    retrying = threading.local()  # the env of the retrier running on this thread: `time.sleep` is not given it

    def remembering_env(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        def eval_body(retrier: Any, env: Any) -> None:
            retrying.env = env
            try:
                original(retrier, env)
            finally:
                retrying.env = None

        return eval_body

    def sleep(seconds: float) -> None:
        env = getattr(retrying, "env", None)
        if env is not None and not env.is_running():
            return  # stopped meanwhile: moto skipped working the interval out, `seconds` may be any stack value
        clock.wait(_UntilProgramEnds(env) if env is not None else None, seconds, "a Retry interval")

    seam_set.wrap(declared.CLOCK_RETRY_ENV, remembering_env)
    seam_set.replace(declared.CLOCK_RETRY_SLEEP, _Overlay(time, sleep=sleep))


def _program_eval(
    clock: Clock, started: Callable[[Any], None], threads: InterpreterThreads
) -> Callable[[Any, Any], None]:
    """`Program.eval` with the state machine's TimeoutSeconds on the clock (moto joins the worker thread with it),
    calling `started(env)` once the program runs (it can be stopped from then on)."""
    program_class = seams.read(f"{declared.PROGRAM_MODULE}.Program")
    interpreter_threads = threads.list_for(declared.PROGRAM_MODULE)

    def eval_program(program: Any, env: Any) -> None:
        timeout = program.timeout_seconds.timeout_seconds if program.timeout_seconds else None
        env.next_state_name = program.start_at.start_at_name
        threads.belongs_to(env.states.context_object.context_object_data["Execution"]["Id"])
        started(env)
        if not env.is_running():
            # Stopped as it started: moto's `eval` would skip the program's body, and with it the ExecutionAborted
            # event the body records once the program is no longer running.
            program._eval_body(env)
            return
        finished = threading.Event()

        def run() -> None:
            try:
                super(program_class, program).eval(env)
            finally:
                finished.set()

        worker = threading.Thread(target=run, daemon=True)
        interpreter_threads.append(worker)
        worker.start()
        if not clock.wait(finished, timeout, "its program, or its TimeoutSeconds"):
            env.set_timed_out()

    return eval_program
