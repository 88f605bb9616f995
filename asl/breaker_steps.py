"""A circuit breaker around a call inside a workflow, with DynamoDB direct integrations: no glue Lambda.

Same semantics and same item as the handlers' library (functions/breaker/__init__.py, read it first): one item per
breaker in the CircuitBreakers table, every transition a conditional PutItem of the whole next item, guarded by the
`version` and `state` that were read. Given the name of a state in a definition (`call`), `CircuitBreakerStep.wrap`
rewrites the definition at synth time so that the call runs inside these states (names prefixed with the call's):

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

The step creates no resources: `grant` lets the state machine read and write the table, and the definition gets the
table's name as the `${CircuitBreakersTableName}` substitution and the stage's metrics namespace as
`${MetricsNamespace}` (infra/constructs/workflow.py, which then also grants PutMetricData in that namespace only).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from asl.rewrite import branch_holding, redirect
from schemas.stages import WorkflowBreaker

TABLE_PLACEHOLDER = "CircuitBreakersTableName"
CONDITION_FAILED = "DynamoDB.ConditionalCheckFailedException"
_END = "__end__"  # $breaker_next when the call ended its branch

# A read item as the library's BreakerState: no item is CLOSED at version 0 with no failures.
_PARSE_ITEM = """$exists($states.result.Item) ? {
  'state': $states.result.Item.state.S,
  'version': $number($states.result.Item.version.N),
  'failures': [$states.result.Item.failures.L.$number(N)],
  'opened_at': $exists($states.result.Item.opened_at) ? $number($states.result.Item.opened_at.N) : 0,
  'probe_started_at': $exists($states.result.Item.probe_started_at)
    ? $number($states.result.Item.probe_started_at.N) : 0
} : {'state': 'CLOSED', 'version': 0, 'failures': [], 'opened_at': 0, 'probe_started_at': 0}"""


# DynamoDB's transient errors as Step Functions names them (`DynamoDB.<exception>`): a throttled read or write is
# tried again with backoff rather than failing the work it guards. Never ConditionalCheckFailed: that is a lost race.
_TRANSIENT_RETRY = [
    {
        "ErrorEquals": [
            "DynamoDB.ProvisionedThroughputExceededException",
            "DynamoDB.ThrottlingException",
            "DynamoDB.RequestLimitExceeded",
            "DynamoDB.InternalServerErrorException",
            "DynamoDB.InternalServerError",
        ],
        "IntervalSeconds": 1,
        "MaxAttempts": 4,
        "BackoffRate": 2,
        "MaxDelaySeconds": 10,
        "JitterStrategy": "FULL",
    }
]


def _jsonata(expression: str) -> str:
    return "{% " + " ".join(expression.split()) + " %}"


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
    source: str = "orchestrator.breakers"  # schemas/breakers.py

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
        s = self.settings
        # Each place the unwrapped call may go ($breaker_next) -> the state that goes there.
        exits = {target: self._name("Done") if target == _END else target for target in self._targets_of(call)}
        table = "${" + TABLE_PLACEHOLDER + "}"
        # The version and state the next conditional write is guarded by (an Assign cannot read variables it sets).
        read_assign = {
            "breaker": _jsonata(_PARSE_ITEM),
            "breaker_version": "{% $exists($states.result.Item) ? $number($states.result.Item.version.N) : 0 %}",
            "breaker_state": "{% $exists($states.result.Item) ? $states.result.Item.state.S : 'CLOSED' %}",
            "breaker_now": "{% $millis() %}",
        }
        passthrough = "{% $states.input %}"

        def get_item(
            next_state: str, comment: str, assign: dict[str, str], breaker: str = "{% $breaker_id %}"
        ) -> dict[str, Any]:
            return {
                "Type": "Task",
                "Comment": comment,
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Arguments": {"TableName": table, "Key": {"breaker_id": {"S": breaker}}, "ConsistentRead": True},
                "Retry": _TRANSIENT_RETRY,
                "Assign": assign,
                "Output": passthrough,
                "Next": next_state,
            }

        def put_item(
            comment: str, item: str, guarded: bool, next_state: str, on_lost: str, assign: dict[str, str] | None = None
        ) -> dict[str, Any]:
            # `guarded`: the item read must still be there unchanged. Otherwise (counting a failure, which may write
            # the first item) the read may also have found no item, which must still be absent.
            condition = "#version = :version AND #state = :state"
            if not guarded:
                condition = f"attribute_not_exists(breaker_id) OR ({condition})"
            state: dict[str, Any] = {
                "Type": "Task",
                "Comment": comment,
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Arguments": {
                    "TableName": table,
                    "Item": _jsonata(item),
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": {"#version": "version", "#state": "state"},
                    "ExpressionAttributeValues": {
                        ":version": {"N": "{% $string($breaker_version) %}"},
                        ":state": {"S": "{% $breaker_state %}"},
                    },
                },
                "Retry": _TRANSIENT_RETRY,
                "Catch": [{"ErrorEquals": [CONDITION_FAILED], "Output": passthrough, "Next": on_lost}],
                "Output": passthrough,
                "Next": next_state,
            }
            # The version this write made, for its announcement (Assign reads the values from before the state).
            state["Assign"] = {"breaker_written": "{% $breaker_version + 1 %}", **(assign or {})}
            return state

        def announced(transition: str, from_state: str, to_state: str, next_state: str) -> dict[str, Any]:
            """`<call>Announce<transition>` (the event), then `<call>Count<transition>` (the metric)."""
            counter = self._name(f"Count{transition}")
            return {
                self._name(f"Announce{transition}"): announce(from_state, to_state, counter),
                counter: count(from_state, to_state, next_state),
            }

        def count(from_state: str, to_state: str, next_state: str) -> dict[str, Any]:
            dimensions = {"breaker_id": "{% $breaker_id %}", "from_state": from_state, "to_state": to_state}
            return {
                "Type": "Task",
                "Comment": "Direct CloudWatch integration: one BreakerTransitions data point, as the handlers' "
                "MetricsListener writes (functions/breaker/listeners.py).",
                "Resource": "arn:aws:states:::aws-sdk:cloudwatch:putMetricData",
                "Arguments": {
                    "Namespace": "${MetricsNamespace}",
                    "MetricData": [
                        {
                            "MetricName": "BreakerTransitions",
                            "Value": 1,
                            "Unit": "Count",
                            "Dimensions": [{"Name": name, "Value": value} for name, value in dimensions.items()],
                        }
                    ],
                },
                "Retry": [
                    {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2, "JitterStrategy": "FULL"}
                ],
                # As for the event: a metric that cannot be written changes nothing of the breaker or the work.
                "Catch": [{"ErrorEquals": ["States.ALL"], "Output": passthrough, "Next": next_state}],
                "Output": passthrough,
                "Next": next_state,
            }

        def announce(from_state: str, to_state: str, next_state: str) -> dict[str, Any]:
            return {
                "Type": "Task",
                "Comment": f"Direct EventBridge integration: BreakerStateChanged {from_state} -> {to_state}.",
                "Resource": "arn:aws:states:::events:putEvents",
                "Arguments": {
                    "Entries": [
                        {
                            "EventBusName": "${EventBusName}",
                            "Source": self.source,
                            "DetailType": "BreakerStateChanged",
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
                                    "previous_state": from_state,
                                    "state": to_state,
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
                "Catch": [{"ErrorEquals": ["States.ALL"], "Output": passthrough, "Next": next_state}],
                "Output": passthrough,
                "Next": next_state,
            }

        ms = 1000
        whole = "'breaker_id': {'S': $breaker_id}, 'version': {'N': $string($breaker_version + 1)}"
        now = "{'N': $string($breaker_now)}"
        resume = self._name("Resume")
        read = self._name("ReadBreaker")
        re_read = self._name("ReadForFailure")
        states: dict[str, Any] = {
            read: get_item(
                self._name("Route"),
                f"Circuit breaker around {self.call}: read its state (consistent).",
                {
                    "breaker_id": _jsonata(self.breaker_id),
                    "breaker_correlation": _jsonata(self.correlation_id),
                    "breaker_probe": "{% false %}",
                    **read_assign,
                },
                # Arguments are evaluated before the state's Assign: the first read names the breaker itself.
                _jsonata(self.breaker_id),
            ),
            self._name("Route"): {
                "Type": "Choice",
                "Comment": "CLOSED: call. OPEN past its cool-down, or HALF_OPEN past its probe's lease: claim the "
                "probe. Otherwise the fallback, without calling.",
                "Choices": [
                    {"Condition": "{% $breaker.state = 'CLOSED' %}", "Next": self.call},
                    {
                        "Condition": _jsonata(
                            f"($breaker.state = 'OPEN' and $breaker_now >= $breaker.opened_at + "
                            f"{s.cooldown_seconds * ms}) or ($breaker.state = 'HALF_OPEN' and $breaker_now >= "
                            f"$breaker.probe_started_at + {s.probe_timeout_seconds * ms})"
                        ),
                        "Next": self._name("ClaimProbe"),
                    },
                ],
                "Default": self.fallback,
            },
            self._name("ClaimProbe"): put_item(
                "Claim the one probe: HALF_OPEN if the item is still the one read; else read again and decide.",
                f"{{{whole}, 'state': {{'S': 'HALF_OPEN'}}, 'opened_at': {{'N': $string($breaker.opened_at)}}, "
                f"'probe_started_at': {now}, 'updated_at': {now}}}",
                True,
                self._name("Claimed"),
                read,
                # The probe's outcome is written against the claim: the item this write made.
                {
                    "breaker_probe": "{% true %}",
                    "breaker_version": "{% $breaker_version + 1 %}",
                    "breaker_state": "HALF_OPEN",
                },
            ),
            self._name("Claimed"): {
                "Type": "Choice",
                "Comment": "From OPEN the claim is a transition to announce; re-claiming a stale probe's lease "
                "(HALF_OPEN again) is not, as in the library.",
                "Choices": [{"Condition": "{% $breaker.state = 'OPEN' %}", "Next": self._name("AnnounceHalfOpen")}],
                "Default": self.call,
            },
            **announced("HalfOpen", "OPEN", "HALF_OPEN", self.call),
            self._name("Succeeded"): {
                "Type": "Choice",
                "Comment": "A probe's success closes the breaker; a success in CLOSED writes nothing.",
                "Choices": [{"Condition": "{% $breaker_probe %}", "Next": self._name("CloseBreaker")}],
                "Default": resume,
            },
            self._name("CloseBreaker"): put_item(
                "The probe succeeded: CLOSED with no failures, if its claim still stands (else dropped).",
                f"{{{whole}, 'state': {{'S': 'CLOSED'}}, 'failures': {{'L': []}}, "
                f"'updated_at': {{'N': $string($millis())}}}}",
                True,
                self._name("AnnounceClosed"),
                resume,
                {},
            ),
            **announced("Closed", "HALF_OPEN", "CLOSED", resume),
            self._name("Failed"): {
                "Type": "Choice",
                "Comment": "The call failed: the probe's failure reopens; in CLOSED the failure is counted.",
                "Choices": [{"Condition": "{% $breaker_probe %}", "Next": self._name("ReopenBreaker")}],
                "Default": re_read,
            },
            self._name("ReopenBreaker"): put_item(
                "The probe failed: OPEN again from now, if its claim still stands (else dropped).",
                f"{{{whole}, 'state': {{'S': 'OPEN'}}, 'opened_at': {{'N': $string($millis())}}, "
                f"'updated_at': {{'N': $string($millis())}}}}",
                True,
                self._name("AnnounceReopened"),
                resume,
            ),
            **announced("Reopened", "HALF_OPEN", "OPEN", resume),
            re_read: get_item(
                self._name("CountFailure"),
                "Read the breaker again to count the failure against its current state.",
                read_assign,
            ),
            self._name("CountFailure"): {
                "Type": "Choice",
                "Comment": "Only a CLOSED breaker counts failures.",
                "Choices": [{"Condition": "{% $breaker.state = 'CLOSED' %}", "Next": self._name("WriteFailure")}],
                "Default": resume,
            },
            self._name("WriteFailure"): put_item(
                f"The failures still inside {s.window_seconds} s, and this one; OPEN at {s.failure_threshold}.",
                f"($recent := $append($filter($breaker.failures, function($f) {{ $breaker_now - $f < "
                f"{s.window_seconds * ms} }}), [$breaker_now]); $count($recent) >= {s.failure_threshold} "
                f"? {{{whole}, 'state': {{'S': 'OPEN'}}, 'opened_at': {now}, 'updated_at': {now}}} "
                f": {{{whole}, 'state': {{'S': 'CLOSED'}}, "
                f"'failures': {{'L': [$map($recent, function($at) {{ {{'N': $string($at)}} }})]}}, "
                f"'updated_at': {now}}})",
                False,
                self._name("Opened"),
                re_read,
            ),
            self._name("Opened"): {
                "Type": "Choice",
                "Comment": "Did this failure open the breaker?",
                "Choices": [
                    {
                        "Condition": _jsonata(
                            f"$count($filter($breaker.failures, function($f) {{ $breaker_now - $f < "
                            f"{s.window_seconds * ms} }})) + 1 >= {s.failure_threshold}"
                        ),
                        "Next": self._name("AnnounceOpened"),
                    }
                ],
                "Default": resume,
            },
            **announced("Opened", "CLOSED", "OPEN", resume),
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

    def _targets_of(self, call: dict[str, Any]) -> list[str]:
        """Where the (unwrapped) call may go: its Next (or the end) and each catcher's Next."""
        first = _END if call.get("End") else call["Next"]
        return list(dict.fromkeys([first, *(catcher["Next"] for catcher in call.get("Catch", []))]))
