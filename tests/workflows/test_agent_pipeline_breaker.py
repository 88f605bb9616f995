"""The specialists' circuit breaker inside the pipeline (asl/breaker_steps.py), on the local runtime
with the real handlers: DynamoDB direct integrations only, the semantics of functions/breaker.

Dev settings (config/stages.json, agent_pipeline.specialist_breaker): 3 failures within 300 s open a breaker; after
60 s one probe goes through; a probe's lease is 600 s. `[fail:billing]` in a ticket makes the billing specialist
answer AgentTaskFailed; `[stall:billing]` makes it go silent (a heartbeat timeout after 60 s on the clock).
"""

from __future__ import annotations

import datetime
import json
import threading
from typing import Any

import pytest
from moto.dynamodb.models import DynamoDBBackend

from orchestrator.local.cloud import LocalCloud
from schemas.support import TicketSubmitted
from tests.builders import ticket
from tests.workflows.conftest import Tap

THRESHOLD, COOLDOWN_SECONDS, PROBE_TIMEOUT_SECONDS = 3, 60, 600
NAMESPACE = "Orchestrator/dev"  # StageConfig.metrics_namespace
FAILING = "Charged twice and cannot log in. [fail:billing]"
HEALTHY = "Charged twice and cannot log in."
STALLING = "Charged twice and cannot log in. [stall:billing]"


class Watch:
    """What the tests look at: the billing breaker's item, billing's dispatches, the breaker's events."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.table = cloud.physical_id("AWS::DynamoDB::Table", "CircuitBreakers")
        self.tap = Tap(cloud, cloud.bus_name, {"detail-type": ["AgentTaskRequested", "BreakerStateChanged"]}, "t-brk")
        self.tickets = 0

    def submit(self, body: str, count: int = 1) -> None:
        for _ in range(count):
            self.tickets += 1
            self.cloud.put_event(TicketSubmitted.model_validate(ticket(f"ticket-{self.tickets}", body=body)))
        self.cloud.wait_until_quiet()

    def breaker(self) -> dict[str, Any]:
        items = {i["breaker_id"]["S"]: i for i in self.cloud.table_items(self.table)}
        item = items.get("agent:billing")
        if item is None:
            return {"state": "CLOSED", "failures": 0}
        return {"state": item["state"]["S"], "failures": len(item.get("failures", {}).get("L", []))}

    def billing_dispatches(self) -> int:
        return len(
            [
                e
                for e in self.tap.events()
                if e["detail-type"] == "AgentTaskRequested" and e["detail"]["data"]["agent"] == "billing"
            ]
        )

    def transitions(self) -> list[tuple[str, str]]:
        changes = [e["detail"]["data"] for e in self.tap.events() if e["detail-type"] == "BreakerStateChanged"]
        return [(c["previous_state"], c["state"]) for c in changes if c["breaker_id"] == "agent:billing"]

    def billing_record(self, ticket_number: int) -> dict[str, Any] | None:
        """What the ticket's Map kept of billing; None while the specialists are still out."""
        execution = self.execution_of(f"ticket-{ticket_number}")
        history = self.cloud.history(execution["executionArn"])
        map_done = [e for e in history if e["type"] == "MapStateExited"]
        if not map_done:
            return None
        records = json.loads(map_done[0]["stateExitedEventDetails"]["output"])
        (record,) = [r for r in records if r["agent"] == "billing"]
        return dict(record)

    def execution_of(self, ticket_id: str) -> dict[str, Any]:
        (found,) = [
            e for e in self.cloud.executions() if json.loads(e["input"])["detail"]["data"]["ticket_id"] == ticket_id
        ]
        return found

    def transitions_counted(self) -> dict[tuple[str, str], float]:
        """The BreakerTransitions data points of the billing breaker in the stage's namespace, by (from, to)."""
        cloudwatch = self.cloud.client("cloudwatch")
        counted: dict[tuple[str, str], float] = {}
        for metric in cloudwatch.list_metrics(Namespace=NAMESPACE, MetricName="BreakerTransitions")["Metrics"]:
            dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
            if dimensions.get("breaker_id") != "agent:billing":
                continue
            now = self.cloud.runtime.clock.utcnow()
            points = cloudwatch.get_metric_statistics(
                Namespace=NAMESPACE,
                MetricName="BreakerTransitions",
                Dimensions=metric["Dimensions"],
                StartTime=now - datetime.timedelta(days=1),
                EndTime=now + datetime.timedelta(days=1),
                Period=86_400,
                Statistics=["Sum"],
            )["Datapoints"]
            counted[(dimensions["from_state"], dimensions["to_state"])] = sum(p["Sum"] for p in points)
        return counted

    def path(self, ticket_id: str) -> list[tuple[str, str]]:
        visits = self.cloud.stepfunctions.history_path(self.execution_of(ticket_id)["executionArn"])
        return [(v.name, v.outcome) for v in visits]

    def open_it(self) -> None:
        self.submit(FAILING, THRESHOLD)
        assert self.breaker()["state"] == "OPEN"


def test_the_breaker_opens_exactly_at_the_threshold(cloud: LocalCloud) -> None:
    watch = Watch(cloud)

    seen = []
    for _ in range(THRESHOLD):
        watch.submit(FAILING)
        seen.append(watch.breaker())

    assert seen == [
        {"state": "CLOSED", "failures": 1},
        {"state": "CLOSED", "failures": 2},
        {"state": "OPEN", "failures": 0},
    ]
    assert watch.transitions() == [("CLOSED", "OPEN")]
    assert (watch.billing_record(THRESHOLD) or {})["status"] == "failed", "the call that opened it ran and failed"
    account = cloud.table_items(watch.table)
    assert [i["breaker_id"]["S"] for i in account] == ["agent:billing"], "a success in CLOSED writes nothing"


def test_an_open_breaker_skips_the_specialist_without_dispatching(cloud: LocalCloud) -> None:
    watch = Watch(cloud)
    watch.open_it()
    dispatched = watch.billing_dispatches()

    watch.submit(HEALTHY)

    assert watch.billing_dispatches() == dispatched, "no downstream call while OPEN"
    record = watch.billing_record(watch.tickets) or {}
    assert (record["status"], record["error"]) == ("failed", "BreakerOpen")
    visits = [
        (v.name, v.outcome)
        for v in cloud.stepfunctions.history_path(watch.execution_of(f"ticket-{watch.tickets}")["executionArn"])
    ]
    assert ("BreakerOpen", "succeeded") in visits
    assert ("DispatchClaimProbe", "succeeded") not in visits


def test_after_the_cooldown_one_probe_goes_through_and_its_success_closes_the_breaker(cloud: LocalCloud) -> None:
    watch = Watch(cloud)
    watch.open_it()
    cloud.runtime.clock.advance(seconds=COOLDOWN_SECONDS + 1)
    dispatched = watch.billing_dispatches()

    watch.submit(HEALTHY)

    assert watch.billing_dispatches() == dispatched + 1
    assert (watch.billing_record(watch.tickets) or {})["status"] == "succeeded"
    assert watch.breaker() == {"state": "CLOSED", "failures": 0}
    assert watch.transitions() == [("CLOSED", "OPEN"), ("OPEN", "HALF_OPEN"), ("HALF_OPEN", "CLOSED")]
    assert watch.transitions_counted() == {("CLOSED", "OPEN"): 1, ("OPEN", "HALF_OPEN"): 1, ("HALF_OPEN", "CLOSED"): 1}


def test_a_failed_probe_opens_the_breaker_again(cloud: LocalCloud) -> None:
    watch = Watch(cloud)
    watch.open_it()
    cloud.runtime.clock.advance(seconds=COOLDOWN_SECONDS + 1)

    watch.submit(FAILING)
    watch.submit(HEALTHY)  # within the new cool-down: skipped

    assert watch.breaker()["state"] == "OPEN"
    assert watch.transitions() == [("CLOSED", "OPEN"), ("OPEN", "HALF_OPEN"), ("HALF_OPEN", "OPEN")]
    assert (watch.billing_record(watch.tickets) or {})["error"] == "BreakerOpen", "reopened from now: a new cool-down"


class ReadersGate:
    """Holds reads of the billing breaker in moto in groups: each of the first `groups` groups of `size` reads is
    answered only once its group is complete, so that many executions decide on the same item and race for the next
    write (without it, one write usually lands before the others read, and the race is never run). Each read is
    made before it waits: a read made after the gate opens could come after a faster execution's write."""

    def __init__(self, table: str, size: int, groups: int = 1) -> None:
        self.table, self.size, self.limit = table, size, size * groups
        self.arrived = 0
        self.condition = threading.Condition()

    def wrap(self, get_item: Any) -> Any:
        def gated(backend: Any, table_name: str, keys: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
            item = get_item(backend, table_name, keys, *args, **kwargs)
            if table_name == self.table and keys.get("breaker_id", {}).get("S") == "agent:billing":
                with self.condition:
                    if self.arrived < self.limit:
                        self.arrived += 1
                        complete = -(-self.arrived // self.size) * self.size  # the end of this read's group
                        self.condition.notify_all()
                        # Long enough for the slowest execution of a loaded machine; only a deadlock would reach it.
                        self.condition.wait_for(lambda: self.arrived >= complete, timeout=120)
            return item

        return gated


def test_concurrent_failures_are_all_counted(cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two executions count a failure on the same CLOSED item at once: one write wins, the other re-reads and
    writes again, so neither failure is lost."""
    watch = Watch(cloud)
    gate = ReadersGate(watch.table, 2, groups=2)  # both ReadBreaker reads, then both ReadForFailure reads
    monkeypatch.setattr(DynamoDBBackend, "get_item", gate.wrap(DynamoDBBackend.get_item))

    watch.submit(FAILING, 2)

    assert gate.arrived == 4
    writes = [outcome for n in (1, 2) for name, outcome in watch.path(f"ticket-{n}") if name == "DispatchWriteFailure"]
    assert sorted(writes) == ["caught DynamoDB.ConditionalCheckFailedException", "succeeded", "succeeded"]
    assert watch.breaker() == {"state": "CLOSED", "failures": 2}


def test_a_probe_whose_holder_went_away_is_claimed_again_after_its_lease(cloud: LocalCloud) -> None:
    watch = Watch(cloud)
    watch.open_it()
    cloud.runtime.clock.advance(seconds=COOLDOWN_SECONDS + 1)
    watch.submit(STALLING)  # the probe: its specialist goes silent
    prober = watch.execution_of(f"ticket-{watch.tickets}")["executionArn"]
    cloud.client("stepfunctions").stop_execution(executionArn=prober, cause="the probe's holder went away")
    cloud.wait_until_quiet()
    assert watch.breaker()["state"] == "HALF_OPEN", "nobody wrote the probe's outcome"

    watch.submit(HEALTHY)  # within the lease: skipped
    assert (watch.billing_record(watch.tickets) or {})["error"] == "BreakerOpen"
    cloud.runtime.clock.advance(seconds=PROBE_TIMEOUT_SECONDS + 1)
    watch.submit(HEALTHY)  # past the lease: claims the probe again, and its success closes the breaker

    visits = watch.path(f"ticket-{watch.tickets}")
    assert ("DispatchClaimProbe", "succeeded") in visits
    assert [name for name, _ in visits if name.startswith("DispatchAnnounce")] == ["DispatchAnnounceClosed"]
    assert watch.breaker() == {"state": "CLOSED", "failures": 0}
    assert watch.transitions() == [("CLOSED", "OPEN"), ("OPEN", "HALF_OPEN"), ("HALF_OPEN", "CLOSED")]


def test_concurrent_executions_send_a_single_probe(cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    watch = Watch(cloud)
    watch.open_it()
    cloud.runtime.clock.advance(seconds=COOLDOWN_SECONDS + 1)
    dispatched = watch.billing_dispatches()
    gate = ReadersGate(watch.table, 5)
    monkeypatch.setattr(DynamoDBBackend, "get_item", gate.wrap(DynamoDBBackend.get_item))

    # Five tickets at once, all reading the OPEN breaker past its cool-down before any claims the probe; the probe's
    # specialist stalls, so the probe stays out while the others decide.
    watch.submit(STALLING, 5)

    claims = [
        outcome
        for n in range(watch.tickets - 4, watch.tickets + 1)
        for name, outcome in watch.path(f"ticket-{n}")
        if name == "DispatchClaimProbe"
    ]
    # Usually all five race for the claim; now and then a read comes after it (and sees HALF_OPEN): either way one
    # claim wins. That a losing claim really loses is the next test's, made deterministic.
    assert claims.count("succeeded") == 1, claims
    assert watch.billing_dispatches() == dispatched + 1, "exactly one probe"
    records = [watch.billing_record(n) for n in range(watch.tickets - 4, watch.tickets + 1)]
    assert records.count(None) == 1, "the probe's ticket still waits on its stalled specialist"
    assert [r["error"] for r in records if r is not None] == ["BreakerOpen"] * 4
    assert watch.breaker()["state"] == "HALF_OPEN"
    assert watch.transitions().count(("OPEN", "HALF_OPEN")) == 1


def test_a_claim_that_lost_the_race_reads_again_and_takes_the_fallback(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another execution claims the probe between this one's read and its claim: the claim's conditional write fails,
    the execution reads again, finds HALF_OPEN within the lease and skips the specialist; nothing is dispatched."""
    watch = Watch(cloud)
    watch.open_it()
    cloud.runtime.clock.advance(seconds=COOLDOWN_SECONDS + 1)
    dispatched = watch.billing_dispatches()
    dynamodb, table = cloud.client("dynamodb"), watch.table
    original = DynamoDBBackend.get_item
    raced: list[int] = []

    def read_then_someone_claims(backend: Any, table_name: str, keys: dict[str, Any], *args: Any, **kw: Any) -> Any:
        item = original(backend, table_name, keys, *args, **kw)
        if table_name == table and keys.get("breaker_id", {}).get("S") == "agent:billing" and not raced:
            raced.append(1)  # before the calls below, which come back through this function
            current = dynamodb.get_item(TableName=table, Key={"breaker_id": {"S": "agent:billing"}})["Item"]
            version = int(current["version"]["N"])
            claimed = {**current, "state": {"S": "HALF_OPEN"}, "version": {"N": str(version + 1)}}
            claimed["probe_started_at"] = {"N": str(int(cloud.runtime.clock.now() * 1000))}
            dynamodb.put_item(TableName=table, Item=claimed)
        return item

    monkeypatch.setattr(DynamoDBBackend, "get_item", read_then_someone_claims)
    watch.submit(HEALTHY)

    assert raced, "the interfering claim was made"
    visits = watch.path(f"ticket-{watch.tickets}")
    assert ("DispatchClaimProbe", "caught DynamoDB.ConditionalCheckFailedException") in visits
    assert (watch.billing_record(watch.tickets) or {})["error"] == "BreakerOpen"
    assert watch.billing_dispatches() == dispatched, "no downstream call"
    assert watch.breaker()["state"] == "HALF_OPEN"
