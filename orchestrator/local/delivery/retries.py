"""When a failed delivery is retried and what a dead letter carries, as EventBridge does it.

moto 5.2.5 ignores a target's `RetryPolicy` and `DeadLetterConfig`: a failing target fails PutEvents instead. Here a
failed delivery is retried with exponential backoff and jitter on the runtime clock until the target's RetryPolicy
is spent (MaximumRetryAttempts, default 185; MaximumEventAgeInSeconds, default 86400). A missing resource or missing
permission is not retried, as on AWS. The event then goes to the target's DeadLetterConfig queue with the message
attributes EventBridge sets, or is dropped.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import ClientError

DEFAULT_MAXIMUM_RETRY_ATTEMPTS: Final[int] = 185
DEFAULT_MAXIMUM_EVENT_AGE_SECONDS: Final[float] = 86_400.0
# AWS documents "exponential back off and jitter" but not its schedule: the first retry comes after 0.5-1 s and each
# one waits up to twice as long as the one before, at most 5 minutes.
BACKOFF_BASE_SECONDS: Final[float] = 1.0
BACKOFF_CAP_SECONDS: Final[float] = 300.0

# EventBridge does not retry these: they fail the same way until someone changes the target.
NOT_RETRIED: Final[frozenset[str]] = frozenset({"NO_RESOURCE", "NO_PERMISSIONS", "INVALID_JSON"})


@dataclass(frozen=True)
class RetryPolicy:
    maximum_retry_attempts: int = DEFAULT_MAXIMUM_RETRY_ATTEMPTS
    maximum_event_age_seconds: float = DEFAULT_MAXIMUM_EVENT_AGE_SECONDS

    @classmethod
    def of(cls, target: Mapping[str, Any]) -> RetryPolicy:
        """The target's RetryPolicy, with EventBridge's defaults for what it leaves out."""
        policy = target.get("RetryPolicy") or {}
        return cls(
            int(policy.get("MaximumRetryAttempts", DEFAULT_MAXIMUM_RETRY_ATTEMPTS)),
            float(policy.get("MaximumEventAgeInSeconds", DEFAULT_MAXIMUM_EVENT_AGE_SECONDS)),
        )


class DeliveryFailure(Exception):
    """A delivery attempt failed; `code` is one of the ERROR_CODE values EventBridge puts on dead letters."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def retryable(self) -> bool:
        return self.code not in NOT_RETRIED


def backoff(retry: int, rng: random.Random) -> float:
    """Exponential backoff with jitter: the wait before retry number `retry` (1 for the first retry)."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2.0 ** (retry - 1))
    return ceiling * rng.uniform(0.5, 1.0)


def classify(error: Exception) -> DeliveryFailure:
    """A target's exception as the ERROR_CODE EventBridge would report."""
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        message = str(error.response.get("Error", {}).get("Message", "")) or str(error)
    else:
        code = str(getattr(error, "error_type", "") or getattr(error, "code", "") or type(error).__name__)
        message = str(getattr(error, "message", "") or error)
    lowered = code.lower()
    if any(word in lowered for word in ("notfound", "nosuch", "doesnotexist", "nonexistent")):
        return DeliveryFailure("NO_RESOURCE", f"{code}: {message}")
    if any(word in lowered for word in ("accessdenied", "unauthorized", "forbidden")):
        return DeliveryFailure("NO_PERMISSIONS", f"{code}: {message}")
    if any(word in lowered for word in ("throttl", "toomanyrequests")):
        return DeliveryFailure("THROTTLING", f"{code}: {message}")
    if isinstance(error, ClientError):
        return DeliveryFailure("SDK_CLIENT_ERROR", f"{code}: {message}")
    return DeliveryFailure("INTERNAL_ERROR", f"{code}: {message}")


def dead_letter_attributes(
    rule_arn: str, target_arn: str, attempts: int, failure: DeliveryFailure, exhausted: str | None
) -> dict[str, dict[str, str]]:
    """The message attributes EventBridge puts on a dead letter; `exhausted` names the RetryPolicy limit reached."""
    attributes = {
        "RULE_ARN": rule_arn,
        "TARGET_ARN": target_arn,
        "ERROR_CODE": failure.code,
        "ERROR_MESSAGE": failure.message,
        "RETRY_ATTEMPTS": str(attempts - 1),
    }
    if exhausted:
        attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
    return {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()}
