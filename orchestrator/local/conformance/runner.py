"""Runs the conformance cases on the local runtime as users run it (a `LocalCloud`: every adapter and seam installed)
and counts, per category, the cases whose outcome is the documented one.

- Event patterns (pattern_vectors.py): each vector through the pattern engine and through the EventBridge API's
  TestEventPattern (boto3 against the local runtime); a vector passes when both give the documented answer. Each
  malformed pattern passes when TestEventPattern and PutRule both refuse it with InvalidEventPatternException.
  (tests/integration/test_event_patterns.py also delivers every vector through a rule.)
- ASL (asl_cases.py): each case's state machine created and started, run to its end on the runtime's clock, its
  status and output (or error and cause) compared with the documented ones.
"""

from __future__ import annotations

import json
import logging
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from orchestrator.assembly import CloudAssembly
from orchestrator.local.cloud import LocalCloud
from orchestrator.local.conformance.asl_cases import CASES, AslCase
from orchestrator.local.conformance.pattern_vectors import INVALID, VECTORS, Vector
from orchestrator.local.patterns import compile_pattern

_ROLE = "arn:aws:iam::123456789012:role/conformance"
_INVALID_PATTERN = "InvalidEventPatternException"


@dataclass
class Category:
    name: str
    passed: int = 0
    failures: list[str] = field(default_factory=list)  # "<case>: <what differed>"
    known: list[str] = field(default_factory=list)  # "<case>: <why>": differs, and says why (asl_cases.py)

    @property
    def total(self) -> int:
        return self.passed + len(self.failures) + len(self.known)


@dataclass
class Report:
    categories: dict[str, Category] = field(default_factory=dict)

    def record(self, category: str, case: str, difference: str | None, known: str = "") -> None:
        """Counts one case: passed, failed, or a known difference (one that passes is a failure: its mark is stale)."""
        counted = self.categories.setdefault(category, Category(category))
        if known and difference is not None:
            counted.known.append(f"{case}: {known}")
        elif known:
            counted.failures.append(f"{case}: passes, but is marked as a known difference ({known})")
        elif difference is None:
            counted.passed += 1
        else:
            counted.failures.append(f"{case}: {difference}")

    @property
    def failed(self) -> int:
        return sum(len(c.failures) for c in self.categories.values())

    def lines(self) -> list[str]:
        width = max(len(name) for name in self.categories)
        rows = [f"{'category':<{width}}  passed / cases"]
        for category in self.categories.values():
            rows.append(f"{category.name:<{width}}  {category.passed:>6} / {category.total}")
            rows += [f"  FAILED {failure}" for failure in category.failures]
            rows += [f"  known difference: {known}" for known in category.known]
        passed = sum(c.passed for c in self.categories.values())
        total = sum(c.total for c in self.categories.values())
        rows.append(f"{'all':<{width}}  {passed:>6} / {total}")
        return rows

    def as_json(self) -> dict[str, Any]:
        return {
            c.name: {"passed": c.passed, "cases": c.total, "failures": c.failures, "known_differences": c.known}
            for c in self.categories.values()
        }


@contextmanager
def empty_local_cloud() -> Iterator[LocalCloud]:
    """The local runtime with no app deployed in it (an assembly of no stack). moto's interpreter logs every failed
    state as an error; the failures the cases expect are not news, so its log is kept to critical meanwhile."""
    interpreter_log = logging.getLogger("moto.stepfunctions")
    level = interpreter_log.level
    interpreter_log.setLevel(logging.CRITICAL)
    try:
        with tempfile.TemporaryDirectory(prefix="conformance-") as directory:
            (Path(directory) / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {}}))
            with LocalCloud(CloudAssembly(Path(directory)), iam=False) as cloud:
                yield cloud
    finally:
        interpreter_log.setLevel(level)


def run(
    cloud: LocalCloud,
    *,
    vectors: list[Vector] = VECTORS,
    invalid: list[tuple[str, str, str]] = INVALID,
    cases: list[AslCase] = CASES,
) -> Report:
    """Every case through `cloud`; the report counts them per category."""
    report = Report()
    events = cloud.client("events")
    for vector in vectors:
        report.record(f"event patterns ({vector.source})", vector.name, _pattern_difference(events, vector))
    for source, pattern, reason in invalid:
        report.record("event patterns: malformed", reason, _refusal_difference(events, source, pattern))
    for case in cases:
        difference = _asl_difference(cloud, case)
        report.record(f"asl: {case.category}", case.name, difference, case.known_difference)
    return report


def _pattern_difference(events: Any, vector: Vector) -> str | None:
    engine = compile_pattern(vector.pattern).matches(vector.event)
    tested = events.test_event_pattern(EventPattern=json.dumps(vector.pattern), Event=json.dumps(vector.event))
    if (engine, tested["Result"]) == (vector.expected, vector.expected):
        return None
    return f"expected {vector.expected}, engine {engine}, TestEventPattern {tested['Result']}"


def _refusal_difference(events: Any, source: str, pattern: str) -> str | None:
    """None when both TestEventPattern and PutRule refuse the pattern as EventBridge does."""
    event = json.dumps(VECTORS[0].event)
    calls: dict[str, Callable[[], Any]] = {
        "TestEventPattern": lambda: events.test_event_pattern(EventPattern=pattern, Event=event),
        "PutRule": lambda: events.put_rule(Name="conformance-malformed", EventPattern=pattern),
    }
    for name, call in calls.items():
        try:
            call()
        except ClientError as error:
            if error.response["Error"]["Code"] == _INVALID_PATTERN:
                continue
            return f"{name} answered {error.response['Error']['Code']} ({source})"
        if name == "PutRule":
            events.delete_rule(Name="conformance-malformed")  # the bus must not keep a rule AWS would refuse
        return f"{name} accepted {pattern!r} ({source})"
    return None


def run_to_end(cloud: LocalCloud, definition: Any, execution_input: Any, *, runs: int = 1) -> list[dict[str, Any]]:
    """Creates a state machine of `definition` (a CreateStateMachine refusal is the caller's ClientError), starts it
    `runs` times with `execution_input`, runs the executions to their end on the runtime's clock, and answers their
    DescribeExecution."""
    sfn = cloud.client("stepfunctions")
    name = f"conformance-{uuid.uuid4().hex[:12]}"  # a cloud can run many: names stay unique
    machine = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=_ROLE)
    started = [
        sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps(execution_input))
        for _ in range(runs)
    ]
    cloud.wait_until_quiet(advance_clock=True)
    return [sfn.describe_execution(executionArn=s["executionArn"]) for s in started]


def _asl_difference(cloud: LocalCloud, case: AslCase) -> str | None:
    try:
        (ended,) = run_to_end(cloud, case.definition, case.input)
    except ClientError as error:
        return f"CreateStateMachine refused it: {error.response['Error']['Code']}: {error.response['Error']['Message']}"
    if ended["status"] != case.status:
        return f"{ended['status']} ({ended.get('error', '')}: {ended.get('cause', '')}), expected {case.status}"
    if case.status == "SUCCEEDED":
        if "output" not in ended:
            return "no output"
        try:
            output = json.loads(ended["output"])
        except ValueError:
            return f"output {ended['output']!r} is not JSON"
        return None if output == case.output else f"output {output!r}, expected {case.output!r}"
    failed_with, cause = ended.get("error"), ended.get("cause", "")
    if failed_with != case.error or not cause.startswith(case.cause_starts):
        return f"error {failed_with!r} cause {cause!r}, expected {case.error!r} {case.cause_starts!r}..."
    return None
