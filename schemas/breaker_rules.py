"""The circuit breaker's rules as data, once: its states, its DynamoDB item, its write conditions and its transitions.

Two forms of the breaker follow this module and nothing else: the handlers' library (functions/breaker, Python over a
`BreakerStore`) and the workflows' (asl/breaker_steps.py, a synth-time rewrite into DynamoDB direct integrations with
JSONata). The library picks its transitions from `TRANSITIONS` and evaluates their guards; the rewrite generates its
Route condition, its claim, outcome and failure writes and its announcements from the same rows.
tests/integration/test_breaker_rules.py runs every row against both forms and expects the same item.

The item (one per breaker; times are integer epoch milliseconds):

| attribute          | type    | meaning                                                                        |
|--------------------|---------|--------------------------------------------------------------------------------|
| `breaker_id`       | S       | partition key: which downstream this breaker guards                            |
| `state`            | S       | `CLOSED`, `OPEN` or `HALF_OPEN`                                                |
| `version`          | N       | 1 on the first write, +1 on every write; the guard of every conditional write |
| `failures`         | L of N  | CLOSED only: times of the failures still inside the window, oldest first      |
| `opened_at`        | N       | OPEN / HALF_OPEN: when the breaker last opened (the cool-down runs from it)    |
| `probe_started_at` | N       | HALF_OPEN only: when the current probe was claimed (its lease runs from it)    |
| `updated_at`       | N       | when the item was last written                                                 |

No item means CLOSED with no failures (version 0). Every transition is a PutItem of the whole next item: `breaker_id`,
`state` = the row's target, `version` = the read version + 1, the attributes the row `holds`, and `updated_at` = now;
an attribute the row does not hold is absent from the next item (the put removes it). The write is conditional on the
item read being still there: `UNCHANGED` (same version and state), or `ABSENT` when nothing was read (version 0), which
only a row that `may_create` the item can meet. A write that loses its condition is a lost race: the loser reads again
and decides again from what it finds.

What writes nothing (no row matches): a call in a state of `PASSES` (it goes straight to the downstream), its success
there (failures age out of the window instead of being reset), a call whose `call` row's guard does not hold (it is
refused: the fallback), a failure when the breaker is no longer CLOSED, and a probe's outcome whose claim was
superseded (its conditional write fails; the outcome is dropped).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, Protocol

from schemas.breakers import BreakerStateName

State = BreakerStateName

# -- the item ----------------------------------------------------------------------------------------------------------
BREAKER_ID: Final = "breaker_id"  # the CircuitBreakers table's partition key
STATE: Final = "state"
VERSION: Final = "version"
FAILURES: Final = "failures"
OPENED_AT: Final = "opened_at"
PROBE_STARTED_AT: Final = "probe_started_at"
UPDATED_AT: Final = "updated_at"
# What a breaker with no item is in (at version 0, with no failures).
INITIAL_STATE: Final[State] = "CLOSED"

# What a row may carry over or set besides the attributes every write has.
HeldAttribute = Literal["failures", "opened_at", "probe_started_at"]
# An attribute that holds a time a guard measures from.
Since = Literal["opened_at", "probe_started_at"]

# Each state change is one data point of this CloudWatch metric, by `breaker_id`, `from_state` and `to_state`.
TRANSITIONS_METRIC: Final = "BreakerTransitions"

# -- the write conditions ----------------------------------------------------------------------------------------------
# `state` is a DynamoDB reserved word, so both names go through placeholders; the values are those read.
UNCHANGED: Final = "#version = :version AND #state = :state"
ABSENT: Final = f"attribute_not_exists({BREAKER_ID})"
CONDITION_NAMES: Final = {"#version": VERSION, "#state": STATE}


# -- the limits --------------------------------------------------------------------------------------------------------
class Limits(Protocol):
    """A breaker's configuration, by the names guards use (the workflows' `WorkflowBreaker` has them as fields, the
    library's `BreakerSettings` as properties over its `BREAKER_*` variables)."""

    @property
    def failure_threshold(self) -> int: ...

    @property
    def window_seconds(self) -> float: ...

    @property
    def cooldown_seconds(self) -> float: ...

    @property
    def probe_timeout_seconds(self) -> float: ...


Limit = Literal["cooldown_seconds", "probe_timeout_seconds"]


# -- the guards --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Elapsed:
    """Now is at or past the time in `since` plus `limit` seconds: a cool-down or a probe's lease has run out."""

    since: Since
    limit: Limit


@dataclass(frozen=True)
class Threshold:
    """The failures in the window (those with `now - at < window_seconds`) and this one together reach
    `failure_threshold` (`reached`), or stay below it."""

    reached: bool


Guard = Elapsed | Threshold | None

# -- the transitions ---------------------------------------------------------------------------------------------------
# `call`: a caller asks to call the downstream. `failure`: a call let through while CLOSED failed. `probe_succeeded` /
# `probe_failed`: the outcome of the call that claimed the probe (its claim's version is what the write is guarded by).
Trigger = Literal["call", "failure", "probe_succeeded", "probe_failed"]

# What a held attribute of the next item is: the time of the decision, the value in the item read, the failures still
# in the window with this one appended, or an empty list.
Value = Literal["now", "kept", "in_window", "empty"]


@dataclass(frozen=True)
class Transition:
    """One row: in `source`, on `trigger`, when `guard` holds, the next item is in `target` and holds `holds`."""

    name: str  # how the change is announced: the workflow form's `<call>Announce<name>` / `<call>Count<name>` states
    source: State
    trigger: Trigger
    guard: Guard
    target: State
    holds: tuple[tuple[HeldAttribute, Value], ...]  # in the order the item lists them, before `updated_at`
    may_create: bool = False  # the write may be the breaker's first (nothing read: version 0, CLOSED)

    @property
    def changes_state(self) -> bool:
        """Whether the row is a state change, reported once by the writer that won it (event, metric, log line)."""
        return self.source != self.target

    @property
    def condition(self) -> str:
        """The ConditionExpression of the write, for whatever may have been read before it."""
        return f"{ABSENT} OR ({UNCHANGED})" if self.may_create else UNCHANGED


# A call in these states goes to the downstream without a write (the happy path: one consistent read, no write).
PASSES: Final[frozenset[State]] = frozenset({"CLOSED"})

_CLAIM: Final[tuple[tuple[HeldAttribute, Value], ...]] = ((OPENED_AT, "kept"), (PROBE_STARTED_AT, "now"))

TRANSITIONS: Final[tuple[Transition, ...]] = (
    # A failure that makes `failure_threshold` in the window opens the breaker (its cool-down runs from now).
    Transition("Opened", "CLOSED", "failure", Threshold(reached=True), "OPEN", ((OPENED_AT, "now"),), may_create=True),
    # A failure below the threshold is recorded with the others still in the window.
    Transition("Counted", "CLOSED", "failure", Threshold(reached=False), "CLOSED", ((FAILURES, "in_window"),), True),
    # After the cool-down the first caller to win this write holds the one probe.
    Transition("HalfOpen", "OPEN", "call", Elapsed(OPENED_AT, "cooldown_seconds"), "HALF_OPEN", _CLAIM),
    # A probe silent past its lease (its holder crashed or timed out) may be claimed again.
    Transition(
        "Reclaimed", "HALF_OPEN", "call", Elapsed(PROBE_STARTED_AT, "probe_timeout_seconds"), "HALF_OPEN", _CLAIM
    ),
    Transition("Closed", "HALF_OPEN", "probe_succeeded", None, "CLOSED", ((FAILURES, "empty"),)),
    Transition("Reopened", "HALF_OPEN", "probe_failed", None, "OPEN", ((OPENED_AT, "now"),)),
)


def rows(trigger: Trigger, source: State | None = None) -> tuple[Transition, ...]:
    """The rows of `trigger` (from `source` only, when given), in table order."""
    return tuple(t for t in TRANSITIONS if t.trigger == trigger and (source is None or t.source == source))


def transition(name: str) -> Transition:
    """The row called `name`."""
    (found,) = (t for t in TRANSITIONS if t.name == name)
    return found
