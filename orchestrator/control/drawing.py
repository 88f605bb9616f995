"""Pictures of workflows: a state machine's definition (and an execution's outcomes) fetched and drawn.

`draw` finds the state machine a WORKFLOW names (an ARN, its name, or a part of its name only one has: case,
hyphens and underscores aside, so `order-saga` names the saga), reads its definition, and with an execution the one
that execution ran and the outcome of each state from its history, then renders it with `graph` (Mermaid or SVG).
"""

from __future__ import annotations

import json
import re
from typing import Any

from asl import graph
from asl.history import visits_from_history
from orchestrator.control.errors import InvalidInput, NotFound


def draw(client: Any, workflow: str, execution: str | None, fmt: str) -> str:
    """The picture of `workflow` (and of `execution`'s outcomes) in `fmt` ("mermaid" or "svg"), from a boto3
    `stepfunctions` client; botocore's errors are the caller's to translate (`errors.aws_errors`)."""
    definition, outcomes = _fetch(client, workflow, execution)
    render = graph.svg if fmt == "svg" else graph.mermaid
    return render(definition, outcomes)


def _fetch(client: Any, workflow: str, execution: str | None) -> tuple[dict[str, Any], dict[str, str] | None]:
    """The definition to draw, and the execution's outcome of each state it visited."""
    arn = resolve(client, workflow)
    if execution is None:
        definition = client.describe_state_machine(stateMachineArn=arn)["definition"]
        return json.loads(definition), None
    described = client.describe_execution(executionArn=execution)
    if _name(described["stateMachineArn"]) != _name(arn):
        raise InvalidInput(
            f"execution {execution} is of {_name(described['stateMachineArn'])}, not of {_name(arn)}",
            "name its own workflow",
            field="--execution",
        )
    # The definition the execution ran (a version's, if it ran one), not the state machine's latest.
    definition = client.describe_state_machine_for_execution(executionArn=execution)["definition"]
    return json.loads(definition), _outcomes(client, execution, described["status"])


def outcomes(client: Any, execution: str) -> dict[str, str]:
    """What each state `execution` visited did (`graph.outcomes_of`): how a picture of it is coloured."""
    return _outcomes(client, execution, client.describe_execution(executionArn=execution)["status"])


def _outcomes(client: Any, execution: str, status: str) -> dict[str, str]:
    pages = client.get_paginator("get_execution_history").paginate(executionArn=execution)
    history = [event for page in pages for event in page["events"]]
    return graph.outcomes_of(visits_from_history(history, status))


def resolve(client: Any, workflow: str) -> str:
    """The ARN of the one state machine `workflow` names: an ARN as given, else an exact name, else the only name
    containing it (ignoring case, hyphens and underscores)."""
    if workflow.startswith("arn:"):
        return workflow
    machines = [m for page in client.get_paginator("list_state_machines").paginate() for m in page["stateMachines"]]
    exact = [m["stateMachineArn"] for m in machines if m["name"] == workflow]
    if exact:
        return str(exact[0])
    matching = [m for m in machines if _squashed(workflow) in _squashed(m["name"])]
    if len(matching) == 1:
        return str(matching[0]["stateMachineArn"])
    names = ", ".join(sorted(m["name"] for m in (matching or machines))) or "none"
    if matching:
        raise InvalidInput(
            f"{workflow!r} matches {len(matching)} state machines ({names})", "say which", field="WORKFLOW"
        )
    raise NotFound(f"no state machine matches {workflow!r}; there are: {names}")


def _squashed(name: str) -> str:
    """A name as matched: case, hyphens and underscores aside, so `order-saga` finds `...OrderSagaStateMachine...`."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _name(arn: str) -> str:
    """The state machine's name in its (or its execution's, version's, alias's) ARN."""
    return arn.split(":")[6] if arn.count(":") >= 6 else arn
