"""Running the samples on a local cloud: putting each on the bus, waiting until the system is still, watching the
bus through a tap, and handing every execution, event and set-aside message to the sample it belongs to."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from orchestrator.control.queues import correlation_of_event, dead_letter_reason, json_object
from orchestrator.demo.runs import DemoRun, Jump, SampleRun, execution_run
from orchestrator.demo.samples import ProjectEvent, Sample
from orchestrator.local.cloud import LocalCloud, LocalCloudError

TAP_NAME: Final = "demo-tap"
QUEUE: Final = "AWS::SQS::Queue"
QUARANTINE_QUEUE: Final = "SchemaGuardQuarantine"  # logical id prefix of the schema guard's quarantine queue
_HIDE_SECONDS: Final = 43_200  # a set-aside message the demo read stays in its queue, hidden, so it still counts
_DEAD_LETTER_KEYS: Final = frozenset({"deadLetterTargetArn", "DeadLetterConfig"})


class BusTap:
    """The demo's own rule on the orchestrator's bus, not the app's: it copies every event to an SQS queue the
    demo created and reads, the way a user watches a bus."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.url = cloud.tap(TAP_NAME, {"source": [{"prefix": ""}]})  # every event, whatever its source
        self._sqs = cloud.client("sqs")

    def drain(self) -> list[dict[str, Any]]:
        """Every event tapped since the last drain, in arrival order."""
        return [json.loads(m["Body"]) for m in _receive_all(self._sqs, self.url, delete=True)]


def _receive_all(sqs: Any, url: str, *, delete: bool) -> Iterator[dict[str, Any]]:
    """Every visible message, with its attributes; each is deleted, or hidden long enough to be read only once
    (it stays in its queue and counts in its depth)."""
    hide = {} if delete else {"VisibilityTimeout": _HIDE_SECONDS}
    receive = {"QueueUrl": url, "MaxNumberOfMessages": 10, "MessageAttributeNames": ["All"], **hide}
    while batch := sqs.receive_message(**receive).get("Messages", []):
        for message in batch:
            yield message
            if delete:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def run_samples(cloud: LocalCloud, samples: Sequence[Sample], timeout: float) -> DemoRun:
    """Puts each sample on the bus in turn and waits until the system is still; then gathers what happened."""
    tap = BusTap(cloud)
    quarantine = cloud.physical_id(QUEUE, QUARANTINE_QUEUE)
    dead_letters = dead_letter_queues(cloud)
    runs: list[SampleRun] = []
    jumps: list[Jump] = []
    for sample in samples:
        run = SampleRun(sample)
        runs.append(run)
        if any(r.problem for r in runs):
            run.problem = "not run: an earlier sample stopped the local runtime"
            continue
        try:
            run.event_ids = put(cloud, sample)
            for later in sample.then:
                jumps += settle(cloud, advance_clock=False, timeout=timeout)
                run.event_ids.append(_put_project_event(cloud, later))
            jumps += settle(cloud, advance_clock=sample.advance_clock, timeout=timeout)
        except (LocalCloudError, TimeoutError) as error:  # a handler or adapter failed; the system never came to rest
            run.problem = f"{type(error).__name__}: {error}"
    strays = _attribute(cloud, runs, tap.drain(), quarantine, dead_letters)
    set_aside = {"quarantine": cloud.queue_depth(quarantine), "dead-letter queues": _depth(cloud, dead_letters)}
    return DemoRun(runs, jumps, strays, cloud.notice, cloud.bus_name, set_aside)


def put(cloud: LocalCloud, sample: Sample) -> list[str]:
    """Puts the sample's event on the orchestrator's bus; returns its EventBridge id."""
    if sample.event is not None:
        return [_put_project_event(cloud, sample.event)]
    assert sample.raw_event is not None
    raw = sample.raw_event
    return [cloud.put_raw_event(raw.source, raw.detail_type, raw.detail)]


def _put_project_event(cloud: LocalCloud, event: ProjectEvent) -> str:
    return cloud.put_event(event.model(), correlation_id=event.correlation_id, producer="demo")


def settle(cloud: LocalCloud, *, advance_clock: bool, timeout: float) -> list[Jump]:
    """Waits until nothing moves. With `advance_clock`, then jumps the clock to the next deadline and waits again,
    until nothing waits on the clock: what `wait_until_quiet(advance_clock=True)` does, one jump at a time, so that
    the timeline can tell which states waited on the clock rather than on work."""
    clock = cloud.runtime.clock
    deadline = time.monotonic() + timeout
    jumps: list[Jump] = []
    while True:
        cloud.wait_until_quiet(max(deadline - time.monotonic(), 0.1))
        if not advance_clock:
            return jumps
        at, offset = clock.utcnow(), clock.offset
        if not clock.advance_to_next_deadline():
            return jumps
        jumps.append(Jump(at, clock.offset - offset))
        if time.monotonic() > deadline:
            raise TimeoutError(f"still waiting on the clock after {timeout} s and {len(jumps)} jumps")


def dead_letter_queues(cloud: LocalCloud) -> list[str]:
    """The URLs of every queue the app names as a dead-letter queue (of a queue, a rule target or a function)."""
    urls = []
    for stack in cloud.assembly.stacks():
        resources = stack.template.get("Resources", {})
        named = {i for r in resources.values() for i in _dead_letter_ids(r.get("Properties", {}))}
        urls += [str(cloud.resources[stack.name][i].ref) for i in sorted(named) if resources[i]["Type"] == QUEUE]
    return urls


def _dead_letter_ids(node: Any, *, named: bool = False) -> Iterator[str]:
    """Logical ids referenced (`Fn::GetAtt`) in dead-letter settings: a queue's `RedrivePolicy.deadLetterTargetArn`,
    a rule target's or a function's `DeadLetterConfig`."""
    if isinstance(node, Mapping):
        if named and "Fn::GetAtt" in node:
            yield str(node["Fn::GetAtt"][0])
        for key, value in node.items():
            yield from _dead_letter_ids(value, named=named or key in _DEAD_LETTER_KEYS)
    elif isinstance(node, list):
        for item in node:
            yield from _dead_letter_ids(item, named=named)


def _depth(cloud: LocalCloud, urls: Sequence[str]) -> int:
    return sum(cloud.queue_depth(url) for url in urls)


def _attribute(
    cloud: LocalCloud,
    runs: Sequence[SampleRun],
    events: Sequence[dict[str, Any]],
    quarantine: str,
    dead_letters: Sequence[str],
) -> list[str]:
    """Hands each execution, tapped event, quarantined record and dead letter to its sample: by the correlation id
    in its envelope, else by the id of the event the demo put. Returns what belongs to no sample."""
    owners: dict[str, SampleRun] = {}
    for run in runs:
        owners.update(dict.fromkeys(run.event_ids, run))
        if run.sample.event is not None:
            owners[run.sample.event.correlation_id] = run

    def owner(event: Mapping[str, Any]) -> SampleRun | None:
        return owners.get(correlation_of_event(event)) or owners.get(str(event.get("id")))

    strays: list[str] = []
    for description in cloud.executions():
        execution = execution_run(description, cloud.history(description["executionArn"]))
        if found := owner(json.loads(description.get("input") or "{}")):
            found.executions.append(execution)
        else:
            strays.append(f"execution {execution.arn} ({execution.status})")
    for event in events:
        if found := owner(event):
            found.events.append(event)
        else:
            strays.append(f"event {event.get('detail-type')} from {event.get('source')} (id {event.get('id')})")
    sqs = cloud.client("sqs")
    for message in _receive_all(sqs, quarantine, delete=False):
        record = json.loads(message["Body"])  # the schema guard's record: the reason, then the event as it came
        if found := owner(record.get("event") or {}):
            found.quarantined.append(str(record.get("reason", "")))
        else:
            strays.append(f"quarantined: {record.get('reason', '')}")
    for url in dead_letters:
        for message in _receive_all(sqs, url, delete=False):
            letter = f"{url.rsplit('/', 1)[-1]}: {dead_letter_reason(message)}"
            if found := owner(json_object(message["Body"])):  # EventBridge and Lambda keep the event as the body
                found.dead_lettered.append(letter)
            else:
                strays.append(f"dead-lettered in {letter}")
    return strays


def stop_waiting_executions(cloud: LocalCloud) -> None:
    """Stops the executions still running (a sample that did not do what it expects) and lets them end while the
    handlers' output still goes to the log: the interpreter reports an aborted Map iteration at length."""
    sfn = cloud.client("stepfunctions")
    for execution in cloud.executions():
        if execution["status"] == "RUNNING":
            sfn.stop_execution(executionArn=execution["executionArn"], cause="the demo is over")
    # A failure of the runtime was already reported with the sample it stopped; here it only cuts the wait short.
    with contextlib.suppress(LocalCloudError, TimeoutError):
        cloud.wait_until_quiet(10)
