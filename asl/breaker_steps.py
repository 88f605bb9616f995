"""A circuit breaker around a call inside a workflow, with DynamoDB direct integrations: no glue Lambda.

The rules are the rows of schemas/breaker_rules.py, which the handlers' library (functions/breaker) follows too: one
item per breaker in the CircuitBreakers table, every transition a conditional PutItem of the whole next item, guarded
by the `version` and `state` that were read. The Route condition, the writes (their items and conditions) and the
announcements are generated from those rows (their JSONata is asl/breaker_jsonata.py); this module lays them out as
states. Given the name of a state in a definition (`call`), `CircuitBreakerStep.wrap` rewrites the definition at
synth time so that the call runs inside these states (names prefixed with the call's):

    <call>ReadBreaker   GetItem (consistent) -> $breaker, $breaker_now (= $millis(), the local clock in tests)
    <call>Route         CLOSED -> call; OPEN past cool-down, or HALF_OPEN past the probe lease -> ClaimProbe;
                        otherwise -> the fallback state, without calling
    <call>ClaimProbe    PutItem HALF_OPEN (probe_started_at = now); a lost race re-reads and decides again;
                        <call>Claimed announces OPEN -> HALF_OPEN (a re-claimed lease is no transition)
    <call>              the call itself; its transitions now go through:
    <call>Succeeded     the probe's success -> CloseBreaker (CLOSED, failures cleared); in CLOSED, no write
    <call>Failed        every error the call catches is a failure: the probe's -> ReopenBreaker (OPEN from now);
                        in CLOSED -> ReadForFailure -> WriteFailure (the failures still in the window + now; OPEN at
                        the threshold); a lost race re-reads; a breaker no longer CLOSED does not count it
    <call>Resume        back to where the call was going (its Next, End, or the catcher's Next), input unchanged
    <call>Announce...   each transition a write won puts `BreakerStateChanged` on the bus (direct integration)
    <call>Count...      ... and one `BreakerTransitions` data point (`aws-sdk:cloudwatch:putMetricData`)

A probe outcome whose claim was superseded (its conditional write fails) is dropped, as in the library. DynamoDB's
transient errors (throttling, internal errors) are retried with backoff on every read and write. Errors the
call does not catch are not recorded (they end the execution or iteration anyway): catch what should count. The
fallback state is the workflow's own (in its ASL file); it receives the call's input.

The step creates no resources: `infra.constructs.workflow.grant_breaker_steps` lets the state machine read and write
its breakers' items, and the definition gets the table's name as the `${CircuitBreakersTableName}` substitution and
the stage's metrics namespace as `${MetricsNamespace}` (infra/constructs/workflow.py, which then also grants
PutMetricData in that namespace only).

One module a little over 400 lines: the states above are one graph whose names and transitions refer to each other;
split, each half would need the other's names.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from asl import breaker_jsonata as jsonata
from asl.fields import DYNAMODB_TRANSIENT, retry
from asl.fields import jsonata as as_jsonata
from asl.rewrite import branch_holding, redirect
from schemas import breaker_rules as rules
from schemas.breaker_rules import Transition, Trigger
from schemas.breakers import BREAKERS_SOURCE, BreakerStateChanged
from schemas.stages import WorkflowBreaker

TABLE_PLACEHOLDER = "CircuitBreakersTableName"
_TABLE = "${" + TABLE_PLACEHOLDER + "}"
CONDITION_FAILED = "DynamoDB.ConditionalCheckFailedException"
_END = "__end__"  # $breaker_next when the call ended its branch

# DynamoDB's transient errors as Step Functions names them (`DynamoDB.<exception>`): a throttled read or write is
# tried again with backoff rather than failing the work it guards. Never ConditionalCheckFailed: that is a lost race.
_TRANSIENT_RETRY = [retry(DYNAMODB_TRANSIENT, max_attempts=4, max_delay_seconds=10)]


_PASSTHROUGH = "{% $states.input %}"

# The state that writes each trigger's rows (`<call><name>`).
_WRITES: dict[Trigger, str] = {
    "call": "ClaimProbe",
    "probe_succeeded": "CloseBreaker",
    "probe_failed": "ReopenBreaker",
    "failure": "WriteFailure",
}


@dataclass(frozen=True)
class CircuitBreakerStep:
    """Wraps the state `call` of a definition in a breaker named by `breaker_id` (a JSONata expression on the call's
    input), going to `fallback` when the breaker refuses the call. `correlation_id` (JSONata) and `source` are
    those of the BreakerStateChanged events."""

    call: str
    fallback: str
    breaker_id: str
    correlation_id: str  # JSONata: the business key the BreakerStateChanged events carry
    settings: WorkflowBreaker
    source: str = BREAKERS_SOURCE

    def wrap(self, definition: dict[str, Any]) -> dict[str, Any]:
        """A copy of `definition` with the call (in its top level or any Map / Parallel branch) wrapped."""
        wrapped = copy.deepcopy(definition)
        branch = branch_holding(wrapped, self.call)
        if branch is None:
            raise ValueError(f"the definition has no state {self.call!r} to wrap in a circuit breaker")
        states: dict[str, Any] = branch["States"]
        if self.fallback not in states:
            raise ValueError(f"the fallback state {self.fallback!r} must be in the same branch as {self.call!r}")
        added = self._states(states[self.call])
        clashes = sorted(set(added) & set(states))
        if clashes:
            raise ValueError(f"the breaker's states would replace states of the definition: {', '.join(clashes)}")
        self._redirect_into(states, branch)
        states.update(added)
        return wrapped

    # -- rewiring -------------------------------------------------------------------------------------------------

    def _redirect_into(self, states: dict[str, Any], branch: dict[str, Any]) -> None:
        """Everything that went to the call goes to the breaker's read first; the call's exits go through it."""
        redirect(branch, self.call, self._name("ReadBreaker"))
        call = states[self.call]
        original_next = _END if call.pop("End", False) else call["Next"]
        call["Next"] = self._name("Succeeded")
        call["Assign"] = {**call.get("Assign", {}), "breaker_next": original_next}
        for catcher in call.get("Catch", []):
            catcher["Assign"] = {**catcher.get("Assign", {}), "breaker_next": catcher["Next"]}
            catcher["Next"] = self._name("Failed")

    # -- the states -----------------------------------------------------------------------------------------------

    def _name(self, part: str) -> str:
        return f"{self.call}{part}"

    def _states(self, call: dict[str, Any]) -> dict[str, Any]:
        """The breaker's states, in the order a reader follows them; the writes and their announcements are
        generated from the rows of schemas/breaker_rules.py."""
        s = self.settings
        claims, failures = rules.rows("call"), rules.rows("failure")
        (closed,), (reopened,) = rules.rows("probe_succeeded"), rules.rows("probe_failed")
        (claimed_state,) = {row.target for row in claims}
        # Each place the unwrapped call may go ($breaker_next) -> the state that goes there.
        exits = {target: self._name("Done") if target == _END else target for target in self._targets_of(call)}
        # The version and state the next conditional write is guarded by (an Assign cannot read variables it sets).
        read_assign = {
            "breaker": as_jsonata(jsonata.PARSE_ITEM),
            "breaker_version": as_jsonata(jsonata.READ_VERSION),
            "breaker_state": as_jsonata(jsonata.READ_STATE),
            "breaker_now": "{% $millis() %}",
        }
        resume = self._name("Resume")
        read = self._name("ReadBreaker")
        re_read = self._name("ReadForFailure")
        states: dict[str, Any] = {
            read: self._get_item(
                self._name("Route"),
                f"Circuit breaker around {self.call}: read its state (consistent).",
                {
                    "breaker_id": as_jsonata(self.breaker_id),
                    "breaker_correlation": as_jsonata(self.correlation_id),
                    "breaker_probe": "{% false %}",
                    **read_assign,
                },
                # Arguments are evaluated before the state's Assign: the first read names the breaker itself.
                as_jsonata(self.breaker_id),
            ),
            self._name("Route"): {
                "Type": "Choice",
                "Comment": "CLOSED: call. OPEN past its cool-down, or HALF_OPEN past its probe's lease: claim the "
                "probe. Otherwise the fallback, without calling.",
                "Choices": [
                    {"Condition": as_jsonata(jsonata.in_state(sorted(rules.PASSES))), "Next": self.call},
                    {"Condition": as_jsonata(jsonata.taken(claims, s)), "Next": self._name(_WRITES["call"])},
                ],
                "Default": self.fallback,
            },
            **self._written(
                claims,
                "Claim the one probe: HALF_OPEN if the item is still the one read; else read again and decide.",
                jsonata.READ_NOW,
                self._name("Claimed"),
                read,
                # The probe's outcome is written against the claim: the item this write made.
                {
                    "breaker_probe": "{% true %}",
                    "breaker_version": "{% $breaker_version + 1 %}",
                    "breaker_state": claimed_state,
                },
            ),
            self._name("Claimed"): {
                "Type": "Choice",
                "Comment": "From OPEN the claim is a transition to announce; re-claiming a stale probe's lease "
                "(HALF_OPEN again) is not, as in the library.",
                "Choices": [
                    {"Condition": as_jsonata(jsonata.in_state([row.source])), "Next": self._name(f"Announce{row.name}")}
                    for row in claims
                    if row.changes_state
                ],
                "Default": self.call,
            },
            **self._announced(claims, self.call),
            self._name("Succeeded"): {
                "Type": "Choice",
                "Comment": "A probe's success closes the breaker; a success in CLOSED writes nothing.",
                "Choices": [{"Condition": "{% $breaker_probe %}", "Next": self._name(_WRITES[closed.trigger])}],
                "Default": resume,
            },
            **self._written(
                (closed,),
                "The probe succeeded: CLOSED with no failures, if its claim still stands (else dropped).",
                jsonata.WRITE_NOW,
                self._after(closed, resume),
                resume,
            ),
            **self._announced((closed,), resume),
            self._name("Failed"): {
                "Type": "Choice",
                "Comment": "The call failed: the probe's failure reopens; in CLOSED the failure is counted.",
                "Choices": [{"Condition": "{% $breaker_probe %}", "Next": self._name(_WRITES[reopened.trigger])}],
                "Default": re_read,
            },
            **self._written(
                (reopened,),
                "The probe failed: OPEN again from now, if its claim still stands (else dropped).",
                jsonata.WRITE_NOW,
                self._after(reopened, resume),
                resume,
            ),
            **self._announced((reopened,), resume),
            re_read: self._get_item(
                self._name("CountFailure"),
                "Read the breaker again to count the failure against its current state.",
                read_assign,
            ),
            self._name("CountFailure"): {
                "Type": "Choice",
                "Comment": "Only a CLOSED breaker counts failures.",
                "Choices": [
                    {
                        "Condition": as_jsonata(jsonata.in_state(list(dict.fromkeys(row.source for row in failures)))),
                        "Next": self._name(_WRITES["failure"]),
                    }
                ],
                "Default": resume,
            },
            **self._written(
                failures,
                f"The failures still inside {s.window_seconds} s, and this one; OPEN at {s.failure_threshold}.",
                jsonata.READ_NOW,
                self._name("Opened"),
                re_read,
            ),
            self._name("Opened"): {
                "Type": "Choice",
                "Comment": "Did this failure open the breaker?",
                "Choices": [
                    {"Condition": as_jsonata(jsonata.reaches(row, s)), "Next": self._name(f"Announce{row.name}")}
                    for row in failures
                    if row.changes_state
                ],
                "Default": resume,
            },
            **self._announced(failures, resume),
            resume: {
                "Type": "Choice",
                "Comment": f"Back to where {self.call} was going.",
                "Choices": [
                    {"Condition": f"{{% $breaker_next = '{target}' %}}", "Next": state}
                    for target, state in exits.items()
                ],
                # The call's own Next (the first exit): only a catcher's target needs its rule to be taken.
                "Default": next(iter(exits.values())),
            },
        }
        if _END in exits:
            states[exits[_END]] = {"Type": "Pass", "Comment": f"{self.call} ended its branch.", "End": True}
        return states

    def _after(self, row: Transition, otherwise: str) -> str:
        """Where a won write of `row` goes: its announcement when it changes the state."""
        return self._name(f"Announce{row.name}") if row.changes_state else otherwise

    def _get_item(
        self, next_state: str, comment: str, assign: dict[str, str], breaker: str = "{% $breaker_id %}"
    ) -> dict[str, Any]:
        return {
            "Type": "Task",
            "Comment": comment,
            "Resource": "arn:aws:states:::dynamodb:getItem",
            "Arguments": {"TableName": _TABLE, "Key": {rules.BREAKER_ID: {"S": breaker}}, "ConsistentRead": True},
            "Retry": _TRANSIENT_RETRY,
            "Assign": assign,
            "Output": _PASSTHROUGH,
            "Next": next_state,
        }

    def _written(
        self,
        rows: tuple[Transition, ...],
        comment: str,
        now: str,
        next_state: str,
        on_lost: str,
        assign: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """`<call><write>`: the conditional PutItem of one trigger's rows (their next item, their condition); a lost
        condition goes to `on_lost`."""
        (condition,) = {row.condition for row in rows}
        state: dict[str, Any] = {
            "Type": "Task",
            "Comment": comment,
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Arguments": {
                "TableName": _TABLE,
                "Item": as_jsonata(jsonata.next_item(rows, self.settings, now)),
                "ConditionExpression": condition,
                "ExpressionAttributeNames": dict(rules.CONDITION_NAMES),
                "ExpressionAttributeValues": {
                    ":version": {"N": "{% $string($breaker_version) %}"},
                    ":state": {"S": "{% $breaker_state %}"},
                },
            },
            "Retry": _TRANSIENT_RETRY,
            "Catch": [{"ErrorEquals": [CONDITION_FAILED], "Output": _PASSTHROUGH, "Next": on_lost}],
            "Output": _PASSTHROUGH,
            "Next": next_state,
            # The version this write made, for its announcement (Assign reads the values from before the state).
            "Assign": {"breaker_written": "{% $breaker_version + 1 %}", **(assign or {})},
        }
        return {self._name(_WRITES[rows[0].trigger]): state}

    def _announced(self, rows: tuple[Transition, ...], next_state: str) -> dict[str, Any]:
        """For each of `rows` that changes the state: `<call>Announce<name>` (the event), then `<call>Count<name>`
        (the metric)."""
        states: dict[str, Any] = {}
        for row in rows:
            if row.changes_state:
                counter = self._name(f"Count{row.name}")
                states[self._name(f"Announce{row.name}")] = _announce(self.source, row, counter)
                states[counter] = _count(row, next_state)
        return states

    def _targets_of(self, call: dict[str, Any]) -> list[str]:
        """Where the (unwrapped) call may go: its Next (or the end) and each catcher's Next."""
        first = _END if call.get("End") else call["Next"]
        return list(dict.fromkeys([first, *(catcher["Next"] for catcher in call.get("Catch", []))]))


def _count(row: Transition, next_state: str) -> dict[str, Any]:
    dimensions = {"breaker_id": "{% $breaker_id %}", "from_state": row.source, "to_state": row.target}
    return {
        "Type": "Task",
        "Comment": f"Direct CloudWatch integration: one {rules.TRANSITIONS_METRIC} data point, as the handlers' "
        "MetricsListener writes (functions/breaker/listeners.py).",
        "Resource": "arn:aws:states:::aws-sdk:cloudwatch:putMetricData",
        "Arguments": {
            "Namespace": "${MetricsNamespace}",
            "MetricData": [
                {
                    "MetricName": rules.TRANSITIONS_METRIC,
                    "Value": 1,
                    "Unit": "Count",
                    "Dimensions": [{"Name": name, "Value": value} for name, value in dimensions.items()],
                }
            ],
        },
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2, "JitterStrategy": "FULL"}],
        # As for the event: a metric that cannot be written changes nothing of the breaker or the work.
        "Catch": [{"ErrorEquals": ["States.ALL"], "Output": _PASSTHROUGH, "Next": next_state}],
        "Output": _PASSTHROUGH,
        "Next": next_state,
    }


def _announce(source: str, row: Transition, next_state: str) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Comment": f"Direct EventBridge integration: {BreakerStateChanged.DETAIL_TYPE} {row.source} -> {row.target}.",
        "Resource": "arn:aws:states:::events:putEvents",
        "Arguments": {
            "Entries": [
                {
                    "EventBusName": "${EventBusName}",
                    "Source": source,
                    "DetailType": BreakerStateChanged.DETAIL_TYPE,
                    "Detail": {
                        "metadata": {
                            "event_id": "{% $uuid() %}",
                            "correlation_id": "{% $breaker_correlation %}",
                            "idempotency_key": "{% $breaker_id & ':' & $string($breaker_written) %}",
                            "schema_version": 1,
                            "occurred_at": "{% $now() %}",
                            "producer": "workflow-breaker",
                        },
                        "data": {
                            "breaker_id": "{% $breaker_id %}",
                            "previous_state": row.source,
                            "state": row.target,
                            "version": "{% $breaker_written %}",
                            "changed_at": "{% $now() %}",
                        },
                    },
                }
            ]
        },
        "Retry": [
            {
                "ErrorEquals": ["EventBridge.FailedEntry"],
                "IntervalSeconds": 1,
                "MaxAttempts": 3,
                "BackoffRate": 2,
                "JitterStrategy": "FULL",
            }
        ],
        # A lost announcement must not undo the transition or fail the work: the table is the truth.
        "Catch": [{"ErrorEquals": ["States.ALL"], "Output": _PASSTHROUGH, "Next": next_state}],
        "Output": _PASSTHROUGH,
        "Next": next_state,
    }
