"""What can go wrong in a control-plane operation, as a few error kinds an operator can act on.

Every operation raises only `ControlError` subclasses, each with one line saying what happened and one saying what
to do about it: the CLI prints them and maps each kind to an exit code, the HTTP API will map them to status codes.
`aws_errors()` turns botocore's exceptions into these kinds at the one place the library talks to AWS.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Final

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

# Error codes of AWS services that mean "there is no such thing" (Step Functions, DynamoDB, EventBridge).
NOT_FOUND_CODES: Final[frozenset[str]] = frozenset(
    {"ExecutionDoesNotExist", "StateMachineDoesNotExist", "ResourceNotFoundException", "ResourceNotFound"}
)
# Error codes that mean the caller's IAM policies do not allow the call (each service words it its own way).
FORBIDDEN_CODES: Final[frozenset[str]] = frozenset({"AccessDeniedException", "AccessDenied", "AuthorizationError"})
# Error codes that mean the request itself was malformed: the caller's input, not the system, is at fault.
INVALID_INPUT_CODES: Final[frozenset[str]] = frozenset(
    {"InvalidArn", "InvalidExecutionInput", "InvalidName", "ValidationException", "InvalidToken"}
)


class ControlError(Exception):
    """An operation failed; `message` says what happened, `fix` what the operator can do. `service_code` is set when
    the message holds what AWS (or botocore) said: its error code (`AccessDeniedException`, `ParamValidationError`,
    `EndpointConnectionError`). That text can name the account, the caller's role and its ARN: the operator's CLI
    prints it, an HTTP API answers with the code only."""

    def __init__(self, message: str, fix: str = "", *, service_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.service_code = service_code

    def line(self) -> str:
        """The error as one line: what happened, then the fix."""
        return f"{self.message}; {self.fix}" if self.fix else self.message


def shown(error: ControlError) -> str:
    """The error as an operator reads it (the `orch` CLI after `orch: `, the console in its alert): invalid input
    names the field at fault first."""
    if isinstance(error, InvalidInput):
        return f"invalid input{f' ({error.field})' if error.field else ''}: {error.line()}"
    return error.line()


class InvalidInput(ControlError):  # noqa: N818 - a kind of outcome, like NotFound
    """The operator's input is wrong; `field` names the part at fault (`data.total_cents`, `--input`)."""

    def __init__(self, message: str, fix: str = "", *, field: str = "", service_code: str | None = None) -> None:
        super().__init__(message, fix, service_code=service_code)
        self.field = field


class NotFound(ControlError):  # noqa: N818
    """What the operation names does not exist (an execution, a workflow, a breaker, a table)."""


class Forbidden(ControlError):  # noqa: N818
    """The caller's IAM policies do not allow the call (the message names the action and resource)."""


class Unreachable(ControlError):  # noqa: N818
    """The endpoint does not answer."""


class NoCredentials(ControlError):  # noqa: N818
    """No usable AWS credentials or region."""


class Conflict(ControlError):  # noqa: N818
    """The thing changed under the operation (a conditional write lost, an execution already ended)."""


# Each kind as an HTTP status (the control API answers with it, the console's pages too); any other: 502, AWS failing.
HTTP_STATUS: Final[dict[type[ControlError], HTTPStatus]] = {
    InvalidInput: HTTPStatus.BAD_REQUEST,
    NotFound: HTTPStatus.NOT_FOUND,
    Forbidden: HTTPStatus.FORBIDDEN,  # the caller's role may not do it
    Conflict: HTTPStatus.CONFLICT,
    Unreachable: HTTPStatus.SERVICE_UNAVAILABLE,
    NoCredentials: HTTPStatus.SERVICE_UNAVAILABLE,
}


def http_status(error: ControlError) -> HTTPStatus:
    """The HTTP status an answer to `error` carries."""
    return next((code for kind, code in HTTP_STATUS.items() if isinstance(error, kind)), HTTPStatus.BAD_GATEWAY)


@contextmanager
def aws_errors(endpoint_url: str | None) -> Iterator[None]:
    """Runs AWS calls, turning botocore's exceptions into the kinds above."""
    where = endpoint_url or "AWS"
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError) as error:
        raise NoCredentials(
            f"no AWS credentials: {error}",
            "set AWS_PROFILE or pass --profile (for the local runtime: --local, any credentials do)",
            service_code=type(error).__name__,
        ) from None
    except ProfileNotFound as error:
        raise NoCredentials(
            str(error), "pass a profile of ~/.aws/config with --profile", service_code="ProfileNotFound"
        ) from None
    except NoRegionError:
        raise NoCredentials("no AWS region", "pass --region or set AWS_REGION", service_code="NoRegionError") from None
    except (EndpointConnectionError, ConnectionClosedError, ConnectTimeoutError, ReadTimeoutError) as error:
        fix = "start it with `orch local up`" if endpoint_url else "check your network and --region"
        raise Unreachable(
            f"cannot reach {where}: {error}",
            f"{fix}, or pass another --endpoint-url",
            service_code=type(error).__name__,
        ) from None
    except ParamValidationError as error:
        # botocore refused a parameter before sending it (an empty ARN, a name too long): the caller's value.
        report = " ".join(str(error.kwargs.get("report", error)).split())
        raise InvalidInput(
            f"a value AWS does not take: {report}", "check the value given", service_code="ParamValidationError"
        ) from None
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", "")) or "ClientError"
        text = str(error.response.get("Error", {}).get("Message", "")) or str(error)
        if code in NOT_FOUND_CODES:
            raise NotFound(
                f"{code}: {text}", "check the name or ARN (`orch list` shows executions)", service_code=code
            ) from None
        if code in INVALID_INPUT_CODES:
            raise InvalidInput(f"{code}: {text}", "check the value given", service_code=code) from None
        if code in FORBIDDEN_CODES:
            raise Forbidden(f"{code}: {text}", "the caller's IAM policy does not allow it", service_code=code) from None
        raise ControlError(f"{code}: {text}", service_code=code) from None
