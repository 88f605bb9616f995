"""The port through which EventBridge delivery and the SQS pollers invoke functions of the local runtime.

`orchestrator.local.lambdas.LambdaRuntime` implements it; tests of delivery and pollers use small recording fakes.
"""

from __future__ import annotations

from typing import Protocol


class Invocation(Protocol):
    """What an invoke answered: the function's response or its error, as the Invoke API reports it."""

    @property
    def status_code(self) -> int: ...

    @property
    def payload(self) -> bytes: ...

    @property
    def function_error(self) -> str | None: ...


class LambdaPort(Protocol):
    """Invokes a function by name or ARN; a handler's exception comes back as a `function_error` ("Unhandled")
    with the error as payload, as Lambda answers, never as a raised exception."""

    def invoke(
        self, function_name_or_arn: str, payload: bytes, invocation_type: str = "RequestResponse"
    ) -> Invocation: ...

    def role_of(self, function_name_or_arn: str) -> str:
        """The function's execution role ARN ("" when it has none, or the port does not know it)."""
        ...
