"""Step Functions on the local runtime: state machines from the template, moto's interpreter on the runtime's clock,
and execution status-change events on the default bus, as AWS sends them.

moto 5.2.5 runs executions with the interpreter it ported from LocalStack (`moto.stepfunctions.parser`) when
`mock_aws(config=MOTO_CONFIG)`. What this adapter adds, checked against that version only (`install()` raises
`MotoSeamError` on any other version or when a patched seam is missing):

- `creators()`: `AWS::StepFunctions::StateMachine` from `DefinitionString` or `Definition`, with
  `DefinitionSubstitutions` applied as CloudFormation does. `LoggingConfiguration`, `TracingConfiguration` and
  `EncryptionConfiguration` are accepted and ignored: moto's interpreter writes no execution logs or traces.
- The clock: every wait of the interpreter that real time bounds waits on `runtime.clock` instead, so
  `clock.advance(hours=24)` ends a 24-hour Wait at once. Wait states (Seconds, SecondsPath, Timestamp, TimestampPath),
  Retry intervals, task `TimeoutSeconds`, `HeartbeatSeconds`, `.waitForTaskToken` and activity waits, and the
  state machine's own `TimeoutSeconds`. History event timestamps, execution start and stop dates, `$$.State.EnteredTime`
  and Map Run dates read the clock too, so a timeline shows a 24-hour wait as 24 hours. (The 0.5 s poll of `.sync`
  integrations is an interval between status checks, not a bound on a wait; it stays in real time.)
- Status-change events: "Step Functions Execution Status Change" from `aws.states` onto the default bus when an
  execution of a STANDARD state machine starts and when it ends (SUCCEEDED, FAILED, TIMED_OUT, ABORTED), put from a
  background thread of `runtime.activity` so a rule's delivery never runs on the interpreter's thread.
- Fixes of moto, each as small as the defect:
  * StopExecution leaves an execution whose task waits for its token RUNNING forever: nothing releases the
    callback wait. Stopping (or the state machine timing out) now releases it;
  * a task interrupted that way would then be recorded as a task failure, which a Catch could even route on;
    AWS records only `ExecutionAborted` / `ExecutionTimedOut`, and now so does moto;
  * a missed heartbeat fails with `States.Timeout` (moto's HeartbeatTimeoutError is a TimeoutError); AWS and now
    moto say `States.HeartbeatTimeout`;
  * SendTaskFailure drops `cause`: the response handler never reads it;
  * the Timestamp wait compares a UTC timestamp with local time (the clock's `now()` answers in UTC there);
  * a `.waitForTaskToken` task's heartbeat endpoint exists only once the service call returned: an agent that
    heartbeats or answers before that (ours run in-process, so they can) is now heard, as on AWS;
  * SendTaskSuccess/Failure/Heartbeat failed with AttributeError while another execution was starting;
  * a task ended by its TimeoutSeconds left its token (or heartbeat) wait running on the clock;
  * an error raised by a state half-way through when the execution was stopped turned ABORTED into FAILED.
- History: `history_path` (over `visits_from_history`, asl/history.py) gives each state visit its own events
  by following their `previousEventId` chains, so Map iterations running side by side keep their own exits and errors.

Install before executions start. `uninstall()` refuses new executions (`StepFunctionsStoppedError`), stops the ones
still running (without status-change events: the runtime is going away), waits (bounded) for the interpreter's
threads to end, then restores every original: nothing of an execution runs on after it.
"""

from __future__ import annotations

import datetime
import importlib
import json
import logging
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Final

import moto
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult

from asl.history import StateVisit, visits_from_history
from orchestrator.local.clock import Clock
from orchestrator.local.jsonata_engine import SUPPORTED_MOTO_VERSION, MotoSeamError
from orchestrator.local.provision import Provisioned, Provisioner
from orchestrator.local.redrive import REDRIVABLE, ExecutionNotRedrivable, redrive_point, redrive_worker
from orchestrator.local.runtime import Runtime

logger = logging.getLogger(__name__)

STATE_MACHINE_TYPE: Final[str] = "AWS::StepFunctions::StateMachine"
STOP_TIMEOUT_SECONDS: Final[float] = 10.0  # how long `uninstall()` waits for the interpreter's threads to end
STATUS_CHANGE_SOURCE: Final[str] = "aws.states"
STATUS_CHANGE_DETAIL_TYPE: Final[str] = "Step Functions Execution Status Change"
IGNORED_PROPERTIES: Final[frozenset[str]] = frozenset(
    {"LoggingConfiguration", "TracingConfiguration", "EncryptionConfiguration"}
)

_PARSER: Final[str] = "moto.stepfunctions.parser"
_ASL: Final[str] = f"{_PARSER}.asl"
_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
_IAM_ROLE_ARN = re.compile(r"arn:aws[-a-z]*:iam::\d{12}:role/.+")


# ---------------------------------------------------------------------------------------------------------------
# State machines from the template


def apply_substitutions(definition: str, substitutions: Mapping[str, Any]) -> str:
    """`${Name}` placeholders replaced by their `DefinitionSubstitutions` value, as CloudFormation does; a
    placeholder without a substitution is left as written."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in substitutions:
            return match.group(0)
        replacement = substitutions[name]
        return replacement if isinstance(replacement, str) else json.dumps(replacement)

    return _PLACEHOLDER.sub(value, definition)


def state_machine_definition(logical_id: str, props: Mapping[str, Any]) -> str:
    """The ASL text of a state machine resource: `DefinitionString` or `Definition`, substitutions applied."""
    if "DefinitionS3Location" in props:
        raise NotImplementedError(
            f"{logical_id}: DefinitionS3Location is not supported locally (no S3 asset upload); inline the "
            "definition instead (CDK: DefinitionBody.from_file writes it into DefinitionString)"
        )
    if "DefinitionString" in props:
        raw = props["DefinitionString"]
        text = raw if isinstance(raw, str) else json.dumps(raw)
    elif "Definition" in props:
        text = json.dumps(props["Definition"])
    else:
        raise ValueError(f"{logical_id}: a state machine needs DefinitionString or Definition")
    return apply_substitutions(text, props.get("DefinitionSubstitutions") or {})


def create_state_machine(p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
    """Creator of `AWS::StepFunctions::StateMachine`: Ref is the ARN, attributes Arn, Name, StateMachineRevisionId."""
    name = props.get("StateMachineName") or p.physical_name(logical_id, 80)
    definition = state_machine_definition(logical_id, props)
    role = props.get("RoleArn")
    if not isinstance(role, str) or not _IAM_ROLE_ARN.fullmatch(role):
        # IAM is not enforced locally and a skipped role's placeholder ARN is not in IAM's format, which moto checks.
        role = f"arn:aws:iam::{p.account}:role/{name}-local"
    arguments: dict[str, Any] = {
        "name": name,
        "definition": definition,
        "roleArn": role,
        "type": props.get("StateMachineType", "STANDARD"),
    }
    if props.get("Tags"):
        arguments["tags"] = [{"key": tag["Key"], "value": tag["Value"]} for tag in props["Tags"]]
    ignored = sorted(IGNORED_PROPERTIES & props.keys())
    if ignored:
        logger.info("state machine %s: %s accepted and ignored locally", name, ", ".join(ignored))
    arn = p.client("stepfunctions").create_state_machine(**arguments)["stateMachineArn"]
    # moto keeps no revision ids; one derived from the definition changes exactly when the definition does.
    revision = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{arn}#{definition}"))
    return Provisioned(arn, {"Arn": arn, "Name": name, "StateMachineRevisionId": revision})


# ---------------------------------------------------------------------------------------------------------------
# The adapter

_STOPPED_CAUSE: Final[str] = "the local runtime stopped"


class StepFunctionsStoppedError(RuntimeError):
    """StartExecution once `StepFunctionsAdapter.uninstall()` began: the local runtime is going away."""


class StepFunctionsAdapter:
    """Runs moto's Step Functions interpreter on the runtime's clock and sends its status-change events."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._running: dict[str, Any] = {}  # execution ARN -> moto's execution, from start to end
        self._starting = 0  # starts under way: their worker thread may not be running yet
        self._running_lock = threading.Condition()
        self._closing = False
        self._events = _StatusEvents(runtime)
        self._patches: _Patches | None = None
        self._threads: list[threading.Thread] = []  # moto's list of the interpreter's threads
        self._threads_from = 0  # where the threads started since `install()` begin in it

    def creators(self) -> dict[str, Callable[[Provisioner, str, dict[str, Any]], Provisioned]]:
        return {STATE_MACHINE_TYPE: create_state_machine}

    def install(self) -> None:
        """Patch moto's interpreter (idempotent); only one adapter can be installed at a time."""
        global _installed
        with _install_lock:
            if _installed is self:
                return
            if _installed is not None:
                raise RuntimeError("another StepFunctionsAdapter is installed: uninstall it first")
            if moto.__version__ != SUPPORTED_MOTO_VERSION:
                raise MotoSeamError(
                    f"orchestrator.local.stepfunctions was checked against moto {SUPPORTED_MOTO_VERSION}, found "
                    f"{moto.__version__}: re-read the seams listed in its module docstring, then update it"
                )
            patches = _Patches()
            try:
                modules = _load_modules()
                self._threads = _interpreter_threads(modules["utils"])
                self._patch_clock(patches, modules)
                self._patch_lifecycle(patches, modules)
            except BaseException:
                patches.undo()
                raise
            self._patches = patches
            self._closing = False
            self._threads_from = len(self._threads)
            _installed = self

    def interpreter_threads(self) -> list[threading.Thread]:
        """The interpreter's threads started since `install()` and still alive (workers, Map iterations...)."""
        return [thread for thread in self._threads[self._threads_from :] if thread.is_alive()]

    def uninstall(self, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
        """Refuse new executions, stop the ones still running (quietly), wait for every thread of the interpreter
        started since `install()` to end, then restore moto's originals (idempotent). False if some thread was
        still running after `timeout` seconds (real time): moto is restored all the same, and they are logged.

        An execution waiting for a task token or on the clock would otherwise keep a thread polling the clock for
        as long as the process lives, and one still evaluating a state would go on without the patches (and without
        the JSONata engine, uninstalled next); no status-change event is sent, as the runtime is going away."""
        global _installed
        with _install_lock:
            if self._patches is None:
                return True
            still_running = self._stop_executions(timeout)
            if still_running:
                logger.warning(
                    "Step Functions threads still running %.0f s after the executions were stopped: %s",
                    timeout,
                    ", ".join(thread.name for thread in still_running),
                )
            self._patches.undo()
            self._patches = None
            _installed = None
            return not still_running

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

    # -- the clock --------------------------------------------------------------------------------------------

    def _patch_clock(self, patches: _Patches, m: Mapping[str, Any]) -> None:
        clock = self.runtime.clock
        # moto's stand-in for "no TimeoutSeconds" is waited as no time-out at all, so that a task without one never
        # shows up as a clock deadline three years ahead.
        clock_event = _clock_event_class(clock, no_timeout=m["timeout"].TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS)

        def wait_interval(_wait_function: Any, env: Any, wait_seconds: int) -> None:
            clock.wait(_UntilProgramEnds(env), max(wait_seconds, 0))

        patches.replace(m["wait_function"].WaitFunction, "_wait_interval", wait_interval)
        # Task TimeoutSeconds: ExecutionState._evaluate_with_timeout waits on a `threading.Event()` it creates.
        patches.replace(m["execute_state"], "threading", _Overlay(threading, Event=clock_event))
        # HeartbeatSeconds, .waitForTaskToken and activity waits: the Events of moto's callback endpoints.
        patches.replace(m["callback"], "Event", clock_event)
        _patch_retry_interval(patches, m["retrier_decl"], clock)
        patches.replace(m["program"].Program, "eval", _program_eval(m["program"], clock, self._program_started))
        clock_datetime = _Overlay(datetime, datetime=_Overlay(datetime.datetime, now=_clock_now(clock)))
        for name in ("models", "execution", "event_manager", "state", "timestamp", "map_run_record"):
            patches.replace(m[name], "datetime", clock_datetime)

    # -- execution lifecycle ----------------------------------------------------------------------------------

    def _patch_lifecycle(self, patches: _Patches, m: Mapping[str, Any]) -> None:
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

        patches.wrap(m["execution"].Execution, "start", starting)
        patches.wrap(m["execution"].BaseExecutionWorkerCommunication, "terminated", terminating)
        _patch_stop_releases_callbacks(patches, m["environment"].Environment, m["callback"].CallbackPoolManager)
        _patch_an_ended_program_stays_ended(patches, m["environment"].Environment, m["program_state"])
        _patch_interrupted_task_records_nothing(patches, m["execute_state"].ExecutionState)
        _patch_each_attempt_gets_its_own_token(patches, m["execute_state"].ExecutionState)
        _patch_timed_out_task_releases_its_wait(patches, m["execute_state"].ExecutionState, m["timeout"])
        _patch_heartbeat_timeout_error(patches, m)
        patches.replace(m["responses"].StepFunctionResponse, "send_task_failure", _send_task_failure)
        patches.wrap(m["models"].StepFunctionsParserBackend, "start_execution", _named_by_default)
        patches.wrap(m["models"].StepFunctionsParserBackend, "start_execution", refusing_once_closing)
        patches.replace(m["models"].StepFunctionsParserBackend, "_get_executions", _executions_with_an_env)
        _patch_early_heartbeats(patches, m["callback"].CallbackEndpoint)
        self._patch_tasks_count_as_work(patches, m)

        # RedriveExecution, which moto lacks (orchestrator/local/redrive.py).
        def redrive_execution(backend: Any, execution_arn: str) -> Any:  # a function: bound to the backend when called
            return self._redrive(backend, execution_arn)

        patches.add(m["models"].StepFunctionsParserBackend, "redrive_execution", redrive_execution)
        patches.add(m["responses"].StepFunctionResponse, "redrive_execution", _redrive_response)

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

    def _patch_tasks_count_as_work(self, patches: _Patches, m: Mapping[str, Any]) -> None:
        """While a task calls its service (a Lambda, EventBridge, DynamoDB...), the execution is work in flight, so
        `LocalCloud.wait_until_quiet` never takes a slow call (a client being built, a cold start) for stillness.
        Only the call is counted: a `.waitForTaskToken` task waits for its token after it, as parked work."""
        activity = self.runtime.activity

        def counted(original: Callable[..., Any]) -> Callable[..., Any]:
            def call(*args: Any, **kwargs: Any) -> Any:
                with activity.busy("step functions task", errors_are_failures=False):
                    return original(*args, **kwargs)

            return call

        for service_class in _subclasses(m["state_task_service"].StateTaskService):
            if "_eval_service_task" in vars(service_class):
                patches.wrap(service_class, "_eval_service_task", counted)
        patches.wrap(m["state_task_lambda"].StateTaskLambda, "_eval_execution", counted)

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

    def _stop_executions(self, timeout: float) -> list[threading.Thread]:
        """Stops every execution and waits for the interpreter's threads; returns those still running."""
        deadline = time.monotonic() + timeout
        with self._running_lock:
            self._closing = True
            # A start under way has its worker thread on moto's list once it returns.
            self._running_lock.wait_for(lambda: self._starting == 0, timeout)
            running = list(self._running.values())
        for execution in running:
            worker = execution.exec_worker
            # moto creates the env on the worker's thread; one not created (or not running) yet stops itself as its
            # program starts (`_program_started`).
            if worker is not None and worker.env is not None:
                worker.env.set_stop(stop_date=self.runtime.clock.utcnow(), cause=_STOPPED_CAUSE, error=None)
        return _join(self._threads, self._threads_from, deadline)


_install_lock = threading.Lock()
_installed: StepFunctionsAdapter | None = None


def _interpreter_threads(utils_module: Any) -> list[threading.Thread]:
    """moto's list of every thread its interpreter starts (workers, Map iterations, task evaluations)."""
    threads = getattr(utils_module, "TMP_THREADS", None)
    if not isinstance(threads, list):
        raise MotoSeamError(f"{utils_module.__name__}.TMP_THREADS, the interpreter's threads, is missing")
    return threads


def _join(threads: list[threading.Thread], first: int, deadline: float) -> list[threading.Thread]:
    """Waits until `deadline` (time.monotonic) for `threads[first:]` to end, including those the ending ones start
    meanwhile; returns the ones still running then."""
    while True:
        alive = [t for t in threads[first:] if t.is_alive() and t is not threading.current_thread()]
        if not alive or time.monotonic() >= deadline:
            return alive
        for thread in alive:
            thread.join(max(deadline - time.monotonic(), 0.0))


# ---------------------------------------------------------------------------------------------------------------
# Status-change events


class _StatusEvents:
    """Puts status-change events on the default bus in the order they happened, from `runtime.activity` threads."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._pending: deque[dict[str, Any]] = deque()
        self._pending_lock = threading.Lock()
        self._sending = threading.Lock()  # one sender at a time keeps RUNNING ahead of the final status

    def publish(self, execution: Any, status: str) -> None:
        if getattr(execution.state_machine, "type", "STANDARD") == "EXPRESS":
            return  # AWS sends status-change events for Standard workflows only
        entry = {
            "Source": STATUS_CHANGE_SOURCE,
            "DetailType": STATUS_CHANGE_DETAIL_TYPE,
            "Resources": [execution.exec_arn],
            "Detail": json.dumps(status_change_detail(execution, status)),
            "Time": self._runtime.clock.utcnow(),
            "EventBusName": "default",
        }
        with self._pending_lock:
            self._pending.append(entry)
        self._runtime.activity.submit("stepfunctions-status-event", self._send_pending)

    def _send_pending(self) -> None:
        with self._sending:
            while True:
                with self._pending_lock:
                    if not self._pending:
                        return
                    entry = self._pending.popleft()
                response = self._runtime.client("events").put_events(Entries=[entry])
                if response.get("FailedEntryCount"):
                    raise RuntimeError(f"the default bus refused a status-change event: {response['Entries']}")


def status_change_detail(execution: Any, status: str) -> dict[str, Any]:
    """The `detail` of a "Step Functions Execution Status Change" event for a moto execution in `status`."""
    ended = status != "RUNNING"
    succeeded = status == "SUCCEEDED"
    return {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine_arn,
        "name": execution.name,
        "status": status,
        "startDate": _epoch_millis(execution.start_date),
        "stopDate": _epoch_millis(execution.stop_date) if ended else None,
        "input": execution.execution_input,
        "inputDetails": {"included": True},
        "output": json.dumps(execution.output, separators=(",", ":")) if succeeded else None,
        "outputDetails": {"included": True} if succeeded else None,
        "error": execution.error if ended else None,
        "cause": execution.cause if ended else None,
        "stateMachineVersionArn": None,
        "stateMachineAliasArn": None,
        "redriveCount": 0,
        "redriveDate": None,
    }


def _epoch_millis(moment: datetime.datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


# ---------------------------------------------------------------------------------------------------------------
# Waiting on the clock


class _Overlay:
    """Stands in for a module (or class) inside one moto module: the given names replaced, all others passed on."""

    def __init__(self, base: Any, **replacements: Any) -> None:
        self._base = base
        self.__dict__.update(replacements)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)


def _clock_event_class(clock: Clock, no_timeout: float) -> type:
    class ClockEvent:
        """`threading.Event` whose `wait` timeout runs on the clock."""

        def __init__(self) -> None:
            self._event = threading.Event()

        def is_set(self) -> bool:
            return self._event.is_set()

        def set(self) -> None:
            self._event.set()

        def clear(self) -> None:
            self._event.clear()

        def wait(self, timeout: float | None = None) -> bool:
            return clock.wait(self._event, None if timeout is None or timeout >= no_timeout else timeout)

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
        # moto's one naive `now()` (the Timestamp wait) is subtracted from a naive UTC timestamp: answer in UTC.
        return moment if tz is not None else moment.replace(tzinfo=None)

    return now


def _patch_retry_interval(patches: _Patches, retrier_decl: Any, clock: Clock) -> None:
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
        clock.wait(_UntilProgramEnds(env) if env is not None else None, seconds)

    patches.wrap(retrier_decl.RetrierDecl, "_eval_body", remembering_env)
    patches.replace(retrier_decl, "time", _Overlay(time, sleep=sleep))


def _program_eval(program_module: Any, clock: Clock, started: Callable[[Any], None]) -> Callable[[Any, Any], None]:
    """`Program.eval` with the state machine's TimeoutSeconds on the clock (moto joins the worker thread with it),
    calling `started(env)` once the program runs (it can be stopped from then on)."""
    program_class = program_module.Program

    def eval_program(program: Any, env: Any) -> None:
        timeout = program.timeout_seconds.timeout_seconds if program.timeout_seconds else None
        env.next_state_name = program.start_at.start_at_name
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
        program_module.TMP_THREADS.append(worker)
        worker.start()
        if not clock.wait(finished, timeout):
            env.set_timed_out()

    return eval_program


# ---------------------------------------------------------------------------------------------------------------
# Fixes of moto 5.2.5


def _patch_stop_releases_callbacks(patches: _Patches, environment_class: Any, pool_manager_class: Any) -> None:
    """A task waiting for SendTaskSuccess (or a heartbeat, or an activity worker) waits on its callback endpoint
    only: when the execution is stopped or times out, release every such wait so the execution can end."""
    if "_pool" not in getattr(pool_manager_class, "__annotations__", {}):
        raise MotoSeamError(f"{_qualified(pool_manager_class)} no longer keeps its endpoints in `_pool`")

    def releasing(original: Callable[..., None]) -> Callable[..., None]:
        def release_after(env: Any, *args: Any, **kwargs: Any) -> None:
            original(env, *args, **kwargs)
            for endpoint in list(env.callback_pool_manager._pool.values()):
                endpoint.interrupt_all()

        return release_after

    for name in ("set_stop", "set_timed_out"):
        patches.wrap(environment_class, name, releasing)


def _patch_an_ended_program_stays_ended(patches: _Patches, environment_class: Any, program_state: Any) -> None:
    """moto skips every component of a program no longer running (EvalComponent.eval), which can leave a state
    that was half-way through (a Retry working out its interval, say) reading the wrong value off its stack when
    the execution is stopped: the error then raised overwrote ABORTED (or TIMED_OUT) with a States.Runtime
    failure. On AWS a stopped or timed-out execution stays so."""
    ended = (program_state.ProgramStopped, program_state.ProgramTimedOut)

    def keeping_an_end(original: Callable[..., None]) -> Callable[..., None]:
        def set_error(env: Any, *args: Any, **kwargs: Any) -> None:
            if not isinstance(env.program_state(), ended):
                original(env, *args, **kwargs)

        return set_error

    patches.wrap(environment_class, "set_error", keeping_an_end)


def _patch_interrupted_task_records_nothing(patches: _Patches, execution_state_class: Any) -> None:
    """Once the execution was stopped or timed out, the task it interrupted ends without an outcome: AWS records
    `ExecutionAborted` / `ExecutionTimedOut`, not a task failure that a Catch could route somewhere."""

    def recording_nothing_once_ended(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        def evaluate_with_timeout(state: Any, env: Any) -> None:
            try:
                original(state, env)
            except Exception:
                if env.is_running():
                    raise

        return evaluate_with_timeout

    patches.wrap(execution_state_class, "_evaluate_with_timeout", recording_nothing_once_ended)


def _patch_each_attempt_gets_its_own_token(patches: _Patches, execution_state_class: Any) -> None:
    """moto makes a waitForTaskToken task's token once per state (`StateTaskServiceCallback._eval_body`), before the
    retry loop, so a retry reuses the token of the failed attempt, whose callback still holds that failure: the
    retry sends the work out again and fails at once with the old outcome, and so does every retry after it. AWS
    gives each attempt a token of its own; so does this, for every attempt after the first."""

    def renewing(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        def evaluate_with_timeout(state: Any, env: Any) -> None:
            context = env.states.context_object
            if "Task" in context.context_object_data and context.context_object_data["State"]["RetryCount"] > 0:
                env.callback_pool_manager.add(context.update_task_token())
            original(state, env)

        return evaluate_with_timeout

    patches.wrap(execution_state_class, "_evaluate_with_timeout", renewing)


def _patch_timed_out_task_releases_its_wait(patches: _Patches, execution_state_class: Any, timeout: Any) -> None:
    """When TimeoutSeconds ends a task that waits for its token, moto leaves that wait running on the task's own
    thread (execute_state.py:199) until a heartbeat or the token wait itself times out: a stray waiter on the clock,
    taken for a waiting execution. AWS forgets the task at once; release the wait (only this task's)."""

    def releasing(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        def evaluate_with_timeout(state: Any, env: Any) -> None:
            try:
                original(state, env)
            except timeout.EvalTimeoutError:
                token = env.states.context_object.context_object_data.get("Task", {}).get("Token")
                endpoint = env.callback_pool_manager.get(token) if token else None
                if endpoint is not None:
                    endpoint.interrupt_all()
                raise

        return evaluate_with_timeout

    patches.wrap(execution_state_class, "_evaluate_with_timeout", releasing)


def _patch_heartbeat_timeout_error(patches: _Patches, m: Mapping[str, Any]) -> None:
    """moto reports a missed heartbeat as `States.Timeout` (its HeartbeatTimeoutError is a TimeoutError, and
    `StateTask._from_error` maps every TimeoutError to that); AWS reports `States.HeartbeatTimeout`."""
    heartbeat_timeout = m["states_error_name"].StatesErrorName(
        typ=m["states_error_name_type"].StatesErrorNameType.StatesHeartbeatTimeout
    )

    def renaming_heartbeat_timeouts(
        original: Callable[[Any, Any, Exception], Any],
    ) -> Callable[[Any, Any, Exception], Any]:
        def from_error(state: Any, env: Any, ex: Exception) -> Any:
            failure = original(state, env, ex)
            if not isinstance(ex, m["callback"].HeartbeatTimeoutError):
                return failure
            details = {
                key: {**value, "error": heartbeat_timeout.error_name} for key, value in failure.event_details.items()
            }
            return m["failure_event"].FailureEvent(
                env=env,
                error_name=heartbeat_timeout,
                event_type=failure.event_type,
                event_details=m["event_detail"].EventDetails(**details),
            )

        return from_error

    patches.wrap(m["state_task"].StateTask, "_from_error", renaming_heartbeat_timeouts)


def _patch_early_heartbeats(patches: _Patches, endpoint_class: Any) -> None:
    """moto sets up a `.waitForTaskToken` task's heartbeat endpoint only after the service call returned and
    TaskSubmitted was recorded (state_task_service_callback.py:175). A worker that answers faster (ours run in the
    same process) is told InvalidToken for an early SendTaskHeartbeat (callback.py:143), and an early
    SendTaskSuccess is stored but never read, as the heartbeat loop waits for a heartbeat. On AWS the token is
    valid as soon as the task started: an early heartbeat is now remembered (and answered OK), and the heartbeat
    endpoint, once set up, is notified at once if a heartbeat or an outcome came first."""
    if "_heartbeat_endpoint" not in getattr(endpoint_class, "__annotations__", {}):
        raise MotoSeamError(f"{_qualified(endpoint_class)} no longer keeps its heartbeat endpoint")
    early = threading.Lock()  # a heartbeat is either remembered before the set-up or sent to what it set up

    def remembering(original: Callable[[Any], bool]) -> Callable[[Any], bool]:
        def notify_heartbeat(endpoint: Any) -> bool:
            with early:
                if endpoint._heartbeat_endpoint is None:
                    endpoint.local_early_heartbeat = True
                    return True
            return original(endpoint)

        return notify_heartbeat

    def notifying_at_once(original: Callable[[Any, int], Any]) -> Callable[[Any, int], Any]:
        def setup_heartbeat_endpoint(endpoint: Any, heartbeat_seconds: int) -> Any:
            with early:
                heartbeat = original(endpoint, heartbeat_seconds)
                heard = getattr(endpoint, "local_early_heartbeat", False)
            # An outcome stored before the set-up: `notify` stores it, then looks for the heartbeat endpoint; this
            # looks for the outcome after setting the endpoint up, so one of the two sees the other.
            if heard or endpoint.get_outcome() is not None:
                heartbeat.notify()
            return heartbeat

        return setup_heartbeat_endpoint

    patches.wrap(endpoint_class, "notify_heartbeat", remembering)
    patches.wrap(endpoint_class, "setup_heartbeat_endpoint", notifying_at_once)


def _executions_with_an_env(backend: Any, execution_status: Any = None) -> list[Any]:
    """moto's `_get_executions` (parser/models.py:49) without the executions whose worker has not created its env
    yet: SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat read `execution.exec_worker.env` of every one it
    returns, and failed with AttributeError while any other execution was starting (or created but not started,
    whose `status` itself raises)."""
    return [
        execution
        for state_machine in backend.state_machines
        for execution in state_machine.executions
        if execution.exec_worker is not None
        and execution.exec_worker.env is not None
        and (execution_status is None or execution.status == execution_status)
    ]


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


def _send_task_failure(response: Any) -> Any:
    """moto's SendTaskFailure handler with the `cause` it drops passed on to the backend."""
    response.stepfunction_backend.send_task_failure(
        response._get_param("taskToken"), error=response._get_param("error"), cause=response._get_param("cause")
    )
    return EmptyResult()


# ---------------------------------------------------------------------------------------------------------------
# Patching


_ABSENT: Final = object()  # what `_Patches.add` restores: no attribute at all


class _Patches:
    """Attribute replacements on moto's modules and classes, undone in reverse order."""

    def __init__(self) -> None:
        self._originals: list[tuple[Any, str, Any]] = []

    def replace(self, owner: Any, name: str, value: Any) -> None:
        self._originals.append((owner, name, self._original(owner, name)))
        setattr(owner, name, value)

    def add(self, owner: Any, name: str, value: Any) -> None:
        """A new attribute (an action moto lacks); refused if moto has one by that name now: re-read the seam."""
        if name in vars(owner):
            raise MotoSeamError(f"moto now has {_qualified(owner)}.{name}: check it before adding ours")
        self._originals.append((owner, name, _ABSENT))
        setattr(owner, name, value)

    def wrap(self, owner: Any, name: str, wrapper: Callable[[Any], Any]) -> None:
        """Replace `owner.name` with `wrapper(original)`."""
        self.replace(owner, name, wrapper(self._original(owner, name)))

    @staticmethod
    def _original(owner: Any, name: str) -> Any:
        if name not in vars(owner):
            raise MotoSeamError(f"a moto seam this adapter patches is missing: {_qualified(owner)}.{name}")
        return vars(owner)[name]

    def undo(self) -> None:
        while self._originals:
            owner, name, original = self._originals.pop()
            if original is _ABSENT:
                delattr(owner, name)
            else:
                setattr(owner, name, original)


def _subclasses(base: type) -> list[type]:
    """Every class derived from `base`, however deep (moto's service tasks are imported by its task factory)."""
    found: list[type] = []
    subclass: type
    for subclass in base.__subclasses__():
        found += [subclass, *_subclasses(subclass)]
    return found


def _named_by_default(original: Callable[..., Any]) -> Callable[..., Any]:
    """An unnamed StartExecution gets a UUID as AWS gives it. moto 5.2.5 names it "None" (parser/models.py:205),
    and every later unnamed start of that state machine then collides with it: ExecutionAlreadyExists for another
    input, or the earlier execution returned for the same one. EventBridge targets start executions unnamed."""

    def start_execution(backend: Any, state_machine_arn: str, name: Any = None, *args: Any, **kwargs: Any) -> Any:
        return original(backend, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    return start_execution


def _qualified(owner: Any) -> str:
    return str(getattr(owner, "__qualname__", None) or getattr(owner, "__name__", repr(owner)))


_MODULES: Final[dict[str, str]] = {
    "wait_function": f"{_ASL}.component.state.wait.wait_function.wait_function",
    "timestamp": f"{_ASL}.component.state.wait.wait_function.timestamp",
    "retrier_decl": f"{_ASL}.component.common.retry.retrier_decl",
    "timeout": f"{_ASL}.component.common.timeouts.timeout",
    "execute_state": f"{_ASL}.component.state.exec.execute_state",
    "callback": f"{_ASL}.eval.callback.callback",
    "state_task": f"{_ASL}.component.state.exec.state_task.state_task",
    "failure_event": f"{_ASL}.component.common.error_name.failure_event",
    "states_error_name": f"{_ASL}.component.common.error_name.states_error_name",
    "states_error_name_type": f"{_ASL}.component.common.error_name.states_error_name_type",
    "event_detail": f"{_ASL}.eval.event.event_detail",
    "program": f"{_ASL}.component.program.program",
    "environment": f"{_ASL}.eval.environment",
    "program_state": f"{_ASL}.eval.program_state",
    "event_manager": f"{_ASL}.eval.event.event_manager",
    "state": f"{_ASL}.component.state.state",
    "map_run_record": f"{_ASL}.component.state.exec.state_map.iteration.itemprocessor.map_run_record",
    "models": f"{_PARSER}.models",
    "utils": f"{_PARSER}.utils",
    "execution": f"{_PARSER}.backend.execution",
    "responses": "moto.stepfunctions.responses",
    "state_task_service": f"{_ASL}.component.state.exec.state_task.service.state_task_service",
    # imports every service integration, so that all of them are subclasses of StateTaskService when patched
    "state_task_service_factory": f"{_ASL}.component.state.exec.state_task.service.state_task_service_factory",
    "state_task_lambda": f"{_ASL}.component.state.exec.state_task.state_task_lambda",
}


def _load_modules() -> dict[str, Any]:
    try:
        return {name: importlib.import_module(path) for name, path in _MODULES.items()}
    except ImportError as ex:
        raise MotoSeamError(f"a moto module this adapter patches is missing: {ex}") from ex
