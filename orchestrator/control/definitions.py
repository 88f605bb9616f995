"""Shipping a workflow's definition safely: versions and an alias routed by weight (canary), and rollback.

Step Functions keeps published versions (immutable snapshots, `<machine arn>:<n>`) and aliases (`<machine arn>:<name>`)
that route executions to one version, or split them between two by weight. An operator publishes the current
definition as a version, moves an alias to it a little at a time (`shift`), and moves it back (`rollback`).
Each deploy publishes the definition it deploys and routes `live` all to it (infra/constructs/live_alias.py); events
and `orch start` start executions through `live`, so its routing is what they run.

Only calls moto 5.2.5 implements are needed on the local runtime (moto/stepfunctions/responses.py):

- publishing is UpdateStateMachine with the current definition and `publish` (models.py:771; AWS accepts it too).
  PublishStateMachineVersion and ListStateMachineVersions are not implemented by moto, so versions are listed with
  ListStateMachineVersions where the service has it and otherwise by describing `<arn>:1`, `<arn>:2`, ... until one is
  missing (moto's DescribeStateMachine resolves version ARNs, models.py:707);
- aliases: Create/Update/Describe/ListStateMachineAliases (models.py:668, 798, 727, 701).

Where a single-entry alias goes back to on rollback is not kept by the service: `shift` writes it into the alias's
description (`orch: previous <version arn>`), which both runtimes store and return.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import ClientError

from orchestrator.control.errors import Conflict, InvalidInput, NotFound

# The alias each deploy creates and routes to the version it publishes, which events and `orch start` start
# workflows through (infra/constructs/live_alias.py `LIVE_ALIAS`; a test ties them).
DEFAULT_ALIAS: Final = "live"
_PREVIOUS = re.compile(r"orch: previous (\S+)")


@dataclass(frozen=True)
class Version:
    number: int
    arn: str
    description: str
    created: datetime.datetime | None


@dataclass(frozen=True)
class Route:
    version: int
    weight: int  # percent of the alias's executions


@dataclass(frozen=True)
class Alias:
    name: str
    arn: str
    routing: list[Route]
    description: str


@dataclass(frozen=True)
class Definitions:
    """A workflow's state machine with its published versions and its aliases."""

    workflow: str
    state_machine_arn: str
    versions: list[Version]
    aliases: list[Alias]


@dataclass(frozen=True)
class AliasChange:
    alias: str
    before: list[Route]  # empty when the alias was created
    after: list[Route]


def list_definitions(sfn: Any, workflow: str, machine: str) -> Definitions:
    summaries = _pages(sfn.list_state_machine_aliases, "stateMachineAliases", stateMachineArn=machine)
    aliases = [describe_alias(sfn, summary["stateMachineAliasArn"]) for summary in summaries]
    return Definitions(workflow, machine, list(versions(sfn, machine)), aliases)


def versions(sfn: Any, machine: str) -> Iterator[Version]:
    """The published versions, oldest first."""
    try:
        listed = _pages(sfn.list_state_machine_versions, "stateMachineVersions", stateMachineArn=machine)
        arns = [v["stateMachineVersionArn"] for v in listed]
    except (NotImplementedError, ClientError) as error:
        # moto in-process raises NotImplementedError; as a server it answers 500. Anything else is a real error.
        if isinstance(error, ClientError) and error.response["ResponseMetadata"].get("HTTPStatusCode") != 500:
            raise
        yield from _probed_versions(sfn, machine)
        return
    for arn in sorted(arns, key=version_number):
        yield _version(sfn.describe_state_machine(stateMachineArn=arn))


def _pages(call: Any, key: str, **arguments: Any) -> list[Any]:
    """Every item of a listing botocore has no paginator for, following `nextToken`."""
    items: list[Any] = []
    while True:
        page = call(**arguments)
        items += page[key]
        if not page.get("nextToken"):
            return items
        arguments["nextToken"] = page["nextToken"]


def _probed_versions(sfn: Any, machine: str) -> Iterator[Version]:
    number = 1
    while True:
        try:
            described = sfn.describe_state_machine(stateMachineArn=f"{machine}:{number}")
        except ClientError as error:
            if error.response["Error"]["Code"] == "StateMachineDoesNotExist":
                return
            raise
        yield _version(described)
        number += 1


def _version(described: Any) -> Version:
    arn = str(described["stateMachineArn"])
    return Version(version_number(arn), arn, str(described.get("description", "")), described.get("creationDate"))


def version_number(arn: str) -> int:
    return int(arn.rsplit(":", 1)[1])


def publish(sfn: Any, machine: str, description: str) -> Version:
    """Publishes the state machine's current definition as a new version."""
    definition = sfn.describe_state_machine(stateMachineArn=machine)["definition"]
    arguments: dict[str, Any] = {"stateMachineArn": machine, "definition": definition, "publish": True}
    if description:
        arguments["versionDescription"] = description
    arn = str(sfn.update_state_machine(**arguments)["stateMachineVersionArn"])
    return _version(sfn.describe_state_machine(stateMachineArn=arn))


def describe_alias(sfn: Any, arn: str) -> Alias:
    described = sfn.describe_state_machine_alias(stateMachineAliasArn=arn)
    routing = [
        Route(version_number(r["stateMachineVersionArn"]), int(r["weight"])) for r in described["routingConfiguration"]
    ]
    return Alias(str(described["name"]), arn, routing, str(described.get("description", "")))


def shift(sfn: Any, machine: str, alias: str, to: int, weight: int) -> AliasChange:
    """Routes `weight` % of the alias's executions to version `to`, the rest to the version it routes most to now
    (all of them at 100). Creates the alias, at 100 % only, when it does not exist yet."""
    if not 1 <= weight <= 100:
        raise InvalidInput(f"weight {weight} is not a percentage from 1 to 100", "pass --weight 1..100", field="weight")
    target = _existing_version(sfn, machine, to)
    current = _alias_or_none(sfn, machine, alias)
    if current is None:
        if weight != 100:
            raise InvalidInput(
                f"alias {alias!r} does not exist yet: its first routing is all of it",
                f"create it with --to {to} --weight 100, then shift a canary",
                field="weight",
            )
        sfn.create_state_machine_alias(
            name=alias, routingConfiguration=[{"stateMachineVersionArn": target, "weight": 100}]
        )
        return AliasChange(alias, [], [Route(to, 100)])
    stable = max(current.routing, key=lambda r: r.weight).version
    # The stable version first: it is what rollback goes back to.
    canary = [Route(stable, 100 - weight), Route(to, weight)]
    routing = [Route(to, 100)] if weight == 100 or stable == to else canary
    previous = stable if stable != to else _previous(current)
    _update(sfn, current.arn, machine, routing, previous)
    return AliasChange(alias, current.routing, routing)


def rollback(sfn: Any, machine: str, alias: str) -> AliasChange:
    """All of the alias back on its first routing entry (the stable version of a canary), or, when it routes to one
    version only, on the version it routed to before the last shift."""
    current = _alias_or_none(sfn, machine, alias)
    if current is None:
        raise NotFound(f"no alias {alias!r} on {machine}", "`orch definitions list WORKFLOW` shows the aliases")
    target = current.routing[0].version if len(current.routing) > 1 else _previous(current)
    if target is None:
        raise Conflict(f"alias {alias!r} has no earlier version to go back to", "shift it with --to VERSION")
    routing = [Route(target, 100)]
    _update(sfn, current.arn, machine, routing, None)
    return AliasChange(alias, current.routing, routing)


def _update(sfn: Any, alias_arn: str, machine: str, routing: list[Route], previous: int | None) -> None:
    description = f"orch: previous {machine}:{previous}" if previous is not None else "orch: no earlier version"
    sfn.update_state_machine_alias(
        stateMachineAliasArn=alias_arn,
        description=description,
        routingConfiguration=[
            {"stateMachineVersionArn": f"{machine}:{r.version}", "weight": r.weight} for r in routing
        ],
    )


def _previous(alias: Alias) -> int | None:
    found = _PREVIOUS.search(alias.description)
    return version_number(found.group(1)) if found else None


def _alias_or_none(sfn: Any, machine: str, alias: str) -> Alias | None:
    try:
        return describe_alias(sfn, f"{machine}:{alias}")
    except ClientError as error:
        if error.response["Error"]["Code"] in {"ResourceNotFound", "ResourceNotFoundException"}:
            return None
        raise


def _existing_version(sfn: Any, machine: str, number: int) -> str:
    arn = f"{machine}:{number}"
    try:
        sfn.describe_state_machine(stateMachineArn=arn)
    except ClientError as error:
        if error.response["Error"]["Code"] == "StateMachineDoesNotExist":
            raise NotFound(
                f"no version {number} of {machine}", "`orch definitions list WORKFLOW` shows the versions"
            ) from None
        raise
    return arn
