"""`make demo`: the app, synthesized, running live on the local runtime, driven by sample events.

Synthesizes the stage (cdk-nag must pass), starts `LocalCloud` on the assembly and puts each sample of
`demo_samples.json` on the bus, one at a time, waiting until the system is still after each (moving the clock
forward for the samples that wait on a timeout). Then it prints, per sample, each execution's path as a timeline
(state, outcome, duration on the local clock), the events that went over the orchestrator's bus, a summary table
of what each sample expects against what happened, and the local runtime's start-up notice.

Exit status: 0 when every sample did what it expects, 1 otherwise (the mismatches are named), 2 when the demo
cannot run (an unreadable samples file, a folder that is not a cloud assembly).

The demo watches the bus as a user would, through a rule of its own that copies every event to an SQS queue.
The handlers' logs (Powertools JSON on stdout) go to a file, `demo.log` in the assembly's folder unless `--logs`
says otherwise, so that they do not drown the demo's own lines.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from asl.history import StateVisit, visits_from_history
from asl.pause_points import is_pause_check
from orchestrator.assembly import CloudAssembly, synthesize
from orchestrator.local.cloud import LocalCloud, LocalCloudError
from orchestrator.local.provision import Notice
from schemas.catalog import event_type_for
from schemas.envelope import EventData

DEFAULT_OUTDIR: Final = Path("cdk.out")
DEFAULT_SAMPLES: Final = Path(__file__).with_name("demo_samples.json")
LOG_NAME: Final = "demo.log"
TAP_NAME: Final = "demo-tap"
QUEUE: Final = "AWS::SQS::Queue"
QUARANTINE_QUEUE: Final = "SchemaGuardQuarantine"  # logical id prefix of the schema guard's quarantine queue
WIDTH: Final = 118  # of the demo's lines
_HIDE_SECONDS: Final = 43_200  # a set-aside message the demo read stays in its queue, hidden, so it still counts
_DEAD_LETTER_KEYS: Final = frozenset({"deadLetterTargetArn", "DeadLetterConfig"})
_EVENT_HIGHLIGHTS: Final = ("agent", "resolution", "error")  # data fields worth a glance in the events list

ExecutionStatus = Literal["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]


# ---------------------------------------------------------------------------------------------------------------
# Samples: what to put on the bus and what must follow


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProjectEvent(_Spec):
    """A project event, put through the validating publisher (`LocalCloud.put_event`)."""

    detail_type: str
    correlation_id: str
    data: dict[str, Any]

    @model_validator(mode="after")
    def _honours_its_contract(self) -> ProjectEvent:
        self.model()  # a sample that the publisher would refuse is a mistake in the samples file
        return self

    def model(self) -> EventData:
        return event_type_for(self.detail_type).model_validate(self.data)


class RawEvent(_Spec):
    """An event put as is with PutEvents: what a producer that bypasses the SDK sends."""

    source: str
    detail_type: str
    detail: dict[str, Any]


class Expectation(_Spec):
    execution: ExecutionStatus | None  # the one execution the sample starts; None: none may start
    states: list[str] | None = None  # distinct states visited, in order of first entry (iterations in turn)
    output: dict[str, Any] = Field(default_factory=dict)  # fields of the execution's output
    events: list[str]  # detail types on the bus, the sample's own event included; compared as counts
    quarantined: int = Field(default=0, ge=0)
    dead_lettered: int = Field(default=0, ge=0)


class Sample(_Spec):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    description: str
    event: ProjectEvent | None = None
    raw_event: RawEvent | None = None
    # Events someone outside sends later (an approver's decision): each put once the system is still.
    then: list[ProjectEvent] = Field(default_factory=list)
    advance_clock: bool = False  # after the last event
    expect: Expectation

    @model_validator(mode="after")
    def _one_event(self) -> Sample:
        if (self.event is None) == (self.raw_event is None):
            raise ValueError("a sample has exactly one of `event` and `raw_event`")
        return self


class SamplesFile(_Spec):
    about: list[str] = Field(default_factory=list, alias="_about")
    samples: list[Sample] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> SamplesFile:
        repeated = [name for name, n in Counter(s.name for s in self.samples).items() if n > 1]
        if repeated:
            raise ValueError(f"sample names must be unique: {', '.join(repeated)}")
        return self


def load_samples(path: Path) -> list[Sample]:
    """The samples of a samples file; ValidationError or OSError when it cannot be used."""
    return SamplesFile.model_validate_json(path.read_text(encoding="utf-8")).samples


# ---------------------------------------------------------------------------------------------------------------
# What happened


@dataclass(frozen=True)
class Jump:
    """The demo moved the clock forward `seconds` at `at` (clock time), to reach a deadline (a timeout)."""

    at: datetime.datetime
    seconds: float


@dataclass(frozen=True)
class Step:
    """One state on an execution's timeline; `iteration` names the Map iteration it ran in, `depth` its nesting."""

    visit: StateVisit
    iteration: str = ""
    depth: int = 0


@dataclass(frozen=True)
class ExecutionRun:
    arn: str
    status: str
    started: datetime.datetime
    stopped: datetime.datetime | None
    output: Any
    error: str
    steps: list[Step]
    states_visited: list[str]

    @property
    def state_machine(self) -> str:
        return self.arn.split(":")[-2]


@dataclass
class SampleRun:
    """Everything the demo saw of one sample."""

    sample: Sample
    event_ids: list[str] = field(default_factory=list)  # EventBridge ids of what the demo put
    executions: list[ExecutionRun] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # from the tap, in arrival order
    quarantined: list[str] = field(default_factory=list)  # why the schema guard quarantined each of its events
    dead_lettered: list[str] = field(default_factory=list)  # which dead-letter queue got each of its events, and why
    problem: str = ""  # the run could not finish (the local runtime failed or never came to rest)


@dataclass
class DemoRun:
    runs: list[SampleRun]
    jumps: list[Jump]
    strays: list[str]  # executions, events and set-aside messages no sample accounts for
    notice: Notice
    bus_name: str
    set_aside: dict[str, int]  # depth of the quarantine and of the dead-letter queues at the end


# ---------------------------------------------------------------------------------------------------------------
# Running the samples


class BusTap:
    """The demo's own rule on the orchestrator's bus, not the app's: it copies every event to an SQS queue the
    demo created and reads, the way a user watches a bus."""

    def __init__(self, cloud: LocalCloud) -> None:
        sqs, events = cloud.client("sqs"), cloud.client("events")
        self.url = sqs.create_queue(QueueName=TAP_NAME)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        pattern = {"source": [{"prefix": ""}]}  # every event, whatever its source
        events.put_rule(Name=TAP_NAME, EventBusName=cloud.bus_name, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=TAP_NAME, EventBusName=cloud.bus_name, Targets=[{"Id": TAP_NAME, "Arn": arn}])
        self._sqs = sqs

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
    entry = {
        "EventBusName": cloud.bus_name,
        "Source": raw.source,
        "DetailType": raw.detail_type,
        "Detail": json.dumps(raw.detail),
    }
    result = cloud.client("events").put_events(Entries=[entry])
    (answer,) = result["Entries"]
    if "EventId" not in answer:
        raise LocalCloudError(f"{sample.name}: PutEvents refused the raw event: {answer}")
    return [str(answer["EventId"])]


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
        return owners.get(_correlation_id(event) or "") or owners.get(str(event.get("id")))

    strays: list[str] = []
    for description in cloud.executions():
        execution = execution_run(cloud, description)
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
            letter = f"{url.rsplit('/', 1)[-1]}: {_dead_letter_reason(message)}"
            if found := owner(_json_object(message["Body"])):  # EventBridge and Lambda keep the event as the body
                found.dead_lettered.append(letter)
            else:
                strays.append(f"dead-lettered in {letter}")
    return strays


def _dead_letter_reason(message: Mapping[str, Any]) -> str:
    """Why a message was dead-lettered, from the attributes EventBridge or Lambda put on it (redrive puts none)."""
    attributes = {k: v.get("StringValue", "") for k, v in message.get("MessageAttributes", {}).items()}
    reason = " ".join(attributes[k] for k in ("ERROR_CODE", "ERROR_MESSAGE", "ErrorMessage") if k in attributes)
    return reason or "redriven after its maximum receives"


def _json_object(text: str) -> dict[str, Any]:
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _correlation_id(event: Mapping[str, Any]) -> str | None:
    detail = event.get("detail")
    metadata = detail.get("metadata") if isinstance(detail, Mapping) else None
    correlation = metadata.get("correlation_id") if isinstance(metadata, Mapping) else None
    return str(correlation) if correlation is not None else None


# ---------------------------------------------------------------------------------------------------------------
# Timelines


def execution_run(cloud: LocalCloud, description: Mapping[str, Any]) -> ExecutionRun:
    """An execution as the demo shows it, from its description and its history."""
    history = cloud.history(description["executionArn"])
    status = str(description["status"])
    output = json.loads(description["output"]) if description.get("output") else None
    error = " - ".join(str(description[k]) for k in ("error", "cause") if description.get(k))
    steps = timeline(history, status)
    return ExecutionRun(
        arn=str(description["executionArn"]),
        status=status,
        started=description["startDate"],
        stopped=description.get("stopDate"),
        output=output,
        error=error,
        steps=steps,
        # From the timeline, where each Map iteration's states follow one another in item order: in the history,
        # iterations running side by side interleave differently on every run. Without the pause points' checks,
        # which every execution passes (the timeline printed shows them).
        states_visited=list(dict.fromkeys(step.visit.name for step in steps if not is_pause_check(step.visit.name))),
    )


def timeline(history: Sequence[Mapping[str, Any]], status: str) -> list[Step]:
    """The execution's path: each state with its outcome, a Map state followed by the states of its iterations
    (`visits_from_history` follows each event's `previousEventId`, so iterations side by side are not mixed up)."""
    return [Step(visit, visit.iteration, visit.depth) for visit in visits_from_history(history, status)]


# ---------------------------------------------------------------------------------------------------------------
# Judging


def differences(run: SampleRun) -> list[str]:
    """How the sample's outcome differs from what it expects (empty when it matches)."""
    expect = run.sample.expect
    found = [run.problem] if run.problem else []
    status = _status(run)
    if status != expect.execution:
        found.append(f"execution: expected {_status_text(expect.execution)}, got {_status_text(status)}")
    execution = run.executions[0] if len(run.executions) == 1 else None
    visited = execution.states_visited if execution else []
    if expect.states is not None and visited != expect.states:
        found.append(f"states: expected {' > '.join(expect.states)}, got {' > '.join(visited) or 'none'}")
    output = execution.output if execution and isinstance(execution.output, dict) else {}
    for key, value in expect.output.items():
        if output.get(key, "(missing)") != value:
            found.append(f"output.{key}: expected {value!r}, got {output.get(key, '(missing)')!r}")
    expected_events, actual_events = Counter(expect.events), Counter(str(e.get("detail-type")) for e in run.events)
    if expected_events != actual_events:
        missing, extra = expected_events - actual_events, actual_events - expected_events
        found.append(f"events: missing {_counted(missing) or 'none'}; unexpected {_counted(extra) or 'none'}")
    for what, expected, actual in (
        ("quarantined", expect.quarantined, len(run.quarantined)),
        ("dead-lettered", expect.dead_lettered, len(run.dead_lettered)),
    ):
        if expected != actual:
            found.append(f"{what}: expected {expected}, got {actual}")
    return found


def _status(run: SampleRun) -> str | None:
    if len(run.executions) > 1:
        return f"{len(run.executions)} executions"
    return run.executions[0].status if run.executions else None


def _status_text(status: str | None) -> str:
    return status if status is not None else "no execution"


def _counted(counts: Counter[Any]) -> str:
    return ", ".join(f"{n} x {name}" if n > 1 else str(name) for name, n in sorted(counts.items()))


def brief(status: str | None, output: Any, events: int, quarantined: int, dead_lettered: int) -> str:
    """One cell of the summary table: status, resolution, events, and what went to the side queues."""
    parts = [_status_text(status)]
    if isinstance(output, dict) and "resolution" in output:
        parts.append(str(output["resolution"]))
    parts.append(f"{events} event{'s' if events != 1 else ''}")
    if quarantined:
        parts.append(f"quarantined {quarantined}")
    if dead_lettered:
        parts.append(f"dead-lettered {dead_lettered}")
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------------------------
# Printing


def sample_lines(run: SampleRun, jumps: Sequence[Jump], bus_name: str) -> list[str]:
    """A sample's section: its executions' timelines, the events on the bus, what was set aside."""
    sample = run.sample
    lines = ["", f"== {sample.name}: {sample.description}"]
    if not run.executions:
        lines.append("  no execution started")
    for execution in run.executions:
        lines += execution_lines(execution, jumps)
    lines.append(f"  events on {bus_name} (demo tap, in arrival order):")
    for number, event in enumerate(run.events, 1):
        lines.append(
            f"    {number:>2}  {event.get('detail-type', '?'):<22} {event.get('source', '?'):<24} {_highlights(event)}"
        )
    if not run.events:
        lines.append("    none")
    for reason in run.quarantined:
        lines += _wrapped(f"quarantined by the schema guard: {reason}")
    for letter in run.dead_lettered:
        lines += _wrapped(f"dead-lettered in {letter}")
    if run.problem:
        lines.append(f"  PROBLEM: {run.problem}")
    return [line.rstrip() for line in lines]


def execution_lines(execution: ExecutionRun, jumps: Sequence[Jump]) -> list[str]:
    end = execution.stopped
    took = f" in {_duration((end - execution.started).total_seconds())}" if end else ""
    waited = _waited(execution.started, end, jumps)
    clock = f" ({_duration(waited)} of it on the clock)" if waited else ""
    lines = [f"  {execution.state_machine}: {execution.status}{took}{clock}"]
    for step in execution.steps:
        lines.append(_step_line(step, execution.started, jumps))
    if execution.error:
        lines.append(f"  error: {execution.error}")
    lines += _output_lines(execution.output)
    return lines


def _step_line(step: Step, start: datetime.datetime, jumps: Sequence[Jump]) -> str:
    visit = step.visit
    name = "  " * step.depth + (f"{step.iteration} · {visit.name}" if step.iteration else visit.name)
    took = _duration((visit.exited - visit.entered).total_seconds()) if visit.exited else "-"
    waited = _waited(visit.entered, visit.exited, jumps)
    note = f"  waited {_duration(waited)} on the clock" if waited else ""
    offset = _offset((visit.entered - start).total_seconds())
    return f"    {offset}  {name:<44} {visit.outcome:<32} {took:>9}{note}"


def _waited(entered: datetime.datetime, exited: datetime.datetime | None, jumps: Sequence[Jump]) -> float:
    """Seconds the clock was moved forward while a state (or an execution) was in progress."""
    return sum(j.seconds for j in jumps if entered <= j.at and (exited is None or j.at < exited))


def _output_lines(output: Any) -> list[str]:
    if output is None:
        return []
    if not isinstance(output, dict):
        return _packed("output:", [json.dumps(output)])
    simple: list[str] = []
    blocks: list[str] = []
    for key, value in output.items():
        if isinstance(value, str) and ("\n" in value or len(value) > 60):
            blocks.append(f"  {key}:")
            blocks += [f"    {line}" for text in value.splitlines() for line in textwrap.wrap(text, WIDTH - 4) or [""]]
        elif isinstance(value, list):
            simple.append(f"{key} [{', '.join(map(str, value))}]")
        else:
            simple.append(f"{key} {value}")
    return _packed("output:", simple, " ·") + blocks


def _packed(title: str, items: Sequence[str], separator: str = ",") -> list[str]:
    """`title` then the items, on lines of at most WIDTH characters; an item is never broken."""
    lines, line = [], f"  {title}"
    for index, item in enumerate(items):
        piece = item + (separator if index < len(items) - 1 else "")
        if len(line) + 1 + len(piece) > WIDTH and line != f"  {title}":
            lines.append(line)
            line = "   "
        line += f" {piece}"
    return [*lines, line]


def _wrapped(text: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent="  ", subsequent_indent="    ")


def _highlights(event: Mapping[str, Any]) -> str:
    detail = event.get("detail")
    data = detail.get("data") if isinstance(detail, Mapping) else None
    if not isinstance(data, Mapping):
        return ""
    return " ".join(f"{key}={data[key]}" for key in _EVENT_HIGHLIGHTS if key in data)


def summary_lines(runs: Sequence[SampleRun], strays: Sequence[str]) -> list[str]:
    """The summary table (sample, expected, actual, OK/MISMATCH), then each mismatch named."""
    rows = [("sample", "expected", "actual", "result")]
    mismatches: list[tuple[str, list[str]]] = []
    for run in runs:
        expect, found = run.sample.expect, differences(run)
        execution = run.executions[0] if len(run.executions) == 1 else None
        rows.append(
            (
                run.sample.name,
                brief(expect.execution, expect.output, len(expect.events), expect.quarantined, expect.dead_lettered),
                brief(
                    _status(run),
                    execution.output if execution else None,
                    len(run.events),
                    len(run.quarantined),
                    len(run.dead_lettered),
                ),
                "MISMATCH" if found else "OK",
            )
        )
        if found:
            mismatches.append((run.sample.name, found))
    if strays:
        rows.append(("(no sample)", "nothing", f"{len(strays)} execution(s) or event(s)", "MISMATCH"))
        mismatches.append(("(no sample)", list(strays)))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["", "Summary"] + [f"  {a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d}" for a, b, c, d in rows]
    for name, found in mismatches:
        lines += [f"MISMATCH {name}: {difference}" for difference in found]
    if mismatches:
        lines.append(f"{len(mismatches)} of {len(rows) - 1} rows did not match: {', '.join(n for n, _ in mismatches)}")
    else:
        lines.append(f"All {len(runs)} samples did what they expect.")
    return lines


def notice_lines(notice: Notice) -> list[str]:
    """The local runtime's start-up notice, compact: the types it did not create, counted."""
    groups = (
        ("skipped (no local effect)", notice.skipped),
        ("not supported locally, not created", notice.unsupported),
        ("created, but not run locally", notice.not_run),
    )
    lines = ["", "Local runtime notice (resources of the assembly it does not run):"]
    for title, counts in groups:
        if counts:
            lines += _packed(f"{title}:", [f"{n} {kind.removeprefix('AWS::')}" for kind, n in counts.most_common()])
    return lines


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {seconds % 60:.1f} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"


def _offset(seconds: float) -> str:
    minutes, rest = divmod(max(seconds, 0.0), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"+{hours}:{minutes:02d}:{rest:06.3f}" if hours else f"+{minutes:02d}:{rest:06.3f}"


# ---------------------------------------------------------------------------------------------------------------
# Handler logs


class _HandlerOutput(io.TextIOBase):
    """What the process writes to stdout and stderr while the demo runs: the run's log file.

    Powertools binds each service's logger to the `sys.stdout` of the moment that service's first logger is made,
    for the life of the process, so this one object serves every run: between runs it writes through to the
    stdout of the moment, as if it were not there."""

    def __init__(self) -> None:
        super().__init__()
        self.target: TextIO | None = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        target = self.target or (sys.stdout if sys.stdout is not self else sys.__stdout__)
        return target.write(text) if target is not None else len(text)

    def flush(self) -> None:
        if self.target is not None:
            self.target.flush()

    @property
    def buffer(self) -> Any:
        """The binary layer: the CDK's Node runtime writes its messages there."""
        target = self.target or sys.__stdout__
        return target.buffer if target is not None else io.BytesIO()


_HANDLER_OUTPUT: Final = _HandlerOutput()


@contextlib.contextmanager
def _logs_to(log: TextIO) -> Iterator[None]:
    """stdout and stderr of everything but the demo's own lines go to `log` for the duration."""
    _HANDLER_OUTPUT.target = log
    try:
        with contextlib.redirect_stdout(_HANDLER_OUTPUT), contextlib.redirect_stderr(_HANDLER_OUTPUT):
            yield
    finally:
        _HANDLER_OUTPUT.flush()
        _HANDLER_OUTPUT.target = None


# ---------------------------------------------------------------------------------------------------------------
# Command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", default="dev", help="stage to synthesize (default dev)")
    parser.add_argument("--outdir", type=Path, default=DEFAULT_OUTDIR, help="where to synthesize (default cdk.out)")
    parser.add_argument("--assembly", type=Path, help="run this already synthesized assembly; skips synthesis")
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES, help="the samples file")
    parser.add_argument("--logs", type=Path, help=f"where the handlers' logs go (default <assembly>/{LOG_NAME})")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a sample may take (default 60)")
    args = parser.parse_args(argv)
    out = sys.stdout
    try:
        samples = load_samples(args.samples)
    except (OSError, ValidationError) as error:
        print(f"demo: cannot use the samples in {args.samples}: {error}", file=sys.stderr)
        return 2
    folder = args.assembly or args.outdir
    log_path = args.logs or folder / LOG_NAME
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        if args.assembly is None:
            print(
                f"Synthesizing stage {args.stage} into {folder}/ (cdk-nag AwsSolutions checks every stack) ...",
                file=out,
            )
            with _logs_to(log):
                stacks = synthesize(args.stage, folder).stacks()
            print("\n".join(_packed(f"{len(stacks)} stacks, no cdk-nag finding:", [s.name for s in stacks])), file=out)
        try:
            assembly = CloudAssembly(folder)
        except FileNotFoundError as error:
            print(f"demo: {error}", file=sys.stderr)
            return 2
        print(f"Starting the local runtime on {folder}/ and putting {len(samples)} samples on the bus ...", file=out)
        with _logs_to(log):
            demo = _run(assembly, samples, args.timeout, log)
    return report(demo, log_path, out)


def _run(assembly: CloudAssembly, samples: Sequence[Sample], timeout: float, log: TextIO) -> DemoRun:
    with LocalCloud(assembly) as cloud:
        log.write("\n".join(cloud.notice.lines()) + "\n")
        demo = run_samples(cloud, samples, timeout)
        stop_waiting_executions(cloud)
        return demo


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


def report(demo: DemoRun, log_path: Path, out: TextIO) -> int:
    """Prints the demo's findings; 0 when every sample matched, 1 otherwise."""
    lines: list[str] = []
    for run in demo.runs:
        lines += sample_lines(run, demo.jumps, demo.bus_name)
    if demo.strays:
        lines += ["", "== not from any sample", *(f"  {stray}" for stray in demo.strays)]
    lines += summary_lines(demo.runs, demo.strays)
    lines.append("Set aside at the end: " + ", ".join(f"{n} in the {q}" for q, n in demo.set_aside.items()))
    lines += notice_lines(demo.notice)
    lines.append(f"\nHandler logs (Powertools JSON) and the full notice: {log_path}")
    print("\n".join(lines), file=out)
    matched = not demo.strays and not any(differences(run) for run in demo.runs)
    return 0 if matched else 1


if __name__ == "__main__":
    sys.exit(main())
