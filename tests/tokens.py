"""The task tokens a run really issued, read from every execution's history through the local runtime's own client
(unredacted, unlike the control plane), and a check that none of them is in a text: for the tests that the event
store and the control plane keep and serve no token. Found independently of schemas/redaction.py, by walking the
history and the JSON text in it."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from typing import Any

from orchestrator.local.cloud import LocalCloud

_TOKEN_KEYS = frozenset({"task_token", "taskToken", "TaskToken"})


def executions(cloud: LocalCloud) -> list[str]:
    """The ARN of every execution of every state machine of the cloud."""
    sfn = cloud.client("stepfunctions")
    machines = [m["stateMachineArn"] for p in sfn.get_paginator("list_state_machines").paginate()
                for m in p["stateMachines"]]  # fmt: skip
    return [
        e["executionArn"]
        for machine in machines
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine)
        for e in page["executions"]
    ]


def issued_tokens(cloud: LocalCloud, arns: Iterable[str]) -> set[str]:
    """Every task token the executions' histories hold (dispatches and registrations: their scheduled parameters)."""
    sfn = cloud.client("stepfunctions")
    found: set[str] = set()
    for arn in arns:
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
            for event in page["events"]:
                _collect(event, found)
    return found


def leaked(text: str, tokens: Iterable[str]) -> list[str]:
    """The tokens that appear in `text` (as they are, or JSON-escaped once or twice)."""
    variants = {t: {t, json.dumps(t)[1:-1], json.dumps(json.dumps(t))[3:-3]} for t in tokens}
    return [t for t, forms in variants.items() if any(form in text for form in forms)]


def _collect(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in _TOKEN_KEYS and isinstance(item, str):
                found.add(item)
            _collect(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)
    elif isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        with contextlib.suppress(ValueError):
            _collect(json.loads(value), found)
