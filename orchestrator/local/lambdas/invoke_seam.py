"""moto's Lambda invoke seam: `LambdaBackend.invoke` and `LambdaSimpleBackend.invoke` run registered handlers.

boto3 `lambda.invoke`, the Step Functions `lambda:invoke` task (it calls boto3 inside moto) and moto's own internal
callers of that seam (the S3 CreateBucket notification to rules in `moto/events/notifications.py`, Secrets Manager
rotation) run the registered handler; functions the local runtime does not know fall through to moto.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from orchestrator.local.lambdas.model import InvalidRequestContentError, RuntimeStoppedError
from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import services as declared

if TYPE_CHECKING:
    from orchestrator.local.lambdas.runtime import LambdaRuntime


def bind_invoke(seam_set: SeamSet, lambdas: LambdaRuntime) -> None:
    """Binds moto's invoke seams into `seam_set`, routed to `lambdas`."""
    for seam in declared.LAMBDA_INVOKE:
        seam_set.wrap(seam, lambda original: _invoking(lambdas, original))


def _invoking(lambdas: LambdaRuntime, original: Callable[..., Any]) -> Callable[..., Any]:
    def invoke(
        backend: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
    ) -> Any:
        function = lambdas.find(function_name)
        if function is None or function.arn.split(":")[3:5] != [backend.region_name, backend.account_id]:
            return original(backend, function_name, qualifier, body, headers, response_headers)
        payload = body.encode() if isinstance(body, str) else bytes(body or b"")
        invocation_type = header(headers, "X-Amz-Invocation-Type") or "RequestResponse"
        from moto.awslambda.exceptions import LambdaClientError  # moto's Lambda only once an invoke comes through

        refused = (
            None
            if lambdas.runtime.faults is None
            else lambdas.runtime.faults.lambda_service_error(function.name, payload)
        )
        if refused is not None:
            raise LambdaClientError(refused, f"injected fault: {refused}")
        try:
            invocation = lambdas.invoke(function.name, payload, invocation_type)
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


def header(headers: Any, name: str) -> str | None:
    """A request header by case-insensitive name (moto hands over botocore's headers or a plain dict)."""
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return str(value)
    return None
