"""Lambda functions of the assembly, run in-process from their asset folders with a Lambda-like context.

moto (with `use_docker: False`) stores functions but answers every invoke with the request body. This package
creates each `AWS::Lambda::Function` in moto (`provisioning`), runs registered functions as Lambda would
(`runtime`: invoke, asynchronous retries, dead-letter queues; `pool`: execution environments; `handlers`: handler
import; `environ`: each invocation's `os.environ`) and
routes moto's invoke seam to them (`invoke_seam`).
"""

from __future__ import annotations

from orchestrator.local.lambdas.model import (
    DEFAULT_MEMORY,
    DEFAULT_TIMEOUT,
    DiscardedEvent,
    InjectedFaultError,
    InvalidRequestContentError,
    Invocation,
    InvocationRecord,
    LocalContext,
    LocalFunction,
    RuntimeStoppedError,
    UnknownFunctionError,
)
from orchestrator.local.lambdas.pool import DEFAULT_ENVIRONMENTS
from orchestrator.local.lambdas.provisioning import EXECUTION_ROLE
from orchestrator.local.lambdas.runtime import ASYNC_RETRY_DELAYS, LambdaRuntime

__all__ = [
    "ASYNC_RETRY_DELAYS",
    "DEFAULT_ENVIRONMENTS",
    "DEFAULT_MEMORY",
    "DEFAULT_TIMEOUT",
    "EXECUTION_ROLE",
    "DiscardedEvent",
    "InjectedFaultError",
    "InvalidRequestContentError",
    "Invocation",
    "InvocationRecord",
    "LambdaRuntime",
    "LocalContext",
    "LocalFunction",
    "RuntimeStoppedError",
    "UnknownFunctionError",
]
