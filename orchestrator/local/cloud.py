"""`LocalCloud`: the synthesized app, provisioned and running in-process on moto. The face tests and the demo use.

    with LocalCloud.from_assembly("cdk.out") as cloud:
        cloud.put_event(OrderPlaced(...))
        cloud.wait_until_quiet()
        cloud.executions()

Composition: moto's backends (`mock_aws`, with executions on) plus the adapters that add what moto lacks, each in
its own module: Lambda handlers run in-process (`lambdas`), EventBridge delivers to Step Functions and Lambda
targets (`delivery`), SQS event-source mappings poll (`pollers`), the Step Functions interpreter waits on the
local clock and emits status-change events (`stepfunctions`), JSONata evaluates (`jsonata_engine`). With a `port`,
the same system also serves one HTTP endpoint on localhost for the AWS CLI and any SDK (server mode).

moto's backends are process-wide: one `LocalCloud` runs at a time in a process.

Over 400 lines by the quiet detection (`frame_waits` and its helpers, ~100 lines, imported by a unit test from here),
which could move to a module of its own; left in place as no seam of moto is in it.
"""

from __future__ import annotations

import gc
import logging
import socket
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import boto3

from functions.producer import EventPublisher, OutgoingEvent
from functions.producer.eventbridge import EventBridgeBus
from orchestrator.assembly import CloudAssembly
from orchestrator.local import clock as clock_module
from orchestrator.local import jsonata_engine
from orchestrator.local.delivery import Delivery
from orchestrator.local.dynamodb import AtomicWrites
from orchestrator.local.faults import Faults
from orchestrator.local.lambdas import LambdaRuntime
from orchestrator.local.pollers import Pollers
from orchestrator.local.provision import Notice, Provisioned, Provisioner
from orchestrator.local.runtime import MOTO_CONFIG, Runtime
from orchestrator.local.stepfunctions import StepFunctionsAdapter
from schemas.envelope import EventData

logger = logging.getLogger(__name__)

SERVER_HOST = "127.0.0.1"  # server mode listens on loopback only
STOP_SECONDS = 10.0  # how long `stop` lets work in flight finish
TICK_SECONDS = 0.005  # how often due clock timers (retries, redeliveries) are fired
# A system is still when this many polls in a row (10 ms apart), over at least this much real time, see no progress.
# The time matters on a loaded machine: a thread that is about to move but not yet scheduled can look still for
# several polls (a saga's retry was seen lost that way with two test workers on two busy cores).
_STABLE_POLLS = 5
_STABLE_SECONDS = 0.15


class NotQuietError(TimeoutError):
    """The system kept working past the timeout; the message says what was still busy."""


class PortInUseError(OSError):
    """Server mode cannot listen on the port asked for."""


class LocalCloudError(RuntimeError):
    """Background work of the local runtime failed (a defect of an adapter or of a handler it ran)."""


@dataclass(frozen=True)
class Stillness:
    """What `wait_until_quiet` saw when the system came to rest."""

    waiting_executions: list[str]  # still RUNNING: each waits on something outside (a task token, the clock)
    clock_advanced_by: float  # seconds the clock was moved forward to get here
    pending_messages: int  # in polled queues, waiting out a visibility timeout, a delay or a batching window
    next_deadline_in: float | None  # seconds until the clock's next wait or timer is due (None: nothing waits)


class LocalCloud:
    def __init__(self, assembly: CloudAssembly, *, port: int | None = None, faults: Faults | None = None) -> None:
        self.assembly = assembly
        self.port = port
        self.faults = faults
        self.runtime = Runtime(faults=faults)
        self.lambdas = LambdaRuntime(self.runtime)
        self.delivery = Delivery(self.runtime, self.lambdas)
        self.pollers = Pollers(self.runtime, self.lambdas)
        self.stepfunctions = StepFunctionsAdapter(self.runtime)
        self.dynamodb = AtomicWrites()
        self.notice = Notice()
        self.resources: dict[str, dict[str, Provisioned]] = {}
        self.endpoint_url: str | None = None
        self._mock: Any = None
        self._server: Any = None
        self._server_thread: threading.Thread | None = None
        self._ticking = threading.Event()
        self._ticker: threading.Thread | None = None

    @classmethod
    def from_assembly(
        cls, directory: str | Path = "cdk.out", *, port: int | None = None, faults: Faults | None = None
    ) -> LocalCloud:
        """A local cloud of the assembly in `directory`; `port` (0 = any free one) also starts server mode;
        `faults` injects failures (orchestrator/local/faults.py)."""
        return cls(CloudAssembly(Path(directory)), port=port, faults=faults)

    # -- lifecycle -------------------------------------------------------------------------------------------

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        """Starts moto, installs the adapters, provisions the assembly; on any failure undoes what it did."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        from moto import mock_aws

        self._mock = mock_aws(config=MOTO_CONFIG)
        self._mock.start()
        jsonata_engine.install(self.runtime.clock.now)
        for adapter in self._patches():
            adapter.install()
        self.runtime.session = boto3.Session()
        provisioner = Provisioner(
            self.runtime.session,
            self.runtime.account,
            self.runtime.region,
            creators={**self.lambdas.creators(), **self.pollers.creators(), **self.stepfunctions.creators()},
        )
        provisioner.provision(self.assembly)
        self.notice, self.resources = provisioner.notice, provisioner.resources
        self._start_ticker()
        self.pollers.start()
        if self.port is not None:
            self._start_server(self.port)

    def stop(self) -> None:
        """Stops taking requests and polling, lets work in flight finish (new work is refused, retry waits end),
        then stops the executions still running, restores moto and leaves it. Idempotent."""
        if self._server is not None:
            self._server.shutdown()
            if self._server_thread is not None:
                self._server_thread.join()
            self._server.server_close()
            self._server = None
        self.pollers.stop()
        if not self.runtime.activity.stop(timeout=STOP_SECONDS):
            logger.warning("local runtime: work still in flight after %s s: %s", STOP_SECONDS, self._busy_summary())
        self._ticking.clear()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        if self.stepfunctions.uninstall() is False:  # first: executions end before the rest is restored
            logger.warning("local runtime: some execution threads were still running when moto was restored")
        for adapter in reversed(self._patches()):
            adapter.uninstall()  # idempotent: the Step Functions adapter is done already
        jsonata_engine.uninstall()
        if self._mock is not None:
            self._mock.stop()
            self._mock = None

    def _patches(self) -> list[Any]:
        """The adapters that apply seams on moto (orchestrator/local/seams); injected faults last, over the others."""
        faults = [] if self.faults is None else [self.faults]
        return [self.dynamodb, self.lambdas, self.delivery, self.pollers, self.stepfunctions, *faults]

    def _start_ticker(self) -> None:
        """Fires due clock timers as real time passes (retries and redeliveries scheduled on the clock)."""
        self._ticking.set()

        def tick() -> None:
            while self._ticking.is_set():
                self.runtime.clock.fire_due_timers()
                time.sleep(TICK_SECONDS)

        self._ticker = threading.Thread(target=tick, name="local-clock-ticker", daemon=True)
        self._ticker.start()

    def _start_server(self, port: int) -> None:
        """moto's server app over the same backends. Built here rather than with moto's `ThreadedMotoServer`,
        which binds on its own thread and waits forever when the port is taken; here that is an OSError."""
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        with socket.socket() as probe:  # werkzeug answers a taken port with sys.exit(1): find out first
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((SERVER_HOST, port))
            except OSError as error:
                raise PortInUseError(error.errno, f"cannot listen on {SERVER_HOST}:{port}: {error.strerror}") from error
        app = DomainDispatcherApplication(create_backend_app)
        server = make_server(SERVER_HOST, port, app, threaded=True, request_handler=MotoRequestHandler)
        self._server = server
        self._server_thread = threading.Thread(target=server.serve_forever, name="local-server", daemon=True)
        self._server_thread.start()
        self.endpoint_url = f"http://{SERVER_HOST}:{server.server_port}"

    # -- putting events --------------------------------------------------------------------------------------

    @property
    def bus_name(self) -> str:
        """The orchestrator's bus (the one `AWS::Events::EventBus` of the app)."""
        (name,) = [p.ref for _, p in self._provisioned("AWS::Events::EventBus")]
        return str(name)

    def put_event(
        self,
        data: EventData,
        *,
        correlation_id: str | None = None,
        idempotency_key: str | None = None,
        producer: str = "local",
    ) -> str:
        """Puts one project event (with its envelope) on the orchestrator's bus; returns its EventBridge id.
        Two puts with one `idempotency_key` are two deliveries of one event to its consumers."""
        publisher = EventPublisher(EventBridgeBus(self.client("events")), self.bus_name, producer=producer)
        outgoing = OutgoingEvent.from_model(data, correlation_id=correlation_id, idempotency_key=idempotency_key)
        (result,) = publisher.publish([outgoing])
        if not result.sent:
            raise LocalCloudError(f"{data.DETAIL_TYPE} was not put: {result.error_code} {result.error_message}")
        return str(result.eventbridge_id)

    def client(self, service: str) -> Any:
        return self.runtime.client(service)

    # -- waiting ---------------------------------------------------------------------------------------------

    def wait_until_quiet(self, timeout: float = 60.0, *, advance_clock: bool = False) -> Stillness:
        """Waits until nothing moves: no work in flight, no message a poller can receive or is processing, no
        execution progressing. What is left then waits on something outside the system (an execution on a task
        token) or on the clock (Wait states, timeouts, retry backoffs, visibility timeouts, batching windows): the
        returned `Stillness` says what. With `advance_clock`, the clock jumps to each next deadline instead, until
        nothing waits on it. Raises `LocalCloudError` when background work failed, `NotQuietError` after
        `timeout` seconds of real time."""
        clock = self.runtime.clock
        start_offset = clock.offset
        deadline = time.monotonic() + timeout
        still, still_since, last = 0, 0.0, None
        while time.monotonic() < deadline:
            self._raise_failures()
            fingerprint = self._progress()
            still = still + 1 if fingerprint == last and not self._busy() else 0
            still_since = still_since if still > 1 else time.monotonic()
            last = fingerprint
            if still >= _STABLE_POLLS and time.monotonic() - still_since >= _STABLE_SECONDS:
                waiting = self._running_executions()
                if advance_clock and clock.advance_to_next_deadline():
                    still = 0
                    continue
                due = clock.next_deadline()
                return Stillness(
                    waiting,
                    clock.offset - start_offset,
                    self.pollers.pending_messages(),
                    None if due is None else max(due - clock.now(), 0.0),
                )
            time.sleep(0.01)
        raise NotQuietError(f"the local cloud was still busy after {timeout} s: {self._busy_summary()}")

    def _busy(self) -> bool:
        """Something is working now, rather than waiting: a thread of in-flight work or of the Step Functions
        interpreter that is running code (not blocked in a wait: on the clock, a task token, a Map's iterations),
        work submitted but not started, or a message a poller can receive or is processing."""
        if self.runtime.activity.unstarted() > 0 or self._working_threads():
            return True
        return self.pollers.visible_messages() > 0 or self.pollers.working_messages() > 0

    def _working_threads(self) -> list[int]:
        """Threads of in-flight work or of executions whose innermost Python frame is not a wait. moto's threads are
        not ours to instrument, so what each is doing is read off its stack."""
        threads = self.runtime.activity.threads() | {t.ident for t in self.stepfunctions.interpreter_threads()}
        frames = current_frames()
        return [ident for ident in threads if ident in frames and not frame_waits(frames[ident])]

    def _busy_summary(self) -> str:
        return (
            f"{self.runtime.activity.in_flight} deliveries or invocations in flight, "
            f"{self.pollers.pending_messages()} messages waiting in polled queues, "
            f"running executions: {self._running_executions()}"
        )

    def _raise_failures(self) -> None:
        failures = self.runtime.activity.failures
        if failures:
            first = failures[0]
            raise LocalCloudError(f"{len(failures)} background failure(s); first: {first.work}: {first.error!r}")

    def _progress(self) -> tuple[object, ...]:
        """A fingerprint that changes whenever anything in the system moves: work finished, invocations, and per
        execution its status and the length of its history (an execution thread is not counted as work in flight,
        so its history is how it shows it is moving)."""
        executions = []
        for machine in self._sfn_backend().state_machines:
            for execution in machine.executions:
                env = getattr(getattr(execution, "exec_worker", None), "env", None)  # None until it starts
                executions.append((str(execution.exec_status), _history_length(env)))
        return (self.runtime.activity.finished, len(self.lambdas.invocations), tuple(executions))

    def _running_executions(self) -> list[str]:
        backend = self._sfn_backend()
        return [
            e.exec_arn if hasattr(e, "exec_arn") else e.execution_arn
            for m in backend.state_machines
            for e in m.executions
            if str(e.exec_status).endswith("RUNNING")
        ]

    def _sfn_backend(self) -> Any:
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        return stepfunctions_parser_backends[self.runtime.account][self.runtime.region]

    # -- reading -----------------------------------------------------------------------------------------------

    def _provisioned(self, resource_type: str) -> Iterator[tuple[str, Provisioned]]:
        for stack in self.assembly.stacks():
            created = self.resources.get(stack.name, {})
            for logical_id, _ in stack.resources(resource_type):
                if logical_id in created:  # not when its Condition was false
                    yield logical_id, created[logical_id]

    def physical_id(self, resource_type: str, logical_id_prefix: str) -> str:
        """The physical id (`Ref`) of the one resource of `resource_type` whose logical id starts with the prefix."""
        found = [str(p.ref) for lid, p in self._provisioned(resource_type) if lid.startswith(logical_id_prefix)]
        if len(found) != 1:
            raise LookupError(f"{len(found)} {resource_type} resources match {logical_id_prefix!r}: {found}")
        return found[0]

    def executions(self, state_machine_arn: str | None = None) -> list[dict[str, Any]]:
        """Every execution (described), oldest first; of one state machine when given."""
        sfn = self.client("stepfunctions")
        machines = [state_machine_arn] if state_machine_arn else self._state_machine_arns()
        paginator = sfn.get_paginator("list_executions")
        pages = (page for arn in machines for page in paginator.paginate(stateMachineArn=arn))
        found = [sfn.describe_execution(executionArn=e["executionArn"]) for page in pages for e in page["executions"]]
        return sorted(found, key=lambda e: e["startDate"])

    def _state_machine_arns(self) -> list[str]:
        return [m["stateMachineArn"] for m in self.client("stepfunctions").list_state_machines()["stateMachines"]]

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        return list(self.client("stepfunctions").get_execution_history(executionArn=execution_arn)["events"])

    def table_items(self, table_name: str) -> list[dict[str, Any]]:
        return list(self.client("dynamodb").scan(TableName=table_name)["Items"])

    def queue_depth(self, queue_url: str) -> int:
        """Messages in the queue, visible or not (a dead-letter queue's count)."""
        attributes: Mapping[str, str] = self.client("sqs").get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(v) for v in attributes.values())


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
