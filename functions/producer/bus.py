"""The port the publisher reaches the bus through (`EventBus`, whose adapter is eventbridge.py), its error, and which
error codes are transient."""

from __future__ import annotations

from typing import Any, Protocol

# Transient error codes, whether a failed entry's ErrorCode or a whole call's error: worth another attempt.
# - InternalFailure, ThrottlingException: the retryable entry codes of PutEventsResultEntry (API reference);
# - InternalException, ServiceUnavailable*, RequestTimeout*: server-side or transport faults of a whole call;
# - Throttling, ThrottledException, RequestThrottledException, TooManyRequestsException, RequestLimitExceeded: the
#   throttling codes botocore's standard retry mode treats as transient.
# Everything else (AccessDeniedException, InvalidArgument, MalformedDetail, NotAuthorizedForSourceException,
# NotAuthorizedForDetailTypeException, ResourceNotFoundException, ...) fails at once: a retry cannot fix it.
RETRYABLE_ERROR_CODES: frozenset[str] = frozenset(
    {
        "InternalFailure",
        "InternalException",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
    }
)


class EventBus(Protocol):
    """Port: the PutEvents call of an event bus.

    `put_events` takes PutEvents request entries and returns the PutEvents response shape:
    `{"FailedEntryCount": int, "Entries": [{"EventId": str} | {"ErrorCode": str, "ErrorMessage": str}, ...]}`, one
    result per entry in the order of `entries`. A call that fails as a whole raises `EventBusError`.
    """

    def put_events(self, entries: list[dict[str, Any]]) -> dict[str, Any]: ...


class EventBusError(Exception):
    """A PutEvents call failed as a whole. Adapters translate their SDK's errors into this type.

    `code` is the service error code (or the transport error's name); `retryable` says whether the same call may
    succeed later (throttling, a server or network fault).
    """

    def __init__(self, code: str, message: str, *, retryable: bool) -> None:
        self.code = code
        self.message = message
        self.retryable = retryable
        super().__init__(f"{code}: {message}")


def is_retryable(code: str | None) -> bool:
    """Whether an error code is transient (see RETRYABLE_ERROR_CODES)."""
    return code in RETRYABLE_ERROR_CODES
