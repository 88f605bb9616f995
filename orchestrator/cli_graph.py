"""`orch graph`: a state machine as a picture, for whoever has no Step Functions console at hand.

    orch graph AgentPipeline                                  # Mermaid text on stdout
    orch graph OrderSaga --execution ARN --format svg --out saga.svg --local

See DESCRIPTION for what WORKFLOW and `--execution` mean.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from orchestrator.control import graph

LOCAL_ENDPOINT: Final = "http://127.0.0.1:4566"  # `orch local up`'s default
DESCRIPTION: Final = """\
WORKFLOW is a state machine's ARN, its name, or a part of its name that only one state machine has (case, hyphens and
underscores aside: `order-saga` names the saga). With --execution, each state is coloured by what it did in that
execution (from its history: succeeded, caught, failed, running or waiting, aborted; plain when not visited) and the
definition drawn is the one that execution ran. Talks to AWS (--profile, --region) or to the local runtime (--local,
or --endpoint-url)."""
EXIT_FAILURE: Final = 1
EXIT_USAGE: Final = 2  # argparse's own
EXIT_NOT_FOUND: Final = 3


class GraphError(Exception):
    """A failure the user can act on: the message says what happened and what to do; `code` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


def register(commands: Any) -> None:
    """Adds `graph` to the `orch` command groups (an argparse subparsers action)."""
    parser = commands.add_parser(
        "graph",
        help="draw a state machine (Mermaid or SVG), states coloured by an execution's outcomes",
        description=DESCRIPTION,
    )
    parser.add_argument("workflow", metavar="WORKFLOW", help="state machine ARN, name, or a unique part of its name")
    parser.add_argument("--execution", metavar="ARN", help="colour the states by what this execution did")
    parser.add_argument("--format", choices=("mermaid", "svg"), default="mermaid", help="default mermaid")
    parser.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of standard output")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--endpoint-url", metavar="URL", help="an AWS-compatible endpoint, e.g. the local runtime's")
    where.add_argument("--local", action="store_true", help=f"the local runtime at {LOCAL_ENDPOINT} (orch local up)")
    parser.add_argument("--region", help="AWS region (default: the profile's or the environment's)")
    parser.add_argument("--profile", help="AWS named profile")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """`orch graph`: prints or writes the picture; one line on standard error and an exit code when it cannot."""
    endpoint = LOCAL_ENDPOINT if args.local else args.endpoint_url
    try:
        client = stepfunctions_client(endpoint, args.region, args.profile)
        picture = draw(client, args.workflow, args.execution, args.format, endpoint)
    except GraphError as error:
        print(f"orch graph: {error}", file=sys.stderr)
        return error.code
    if args.out is None:
        sys.stdout.write(picture)
    else:
        args.out.write_text(picture, encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


def stepfunctions_client(endpoint: str | None, region: str | None, profile: str | None) -> Any:
    import boto3
    import botocore.exceptions

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound as error:
        raise GraphError(f"{error}; see `aws configure list-profiles`", EXIT_USAGE) from error
    if endpoint is not None and session.region_name is None:
        session = boto3.Session(profile_name=profile, region_name="us-east-1")  # a local endpoint takes any region
    if session.region_name is None:
        raise GraphError("no AWS region; pass --region or set AWS_REGION", EXIT_USAGE)
    return session.client("stepfunctions", endpoint_url=endpoint)


def draw(client: Any, workflow: str, execution: str | None, fmt: str, endpoint: str | None = None) -> str:
    """The picture of `workflow` (and of `execution`'s outcomes) in `fmt` ("mermaid" or "svg")."""
    definition, outcomes = _fetch(client, workflow, execution, endpoint)
    render = graph.svg if fmt == "svg" else graph.mermaid
    return render(definition, outcomes)


def _fetch(
    client: Any, workflow: str, execution: str | None, endpoint: str | None
) -> tuple[dict[str, Any], dict[str, str] | None]:
    """The definition to draw, and the execution's outcome of each state it visited."""
    with _aws_errors(endpoint):
        arn = resolve(client, workflow)
        if execution is None:
            definition = client.describe_state_machine(stateMachineArn=arn)["definition"]
            return json.loads(definition), None
        described = client.describe_execution(executionArn=execution)
        if _name(described["stateMachineArn"]) != _name(arn):
            raise GraphError(
                f"execution {execution} is of {_name(described['stateMachineArn'])}, not of {_name(arn)}", EXIT_USAGE
            )
        # The definition the execution ran (a version's, if it ran one), not the state machine's latest.
        definition = client.describe_state_machine_for_execution(executionArn=execution)["definition"]
        pages = client.get_paginator("get_execution_history").paginate(executionArn=execution)
        history = [event for page in pages for event in page["events"]]
    from orchestrator.local.stepfunctions import visits_from_history  # imports moto: only when colouring

    return json.loads(definition), graph.outcomes_of(visits_from_history(history, described["status"]))


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
        raise GraphError(f"{workflow!r} matches {len(matching)} state machines ({names}); say which", EXIT_USAGE)
    raise GraphError(f"no state machine matches {workflow!r}; there are: {names}", EXIT_NOT_FOUND)


def _squashed(name: str) -> str:
    """A name as matched: case, hyphens and underscores aside, so `order-saga` finds `...OrderSagaStateMachine...`."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _name(arn: str) -> str:
    """The state machine's name in its (or its execution's, version's, alias's) ARN."""
    return arn.split(":")[6] if arn.count(":") >= 6 else arn


@contextmanager
def _aws_errors(endpoint: str | None) -> Iterator[None]:
    """Turns what boto3 raises into one clear line with the fix."""
    import botocore.exceptions

    try:
        yield
    except botocore.exceptions.NoCredentialsError as error:
        raise GraphError("no AWS credentials; set AWS_PROFILE (or pass --profile), or use --local") from error
    except botocore.exceptions.EndpointConnectionError as error:
        hint = "is `orch local up` running?" if endpoint else "check the region and your network"
        raise GraphError(f"cannot reach {error.kwargs.get('endpoint_url', endpoint)}; {hint}") from error
    except botocore.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", str(error))
        if code in _NOT_FOUND:
            raise GraphError(f"{message}; check the ARN", EXIT_NOT_FOUND) from error
        raise GraphError(f"{code}: {message}", EXIT_USAGE if code == "InvalidArn" else EXIT_FAILURE) from error


_NOT_FOUND: Final = frozenset({"StateMachineDoesNotExist", "ExecutionDoesNotExist", "ResourceNotFound"})
