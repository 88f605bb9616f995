"""Lambda functions of the assembly, run in-process from their asset folders with a Lambda-like context.

moto (with `use_docker: False`) stores functions but answers every invoke with the request body. This adapter
creates each `AWS::Lambda::Function` in moto (so `list_functions` / `get_function` work) and registers a
`LocalFunction`; `install()` patches moto's invoke seam, `LambdaBackend.invoke` and `LambdaSimpleBackend.invoke`,
so boto3 `lambda.invoke`, the Step Functions `lambda:invoke` task (it calls boto3 inside moto) and moto's own
internal callers of that seam (the S3 CreateBucket notification to rules in `moto/events/notifications.py`, Secrets
Manager rotation) run the registered handler. Functions it does not know fall through to moto. The local runtime's
other adapters call `invoke` directly: EventBridge delivery (orchestrator/local/delivery.py) and the SQS pollers
(orchestrator/local/pollers.py), which detach moto's own SQS event-source mappings so that `send_message` no longer
invokes through the seam.

How a handler runs, as Lambda would run it:
- Import: each function loads its own instance of its handler module (the file in its code folder, under a unique
  module name), so module-level state and `functools.cache`d settings never leak between two functions that share
  a handler file. Packages the handler imports (`functions.*`, `schemas.*`) are shared, imported normally with the
  code folder first on sys.path, as /var/task is on Lambda (so a package not yet imported comes from the asset
  folder). The first invocation is the cold start; later ones are warm.
- Environment: the function's variables plus Lambda's own (`AWS_LAMBDA_FUNCTION_NAME`, `_HANDLER`, ...) are set in
  `os.environ` for the import and each invocation, then restored. `os.environ` is process-wide, so invocations are
  serialized by one re-entrant lock: a handler may invoke another function synchronously on its own thread (the
  inner environment nests and is unwound), but the process runs one handler at a time, and a handler that blocks
  waiting for another thread which itself invokes a function deadlocks. Other threads still see the
  environment of the running handler while it runs.
- Timeout: a thread cannot be killed, so a handler always runs to its end; when it took longer than its timeout on
  the runtime's clock, its result is discarded and the invocation fails with `Sandbox.Timedout`, as Lambda
  reports it (side effects the handler made before returning remain).
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
import importlib
import importlib.util
import inspect
import io
import itertools
import json
import logging
import os
import re
import sys
import threading
import traceback
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from orchestrator.local.jsonata_engine import MotoSeamError
from orchestrator.local.provision import Creator, Provisioned, Provisioner
from orchestrator.local.queues import queue_url
from orchestrator.local.runtime import Runtime

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 3  # seconds, CloudFormation's default
DEFAULT_MEMORY: Final = 128  # MB
ASYNC_RETRY_DELAYS: Final = (60.0, 120.0)  # Lambda retries a failed asynchronous invocation twice, 1 then 2 min later
EXECUTION_ROLE: Final = "local-lambda-execution"  # moto requires an existing role; the template's roles are skipped
_DLQ_MESSAGE_LIMIT: Final = 1024  # Lambda truncates the ErrorMessage attribute of a dead-letter message to 1 KB
_SEAM_PARAMETERS: Final = ["self", "function_name", "qualifier", "body", "headers", "response_headers"]
_STATUS: Final = {"RequestResponse": 200, "Event": 202, "DryRun": 204}
Handler = Callable[[Any, Any], Any]


@dataclass
class LocalFunction:
    """A function the runtime can run: where its code is and how Lambda would configure it."""

    name: str
    arn: str
    handler: str  # "package.module.function", as the template's Handler
    code_dir: Path  # the folder Lambda would unzip to /var/task
    environment: dict[str, str] = field(default_factory=dict)
    timeout: int = DEFAULT_TIMEOUT
    memory: int = DEFAULT_MEMORY
    runtime: str = "python3.13"
    dead_letter_arn: str | None = None  # DeadLetterConfig.TargetArn: an SQS queue or SNS topic
    log_group: str = ""  # LoggingConfig.LogGroup, else /aws/lambda/<name>

    def __post_init__(self) -> None:
        self.log_group = self.log_group or f"/aws/lambda/{self.name}"


@dataclass(frozen=True)
class Invocation:
    """What Lambda's Invoke answers: the status code, the payload and, on failure, X-Amz-Function-Error."""

    status_code: int
    payload: bytes
    function_error: str | None
    request_id: str


@dataclass(frozen=True)
class InvocationRecord:
    """One run of a handler, for tests, benchmarks and the demo timeline (times on the runtime's clock)."""

    function_name: str
    request_id: str
    invocation_type: str
    started_at: float
    duration: float
    error_type: str | None  # None when the handler succeeded
    attempt: int = 1  # asynchronous invocations: 1, then 2 and 3 for Lambda's retries


@dataclass(frozen=True)
class DiscardedEvent:
    """An asynchronous invocation that failed every attempt on a function without a dead-letter queue."""

    function_name: str
    request_id: str
    payload: bytes
    error_type: str
    error_message: str


class UnknownFunctionError(LookupError):
    """No function of that name or ARN is registered with the local Lambda runtime."""

    code: Final = "ResourceNotFoundException"  # what Lambda's Invoke answers (EventBridge delivery reads it)


class RuntimeStoppedError(RuntimeError):
    """The local runtime has stopped: it runs no handler any more."""


class InvalidRequestContentError(ValueError):
    """The payload is not JSON: Lambda's InvalidRequestContentException."""


class InjectedFaultError(Exception):
    """A fault injected into a handler's run (orchestrator/local/faults.py): reported as the handler's error."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


class _InitError(Exception):
    """The handler could not be loaded: the error Lambda's runtime reports for the failed init."""

    def __init__(self, error_type: str, message: str, stack: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.stack = stack or []


class LocalContext:
    """The context object Lambda's Python runtime passes to a handler; remaining time is read on the clock."""

    def __init__(self, function: LocalFunction, request_id: str, log_stream: str, deadline: float, clock: Any) -> None:
        self.function_name = function.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function.arn
        self.memory_limit_in_mb = function.memory
        self.aws_request_id = request_id
        self.log_group_name = function.log_group
        self.log_stream_name = log_stream
        self.identity: Any = None
        self.client_context: Any = None
        self.tenant_id: str | None = None
        self._deadline = deadline
        self._clock = clock

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - self._clock.now()) * 1000))


class LambdaRuntime:
    """Runs the assembly's Lambda functions in-process (see the module docstring for what that implies)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.functions: dict[str, LocalFunction] = {}
        self.invocations: list[InvocationRecord] = []
        self.discarded: list[DiscardedEvent] = []
        self._handlers: dict[str, Handler] = {}  # function name -> handler of its own module instance (warm)
        self._modules: list[str] = []  # names of the handler module instances put in sys.modules
        self._log_streams: dict[str, str] = {}
        self._applied: list[dict[str, str]] = []  # the environment of each invocation running, outermost first
        self._baseline: dict[str, str] | None = None  # the process's environment before the first invocation
        self._lock = threading.RLock()
        self._module_ids = itertools.count(1)
        self._originals: dict[type, Callable[..., Any]] = {}

    # -- provisioning ----------------------------------------------------------------------------------------

    def creators(self) -> dict[str, Creator]:
        return {"AWS::Lambda::Function": self._create_function}

    def _create_function(self, p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
        name = str(props.get("FunctionName") or p.physical_name(logical_id, 64))
        runtime_name = str(props.get("Runtime", ""))
        environment = {k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()}
        timeout, memory = int(props.get("Timeout", DEFAULT_TIMEOUT)), int(props.get("MemorySize", DEFAULT_MEMORY))
        spec: dict[str, Any] = {
            "FunctionName": name,
            "Role": _execution_role(p),
            # moto keeps the bytes only to answer GetFunction; the code that runs is read from the asset folder.
            "Code": {"ZipFile": _placeholder_zip(name)},
            "Timeout": timeout,
            "MemorySize": memory,
            "Environment": {"Variables": environment},
            "Tags": {tag["Key"]: str(tag["Value"]) for tag in props.get("Tags", [])},
        }
        spec |= {
            k: props[k] for k in ("Runtime", "Handler", "Description", "TracingConfig", "Architectures") if k in props
        }
        arn = str(p.client("lambda").create_function(**spec)["FunctionArn"])
        if not runtime_name.startswith("python") or "Handler" not in props:
            # Node or container code cannot run in this process: it exists in moto, invoking it falls through.
            p.notice.not_run[f"AWS::Lambda::Function ({runtime_name or 'image'})"] += 1
            return Provisioned(name, {"Arn": arn})
        self.register(
            LocalFunction(
                name=name,
                arn=arn,
                handler=str(props["Handler"]),
                code_dir=_code_dir(p, props),
                environment=environment,
                timeout=timeout,
                memory=memory,
                runtime=runtime_name,
                dead_letter_arn=props.get("DeadLetterConfig", {}).get("TargetArn"),
                log_group=str(props.get("LoggingConfig", {}).get("LogGroup", "")),
            )
        )
        return Provisioned(name, {"Arn": arn})

    def register(self, function: LocalFunction) -> None:
        """Adds (or replaces, with a new cold start) a function the runtime runs."""
        with self._lock:
            self.functions[function.name] = function
            self._handlers.pop(function.name, None)

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

    def find(self, function_name_or_arn: str) -> LocalFunction | None:
        """The registered function a name, a name with a qualifier, or a (partial) ARN refers to."""
        reference = function_name_or_arn.split(":function:", 1)[-1]
        return self.functions.get(reference.split(":", 1)[0])

    def _run(
        self, function: LocalFunction, event: Any, request_id: str, invocation_type: str, attempt: int = 1
    ) -> Invocation:
        """Runs the handler once, unless the runtime is stopping (then raises `RuntimeStoppedError`)."""
        with self.runtime.activity.busy(f"lambda {function.name}"), self._lock:
            # Checked under the lock: an invocation that waited there for another handler to finish may find the
            # runtime stopping by then.
            if self.runtime.activity.stopping.is_set():
                outcome = None
            else:
                outcome = self._run_handler(function, event, request_id, invocation_type, attempt)
        if outcome is None:
            raise _stopped(function.name)  # outside `busy`: refusing to run is not a failure of the runtime
        payload, error_type = outcome
        # 200 also for an asynchronous attempt: its 202 was answered when it was queued.
        return Invocation(200, payload, "Unhandled" if error_type else None, request_id)

    def _run_handler(
        self, function: LocalFunction, event: Any, request_id: str, invocation_type: str, attempt: int
    ) -> tuple[bytes, str | None]:
        """Runs the handler and records the run: its response payload and its error type (None: it succeeded)."""
        clock = self.runtime.clock
        with self._environment(function):
            started = clock.now()
            try:
                handler = self._handler(function)
                started = clock.now()  # the timeout covers the handler, not its module's import (cold start)
                context = LocalContext(
                    function, request_id, self._log_streams[function.name], started + function.timeout, clock
                )
                fault = None if self.runtime.faults is None else self.runtime.faults.handler(function.name, event)
                if fault is not None and fault.phase == "before":
                    raise InjectedFaultError(fault.error, fault.message)
                payload, error_type = _marshal(handler(event, context), request_id)
                if fault is not None:  # after the handler ran: its side effects stay, its answer is lost
                    raise InjectedFaultError(fault.error, fault.message)
            except InjectedFaultError as error:
                payload, error_type = _error_payload(error.error_type, str(error), request_id, [])
            except _InitError as error:
                payload, error_type = _error_payload(error.error_type, str(error), request_id, error.stack)
            except Exception as error:  # noqa: BLE001 - a handler's exception is its invocation's outcome
                payload, error_type = _error_payload(type(error).__name__, str(error), request_id, _stack(error))
            duration = clock.now() - started
        if duration > function.timeout or error_type == "Sandbox.Timedout":
            payload, error_type = _timeout_payload(function, request_id, clock.utcnow())
        self.invocations.append(
            InvocationRecord(function.name, request_id, invocation_type, started, duration, error_type, attempt)
        )
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

    # -- loading handlers and their environment --------------------------------------------------------------

    def _handler(self, function: LocalFunction) -> Handler:
        """The function's handler, imported on its cold start (a failed init is retried on the next invocation)."""
        if function.name not in self._handlers:
            module_path, _, attribute = function.handler.rpartition(".")
            module = self._load_module(function, module_path)
            handler = getattr(module, attribute, None)
            if not callable(handler):
                raise _InitError("Runtime.HandlerNotFound", f"Handler '{attribute}' missing on module '{module_path}'")
            self._handlers[function.name] = handler
        return self._handlers[function.name]

    def _load_module(self, function: LocalFunction, module_path: str) -> ModuleType:
        """A new instance of the handler's module, from the function's code folder, under a name of its own."""
        relative = Path(*module_path.split(".")) if module_path else None
        candidates = [] if relative is None else [relative.with_suffix(".py"), relative / "__init__.py"]
        source = next((function.code_dir / c for c in candidates if (function.code_dir / c).is_file()), None)
        if source is None:
            raise _InitError(
                "Runtime.ImportModuleError", f"Unable to import module '{module_path}': No module named '{module_path}'"
            )
        package, _, leaf = module_path.rpartition(".")
        # A child of its real package, so relative imports resolve; registered in sys.modules, so pydantic and
        # dataclasses find the module of the classes it defines.
        slug = re.sub(r"\W", "_", function.name)
        unique = f"{package + '.' if package else ''}_local_{slug}_{next(self._module_ids)}_{leaf}"
        spec = importlib.util.spec_from_file_location(unique, source)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        with _first_on_sys_path(function.code_dir):
            try:
                if package:
                    importlib.import_module(package)
                sys.modules[unique] = module
                spec.loader.exec_module(module)
            except ImportError as error:
                sys.modules.pop(unique, None)
                raise _InitError(
                    "Runtime.ImportModuleError", f"Unable to import module '{module_path}': {error}", _stack(error)
                ) from error
            except Exception as error:
                sys.modules.pop(unique, None)
                raise _InitError(type(error).__name__, str(error), _stack(error)) from error
        self._modules.append(unique)
        return module

    @contextmanager
    def _environment(self, function: LocalFunction) -> Iterator[None]:
        """The function's variables and Lambda's own in os.environ, over the process's environment as it was at
        `install()`; an outer invocation's variables are put back when a nested one returns.

        Why lazily, and never deleting: other threads (moto's interpreter building boto3 clients, other handlers'
        threads) read and copy os.environ while a handler runs, and copying os.environ while a key is deleted raises
        KeyError (seen with five executions in parallel). So while the runtime runs a key is never removed: a
        variable the function does not define is set to "" instead (functions/settings.py reads an empty variable as
        unset), and after an invocation the variables stay until the next one changes them. `uninstall()` puts the
        process's environment back, deleting what the runtime added."""
        if function.name not in self._log_streams:
            day = self.runtime.clock.utcnow().strftime("%Y/%m/%d")
            self._log_streams[function.name] = f"{day}/[$LATEST]{uuid.uuid4().hex}"
        if self._baseline is None:
            self._baseline = dict(os.environ)
        target = {**self._baseline, **function.environment, **self._lambda_variables(function)}
        _switch_environment(target, delete=False)
        self._applied.append(target)
        try:
            yield
        finally:
            self._applied.pop()
            if self._applied:
                _switch_environment(self._applied[-1], delete=False)

    def _lambda_variables(self, function: LocalFunction) -> dict[str, str]:
        """The reserved variables Lambda sets (they win over the function's own, as on Lambda)."""
        trace = f"Root=1-{int(self.runtime.clock.now()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]}"
        return {
            "_HANDLER": function.handler,
            "_X_AMZN_TRACE_ID": f"{trace};Sampled=0",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": function.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": self._log_streams[function.name],
            "AWS_REGION": self.runtime.region,
            "AWS_DEFAULT_REGION": self.runtime.region,
            "LAMBDA_TASK_ROOT": str(function.code_dir),
            # There is no X-Ray daemon locally; Powertools' Tracer would otherwise trace (LAMBDA_TASK_ROOT is set).
            "POWERTOOLS_TRACE_DISABLED": "true",
        }

    # -- moto's invoke seam ----------------------------------------------------------------------------------

    def install(self) -> None:
        """Routes moto's Lambda invoke to registered functions (idempotent); others fall through to moto."""
        with self._lock:
            if self._originals:
                return
            for backend_class in _seam_classes():
                original = backend_class.__dict__.get("invoke")
                if original is None or list(inspect.signature(original).parameters) != _SEAM_PARAMETERS:
                    raise MotoSeamError(f"{backend_class.__qualname__}.invoke is not the seam this adapter patches")
                self._originals[backend_class] = original
                backend_class.invoke = self._seam(original)  # type: ignore[attr-defined]

    def uninstall(self) -> None:
        """Restores moto's invoke and forgets the loaded handler modules (idempotent)."""
        with self._lock:
            for backend_class, original in self._originals.items():
                backend_class.invoke = original  # type: ignore[attr-defined]
            self._originals.clear()
            for name in self._modules:
                sys.modules.pop(name, None)
            self._modules.clear()
            self._handlers.clear()
            if self._baseline is not None:
                _switch_environment(self._baseline)
                self._baseline = None

    def _seam(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def invoke(
            backend: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
        ) -> Any:
            function = self.find(function_name)
            if function is None or function.arn.split(":")[3:5] != [backend.region_name, backend.account_id]:
                return original(backend, function_name, qualifier, body, headers, response_headers)
            payload = body.encode() if isinstance(body, str) else bytes(body or b"")
            invocation_type = _header(headers, "X-Amz-Invocation-Type") or "RequestResponse"
            from moto.awslambda.exceptions import LambdaClientError

            refused = (
                None
                if self.runtime.faults is None
                else self.runtime.faults.lambda_service_error(function.name, payload)
            )
            if refused is not None:
                raise LambdaClientError(refused, f"injected fault: {refused}")
            try:
                invocation = self.invoke(function.name, payload, invocation_type)
            except InvalidRequestContentError as error:
                raise LambdaClientError("InvalidRequestContentException", str(error)) from error
            except RuntimeStoppedError as error:
                raise LambdaClientError("ServiceException", str(error)) from error
            if invocation.function_error:
                response_headers["x-amz-function-error"] = invocation.function_error
            response_headers["x-amz-executed-version"] = "$LATEST"
            response_headers["Content-Length"] = str(len(invocation.payload))
            return invocation.payload

        return invoke


# -- helpers -------------------------------------------------------------------------------------------------


def _seam_classes() -> list[type]:
    try:
        from moto.awslambda.models import LambdaBackend
        from moto.awslambda_simple.models import LambdaSimpleBackend
    except ImportError as error:
        raise MotoSeamError(f"moto's Lambda backends moved: {error}") from error
    return [LambdaBackend, LambdaSimpleBackend]


def _stopped(function_name_or_arn: str) -> RuntimeStoppedError:
    return RuntimeStoppedError(f"the local runtime has stopped: {function_name_or_arn} not invoked")


def _header(headers: Any, name: str) -> str | None:
    """A request header by case-insensitive name (moto hands over botocore's headers or a plain dict)."""
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _parse_payload(payload: bytes) -> Any:
    if not payload.strip():
        return {}  # Lambda hands an empty payload to the handler as {}
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidRequestContentError(f"Could not parse request body into json: {error}") from error


def _marshal(result: Any, request_id: str) -> tuple[bytes, str | None]:
    """The handler's result as JSON, as Lambda's Python runtime serializes it (Decimals as numbers)."""

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


def _timeout_payload(function: LocalFunction, request_id: str, now: datetime.datetime) -> tuple[bytes, str]:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    message = f"{stamp} {request_id} Task timed out after {function.timeout:.2f} seconds"
    return json.dumps({"errorMessage": message, "errorType": "Sandbox.Timedout"}).encode(), "Sandbox.Timedout"


def _stack(error: BaseException) -> list[str]:
    """The traceback as Lambda's Python runtime reports it: the handler's frames, not the runtime's."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename != __file__]
    return traceback.format_list(frames)


def _truncate(text: str, limit: int) -> str:
    return text.encode()[:limit].decode(errors="ignore")


@contextmanager
def _first_on_sys_path(directory: Path) -> Iterator[None]:
    """The code folder first on sys.path while a handler module is imported, as /var/task is on Lambda."""
    entry = str(directory)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        sys.path.remove(entry)


def _code_dir(p: Provisioner, props: Mapping[str, Any]) -> Path:
    """The function's asset folder: the CDK's `aws:asset:path` metadata when the CLI wrote it, else the folder the
    asset manifests give for `Code.S3Key`."""
    if p.assembly is None:
        raise RuntimeError("a Lambda function's code folder is looked up in the assembly being provisioned")
    directory = Path(p.assembly.directory)
    asset_path = p.current.get("Metadata", {}).get("aws:asset:path")
    if asset_path:
        return (directory / str(asset_path)).resolve()
    key = props.get("Code", {}).get("S3Key")
    for manifest in sorted(directory.glob("*.assets.json")):
        for asset in json.loads(manifest.read_text(encoding="utf-8")).get("files", {}).values():
            if any(d.get("objectKey") == key for d in asset.get("destinations", {}).values()):
                return (directory / str(asset["source"]["path"])).resolve()
    raise FileNotFoundError(f"no asset folder for code {props.get('Code')} in {directory}")


def _execution_role(p: Provisioner) -> str:
    """One role all local functions run as (IAM is not enforced locally, but moto checks the role exists)."""
    iam = p.client("iam")
    try:
        return str(iam.get_role(RoleName=EXECUTION_ROLE)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        trust = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        policy = json.dumps({"Version": "2012-10-17", "Statement": [trust]})
        return str(iam.create_role(RoleName=EXECUTION_ROLE, AssumeRolePolicyDocument=policy)["Role"]["Arn"])


def _placeholder_zip(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("LOCAL.txt", f"{name} runs in-process from its asset folder in the cloud assembly.\n")
    return buffer.getvalue()


__all__ = [
    "ASYNC_RETRY_DELAYS",
    "DiscardedEvent",
    "InvalidRequestContentError",
    "Invocation",
    "InvocationRecord",
    "LambdaRuntime",
    "LocalContext",
    "LocalFunction",
    "RuntimeStoppedError",
    "UnknownFunctionError",
]


def _switch_environment(target: Mapping[str, str], *, delete: bool = True) -> None:
    """Makes os.environ hold `target`, touching only the keys that differ; the keys `target` lacks are removed, or
    without `delete` blanked (set to "")."""
    for key in [key for key in os.environ if key not in target]:
        if delete:
            os.environ.pop(key, None)
        elif os.environ.get(key):
            os.environ[key] = ""
    for key, value in target.items():
        if os.environ.get(key) != value:
            os.environ[key] = value
