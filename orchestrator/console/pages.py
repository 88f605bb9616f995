"""The fleet's pages: the workflows with their counts, the executions (filtered, live), a business process from the
event store, the breakers, and the quarantine and dead-letter queues. One execution's page is execution.py's.

Each page is one or two control-plane operations rendered: what the CLI prints as a table, the console shows as
one, from the same results."""

from __future__ import annotations

import datetime
from typing import Any

from orchestrator.console.html import (
    Html,
    code,
    field,
    form,
    join,
    link,
    moment,
    pairs,
    status,
    table,
    tag,
    url,
)
from orchestrator.console.view import Page, View, action_form, window_field
from orchestrator.control import ControlError, NotFound
from orchestrator.control.errors import InvalidInput, shown
from orchestrator.control.executions import STATUSES
from orchestrator.control.render import duration, epoch, took


def workflows(view: View) -> Page:
    """Each workflow with its executions' counts by status over the window; starting one, replaying a window."""
    since = view.since()
    counts = view.plane.count_executions(since=since)
    rows = []
    for entry in counts:
        listed = url("/executions", workflow=entry.workflow, since=view.get("since"))
        cells: list[Any] = [link(listed, entry.workflow)]
        for word in STATUSES:
            number = entry.counts.get(word, 0)
            cells.append(
                link(url("/executions", workflow=entry.workflow, status=word, since=view.get("since")), number)
                if number
                else 0
            )
        cells.append(f"more than {sum(entry.counts.values())}" if entry.truncated else sum(entry.counts.values()))
        rows.append(cells)
    window = form("/", window_field(view), "Show", method="get", class_="filters")
    listing = table(
        "Executions started in the window, by status", ["Workflow", *STATUSES, "Total"], rows, empty="No workflows."
    )
    names = [(entry.workflow, entry.workflow) for entry in counts]
    start = action_form(
        view,
        "start",
        {},
        join(
            [
                field("Workflow", "workflow", kind="select", options=names),
                field("Input (JSON)", "input", value="{}", kind="textarea"),
                field("Execution name (optional)", "name"),
            ]
        ),
        "Start",
    )
    replay = action_form(
        view,
        "replay",
        {},
        join(
            [
                field("From (UTC)", "since", kind="datetime-local", required=True),
                field("Until (UTC, default now)", "until", kind="datetime-local"),
            ]
        ),
        "Replay the window",
    )
    acting = (
        join([tag("h2", "Start an execution"), start, tag("h2", "Replay the bus archive"), replay])
        if not view.read_only
        else ""
    )
    return Page("Workflows", join([window, listing, acting]))


def executions(view: View) -> Page:
    """The executions matching the filters, newest first; the table updates itself."""
    names = [("", "all workflows"), *[(name, name) for name in sorted(view.plane.workflows())]]
    statuses = [("", "any status"), *[(word, word) for word in STATUSES]]
    filters = form(
        "/executions",
        join(
            [
                field("Workflow", "workflow", value=view.get("workflow"), kind="select", options=names),
                field("Status", "status", value=view.get("status"), kind="select", options=statuses),
                field("Correlation id", "correlation_id", value=view.get("correlation_id")),
                window_field(view),
            ]
        ),
        "Filter",
        method="get",
        class_="filters",
    )
    return Page("Executions", join([filters, live(view, executions_table(view))]))


def executions_fragment(view: View) -> tuple[Html, bool]:
    return executions_table(view), False


def executions_table(view: View) -> Html:
    listed = view.plane.list_executions(
        workflow=view.get("workflow") or None,
        status=view.get("status") or None,
        correlation_id=view.get("correlation_id") or None,
        since=view.since(),
        limit=50,
    )
    rows = [
        (
            link(url("/execution", arn=e.arn), e.name),
            e.workflow,
            status(e.status),
            moment(e.started),
            duration(took(e.started, e.stopped)),
            link(url("/process", correlation_id=e.correlation_id), e.correlation_id) if e.correlation_id else "-",
        )
        for e in listed.executions
    ]
    found = table(
        "Executions, newest first",
        ["Execution", "Workflow", "Status", "Started", "Took", "Correlation id"],
        rows,
        empty="No execution matches.",
    )
    more = tag("p", "More than 50 match: narrow the filters.") if listed.truncated else ""
    return join([found, more])


def live(view: View, content: Html, *, final: bool = False) -> Html:
    """A region the page's script fetches again every few seconds (its own address with `fragment=1`, answered with
    the region's content only) and replaces in place; `final` marks content that will not change any more (an
    execution that ended): there is nothing to poll. A fragment's answer says it is final in its `X-Final` header."""
    source = url(view.path, **{**view.query, "fragment": "1"})
    return tag(
        "div",
        content,
        data_live=source,
        data_every=str(view.poll_seconds),
        data_final="1" if final else None,
        aria_live="polite",
        class_="live",
    )


def process(view: View) -> Page:
    """A business process rebuilt from the event store as of a chosen time: its state, then its events, each under
    the event that caused it."""
    correlation_id, as_of_text = view.get("correlation_id"), view.get("as_of")
    ask = form(
        "/process",
        join(
            [
                field("Correlation id", "correlation_id", value=correlation_id, required=True),
                field("As of (UTC, default now)", "as_of", value=as_of_text, kind="datetime-local"),
            ]
        ),
        "Show",
        method="get",
        class_="filters",
    )
    if not correlation_id:
        return Page("Business processes", ask)
    as_of = parse_moment(as_of_text, "as_of")
    try:
        found = view.plane.process_history(correlation_id, as_of)
    except NotFound as error:
        return Page("Business processes", join([ask, tag("p", shown(error), class_="empty")]))
    return Page(f"Business process {correlation_id}", join([ask, process_body(found)]))


def process_body(found: Any) -> Html:
    """The process's state and its causal chain (what `orch history --correlation-id` prints)."""
    state = found.state
    rows: list[tuple[str, Any]] = [
        ("Process", f"{found.correlation_id} ({state.kind})"),
        ("As of", moment(found.as_of) if found.as_of else "now"),
        ("Status", state.status),
    ]
    rows += [(name, value) for name, value in state.facts.items()]
    rows += [(f"agent {agent}", outcome) for agent, outcome in state.agents.items()]
    rows += [(f"execution {label}", status(word)) for label, word in state.executions.items()]
    chain = [
        (
            entry.event.time.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
            tag(
                "span",
                ("└ " if entry.depth else "")
                + ("execution status" if entry.event.kind == "execution" else entry.event.type),
                class_=f"depth-{min(entry.depth, 8)}",  # a class, not a style attribute: the page's CSP allows none
            ),
            entry.event.summary or "-",
            entry.event.source,
            entry.event.event_id + (" (cause not stored)" if entry.cause_missing else ""),
        )
        for entry in found.chain
    ]
    return join(
        [
            pairs("State", rows),
            tag("h2", "Events, each under its cause"),
            table(
                "Events in time order, indented under their cause", ["At (UTC)", "Event", "What", "Source", "Id"], chain
            ),
        ]
    )


def breakers(view: View) -> Page:
    """Every breaker the workflows define: its state, failures and last change; reset or force it open."""
    stored = {state.breaker_id: state for state in view.plane.list_breakers()}
    rows = []
    for breaker_id in sorted(set(stored) | set(view.plane.breakers)):
        state = stored.get(breaker_id)
        acting = join(
            [
                action_form(view, "breaker-reset", {"breaker_id": breaker_id}, "", f"Reset {breaker_id}"),
                action_form(view, "breaker-force-open", {"breaker_id": breaker_id}, "", f"Force {breaker_id} open"),
            ]
        )
        if state is None:  # no item yet: CLOSED with no failures (functions/breaker)
            rows.append((breaker_id, status("CLOSED"), 0, "-", "never", acting))
            continue
        rows.append(
            (
                breaker_id,
                status(state.state),
                len(state.failures),
                moment(epoch(state.opened_at)),
                moment(epoch(state.updated_at)),
                acting,
            )
        )
    headers = ["Breaker", "State", "Failures", "Opened", "Last change", "Actions" if not view.read_only else ""]
    return Page("Circuit breakers", table("Breakers by id", headers, rows, empty="No breakers defined."))


def queues(view: View) -> Page:
    """The quarantine and each dead-letter queue: how many messages, why, and a sample read without consuming."""
    sections = []
    for queue in view.plane.set_aside(sample=5):
        title = "Quarantine (invalid events)" if queue.kind == "quarantine" else "Dead-letter queue"
        sample = [
            (
                message.reason or "-",
                message.detail_type or "-",
                link(url("/process", correlation_id=message.correlation_id), message.correlation_id)
                if message.correlation_id
                else "-",
                tag("details", join([tag("summary", "Body"), code(message.body)])),
            )
            for message in queue.sample
        ]
        sections.append(
            tag(
                "section",
                join(
                    [
                        tag("h2", f"{title}: {queue.name}"),
                        tag("p", f"{queue.depth} message{'s' if queue.depth != 1 else ''}."),
                        table(
                            f"A sample of {queue.name}",
                            ["Reason", "Event", "Correlation id", "Body"],
                            sample,
                            empty="Empty.",
                        ),
                    ]
                ),
                aria_label=f"{title}: {queue.name}",
            )
        )
    body = join(sections) if sections else tag("p", "No quarantine or dead-letter queue found.", class_="empty")
    return Page("Quarantine and dead letters", body)


def parse_moment(text: str, name: str) -> datetime.datetime | None:
    """A time as a datetime-local field sends it (`2026-12-07T06:53`), read as UTC; None when empty."""
    if not text:
        return None
    try:
        moment_ = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a time", "give it as YYYY-MM-DDTHH:MM (UTC)", field=name) from None
    return moment_ if moment_.tzinfo else moment_.replace(tzinfo=datetime.UTC)


def error_body(error: ControlError) -> Html:
    return tag("div", shown(error), role="alert", class_="alert error")
