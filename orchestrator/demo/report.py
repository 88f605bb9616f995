"""The demo's report: each sample's timelines and events, the summary table of what each sample expects against
what happened, and the local runtime's start-up notice; and the exit status they add up to."""

from __future__ import annotations

import datetime
import json
import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, TextIO

from orchestrator.demo.runs import DemoRun, ExecutionRun, Jump, SampleRun, Step
from orchestrator.local.provision import Notice

WIDTH: Final = 118  # of the demo's lines
_EVENT_HIGHLIGHTS: Final = ("agent", "resolution", "error")  # data fields worth a glance in the events list


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
        return packed("output:", [json.dumps(output)])
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
    return packed("output:", simple, " ·") + blocks


def packed(title: str, items: Sequence[str], separator: str = ",") -> list[str]:
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
    lines = ["", notice.iam] if notice.iam else [""]
    lines.append("Local runtime notice (resources of the assembly it does not run):")
    for title, counts in groups:
        if counts:
            lines += packed(f"{title}:", [f"{n} {kind.removeprefix('AWS::')}" for kind, n in counts.most_common()])
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
