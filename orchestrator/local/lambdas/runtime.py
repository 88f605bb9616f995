"""Lambda functions of the assembly, run in-process from their asset folders with a Lambda-like context.

moto (with `use_docker: False`) stores functions but answers every invoke with the request body. This adapter
creates each `AWS::Lambda::Function` in moto (so `list_functions` / `get_function` work) and registers a
`LocalFunction`; `install()` patches moto's invoke seam, `LambdaBackend.invoke` and `LambdaSimpleBackend.invoke`,
so boto3 `lambda.invoke`, the Step Functions `lambda:invoke` task (it calls boto3 inside moto) and moto's own
internal callers of that seam (the S3 CreateBucket notification to rules in `moto/events/notifications.py`, Secrets
Manager rotation) run the registered handler. Functions it does not know fall through to moto. The local runtime's
other adapters call `invoke` directly: EventBridge delivery (orchestrator/local/delivery/) and the SQS pollers
(orchestrator/local/pollers/), which detach moto's own SQS event-source mappings so that `send_message` no longer
invokes through the seam.

How a handler runs, as Lambda would run it:
- Execution environments (pool.py): each invocation runs in an execution environment of its function, taken free
  and warm from the function's pool, else started cold (its own instance of the handler module, handlers.py), up to
  `environments_per_function`, else waited for. An environment runs one invocation at a time; invocations of
  different functions, and of one function in different environments, run at the same time, as on Lambda. So two
  invocations of the app can race on a DynamoDB item here as they would on AWS, and a handler may block waiting for
  another thread that itself invokes a function (a synchronous invoke from the handler's own thread nests: it runs in
  another environment, in that thread).
- Environment variables (environ.py): `os.environ` is, for the invocation's context, its environment's variables, and
  for every other thread the process's; boto3's default session is the environment's own. A thread the handler starts
  itself sees the process's.
- Timeout: a thread cannot be killed, so a handler always runs to its end; when it took longer than its timeout on
  the runtime's clock, its result is discarded and the invocation fails with `Sandbox.Timedout`, as Lambda
  reports it (side effects the handler made before returning remain). As Lambda resets an environment after a
  timeout (and a crashed one is gone), neither is reused: the next invocation starts cold.
- Asynchronous invocations (InvocationType Event) answer 202 at once and run as background work; a failed one is
  retried twice, 60 s then 120 s later on the clock, then sent to the function's dead-letter queue, as Lambda's
  asynchronous invocation does, or recorded in `discarded` when it has none.
- Stopping: once the runtime stops (`Activity.stopping`), no handler runs any more. An invocation asked for then
  raises `RuntimeStoppedError` (the seam answers Lambda's ServiceException), a queued asynchronous attempt that has
  not begun is abandoned, and a due retry is not started: nothing outlives the runtime to run in the next one's moto.
"""

from __future__ import annotations

import datetime
import decimal
import json
import logging
import threading
import time
import uuid
from contextlib import nullcontext
from typing import Any, Final

from orchestrator.local.clock import Clock
from orchestrator.local.faults import CRASHED, HandlerCrashed
from orchestrator.local.iam.enforcement import acting_as
from orchestrator.local.lambdas.collector_pauses import PAUSES
from orchestrator.local.lambdas.environ import PROXY
from orchestrator.local.lambdas.handlers import Environments, HandlerModules, stack_of
from orchestrator.local.lambdas.invoke_seam import bind_invoke
from orchestrator.local.lambdas.model import (
    DiscardedEvent,
    InitError,
    InjectedFaultError,
    InvalidRequestContentError,
    Invocation,
    InvocationRecord,
    LocalContext,
    LocalFunction,
    RuntimeStoppedError,
    UnknownFunctionError,
)
from orchestrator.local.lambdas.output import restore_standard_streams, serialize_standard_streams
from orchestrator.local.lambdas.pool import (
    DEFAULT_ENVIRONMENTS,
    EnvironmentPool,
    ExecutionEnvironment,
    default_session,
    running_in,
)
from orchestrator.local.lambdas.provisioning import create_function
from orchestrator.local.provision import Creator, Provisioned, Provisioner
from orchestrator.local.queues import queue_url
from orchestrator.local.runtime import Runtime, shared_loader
from orchestrator.local.seams import SeamAdapter, SeamSet
from orchestrator.local.seams import services as declared

logger = logging.getLogger(__name__)

ASYNC_RETRY_DELAYS: Final = (60.0, 120.0)  # Lambda retries a failed asynchronous invocation twice, 1 then 2 min later
_DLQ_MESSAGE_LIMIT: Final = 1024  # Lambda truncates the ErrorMessage attribute of a dead-letter message to 1 KB
_STATUS: Final = {"RequestResponse": 200, "Event": 202, "DryRun": 204}


class LambdaRuntime(SeamAdapter):
    """Runs the assembly's Lambda functions in-process (see the module docstring for what that implies)."""

    def __init__(self, runtime: Runtime, environments_per_function: int = DEFAULT_ENVIRONMENTS) -> None:
        self.runtime = runtime
        self.environments_per_function = environments_per_function  # the cap of each function's pool (pool.py)
        self.functions: dict[str, LocalFunction] = {}
        self.invocations: list[InvocationRecord] = []
        self.discarded: list[DiscardedEvent] = []
        self._handlers = HandlerModules()
        self._environments = Environments(runtime)
        self._pools: dict[str, EnvironmentPool] = {}
        # The runtime's own bookkeeping only (functions, pools, records): handlers run outside it.
        self._lock = threading.Lock()

    # -- provisioning ----------------------------------------------------------------------------------------

    def creators(self) -> dict[str, Creator]:
        return {"AWS::Lambda::Function": self._create_function}

    def _create_function(self, p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
        return create_function(p, logical_id, props, self.register)

    def register(self, function: LocalFunction) -> None:
        """Adds (or replaces, with a new cold start) a function the runtime runs."""
        with self._lock:
            self.functions[function.name] = function
            self._pools[function.name] = self._new_pool(function)

    def pool(self, function_name: str) -> EnvironmentPool:
        """The execution environments of a registered function."""
        with self._lock:
            return self._pools[function_name]

    def _new_pool(self, function: LocalFunction) -> EnvironmentPool:
        """A pool with no environment yet: the function's next invocations start cold."""
        return EnvironmentPool(self.environments_per_function, lambda: self._environments.start(function))

    # -- invoking --------------------------------------------------------------------------------------------

    def invoke(self, function_name_or_arn: str, payload: bytes, invocation_type: str = "RequestResponse") -> Invocation:
        """Invokes a registered function as Lambda's Invoke API does: RequestResponse, Event or DryRun. Raises
        `RuntimeStoppedError` once the runtime is stopping."""
        if self.runtime.activity.stopping.is_set():
            raise _stopped(function_name_or_arn)
        function = self.find(function_name_or_arn)
        if function is None:
            raise UnknownFunctionError(f"Function not found: {function_name_or_arn}")
        if invocation_type not in _STATUS:
            raise ValueError(f"unknown InvocationType {invocation_type!r}; expected one of {sorted(_STATUS)}")
        event = _parse_payload(payload)
        request_id = str(uuid.uuid4())
        if invocation_type == "DryRun":
            return Invocation(204, b"", None, request_id)
        if invocation_type == "Event":
            if not self._submit_async(function, payload, request_id, attempt=1):
                raise _stopped(function.name)  # the activity refuses new work only once the runtime is stopping
            return Invocation(202, b"", None, request_id)
        return self._run(function, event, request_id, invocation_type)

    def role_of(self, function_name_or_arn: str) -> str:
        function = self.find(function_name_or_arn)
        return function.role if function is not None else ""

    def find(self, function_name_or_arn: str) -> LocalFunction | None:
        """The registered function a name, a name with a qualifier, or a (partial) ARN refers to."""
        reference = function_name_or_arn.split(":function:", 1)[-1]
        return self.functions.get(reference.split(":", 1)[0])

    def _run(
        self, function: LocalFunction, event: Any, request_id: str, invocation_type: str, attempt: int = 1
    ) -> Invocation:
        """Runs the handler once, unless the runtime is stopping (then raises `RuntimeStoppedError`)."""
        # Busy from here: waiting for a free environment is work in flight, never quiet.
        with self.runtime.activity.busy(f"lambda {function.name}"), self.pool(function.name).lease() as environment:
            # Checked once it has an environment: an invocation that waited for one may find the runtime stopping.
            if self.runtime.activity.stopping.is_set():
                outcome = None
            else:
                outcome = self._run_handler(environment, event, request_id, invocation_type, attempt)
        if outcome is None:
            raise _stopped(function.name)  # outside `busy`: refusing to run is not a failure of the runtime
        payload, error_type = outcome
        # 200 also for an asynchronous attempt: its 202 was answered when it was queued.
        return Invocation(200, payload, "Unhandled" if error_type else None, request_id)

    def _run_handler(
        self, environment: ExecutionEnvironment, event: Any, request_id: str, invocation_type: str, attempt: int
    ) -> tuple[bytes, str | None]:
        """Runs the handler in `environment` and records the run: its response payload and its error type (None: it
        succeeded)."""
        clock, function = self.runtime.clock, environment.function
        self._environments.begin_invocation(environment)
        # Its AWS calls are made as its role (evaluated when IAM is enforced: orchestrator/local/iam), import too;
        # both the role and the variables are the calling thread's (context's) only.
        with running_in(environment), acting_as(function.role, function.name):
            watch = _Stopwatch(clock)
            try:
                if environment.handler is None:  # the environment's cold start
                    environment.handler = self._handlers.load(function)
                handler = environment.handler
                watch = _Stopwatch(clock)  # the timeout covers the handler, not its module's import (cold start)
                context = LocalContext(
                    function, request_id, environment.log_stream, watch.started + function.timeout, clock
                )
                faults = self.runtime.faults
                fault = None if faults is None else faults.handler(function.name, event)
                if fault is not None and fault.phase == "before":
                    raise InjectedFaultError(fault.error, fault.message)
                with nullcontext() if faults is None else faults.running(function.name):
                    result = handler(event, context)
                payload, error_type = _marshal(result, request_id)
                if fault is not None:  # after the handler ran: its side effects stay, its answer is lost
                    raise InjectedFaultError(fault.error, fault.message)
            except InjectedFaultError as error:
                payload, error_type = _error_payload(error.error_type, str(error), request_id, [])
            except HandlerCrashed as crash:  # its process died mid-handler: Lambda's answer for a killed runtime
                logger.warning("lambda %s: %s", function.name, crash)
                message = f"RequestId: {request_id} Error: Runtime exited with error: signal: killed"
                payload, error_type = _error_payload(CRASHED, message, request_id, [])
            except InitError as error:
                payload, error_type = _error_payload(error.error_type, str(error), request_id, error.stack)
            except Exception as error:  # noqa: BLE001 - a handler's exception is its invocation's outcome
                stack = stack_of(error, function.code_dir)
                payload, error_type = _error_payload(type(error).__name__, str(error), request_id, stack)
            duration, cpu_seconds = watch.read()
        if duration > function.timeout or error_type == "Sandbox.Timedout":
            payload, error_type = _timeout_payload(function, request_id, clock.utcnow())
        environment.retired = error_type in (CRASHED, "Sandbox.Timedout")
        record = InvocationRecord(
            function.name, request_id, invocation_type, watch.started, duration, error_type, attempt, cpu_seconds
        )
        with self._lock:
            self.invocations.append(record)
        return payload, error_type

    def _submit_async(self, function: LocalFunction, payload: bytes, request_id: str, attempt: int) -> bool:
        """Queues one attempt of an asynchronous invocation as background work; False when the runtime is stopping
        and the activity refused it (and logged so)."""

        def attempt_once() -> None:
            try:
                # Each attempt gets the event as it was sent, even if an earlier attempt changed its copy.
                outcome = self._run(function, _parse_payload(payload), request_id, "Event", attempt)
            except RuntimeStoppedError:
                logger.warning("lambda %s: async event %s abandoned, the runtime stopped", function.name, request_id)
                return
            if outcome.function_error is None:
                return
            if attempt <= len(ASYNC_RETRY_DELAYS):
                # A timer on the clock, not a sleeping thread: between attempts nothing is in flight, and the clock's
                # next deadline says when the retry is due (so `advance` and `wait_until_quiet` can reach it).
                self.runtime.clock.call_later(ASYNC_RETRY_DELAYS[attempt - 1], retry)
                return
            self._dead_letter(function, payload, outcome)

        def retry() -> None:
            # Due once the runtime is stopping, the retry is refused and the event abandoned with the runtime.
            self._submit_async(function, payload, request_id, attempt + 1)

        return self.runtime.activity.submit(
            f"lambda {function.name} async {request_id} attempt {attempt}", attempt_once
        )

    def _dead_letter(self, function: LocalFunction, payload: bytes, outcome: Invocation) -> None:
        failure = json.loads(outcome.payload)
        error_type, message = str(failure.get("errorType", "")), str(failure.get("errorMessage", ""))
        target = function.dead_letter_arn
        if not target:
            logger.warning(
                "lambda %s: async event %s failed every attempt, discarded", function.name, outcome.request_id
            )
            self.discarded.append(DiscardedEvent(function.name, outcome.request_id, payload, error_type, message))
            return
        # The body is the event exactly as it was sent; the attributes say why (Lambda's DLQ message format).
        body = payload.decode() or "{}"
        attributes = {
            "RequestID": {"DataType": "String", "StringValue": outcome.request_id},
            "ErrorCode": {"DataType": "Number", "StringValue": str(outcome.status_code)},
            "ErrorMessage": {"DataType": "String", "StringValue": _truncate(message or error_type, _DLQ_MESSAGE_LIMIT)},
        }
        if target.split(":")[2] == "sns":
            self.runtime.client("sns").publish(TopicArn=target, Message=body, MessageAttributes=attributes)
            return
        sqs = self.runtime.client("sqs")
        sqs.send_message(QueueUrl=queue_url(sqs, target), MessageBody=body, MessageAttributes=attributes)

    # -- moto's invoke seam ----------------------------------------------------------------------------------

    def _seam_set(self) -> SeamSet:
        """moto's Lambda invoke routed to registered functions; others fall through to moto."""
        seam_set = SeamSet("LambdaRuntime")
        bind_invoke(seam_set, self)
        # Every local cloud's handlers build their clients from new sessions: each reads models through one loader.
        seam_set.replace(declared.BOTOCORE_SHARED_LOADER, shared_loader)
        seam_set.replace(declared.OS_ENVIRON, PROXY)
        seam_set.wrap(declared.BOTO3_DEFAULT_SESSION, default_session)
        return seam_set

    def install(self) -> None:
        """Routes moto's Lambda invoke to registered functions, and os.environ to each invocation's (idempotent)."""
        with self._lock:
            super().install()
            serialize_standard_streams()  # handlers write them from several threads at once (output.py)

    def uninstall(self) -> None:
        """Restores moto's invoke and the real os.environ, and unloads every handler module instance: the next
        invocations start cold (idempotent)."""
        with self._lock:
            super().uninstall()
            restore_standard_streams()
            self._handlers.unload()
            self._pools = {name: self._new_pool(function) for name, function in self.functions.items()}


# -- helpers -------------------------------------------------------------------------------------------------


def _stopped(function_name_or_arn: str) -> RuntimeStoppedError:
    return RuntimeStoppedError(f"the local runtime has stopped: {function_name_or_arn} not invoked")


def _parse_payload(payload: bytes) -> Any:
    if not payload.strip():
        return {}  # Lambda hands an empty payload to the handler as {}
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidRequestContentError(f"Could not parse request body into json: {error}") from error


def _marshal(result: Any, request_id: str) -> tuple[bytes, str | None]:
    """The handler's result as Lambda's Python runtime answers it (awslambdaric's `LambdaMarshaller.marshal_response`):
    bytes as they are, anything else as JSON (Decimals as numbers), or Runtime.MarshalError when JSON cannot hold it
    ("Define Lambda function handler in Python", https://docs.aws.amazon.com/lambda/latest/dg/python-handler.html)."""
    if isinstance(result, bytes):
        return result, None

    def decimals(value: Any) -> Any:
        if isinstance(value, decimal.Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    try:
        return json.dumps(result, default=decimals).encode(), None
    except (TypeError, ValueError) as error:
        return _error_payload("Runtime.MarshalError", f"Unable to marshal response: {error}", request_id, [])


def _error_payload(error_type: str, message: str, request_id: str, stack: list[str]) -> tuple[bytes, str]:
    body = {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack}
    return json.dumps(body).encode(), error_type


class _Stopwatch:
    """A handler's run on the runtime's clock, and its thread's CPU time, from when it was made."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.started = clock.now()
        self._cpu, self._paused = time.thread_time(), PAUSES.total()

    def read(self) -> tuple[float, float]:
        """(duration, CPU seconds). The duration leaves out the process's garbage collections the run sat through
        (collector_pauses.py): on Lambda, no other function's garbage pauses a handler."""
        duration = self._clock.now() - self.started - (PAUSES.total() - self._paused)
        return max(0.0, duration), time.thread_time() - self._cpu


def _timeout_payload(function: LocalFunction, request_id: str, now: datetime.datetime) -> tuple[bytes, str]:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    message = f"{stamp} {request_id} Task timed out after {function.timeout:.2f} seconds"
    return json.dumps({"errorMessage": message, "errorType": "Sandbox.Timedout"}).encode(), "Sandbox.Timedout"


def _truncate(text: str, limit: int) -> str:
    return text.encode()[:limit].decode(errors="ignore")
