"""The events' commands: `orch history --correlation-id ID [--as-of TIME]` (a business process rebuilt from its
events as of an instant: its state, then its events as a causal chain), `orch replay` (the bus archive's window put
on the bus again) and `orch replay-test` (a recorded process re-run on the local runtime against the current
definitions and handlers, divergences reported state by state).

The operations are `ControlPlane.process_history` (orchestrator/control/event_store.py), `ControlPlane.replay` and
`orchestrator.replay`; this module adds the options and prints the results.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path
from typing import Any

from orchestrator.assembly import PROJECT_ROOT, changed_since_synth
from orchestrator.cli.base import Registry, Result, UsageError, assembly, parse_time, render_json
from orchestrator.control import ControlError, InvalidInput
from orchestrator.control.render import pairs, table
from orchestrator.local.handler_output import handler_logs_to
from orchestrator.replay.recording import Recording, record
from orchestrator.replay.runner import replay as replay_recording


def add_history_options(history: argparse.ArgumentParser) -> None:
    """The correlation form's options on `orch history` (whose EXECUTION_ARN then becomes optional)."""
    history.add_argument("--correlation-id", help="a business process (its key) instead of an execution")
    history.add_argument("--as-of", metavar="TIME", help="with --correlation-id: as known then (ISO 8601 or an age)")


def process_history(plane: Any, args: argparse.Namespace) -> tuple[Any, str]:
    """Runs the correlation form of `orch history`; returns what JSON shows and the text."""
    if args.execution:
        raise InvalidInput("give an EXECUTION_ARN or --correlation-id, not both", field="execution")
    try:
        as_of = parse_time(args.as_of, "--as-of")
    except UsageError as error:  # re-raised as the library's kind, which `orch` run as `python -m` also knows
        raise InvalidInput(str(error), field="as-of") from None
    found = plane.process_history(args.correlation_id, as_of)
    return found, render(found)


def render(found: Any) -> str:
    """The state as pairs, then the chain: time, the event indented under its cause, what it names, its id."""
    state = found.state
    rows: list[tuple[str, Any]] = [
        ("process", f"{found.correlation_id} ({state.kind})"),
        ("as of", found.as_of or "now"),
        ("status", state.status),
    ]
    rows += [(f"  {name}", value) for name, value in state.facts.items()]
    rows += [("agent", f"{agent}: {outcome}") for agent, outcome in state.agents.items()]
    rows += [("execution", f"{label}: {status}") for label, status in state.executions.items()]
    chain = [
        (
            link.event.time.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
            "  " * link.depth + ("└ " if link.depth else "") + link.event.label,
            link.event.summary or "-",
            link.event.event_id + (" (cause not stored)" if link.cause_missing else ""),
        )
        for link in found.chain
    ]
    return pairs(rows) + "\n\n" + table(["AT (UTC)", "EVENT (under its cause)", "WHAT", "EVENT ID"], chain)


def register(registry: Registry) -> None:
    text = "replay the events the stage's bus archived in a time window (EventBridge replay)"
    archived = registry.command("replay", text, replay)
    archived.add_argument("--since", required=True, help="from: ISO 8601 time, or an age like 30m, 2h, 7d")
    archived.add_argument("--until", help="until: ISO 8601 time, or an age (default now)")
    archived.add_argument("--no-wait", action="store_true", help="return once started instead of following it")

    text = "re-run a recorded business process on the local runtime and report divergences"
    tested = registry.command("replay-test", text, replay_test)
    source = tested.add_mutually_exclusive_group(required=True)
    source.add_argument("recording", metavar="RECORDING", nargs="?", type=Path, help="a recording (JSON file)")
    source.add_argument("--from-store", metavar="CORRELATION_ID", help="record it from the stage's event store first")
    tested.add_argument("--save", metavar="FILE", type=Path, help="with --from-store: also write the recording")
    tested.add_argument(
        "--assembly", type=assembly, default=Path("cdk.out"), help="what to replay on (default cdk.out)"
    )


def replay_test(plane: Any, args: argparse.Namespace) -> tuple[Any, str]:
    """Runs `orch replay-test`: the report when the replay matches the recording; on a divergence the report is
    printed and the command fails (exit 1), so a pipeline can stop before shifting an alias."""
    if args.from_store:
        recording = record(plane, args.from_store)
        if args.save:
            args.save.write_text(recording.to_json(), encoding="utf-8")
    else:
        try:
            recording = Recording.load(args.recording)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise InvalidInput(f"{args.recording}: not a readable recording ({error})", field="recording") from None
    if not (args.assembly / "manifest.json").exists():
        raise InvalidInput(f"{args.assembly} is not a cloud assembly", "run `make synth`", field="assembly")
    changed = changed_since_synth(args.assembly)
    if changed:  # replayed on the app as it was, a clean report would say nothing of the app as it is
        raise InvalidInput(
            f"{args.assembly} is older than the app: {changed[0].relative_to(PROJECT_ROOT)} changed since it was "
            "synthesized",
            "run `make synth`",
            field="assembly",
        )
    with handler_logs_to(sys.stderr):  # stdout is the report's alone (JSON with --output json)
        _, report = replay_recording(recording, args.assembly, plane.config.stage)
    text = render_report(report)
    if not report.clean:
        sys.stdout.write((render_json(report) if args.output == "json" else text) + "\n")
        first = next((e for e in report.executions if not e.same), None)
        where = (
            f"{first.workflow}, step {first.first_divergence.index}" if first and first.first_divergence else "events"
        )
        raise ControlError(f"the replay diverged from the recording ({where}); see the report above")
    return report, text


def replay(plane: Any, args: argparse.Namespace) -> Result:
    since = parse_time(args.since, "--since")
    until = parse_time(args.until, "--until") or datetime.datetime.now(datetime.UTC)
    if since is None:  # argparse requires it; mypy cannot know
        raise UsageError("--since is required")
    started = plane.replay(since, until, wait=not args.no_wait)
    rows = [
        ("replay", started.name),
        ("archive", started.archive),
        ("events from", started.events_from),
        ("events until", started.events_until),
        ("state", started.state),
    ]
    return started, pairs(rows)


def render_report(report: Any) -> str:
    """Each execution state by state (`=` same, `≠` diverged), then the events only one side emitted."""
    blocks = []
    for execution in report.executions:
        statuses = f"recorded {execution.recorded_status or '-'}, replayed {execution.replayed_status or '-'}"
        head = f"{execution.workflow}: {statuses}"
        rows = [
            (step.index, "=" if step.same else "≠", step.recorded or "-", step.replayed or "-")
            for step in execution.steps
        ]
        blocks.append(head + "\n" + table(["STEP", "", "RECORDED", "REPLAYED"], rows))
    events = [("missing", e["detail_type"], e["source"]) for e in report.missing_events]
    events += [("unexpected", e["detail_type"], e["source"]) for e in report.unexpected_events]
    if events:
        blocks.append(table(["EMITTED", "EVENT", "SOURCE"], events))
    verdict = "replay matches the recording" if report.clean else "replay DIVERGED from the recording"
    return "\n\n".join([*blocks, f"{report.correlation_id}: {verdict}"])
