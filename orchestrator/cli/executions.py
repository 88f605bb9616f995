"""`orch put-event | start | list | describe | history | signal | terminate | redrive`: events in, executions out."""

from __future__ import annotations

import argparse
import json
from typing import Any

from orchestrator.cli import events
from orchestrator.cli.base import (
    WORKFLOW_HELP,
    Registry,
    Result,
    UsageError,
    json_argument,
    parse_time,
    positive,
    retired_by,
    subcommand,
)
from orchestrator.control.render import duration, pairs, table, took


def register(registry: Registry) -> None:
    put = registry.command("put-event", "put a validated event (with its envelope) on the stage's bus", put_event)
    put.add_argument("detail_type", metavar="DETAIL_TYPE", help="the event type, e.g. TicketSubmitted")
    put.add_argument("--data", required=True, help="the event's data: JSON, or @FILE holding it")
    put.add_argument("--correlation-id", help="the business process it belongs to (default: a new one)")
    put.add_argument("--idempotency-key", help="consumers deduplicate on it (default: the event id)")
    put.add_argument("--source", help="checked against the event type's source")

    started = registry.command("start", "start an execution of a workflow, through its live alias", start)
    started.add_argument("workflow", metavar="WORKFLOW", help=WORKFLOW_HELP)
    started.add_argument("--input", default="{}", help="the execution input: JSON, or @FILE holding it")
    started.add_argument("--name", help="the execution's name (default: generated)")

    listing = registry.command("list", "executions, newest first", list_executions)
    listing.add_argument("--workflow", help="one workflow (default: all of the app's)")
    listing.add_argument("--status", type=str.upper, help="RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED")
    listing.add_argument("--correlation-id", help="the business key in the starting event's metadata")
    listing.add_argument("--since", help="started at or after: ISO 8601 time, or an age like 30m, 2h, 7d")
    listing.add_argument("--until", help="started at or before: ISO 8601 time, or an age")
    listing.add_argument("--limit", type=positive, default=50, help="at most this many (default 50)")

    described = registry.command("describe", "one execution: status, where it is now, input, output, error", describe)
    described.add_argument("execution", metavar="EXECUTION_ARN")

    text = "an execution's timeline, or a business process rebuilt from its events"
    timeline = registry.command("history", text, history)
    timeline.add_argument("execution", metavar="EXECUTION_ARN", nargs="?")
    timeline.add_argument("--io", action="store_true", help="also each state's input and output")
    events.add_history_options(timeline)

    signals = registry.command("signal", "release a waiting workflow by business key", signal)
    kinds = signals.add_subparsers(dest="signal", required=True, metavar="KIND")
    _signal_options(kinds)

    stopped = registry.command("terminate", "stop a running execution", terminate)
    stopped.add_argument("execution", metavar="EXECUTION_ARN")
    stopped.add_argument("--reason", required=True, help="recorded as the execution's cause")

    text = "restart a failed, timed-out or aborted execution from where it stopped"
    redriven = registry.command("redrive", text, redrive)
    redriven.add_argument("execution", metavar="EXECUTION_ARN")


def _signal_options(kinds: Any) -> None:
    approval = subcommand(kinds, "approval", "decide an approval (ApprovalDecided on the bus)")
    approval.add_argument("key", metavar="KEY", help="the approval id: the business key (a ticket's id)")
    decision = approval.add_mutually_exclusive_group(required=True)
    decision.add_argument("--approve", action="store_true")
    decision.add_argument("--reject", action="store_true")
    approval.add_argument("--by", type=retired_by, help=argparse.SUPPRESS)
    approval.add_argument("--comment", default="")
    text = "complete or fail an agent task a workflow waits for (AgentTaskCompleted / AgentTaskFailed)"
    task = subcommand(kinds, "task", text)
    task.add_argument("task_id", metavar="TASK_ID", help="the task id (`orch describe` lists the waiting ones)")
    outcome = task.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--complete", metavar="RESULT", help="the agent's result: JSON, or @FILE holding it")
    outcome.add_argument("--fail", metavar="ERROR", help="the error name the workflow's Catch sees")
    task.add_argument("--cause", default="", help="with --fail: the error's cause")
    task.add_argument("--execution", metavar="EXECUTION_ARN", help="where to look (default: every running one)")


def put_event(plane: Any, args: argparse.Namespace) -> Result:
    data = json_argument(args.data, "--data")
    result = plane.put_event(
        args.detail_type,
        data,
        source=args.source,
        correlation_id=args.correlation_id,
        idempotency_key=args.idempotency_key,
    )
    rows = [
        ("put", result.detail_type),
        ("bus", plane.config.bus_name),
        ("event id", result.event_id),
        ("correlation id", result.correlation_id),
    ]
    return result, pairs(rows)


def start(plane: Any, args: argparse.Namespace) -> Result:
    execution_input = json_argument(args.input, "--input")
    arn = plane.start(args.workflow, execution_input, name=args.name)
    return {"execution_arn": arn}, f"started {arn}"


def list_executions(plane: Any, args: argparse.Namespace) -> Result:
    listed = plane.list_executions(
        workflow=args.workflow,
        status=args.status,
        correlation_id=args.correlation_id,
        since=parse_time(args.since, "--since"),
        until=parse_time(args.until, "--until"),
        limit=args.limit,
    )
    rows = [
        (e.workflow, e.status, e.started, duration(took(e.started, e.stopped)), e.correlation_id or "-", e.arn)
        for e in listed.executions
    ]
    text = table(["WORKFLOW", "STATUS", "STARTED (UTC)", "TOOK", "CORRELATION", "EXECUTION ARN"], rows)
    if listed.truncated:
        text += f"\n(more than {args.limit}: narrow the filters or raise --limit)"
    return listed, text


def describe(plane: Any, args: argparse.Namespace) -> Result:
    detail = plane.describe(args.execution)
    e = detail.execution
    rows: list[tuple[str, Any]] = [
        ("execution", e.arn),
        ("workflow", e.workflow),
        ("status", e.status),
        ("started", e.started),
        ("stopped", e.stopped),
        ("took", duration(took(e.started, e.stopped))),
        ("correlation id", e.correlation_id or "-"),
    ]
    if detail.current_states:
        rows.append(("waiting in", detail.current_states))
    if detail.pause is not None:
        where = f"held before {detail.held_before}" if detail.held_before else "holds at its next pause point"
        rows.append(("paused", f"{where}; by {detail.pause.paused_by} at {detail.pause.paused_at:%Y-%m-%d %H:%M:%S}"))
        if detail.pause.reason:
            rows.append(("pause reason", detail.pause.reason))
    for task in detail.waiting_tasks:
        rows.append(("waiting task", f"{task.task_id} ({task.agent})"))
    for message in detail.waiting_messages:
        rows.append(("waiting for", f"{message.message_name} {message.correlation_key}"))
    if detail.error or detail.cause:
        rows += [("error", detail.error or "-"), ("cause", detail.cause or "-")]
    if detail.output is not None:
        rows.append(("output", json.dumps(detail.output, ensure_ascii=False)))
    return detail, pairs(rows)


def history(plane: Any, args: argparse.Namespace) -> Result:
    if args.correlation_id is not None:
        return events.process_history(plane, args)
    if not args.execution:
        raise UsageError("give an EXECUTION_ARN or --correlation-id")
    entries = plane.history(args.execution, with_io=args.io)
    rows = []
    for entry in entries:
        name = "  " * entry.depth + (f"{entry.iteration} · {entry.state}" if entry.iteration else entry.state)
        rows.append((f"+{duration(entry.offset_ms)}", name, entry.outcome, duration(entry.duration_ms)))
        if args.io:
            rows.append(("", "  " * entry.depth + f"  in:  {entry.input or '-'}", "", ""))
            rows.append(("", "  " * entry.depth + f"  out: {entry.output or '-'}", "", ""))
    return entries, table(["AT", "STATE", "OUTCOME", "TOOK"], rows)


def signal(plane: Any, args: argparse.Namespace) -> Result:
    if args.signal == "task":
        completed = args.complete is not None
        put = plane.signal_task(
            args.task_id,
            result=json_argument(args.complete, "--complete") if completed else None,
            error=None if completed else args.fail,
            cause=args.cause,
            execution_arn=args.execution,
        )
        rows = [("task", args.task_id), ("put", put.detail_type), ("event id", put.event_id)]
        return put, pairs(rows)
    by = plane.caller_arn()
    result = plane.signal_approval(args.key, approved=args.approve, decided_by=by, comment=args.comment)
    rows = [
        ("approval", args.key),
        ("decision", "approved" if args.approve else "rejected"),
        ("by", by),
        ("event id", result.event_id),
        ("waited for by", ", ".join(result.waited_by) if result.waited_by else result.note),
    ]
    return result, pairs(rows)


def terminate(plane: Any, args: argparse.Namespace) -> Result:
    execution = plane.terminate(args.execution, args.reason)
    return execution, pairs([("terminated", execution.arn), ("status", execution.status), ("reason", args.reason)])


def redrive(plane: Any, args: argparse.Namespace) -> Result:
    execution = plane.redrive(args.execution)
    return execution, pairs([("redriven", execution.arn), ("status", execution.status)])
