"""Small handlers for the local Lambda runtime's tests: state, environment, errors, timeouts, nested invokes."""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

import boto3

from functions.observability import observability
from tests.integration.local_lambda_samples.clock_hook import clock

calls = 0  # module state: each function must get its own
# As the project's handlers take them: at import, under the importing function's environment.
logger = observability().logger


@cache
def greeting() -> str:
    """Read once per module instance, as our handlers cache their settings."""
    return os.environ["GREETING"]


def state(event: Any, context: Any) -> dict[str, Any]:
    global calls
    calls += 1
    return {
        "calls": calls,
        "greeting": greeting(),
        "env": os.environ["GREETING"],
        "name": context.function_name,
        "leaked": os.environ.get("CALLER_ONLY"),
    }


def fail(event: Any, context: Any) -> None:
    raise ValueError(f"cannot handle {event.get('id')}")


def fail_times(event: Any, context: Any) -> dict[str, int]:
    """Fails on its first `event["failures"]` calls, then succeeds."""
    global calls
    calls += 1
    if calls <= event["failures"]:
        raise RuntimeError(f"attempt {calls} failed")
    return {"succeeded_on": calls}


def remaining(event: Any, context: Any) -> dict[str, int]:
    before = context.get_remaining_time_in_millis()
    clock().advance(event["seconds"])
    return {"before": before, "after": context.get_remaining_time_in_millis()}


def unserializable(event: Any, context: Any) -> dict[str, Any]:
    return {"ids": {1, 2}}


def call_other(event: Any, context: Any) -> dict[str, Any]:
    """Invokes another function synchronously, from inside this one, through boto3."""
    response = boto3.client("lambda").invoke(FunctionName=event["target"], Payload=b"{}")
    inner = json.loads(response["Payload"].read())
    return {"inner": inner, "outer_env_after": os.environ.get("GREETING"), "name_after": context.function_name}


def observed(event: Any, context: Any) -> dict[str, Any]:
    """Logs one line with the module's Logger and says which service that Logger is of."""
    logger.info("observed", function=context.function_name)
    return {"service": logger.service}


def echo(event: Any, context: Any) -> Any:
    return event


def as_bytes(event: Any, context: Any) -> bytes:
    """Returns bytes, which Lambda's Python runtime sends as they are."""
    return str(event["text"]).encode()


def sized(event: Any, context: Any) -> dict[str, str]:
    """Returns an object holding a string of `event["size"]` characters."""
    return {"text": "x" * int(event["size"])}
