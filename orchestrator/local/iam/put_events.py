"""PutEvents authorized per entry, as EventBridge authorizes it.

A principal that may put events on the bus at all (a statement allows `events:PutEvents` on it, whatever its
`events:source` / `events:detail-type` conditions) gets a normal answer, in which each entry its policies do not
allow for that entry's source and detail-type fails alone: `NotAuthorizedForSourceException` when no statement lets
it put that source, else `NotAuthorizedForDetailTypeException` (EventBridge's PutEventsResultEntry error codes), and
`FailedEntryCount` counts them; the allowed entries are put. A principal that may not put on the bus at all is
refused the whole call with AccessDeniedException, like any other call (enforcement.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Final

from orchestrator.local.iam.evaluation import Request, Statement, evaluate

SOURCE_KEY: Final = "events:source"
DETAIL_TYPE_KEY: Final = "events:detail-type"
NOT_AUTHORIZED_FOR_SOURCE: Final = (
    "NotAuthorizedForSourceException",
    "You do not have permissions to publish events with this source onto this event bus.",
)
NOT_AUTHORIZED_FOR_DETAIL_TYPE: Final = (
    "NotAuthorizedForDetailTypeException",
    "You do not have permissions to publish events with this detail type onto this event bus.",
)


def without_conditions_on(statements: Sequence[Statement], keys: Sequence[str]) -> list[Statement]:
    """`statements` with their Allows' conditions on `keys` taken as holding: what the principal may do whatever
    those keys say. Denies keep theirs (evaluated without the keys, a Deny conditioned on them does not apply)."""
    dropped = {key.lower() for key in keys}
    return [
        statement
        if statement.effect != "Allow"
        else dataclasses.replace(
            statement,
            conditions={
                operator: {key: values for key, values in by_key.items() if key.lower() not in dropped}
                for operator, by_key in statement.conditions.items()
            },
        )
        for statement in statements
    ]


def may_put_on_bus(principal: str, bus_arn: str, statements: Sequence[Statement]) -> bool:
    """Whether the principal may put some event on the bus, whichever source and detail-type."""
    request = Request(principal, "events:PutEvents", bus_arn, {})
    return evaluate(request, without_conditions_on(statements, (SOURCE_KEY, DETAIL_TYPE_KEY))).allowed


def entry_refusal(request: Request, statements: Sequence[Statement]) -> tuple[str, str]:
    """The entry's error code and message, for an entry `statements` do not allow: its source, or its detail-type."""
    source_only = Request(
        request.principal_arn, request.action, request.resource, {SOURCE_KEY: request.context[SOURCE_KEY]}
    )
    if evaluate(source_only, without_conditions_on(statements, (DETAIL_TYPE_KEY,))).allowed:
        return NOT_AUTHORIZED_FOR_DETAIL_TYPE
    return NOT_AUTHORIZED_FOR_SOURCE
