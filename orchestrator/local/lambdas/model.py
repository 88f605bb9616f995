"""What the local Lambda runtime knows of a function and answers for an invocation, and the context a handler gets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

DEFAULT_TIMEOUT: Final = 3  # seconds, CloudFormation's default
DEFAULT_MEMORY: Final = 128  # MB
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
    role: str = ""  # the execution role's ARN: the principal its calls are made as

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
    # The CPU time of the handler's thread while it ran. Far below `duration`, the handler waited: for the CPU (other
    # threads of this one process hold the GIL, where on Lambda each environment has its own), for a lock, or asleep.
    cpu_seconds: float = 0.0


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


class InitError(Exception):
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
