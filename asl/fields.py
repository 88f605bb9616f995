"""ASL building blocks every generator here uses (the DAG compiler, the pause points, the breaker steps): a JSONata
field value, the transient errors of the services the generated states call, and a Retry with backoff and jitter."""

from __future__ import annotations

from typing import Any, Final

# Errors a Lambda invoke or a DynamoDB call raises when the service could not serve now: worth another try.
# Lambda.Unknown: the invocation's answer was lost (the function may have run, or died mid-way); the project's
# functions are idempotent per call, so trying again is safe.
LAMBDA_TRANSIENT: Final = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.Unknown",
)
# A Lambda function that ran past its timeout (it may have done part of its work): retried where the function is
# idempotent for the call, as the order saga's services and the admission are.
LAMBDA_TIMED_OUT: Final = "Sandbox.Timedout"
DYNAMODB_TRANSIENT: Final = (
    "DynamoDB.ProvisionedThroughputExceededException",
    "DynamoDB.ThrottlingException",
    "DynamoDB.RequestLimitExceeded",
    "DynamoDB.InternalServerErrorException",
    "DynamoDB.InternalServerError",
)


def jsonata(expression: str) -> str:
    """`expression` as a JSONata field value, its whitespace folded."""
    return "{% " + " ".join(expression.split()) + " %}"


def retry(errors: tuple[str, ...] | list[str], *, max_attempts: int, max_delay_seconds: int) -> dict[str, Any]:
    """A Retry of `errors`: 1 s, doubling, with full jitter, at most `max_delay_seconds` apart."""
    return {
        "ErrorEquals": list(errors),
        "IntervalSeconds": 1,
        "MaxAttempts": max_attempts,
        "BackoffRate": 2,
        "MaxDelaySeconds": max_delay_seconds,
        "JitterStrategy": "FULL",
    }
