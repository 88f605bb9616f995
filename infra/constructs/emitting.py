"""PutEvents grants conditioned on what the principal emits: one statement per source, naming its detail-types.

Who may emit which event type is declared with the type (schemas/envelope.py `EMITTED_BY`). A function is granted
the types of its emitter class (`grant_emit`); a state machine exactly the entries its definition puts
(`grant_emit_entries`, read by asl/emitted.py), each checked at synth against the catalog: an entry the catalog does
not let workflows emit, or with another source than its model's, fails the synth. The conditions are
`events:source` and `events:detail-type`, which EventBridge evaluates per entry; one statement per source, because
a single statement with both lists would also allow every source with every detail-type of the other sources.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam

from asl.emitted import emitted_events
from schemas.catalog import UnknownEventTypeError, emitted_by, event_type_for
from schemas.envelope import Emitter, EventData


def put_events_statements(
    bus_arn: str,
    types: Iterable[type[EventData]],
    *,
    principals: list[iam.IPrincipal] | None = None,
    sid: str | None = None,
    conditions: dict[str, str] | None = None,
) -> list[iam.PolicyStatement]:
    """Allow events:PutEvents on `bus_arn` of `types` only: a statement per source. For a resource policy:
    `principals`, a `sid` prefix (the source is appended) and more StringEquals `conditions`."""
    by_source: dict[str, set[str]] = {}
    for event_type in types:
        by_source.setdefault(event_type.SOURCE, set()).add(event_type.DETAIL_TYPE)
    return [
        iam.PolicyStatement(
            sid=None if sid is None else sid + "".join(part.capitalize() for part in source.split(".")),
            principals=principals,
            actions=["events:PutEvents"],
            resources=[bus_arn],
            conditions={
                "StringEquals": {
                    "events:source": source,
                    "events:detail-type": sorted(detail_types),
                    **(conditions or {}),
                },
            },
        )
        for source, detail_types in sorted(by_source.items())
    ]


def grant_emit(bus: events.IEventBus, grantee: iam.IGrantable, emitter: Emitter) -> None:
    """Lets `grantee` put the event types of `emitter` (and nothing else) on `bus`."""
    grant_emit_types(bus, grantee, emitted_by(emitter))


def grant_emit_types(bus: events.IEventBus, grantee: iam.IGrantable, types: Iterable[type[EventData]]) -> None:
    """Lets `grantee` put `types` (and nothing else) on `bus`: an agent, the types its declaration names
    (infra/extensions.py, checked there against `EMITTED_BY`)."""
    _grant(grantee, put_events_statements(bus.event_bus_arn, types))


def grant_emit_entries(bus: events.IEventBus, grantee: iam.IGrantable, definition: dict[str, Any]) -> None:
    """Lets the state machine `grantee` put exactly the entries of `definition` on `bus`; raises ValueError for an
    entry that workflows may not emit."""
    types = []
    for emitted in emitted_events(definition):
        try:
            event_type = event_type_for(emitted.detail_type, emitted.source)
        except UnknownEventTypeError as error:
            raise ValueError(f"state {emitted.state!r} puts an event the catalog does not have: {error}") from None
        if Emitter.WORKFLOWS not in event_type.EMITTED_BY:
            raise ValueError(
                f"state {emitted.state!r} puts {emitted.detail_type}, which workflows do not emit "
                f"(schemas: emitted by {', '.join(sorted(event_type.EMITTED_BY))})"
            )
        types.append(event_type)
    _grant(grantee, put_events_statements(bus.event_bus_arn, types))


def _grant(grantee: iam.IGrantable, statements: list[iam.PolicyStatement]) -> None:
    for statement in statements:
        grantee.grant_principal.add_to_principal_policy(statement)
