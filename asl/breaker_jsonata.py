"""The rows of schemas/breaker_rules.py in JSONata, for the workflow form of the breaker (asl/breaker_steps.py): their
guards as conditions, their next items as DynamoDB items (their write conditions are the rows' own `condition`).

The expressions read the variables the breaker's states assign: `$breaker` (the item read, parsed as `PARSE_ITEM`
does), `$breaker_now` (the time of that read), `$breaker_id` and `$breaker_version` (the version the write is guarded
by, which the next item bumps).
"""

from __future__ import annotations

from collections.abc import Sequence

from schemas import breaker_rules as rules
from schemas.breaker_rules import Elapsed, HeldAttribute, Limits, State, Threshold, Transition, Value

MS = 1000


def _number_or_zero(attribute: str) -> str:
    return f"$exists($states.result.Item.{attribute}) ? $number($states.result.Item.{attribute}.N) : 0"


# A read item as the library's BreakerState: no item is the initial state at version 0 with no failures.
PARSE_ITEM = (
    f"$exists($states.result.Item) ? {{ '{rules.STATE}': $states.result.Item.{rules.STATE}.S, "
    f"'{rules.VERSION}': $number($states.result.Item.{rules.VERSION}.N), "
    f"'{rules.FAILURES}': [$states.result.Item.{rules.FAILURES}.L.$number(N)], "
    f"'{rules.OPENED_AT}': {_number_or_zero(rules.OPENED_AT)}, "
    f"'{rules.PROBE_STARTED_AT}': {_number_or_zero(rules.PROBE_STARTED_AT)} }} "
    f": {{'{rules.STATE}': '{rules.INITIAL_STATE}', '{rules.VERSION}': 0, '{rules.FAILURES}': [], "
    f"'{rules.OPENED_AT}': 0, '{rules.PROBE_STARTED_AT}': 0}}"
)
# The version and state the next conditional write is guarded by, as read.
READ_VERSION = f"$exists($states.result.Item) ? $number($states.result.Item.{rules.VERSION}.N) : 0"
READ_STATE = f"$exists($states.result.Item) ? $states.result.Item.{rules.STATE}.S : '{rules.INITIAL_STATE}'"

READ_NOW = "$breaker_now"  # the time of the read a decision was made on
WRITE_NOW = "$millis()"  # the time of a write that follows no read (a probe's outcome)
RECENT = "$recent"  # the failures in the window with this one, where an item expression binds it


def in_state(states: Sequence[State]) -> str:
    """The item read is in one of `states`."""
    return " or ".join(f"$breaker.{rules.STATE} = '{state}'" for state in states)


def in_window(limits: Limits) -> str:
    """The failures read that are still inside the window."""
    return f"$filter($breaker.{rules.FAILURES}, function($f) {{ {READ_NOW} - $f < {limits.window_seconds * MS} }})"


def guard(row: Transition, limits: Limits, counted: str | None = None) -> str:
    """The row's guard on the item read; `counted` is the expression counting the failures in the window with this
    one (the item expression binds `$recent`, a Choice state must count again)."""
    if isinstance(row.guard, Elapsed):
        return f"{READ_NOW} >= $breaker.{row.guard.since} + {getattr(limits, row.guard.limit) * MS}"
    assert isinstance(row.guard, Threshold) and counted is not None, f"{row.name}: no guard, or nothing counted"
    return f"{counted} {'>=' if row.guard.reached else '<'} {limits.failure_threshold}"


def taken(rows: Sequence[Transition], limits: Limits) -> str:
    """One of `rows` applies to the item read: its source state, and its guard."""
    return " or ".join(f"({in_state([row.source])} and {guard(row, limits)})" for row in rows)


def next_item(rows: Sequence[Transition], limits: Limits, now: str) -> str:
    """The item the write of `rows` (one trigger's) puts: one item when the rows build the same (the claims), else the
    first row's when its guard holds and the second's when it does not (the failures: OPEN at the threshold)."""
    items = list(dict.fromkeys(_item(row, now) for row in rows))
    if len(items) == 1:
        expression = items[0]
    else:
        first, second = rows
        assert isinstance(first.guard, Threshold) and second.guard == Threshold(not first.guard.reached), "complements"
        expression = f"{guard(first, limits, f'$count({RECENT})')} ? {items[0]} : {items[1]}"
    if RECENT in expression:
        return f"({RECENT} := $append({in_window(limits)}, [{READ_NOW}]); {expression})"
    return expression


def reaches(row: Transition, limits: Limits) -> str:
    """A failure row's guard in a Choice state, after its write (which bound `$recent` in its own expression only)."""
    return guard(row, limits, f"$count({in_window(limits)}) + 1")


def _item(row: Transition, now: str) -> str:
    attributes = [
        f"'{rules.BREAKER_ID}': {{'S': $breaker_id}}",
        f"'{rules.VERSION}': {{'N': $string($breaker_version + 1)}}",
        f"'{rules.STATE}': {{'S': '{row.target}'}}",
        *(f"'{attribute}': {_value(attribute, value, now)}" for attribute, value in row.holds),
        f"'{rules.UPDATED_AT}': {{'N': $string({now})}}",
    ]
    return "{" + ", ".join(attributes) + "}"


def _value(attribute: HeldAttribute, value: Value, now: str) -> str:
    if value == "now":
        return f"{{'N': $string({now})}}"
    if value == "kept":
        return f"{{'N': $string($breaker.{attribute})}}"
    if value == "in_window":
        return f"{{'L': [$map({RECENT}, function($at) {{ {{'N': $string($at)}} }})]}}"
    return "{'L': []}"
