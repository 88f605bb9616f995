"""A service task's TimeoutSeconds counted from its TaskStarted event, as its history shows it.

moto's `ExecutionState._evaluate_with_timeout` opens the task's frame, starts a thread that runs the task, and at
once waits for that thread with the timeout (on the runtime's clock, `timing.py`). The thread evaluates the task's
resource, parameters and credentials before it records TaskScheduled and TaskStarted, so the timeout was counted
from a moment before TaskStarted: on a busy machine a `TimeoutSeconds: 86400` task timed out 86,399.97 s after its
TaskStarted (a workflow test beside two CPU hogs). Here the wait for a service task (every `arn:aws:states:::` task,
whose TaskStarted moto records in `StateTaskService._before_eval_execution`) first waits, with no deadline, for the
task to have started (or ended), then counts its timeout from there: never less than TimeoutSeconds after
TaskStarted. Other states timed this way (a Map, a Parallel, a Lambda or activity resource) keep moto's timing.

The timeout's Event is made inside `_evaluate_with_timeout`, right after the task's frame is opened, on the same
thread: a wrap of that method tells the thread which environment it evaluates (only for a service task), and the
Event, as it is made, expects the start of that environment's newest frame (`env._frames[-1]`, moto's list of open
frames, appended by `open_frame`). The task's thread tells the start, by its frame, once TaskStarted is recorded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Final

from orchestrator.local import seams
from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import stepfunctions as declared

_SERVICE_TASK: Final = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service"


class TaskStarts:
    """The service tasks whose timeout waits for their start: each task's frame -> the event its start sets."""

    def __init__(self) -> None:
        self._evaluating = threading.local()  # the environment of the service task this thread evaluates, if any
        self._lock = threading.Lock()
        self._expected: dict[int, threading.Event] = {}  # id of a task's frame -> set once TaskStarted is recorded

    def bind(self, seam_set: SeamSet) -> None:
        service_task = seams.read(f"{_SERVICE_TASK}.StateTaskService")

        def evaluating(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
            def _evaluate_with_timeout(state: Any, env: Any) -> None:
                outer = getattr(self._evaluating, "env", None)
                self._evaluating.env = env if isinstance(state, service_task) else None
                try:
                    original(state, env)
                finally:
                    self._evaluating.env = outer

            return _evaluate_with_timeout

        def started(original: Callable[..., None]) -> Callable[..., None]:
            def _before_eval_execution(state: Any, env: Any, *args: Any, **kwargs: Any) -> None:
                original(state, env, *args, **kwargs)  # TaskScheduled, then TaskStarted
                with self._lock:
                    start = self._expected.pop(id(env), None)
                if start is not None:
                    start.set()

            return _before_eval_execution

        seam_set.wrap(declared.TASK_TIMEOUT_CALLER, evaluating)
        seam_set.wrap(declared.TASK_STARTED, started)

    def expect(self) -> tuple[int, threading.Event] | None:
        """Called as a task's timeout Event is made: the key and the event of the start of the service task this
        thread evaluates (its newest frame, just opened), or None (not a service task)."""
        env = getattr(self._evaluating, "env", None)
        if env is None:
            return None
        start = threading.Event()
        key = id(env._frames[-1])
        with self._lock:
            self._expected[key] = start
        return key, start

    def forget(self, key: int) -> None:
        with self._lock:
            self._expected.pop(key, None)


def task_timeout_event_class(
    clock_wait: Callable[[threading.Event, float | None, str], bool], base: type, starts: TaskStarts
) -> type:
    """The Event `_evaluate_with_timeout` makes: `base` (a wait on the clock), whose timed wait first waits for a
    service task to start."""

    class TaskTimeoutEvent(base):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self._start = starts.expect()

        def set(self) -> None:
            super().set()
            if self._start is not None:  # a task that ended before it started (a bad parameter) ends the wait too
                self._start[1].set()

        def wait(self, timeout: float | None = None) -> bool:
            if self._start is not None:
                key, start = self._start
                try:
                    clock_wait(start, None, "its task to start")
                finally:
                    starts.forget(key)
            return bool(super().wait(timeout))

    return TaskTimeoutEvent
