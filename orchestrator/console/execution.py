"""One execution's page: its status, where it waits and for what (agent tasks, approvals by business key, a pause),
the actions that apply to it, its graph coloured by outcome (a DAG drawn as its tasks and their dependencies), its
timeline, its input and output, and the events of its business process. The whole page but the title is one live
region: it updates itself while the execution runs, and stops once it has ended."""

from __future__ import annotations

import functools
from typing import Any

from asl import graph
from asl.dag import DagSpec, load
from asl.dag.deploy import spec_files
from asl.dag.picture import dependency_chart, task_outcomes
from orchestrator.console.html import Html, code, escape, field, join, link, moment, pairs, status, table, tag, url
from orchestrator.console.pages import live, process_body
from orchestrator.console.view import Page, View, action_form
from orchestrator.control import NotFound
from orchestrator.control.errors import shown
from orchestrator.control.executions import REDRIVABLE
from orchestrator.control.render import duration, took
from schemas.agents import ApprovalDecided


def execution(view: View) -> Page:
    arn = view.get("arn")
    detail = view.plane.describe(arn)
    return Page(f"Execution {detail.execution.name}", live(view, body(view, detail), final=_ended(detail)))


def fragment(view: View) -> tuple[Html, bool]:
    """The live region's content, fetched again by the page's script, and whether it is final (the execution ended)."""
    detail = view.plane.describe(view.get("arn"))
    return body(view, detail), _ended(detail)


def _ended(detail: Any) -> bool:
    return bool(detail.execution.status != "RUNNING")


def body(view: View, detail: Any) -> Html:
    e = detail.execution
    summary = pairs(
        "Execution",
        [
            ("Workflow", link(url("/executions", workflow=e.workflow), e.workflow)),
            ("Status", status(e.status)),
            ("Started", moment(e.started)),
            ("Stopped", moment(e.stopped)),
            ("Took", duration(took(e.started, e.stopped))),
            (
                "Correlation id",
                link(url("/process", correlation_id=e.correlation_id), e.correlation_id) if e.correlation_id else "-",
            ),
            ("ARN", tag("code", e.arn)),
        ],
    )
    parts = [summary, actions(view, detail), waits(view, detail), picture(view, detail), timeline(view, detail)]
    parts += [tag("h2", "Input"), code(detail.input)]
    if detail.output is not None:
        parts += [tag("h2", "Output"), code(detail.output)]
    if detail.error or detail.cause:
        parts += [tag("h2", "Error"), pairs("Why it failed", [("Error", detail.error), ("Cause", detail.cause)])]
    parts.append(caused(view, e.correlation_id))
    return join(parts)


def actions(view: View, detail: Any) -> Html:
    """Pause, resume and terminate a running execution; redrive one that failed."""
    arn, state = detail.execution.arn, detail.execution.status
    forms: list[Html] = []
    if state == "RUNNING":
        if detail.pause is None:
            forms.append(action_form(view, "pause", {"arn": arn}, field("Reason", "reason", key="pause"), "Pause"))
        else:
            forms.append(action_form(view, "resume", {"arn": arn}, "", "Resume"))
        reason = field("Reason", "reason", required=True, key="terminate")
        forms.append(action_form(view, "terminate", {"arn": arn}, reason, "Terminate"))
    elif state in REDRIVABLE:
        forms.append(action_form(view, "redrive", {"arn": arn}, "", "Redrive"))
    shown_forms = [f for f in forms if f]
    return tag("section", join([tag("h2", "Actions"), *shown_forms]), class_="actions") if shown_forms else Html("")


def waits(view: View, detail: Any) -> Html:
    """What a running execution waits for: the states it is in, the agent tasks out (answerable), the messages
    (an approval by its business key, decidable), and its pause."""
    if detail.execution.status != "RUNNING":
        return Html("")
    rows: list[tuple[str, Any]] = [("In states", ", ".join(detail.current_states) or "-")]
    if detail.pause is not None:
        where = f"held before {detail.held_before}" if detail.held_before else "holds at its next pause point"
        reason = f" ({detail.pause.reason})" if detail.pause.reason else ""
        rows.append(("Paused", f"{where}; by {detail.pause.paused_by} at {moment(detail.pause.paused_at)}{reason}"))
    answers: list[Html] = []
    for task in detail.waiting_tasks:
        rows.append(("Agent task", f"{task.task_id} ({task.agent})"))
        answers.append(answer_task(view, detail.execution.arn, task))
    for message in detail.waiting_messages:
        rows.append(("Message", f"{message.message_name} keyed {message.correlation_key}"))
        if message.message_name == ApprovalDecided.DETAIL_TYPE:
            answers.append(decide_approval(view, message.correlation_key))
    return tag("section", join([tag("h2", "Where it waits"), pairs("Waiting for", rows), *answers]))


def answer_task(view: View, arn: str, task: Any) -> Html:
    key = f"task-{task.task_id}"
    complete = action_form(
        view,
        "task",
        {"task_id": task.task_id, "arn": arn, "outcome": "complete"},
        field(f"Result of {task.task_id} (JSON)", "result", value="{}", kind="textarea", rows=3, key=key),
        f"Complete {task.task_id}",
    )
    fail = action_form(
        view,
        "task",
        {"task_id": task.task_id, "arn": arn, "outcome": "fail"},
        join(
            [
                field("Error", "error", required=True, key=f"{key}-fail"),
                field("Cause", "cause", key=f"{key}-fail"),
            ]
        ),
        f"Fail {task.task_id}",
    )
    return tag("div", join([tag("h3", f"Answer agent task {task.task_id}"), complete, fail]), class_="answer")


def decide_approval(view: View, approval_id: str) -> Html:
    key = f"approval-{approval_id}"
    comment = field("Comment", "comment", key=key)
    approve = action_form(view, "approval", {"approval_id": approval_id, "decision": "approve"}, comment, "Approve")
    reject = action_form(view, "approval", {"approval_id": approval_id, "decision": "reject"}, "", "Reject")
    return tag("div", join([tag("h3", f"Approval {approval_id}"), approve, reject]), class_="answer")


def picture(view: View, detail: Any) -> Html:
    """The workflow drawn with each state (each task, for a DAG) coloured by what this execution did there, and
    the same as a table: the picture's text alternative."""
    e = detail.execution
    spec = dag_spec(e.workflow)
    states = view.get("view") == "states"
    switch: Html | str
    outcomes = view.plane.state_outcomes(e.arn)
    if spec is not None and not states:
        shown_outcomes = task_outcomes(spec, outcomes)
        drawing = graph.svg(dependency_chart(spec), shown_outcomes)
        names = [task.name for task in spec.tasks]
        caption, kind = f"{e.workflow}: its tasks and their dependencies", "Task"
        switch = link(url("/execution", arn=e.arn, view="states"), "Show the state machine it compiles to")
    else:
        shown_outcomes = outcomes
        drawing = view.plane.graph(e.workflow, e.arn, "svg")
        names = list(outcomes)
        caption, kind = f"{e.workflow}: its states", "State"
        switch = link(url("/execution", arn=e.arn), "Show the tasks and their dependencies") if spec else ""
    figure = tag(
        "figure",
        join([_labelled(drawing, caption), tag("figcaption", caption)]),
        class_="graph",
    )
    rows = [(name, status(shown_outcomes.get(name, "not reached"))) for name in names]
    return join(
        [
            tag("h2", "Graph"),
            tag("p", switch) if switch else "",
            figure,
            table(f"What each {kind.lower()} did", [kind, "Outcome"], rows, empty="Nothing ran yet."),
        ]
    )


def _labelled(svg: str, label: str) -> Html:
    """The SVG as an image with a name for screen readers (the table after it says the same in words)."""
    name = escape(f"{label} (the table below lists outcomes)")  # the label holds the stage's names: escaped
    return Html(svg.replace("<svg ", f'<svg role="img" aria-label="{name}" ', 1))


def timeline(view: View, detail: Any) -> Html:
    entries = view.plane.history(detail.execution.arn)
    rows = [
        (
            f"+{duration(entry.offset_ms)}",
            tag(
                "span",
                f"{entry.iteration} · {entry.state}" if entry.iteration else entry.state,
                class_=f"depth-{min(entry.depth, 8)}",
            ),
            entry.outcome,
            duration(entry.duration_ms),
        )
        for entry in entries
    ]
    return join(
        [tag("h2", "Timeline"), table("Each state visited, in order", ["At", "State", "Outcome", "Took"], rows)]
    )


def caused(view: View, correlation_id: str) -> Html:
    """The events of the execution's business process, from the event store (by its correlation id)."""
    if not correlation_id:
        return Html("")
    try:
        found = view.plane.process_history(correlation_id)
    except NotFound as error:
        return join([tag("h2", "Events of its business process"), tag("p", shown(error), class_="empty")])
    return join([tag("h2", f"Events of its business process ({correlation_id})"), process_body(found)])


@functools.cache
def _specs() -> dict[str, DagSpec]:
    return {spec.name: spec for spec in (load(path) for path in spec_files())}


def dag_spec(workflow: str) -> DagSpec | None:
    """The DAG spec (state_machines/*.dag.yaml) of that name, or None: the specs this checkout deploys."""
    return _specs().get(workflow)
