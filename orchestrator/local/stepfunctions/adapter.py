"""The Step Functions adapter: moto's interpreter on the runtime's clock, its executions' lifecycle, their
status-change events, and the fixes of moto that `tasks.py` binds. Install before executions start.

`uninstall()` refuses new executions (`StepFunctionsStoppedError`), stops the ones still running (without
status-change events: the runtime is going away), waits (bounded) for the interpreter's threads to end, then restores
every original: nothing of an execution runs on after it.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar, Final

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult

from asl.history import StateVisit, visits_from_history
from orchestrator.local.provision import Provisioned, Provisioner
from orchestrator.local.redrive import REDRIVABLE, ExecutionNotRedrivable, redrive_point, redrive_worker
from orchestrator.local.runtime import Runtime
from orchestrator.local.seams import SeamSet, check_moto_version
from orchestrator.local.seams import stepfunctions as declared
from orchestrator.local.stepfunctions.branch_errors import bind_branch_errors
from orchestrator.local.stepfunctions.choice import bind_choice
from orchestrator.local.stepfunctions.clients import bind_shared_clients
from orchestrator.local.stepfunctions.context import bind_context
from orchestrator.local.stepfunctions.definitions import (
    ALIAS_TYPE,
    STATE_MACHINE_TYPE,
    VERSION_TYPE,
    create_alias,
    create_state_machine,
    create_version,
)
from orchestrator.local.stepfunctions.grammar_gaps import bind_grammar_gaps
from orchestrator.local.stepfunctions.intrinsic_math import bind_intrinsic_math
from orchestrator.local.stepfunctions.intrinsic_strings import bind_intrinsic_strings
from orchestrator.local.stepfunctions.json_paths import bind_json_paths
from orchestrator.local.stepfunctions.lambda_result import bind_lambda_result
from orchestrator.local.stepfunctions.map_items import bind_map_items
from orchestrator.local.stepfunctions.number_fields import bind_number_fields
from orchestrator.local.stepfunctions.outputs import bind_json_outputs
from orchestrator.local.stepfunctions.parsing import bind_parse_once
from orchestrator.local.stepfunctions.qualified import AliasRouter, bind_qualified_starts
from orchestrator.local.stepfunctions.status import StatusEvents
from orchestrator.local.stepfunctions.tasks import bind_fixes, named_by_default
from orchestrator.local.stepfunctions.terminal_errors import bind_terminal_errors
from orchestrator.local.stepfunctions.threads import InterpreterThreads
from orchestrator.local.stepfunctions.timing import bind_clock
from orchestrator.local.stepfunctions.variables import bind_entry_variables

logger = logging.getLogger(__name__)

STOP_TIMEOUT_SECONDS: Final[float] = 10.0  # how long `uninstall()` waits for the interpreter's threads to end

_STOPPED_CAUSE: Final[str] = "the local runtime stopped"


class StepFunctionsStoppedError(RuntimeError):
    """StartExecution once `StepFunctionsAdapter.uninstall()` began: the local runtime is going away."""


class StepFunctionsAdapter:
    """Runs moto's Step Functions interpreter on the runtime's clock and sends its status-change events."""

    _install_lock: ClassVar[threading.Lock] = (
        threading.Lock()
    )  # installs and uninstalls of every adapter, one at a time

    def __init__(self, runtime: Runtime, *, rng: random.Random | None = None) -> None:
        """`rng`: the draws of alias routing (seeded, they repeat run to run)."""
        self.runtime = runtime
        self._router = AliasRouter(rng)
        self._running: dict[str, Any] = {}  # execution ARN -> moto's execution, from start to end
        self._starting = 0  # starts under way: their worker thread may not be running yet
        self._running_lock = threading.Condition()
        self._closing = False
        # Set with `_closing` (under `_running_lock`): from then on every StartExecution is refused.
        self.closing = threading.Event()
        self._events = StatusEvents(runtime)
        self._seams: SeamSet | None = None
        self._threads = InterpreterThreads(runtime.ledger)  # the interpreter's threads, in the ledger

    def creators(self) -> dict[str, Callable[[Provisioner, str, dict[str, Any]], Provisioned]]:
        return {STATE_MACHINE_TYPE: create_state_machine, VERSION_TYPE: create_version, ALIAS_TYPE: create_alias}

    def install(self) -> None:
        """Applies this adapter's seams on moto's interpreter (idempotent); one adapter can be installed at a time."""
        with self._install_lock:
            if self._seams is not None:
                return
            seam_set = SeamSet("StepFunctionsAdapter", exclusive=True)
            check_moto_version("orchestrator.local.stepfunctions")
            self._threads = InterpreterThreads(self.runtime.ledger)
            for seam in declared.INTERPRETER_THREADS:
                seam_set.replace(seam, self._threads.list_for(seam.target))
            bind_qualified_starts(seam_set, self._router)  # first: inside the lifecycle's wraps of StartExecution
            self._bind_lifecycle(seam_set)
            # After the lifecycle: the clock's start date is set before the RUNNING event reads it.
            bind_clock(seam_set, self.runtime.clock, self._program_started, self._threads)
            bind_fixes(seam_set)
            bind_json_outputs(seam_set)
            bind_parse_once(seam_set)
            bind_shared_clients(seam_set)
            bind_intrinsic_strings(seam_set)
            bind_intrinsic_math(seam_set)
            bind_json_paths(seam_set)
            bind_choice(seam_set)
            bind_branch_errors(seam_set)
            bind_context(seam_set)
            bind_grammar_gaps(seam_set)
            bind_map_items(seam_set)
            bind_entry_variables(seam_set)
            bind_number_fields(seam_set)
            bind_lambda_result(seam_set)
            bind_terminal_errors(seam_set)
            self._bind_redrive(seam_set)
            seam_set.apply()
            self._seams = seam_set
            self._closing = False
            self.closing.clear()

    def execution_of_current_thread(self) -> str | None:
        """The execution the calling thread works for, if it is one of the interpreter's (its integrations' calls
        are the state machine role's: orchestrator/local/iam)."""
        return self._threads.execution_of_current_thread()

    def interpreter_threads(self) -> list[threading.Thread]:
        """The interpreter's threads started since `install()` and still alive (workers, Map iterations...)."""
        return self._threads.alive()

    def uninstall(self, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
        """Refuse new executions, stop the ones still running (quietly), wait for every thread of the interpreter
        started since `install()` to end, then restore moto's originals (idempotent). False if some thread was
        still running after `timeout` seconds (real time): moto is restored all the same, and they are logged.

        An execution waiting for a task token or on the clock would otherwise keep a thread polling the clock for
        as long as the process lives, and one still evaluating a state would go on without the patches (and without
        the JSONata engine, uninstalled next); no status-change event is sent, as the runtime is going away."""
        with self._install_lock:
            if self._seams is None:
                return True
            still_running = self._stop_executions(timeout)
            if still_running:
                logger.warning(
                    "Step Functions threads still running %.0f s after the executions were stopped: %s",
                    timeout,
                    ", ".join(thread.name for thread in still_running),
                )
            self._seams.undo()
            self._seams = None
            return not still_running

    def wait_ended(self, execution_arn: str, timeout: float) -> bool:
        """Blocks until the execution (one started since `install()`) has ended; False after `timeout` seconds (real
        time). For a caller that cannot wait for the whole runtime to be quiet (another execution is held)."""
        with self._running_lock:
            return self._running_lock.wait_for(lambda: execution_arn not in self._running, timeout)

    def running_executions(self) -> int:
        """How many executions started since `install()` have not ended yet (waiting ones included)."""
        with self._running_lock:
            return len(self._running)

    def history_path(self, execution_arn: str) -> list[StateVisit]:
        """The states the execution went through so far, with outcome and (clock) times."""
        sfn = self.runtime.client("stepfunctions")
        status = sfn.describe_execution(executionArn=execution_arn)["status"]
        pages = sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
        return visits_from_history((event for page in pages for event in page["events"]), status)

    # -- execution lifecycle ----------------------------------------------------------------------------------

    def _bind_lifecycle(self, seam_set: SeamSet) -> None:
        def starting(original: Callable[[Any], None]) -> Callable[[Any], None]:
            def start(execution: Any) -> None:
                self._started(execution)  # before the worker starts: a short execution ends before `start` returns
                try:
                    original(execution)
                finally:
                    with self._running_lock:
                        self._starting -= 1
                        self._running_lock.notify_all()

            return start

        def refusing_once_closing(original: Callable[..., Any]) -> Callable[..., Any]:
            def start_execution(backend: Any, state_machine_arn: str, *args: Any, **kwargs: Any) -> Any:
                with self._running_lock:
                    self._refuse_once_closing(state_machine_arn)
                return original(backend, state_machine_arn, *args, **kwargs)

            return start_execution

        def terminating(original: Callable[[Any], None]) -> Callable[[Any], None]:
            def terminated(communication: Any) -> None:
                original(communication)  # moto sets the final status and stop date
                self._ended(communication.execution)

            return terminated

        seam_set.wrap(declared.LIFECYCLE_STARTED, starting)
        seam_set.wrap(declared.LIFECYCLE_ENDED, terminating)
        seam_set.wrap(declared.LIFECYCLE_UNNAMED_EXECUTION, named_by_default)
        seam_set.wrap(declared.LIFECYCLE_REFUSE_WHEN_CLOSING, refusing_once_closing)

    def _bind_redrive(self, seam_set: SeamSet) -> None:
        """RedriveExecution, which moto lacks (orchestrator/local/redrive.py)."""

        def redrive_execution(backend: Any, execution_arn: str) -> Any:  # a function: bound to the backend when called
            return self._redrive(backend, execution_arn)

        seam_set.add(declared.REDRIVE_BACKEND, redrive_execution)
        seam_set.add(declared.REDRIVE_RESPONSE, _redrive_response)

    def _redrive(self, backend: Any, execution_arn: str) -> Any:
        """Restarts a FAILED, TIMED_OUT or ABORTED execution in place from the state where it stopped."""
        execution = backend.describe_execution(execution_arn)
        if str(execution.status) not in REDRIVABLE:
            raise _NotRedrivable(
                f"Execution {execution_arn} is {execution.status}: "
                "only a failed, timed-out or aborted execution can be redriven"
            )
        try:
            point = redrive_point(
                json.loads(execution.state_machine.definition),
                execution.exec_worker.env.event_manager.get_event_history(),
            )
        except ExecutionNotRedrivable as error:
            raise _NotRedrivable(str(error)) from None
        count = getattr(execution, "redrive_count", 0) + 1
        worker = redrive_worker(execution.exec_worker, point, json.loads(execution.state_machine.definition), count)
        self._started(execution)
        try:
            execution.redrive_count = count
            execution.redrive_date = self.runtime.clock.utcnow()
            execution.exec_worker = worker
            execution.exec_status = _status("RUNNING")
            execution.stop_date = execution.output = execution.error = execution.cause = None
            worker.start()
        finally:
            with self._running_lock:
                self._starting -= 1
                self._running_lock.notify_all()
        return execution

    def _started(self, execution: Any) -> None:
        with self._running_lock:  # a start is either refused, or waited for by `uninstall()`
            self._refuse_once_closing(execution.state_machine_arn)
            self._starting += 1
            self._running[execution.exec_arn] = execution
        self._events.publish(execution, "RUNNING")

    def _refuse_once_closing(self, state_machine_arn: str) -> None:
        if self._closing:
            raise StepFunctionsStoppedError(
                f"StartExecution of {state_machine_arn} refused: the local Step Functions runtime is stopping "
                "(StepFunctionsAdapter.uninstall() was called)"
            )

    def _program_started(self, env: Any) -> None:
        """An execution whose program starts once `uninstall()` began is stopped at once: `uninstall()` could not
        stop it before, as moto's `set_stop` does nothing to a program not yet running (or without an env)."""
        if env.is_frame():
            return  # a Map iteration or Parallel branch: stopped with its execution
        with self._running_lock:
            if self._closing:
                env.set_stop(stop_date=self.runtime.clock.utcnow(), cause=_STOPPED_CAUSE, error=None)

    def _ended(self, execution: Any) -> None:
        with self._running_lock:
            closing = self._closing
        if not closing:  # submitted before the execution stops counting: the runtime never looks idle in between
            self._events.publish(execution, execution.status)
        with self._running_lock:
            self._running.pop(execution.exec_arn, None)
            self._running_lock.notify_all()  # `wait_ended`

    def _stop_executions(self, timeout: float) -> list[threading.Thread]:
        """Stops every execution and waits for the interpreter's threads; returns those still running."""
        deadline = time.monotonic() + timeout
        with self._running_lock:
            self._closing = True
            self.closing.set()
            # A start under way has its worker thread on moto's list once it returns.
            self._running_lock.wait_for(lambda: self._starting == 0, timeout)
            running = list(self._running.values())
        for execution in running:
            worker = execution.exec_worker
            # moto creates the env on the worker's thread; one not created (or not running) yet stops itself as its
            # program starts (`_program_started`).
            if worker is not None and worker.env is not None:
                worker.env.set_stop(stop_date=self.runtime.clock.utcnow(), cause=_STOPPED_CAUSE, error=None)
        return _join(self._threads, deadline)


def _join(threads: InterpreterThreads, deadline: float) -> list[threading.Thread]:
    """Waits until `deadline` (time.monotonic) for the interpreter's threads to end, including those the ending
    ones start meanwhile; returns the ones still running then."""
    while True:
        alive = [t for t in threads.alive() if t is not threading.current_thread()]
        if not alive or time.monotonic() >= deadline:
            return alive
        for thread in alive:
            thread.join(max(deadline - time.monotonic(), 0.0))


class _NotRedrivable(JsonRESTError):
    """AWS's answer to redriving an execution that cannot be (moto has no such error)."""

    def __init__(self, message: str) -> None:
        super().__init__("ExecutionNotRedrivable", message)


def _status(name: str) -> Any:
    from moto.stepfunctions.parser.api import ExecutionStatus

    return ExecutionStatus(name)


def _redrive_response(response: Any) -> Any:
    """The RedriveExecution action moto's responses lack."""
    execution = response.stepfunction_backend.redrive_execution(response._get_param("executionArn"))
    return ActionResult({"redriveDate": execution.redrive_date})
