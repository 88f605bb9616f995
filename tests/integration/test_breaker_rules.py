"""Every row of the breaker's transition table (schemas/breaker_rules.py), run against both of its forms: the
handlers' library (functions/breaker on moto DynamoDB) and the workflow form (a small definition wrapped with
`CircuitBreakerStep`, executed by moto's Step Functions on the local runtime's JSONata and clock). From the same item,
on the same call at the same time, both must write the same item and report the same state changes.

The downstream of both forms reads the breaker's item (so a claim is seen while its probe runs) and fails when told
to: in the workflow, its "downstream" is a DynamoDB GetItem of the breaker's item that names a missing table to fail.
Times are frozen at `NOW` (epoch ms); the limits are 3 failures in 10 s, a 30 s cool-down and a 60 s probe lease.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import boto3
import pytest
from moto import mock_aws

from asl.breaker_steps import CircuitBreakerStep
from functions.breaker import BreakerSettings, CircuitBreaker
from functions.breaker.dynamodb import DynamoDBBreakerStore
from orchestrator.local import jsonata_engine
from orchestrator.local.clock import Clock
from orchestrator.local.runtime import LOCAL_ACCOUNT, MOTO_CONFIG, Runtime, local_session
from orchestrator.local.stepfunctions import StepFunctionsAdapter
from schemas import breaker_rules as rules
from schemas.stages import WorkflowBreaker
from tests.settling import ended
from tests.unit.test_breaker import Downstream, DownstreamDown, RecordingListener

TABLE, BUS, BREAKER = "CircuitBreakers", "breakers-test", "payments-gateway"
T0 = 1_800_000_000  # seconds: the frozen clock of both forms
NOW = T0 * 1000
LIMITS = WorkflowBreaker(failure_threshold=3, window_seconds=10, cooldown_seconds=30, probe_timeout_seconds=60)
SETTINGS = BreakerSettings(
    breaker_failure_threshold=LIMITS.failure_threshold,
    breaker_window_seconds=LIMITS.window_seconds,
    breaker_cooldown_seconds=LIMITS.cooldown_seconds,
    breaker_probe_timeout_seconds=LIMITS.probe_timeout_seconds,
)

Item = dict[str, Any]  # a breaker's item as plain values: strings, ints, lists of ints


@dataclass(frozen=True)
class Case:
    """Given the stored item (None: no item), a call whose downstream succeeds or fails; then the item (`seen` by the
    downstream while it runs: the first row's, or stored `after` the call: the last row's) and the state changes
    reported. `rows`: the rows of the table the call goes through, in order (none: nothing is written)."""

    label: str
    given: Item | None
    downstream: Literal["succeeds", "fails"]
    rows: tuple[str, ...]
    expected: Item | None
    observed: Literal["seen", "after"] = "after"
    refused: bool = False

    @property
    def observed_row(self) -> rules.Transition:
        return rules.transition(self.rows[0] if self.observed == "seen" else self.rows[-1])

    @property
    def changes(self) -> list[str]:
        return [f"{r.source}->{r.target}" for r in map(rules.transition, self.rows) if r.changes_state]


def item(state: str, version: int, **attributes: Any) -> Item:
    return {"breaker_id": BREAKER, "state": state, "version": version, **attributes}


CASES = [
    Case(
        "the failure reaching the threshold in the window opens it",
        item("CLOSED", 4, failures=[NOW - 9_999, NOW - 5_000], updated_at=NOW - 5_000),
        "fails",
        ("Opened",),
        item("OPEN", 5, opened_at=NOW, updated_at=NOW),
    ),
    Case(
        "a failure below the threshold is recorded; one a whole window old no longer counts",
        item("CLOSED", 4, failures=[NOW - 10_000, NOW - 5_000], updated_at=NOW - 5_000),
        "fails",
        ("Counted",),
        item("CLOSED", 5, failures=[NOW - 5_000, NOW], updated_at=NOW),
    ),
    Case(
        "the first failure writes the first item",
        None,
        "fails",
        ("Counted",),
        item("CLOSED", 1, failures=[NOW], updated_at=NOW),
    ),
    Case(
        "at the end of the cool-down the call claims the probe",
        item("OPEN", 5, opened_at=NOW - 30_000, updated_at=NOW - 30_000),
        "succeeds",
        ("HalfOpen", "Closed"),
        item("HALF_OPEN", 6, opened_at=NOW - 30_000, probe_started_at=NOW, updated_at=NOW),
        observed="seen",
    ),
    Case(
        "a probe silent past its lease is claimed again",
        item("HALF_OPEN", 6, opened_at=NOW - 100_000, probe_started_at=NOW - 60_000, updated_at=NOW - 60_000),
        "succeeds",
        ("Reclaimed", "Closed"),
        item("HALF_OPEN", 7, opened_at=NOW - 100_000, probe_started_at=NOW, updated_at=NOW),
        observed="seen",
    ),
    Case(
        "the probe's success closes it",
        item("OPEN", 5, opened_at=NOW - 31_000, updated_at=NOW - 31_000),
        "succeeds",
        ("HalfOpen", "Closed"),
        item("CLOSED", 7, failures=[], updated_at=NOW),
    ),
    Case(
        "the probe's failure opens it again from now",
        item("OPEN", 5, opened_at=NOW - 31_000, updated_at=NOW - 31_000),
        "fails",
        ("HalfOpen", "Reopened"),
        item("OPEN", 7, opened_at=NOW, updated_at=NOW),
    ),
    Case(
        "a success in CLOSED writes nothing",
        item("CLOSED", 4, failures=[NOW - 5_000], updated_at=NOW - 5_000),
        "succeeds",
        (),
        item("CLOSED", 4, failures=[NOW - 5_000], updated_at=NOW - 5_000),
    ),
    Case(
        "within the cool-down the call is refused",
        item("OPEN", 5, opened_at=NOW - 29_999, updated_at=NOW - 29_999),
        "succeeds",
        (),
        item("OPEN", 5, opened_at=NOW - 29_999, updated_at=NOW - 29_999),
        refused=True,
    ),
    Case(
        "within a probe's lease every other call is refused",
        item("HALF_OPEN", 6, opened_at=NOW - 100_000, probe_started_at=NOW - 59_999, updated_at=NOW - 59_999),
        "fails",
        (),
        item("HALF_OPEN", 6, opened_at=NOW - 100_000, probe_started_at=NOW - 59_999, updated_at=NOW - 59_999),
        refused=True,
    ),
]


@dataclass
class Outcome:
    """What one form did: the item (seen or stored after), whether the downstream ran, where the call ended (done,
    failed, refused: the fallback), the state changes reported."""

    item: Item | None
    called: bool
    ended: str  # the state of the definition the call went on to
    changes: list[str] = field(default_factory=list)


def test_every_row_of_the_table_has_a_case() -> None:
    covered = {name for case in CASES for name in case.rows}
    assert covered == {row.name for row in rules.TRANSITIONS}


def test_each_case_ends_in_the_state_its_last_row_names() -> None:
    """The cases are read against the table itself, so a row's target and what it holds cannot drift from them."""
    for case in CASES:
        if not case.rows or case.expected is None:
            continue
        row = case.observed_row
        assert case.expected["state"] == row.target, case.label
        held = {attribute for attribute, _ in row.holds}
        assert set(case.expected) - {"breaker_id", "state", "version", "updated_at"} == held, case.label


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_both_forms_make_the_same_transition(case: Case, forms: Forms) -> None:
    library, workflow = forms.library(case), forms.workflow(case)

    ended = "Refused" if case.refused else "Failed" if case.downstream == "fails" else "Done"
    expected = Outcome(case.expected, called=not case.refused, ended=ended, changes=case.changes)
    assert library == expected, "the library"
    assert workflow == expected, "the workflow"


# -- the two forms ----------------------------------------------------------------------------------------------------


def plain(item: dict[str, Any] | None) -> Item | None:
    """A DynamoDB item (its wire form) as plain values."""

    def value(typed: dict[str, Any]) -> Any:
        ((kind, raw),) = typed.items()
        return {"S": str, "N": int}[kind](raw) if kind != "L" else [value(v) for v in raw]

    return None if item is None else {name: value(typed) for name, typed in item.items()}


def wire(item: Item) -> dict[str, Any]:
    def value(raw: Any) -> dict[str, Any]:
        if isinstance(raw, list):
            return {"L": [value(v) for v in raw]}
        return {"N": str(raw)} if isinstance(raw, int) else {"S": raw}

    return {name: value(raw) for name, raw in item.items()}


class Forms:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.dynamodb = runtime.client("dynamodb")
        self.sfn = runtime.client("stepfunctions")
        self.machine = self._machine()

    def stored(self) -> Item | None:
        return plain(self.dynamodb.get_item(TableName=TABLE, Key={"breaker_id": {"S": BREAKER}}).get("Item"))

    def given(self, case: Case) -> None:
        self.dynamodb.delete_item(TableName=TABLE, Key={"breaker_id": {"S": BREAKER}})
        if case.given is not None:
            self.dynamodb.put_item(TableName=TABLE, Item=wire(case.given))

    def library(self, case: Case) -> Outcome:
        self.given(case)
        listener = RecordingListener()
        store = DynamoDBBreakerStore(boto3.resource("dynamodb").Table(TABLE))
        breaker = CircuitBreaker(BREAKER, store, SETTINGS, clock=self.runtime.clock, listener=listener)
        seen: list[Item | None] = []
        downstream = Downstream(failing=case.downstream == "fails", during_call=lambda: seen.append(self.stored()))

        def done() -> str:
            downstream()
            return "Done"

        try:
            ended = breaker.call(done, fallback=lambda: "Refused")
        except DownstreamDown:
            ended = "Failed"  # re-raised to the caller once recorded
        item = seen[0] if case.observed == "seen" else self.stored()
        return Outcome(item, downstream.calls == 1, ended, listener.path())

    def workflow(self, case: Case) -> Outcome:
        self.given(case)
        table = TABLE if case.downstream == "succeeds" else "Unreachable"
        arn = self.sfn.start_execution(stateMachineArn=self.machine, input=json.dumps({"table": table}))["executionArn"]
        execution = ended(self.runtime, self.sfn, arn, cap=30)
        assert execution["status"] == "SUCCEEDED", execution
        output = json.loads(execution["output"])
        history = self.sfn.get_execution_history(executionArn=arn)["events"]
        entered = [e["stateEnteredEventDetails"]["name"] for e in history if e["type"].endswith("StateEntered")]
        announced = [rules.transition(name.removeprefix("CallAnnounce")) for name in entered if "Announce" in name]
        changes = [f"{row.source}->{row.target}" for row in announced]
        item = plain(output.get("seen")) if case.observed == "seen" else self.stored()
        return Outcome(item, "Call" in entered, entered[-1], changes)

    def _machine(self) -> str:
        definition = CircuitBreakerStep(
            call="Call", fallback="Refused", breaker_id=f"'{BREAKER}'", correlation_id="'test'", settings=LIMITS
        ).wrap(_DEFINITION)
        text = json.dumps(definition)
        substitutions = {"CircuitBreakersTableName": TABLE, "EventBusName": BUS, "MetricsNamespace": "Tests"}
        for name, value in substitutions.items():
            text = text.replace("${" + name + "}", value)
        role = f"arn:aws:iam::{LOCAL_ACCOUNT}:role/local"
        return str(self.sfn.create_state_machine(name="breaker", definition=text, roleArn=role)["stateMachineArn"])


# The call reads the breaker's item (the "downstream"); a missing table makes it fail, which its Catch counts.
_DEFINITION: dict[str, Any] = {
    "QueryLanguage": "JSONata",
    "StartAt": "Call",
    "States": {
        "Call": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:getItem",
            "Arguments": {
                "TableName": "{% $states.input.table %}",
                "Key": {"breaker_id": {"S": BREAKER}},
                "ConsistentRead": True,
            },
            "Output": "{% {'seen': $states.result.Item} %}",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% {} %}", "Next": "Failed"}],
            "Next": "Done",
        },
        "Refused": {"Type": "Pass", "End": True},
        "Failed": {"Type": "Pass", "End": True},
        "Done": {"Type": "Pass", "End": True},
    },
}


@pytest.fixture
def forms(aws_credentials: None) -> Iterator[Forms]:
    """moto with the local runtime's JSONata on a clock frozen at `T0`, the table, a bus for the announcements."""
    assert not jsonata_engine.is_installed(), "another runtime's JSONata (and clock) is installed"
    with mock_aws(config=MOTO_CONFIG):
        runtime = Runtime(clock=Clock(now=lambda: T0), session=local_session())
        runtime.client("dynamodb").create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "breaker_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "breaker_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        runtime.client("events").create_event_bus(Name=BUS)
        jsonata_engine.install(runtime.clock.now)
        adapter = StepFunctionsAdapter(runtime)
        adapter.install()
        try:
            yield Forms(runtime)
        finally:
            stopped = adapter.uninstall()
            jsonata_engine.uninstall()
        assert stopped, "a thread of the interpreter outlived uninstall()"
