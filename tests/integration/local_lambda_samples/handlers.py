"""Small handlers for the local Lambda runtime's tests: state, environment, errors, timeouts, nested invokes."""

from __future__ import annotations

import gc
import json
import os
import threading
import time
from functools import cache
from typing import Any

import boto3

from functions.observability import observability
from tests.integration.local_lambda_samples import rendezvous
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
    working = time.thread_time()
    while time.thread_time() - working < event.get("cpu", 0):
        pass  # work: the thread's CPU time, which the runtime records beside the duration
    clock().advance(event["seconds"])
    return {"before": before, "after": context.get_remaining_time_in_millis()}


def collect(event: Any, context: Any) -> dict[str, int]:
    return {"collected": gc.collect()}


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


def meet(event: Any, context: Any) -> dict[str, bool]:
    """Arrives as `event["name"]`, then waits (bounded) for every name in `event["others"]` to arrive too."""
    rendezvous.arrive(event["name"])
    return {"met": rendezvous.wait_for(event["others"], event.get("timeout", 3.0))}


def hold(event: Any, context: Any) -> dict[str, Any]:
    """Arrives as `event["name"]`, holds its execution environment until `event["gate"]` opens (bounded), and says
    which environment it ran in and what it saw of its environment variables."""
    global calls
    calls += 1
    seen = calls
    rendezvous.arrive(event["name"])
    released = rendezvous.wait_for([event["gate"]], event.get("timeout", 5.0))
    return {
        "calls": seen,
        "released": released,
        "log_stream": context.log_stream_name,
        "variables": [
            os.environ["GREETING"],
            os.getenv("GREETING"),
            os.environ.copy()["GREETING"],
            dict(os.environ)["GREETING"],
            os.environ["AWS_LAMBDA_LOG_STREAM_NAME"],
        ],
    }


def invoke_from_thread(event: Any, context: Any) -> dict[str, Any]:
    """Waits (bounded) for a thread of its own that invokes `event["target"]` synchronously through boto3."""
    region = os.environ["AWS_REGION"]  # the thread sees the process's environment, not this function's
    answer: dict[str, Any] = {}

    def invoke() -> None:
        response = boto3.client("lambda", region_name=region).invoke(FunctionName=event["target"], Payload=b"{}")
        answer.update(json.loads(response["Payload"].read()))

    thread = threading.Thread(target=invoke, daemon=True)
    thread.start()
    thread.join(event.get("timeout", 3.0))
    return {"finished": not thread.is_alive(), "inner": answer}
