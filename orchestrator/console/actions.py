"""What an operator may do from the console, each one control-plane operation as the CLI runs it: start, pause,
resume, terminate, redrive, decide an approval, answer an agent task, reset or force open a breaker, replay a
window of the archive.

Who acts is the identity of the console's credentials (`caller_arn`, STS GetCallerIdentity), as for `orch`: never
a form field. A destructive action (one that stops, restarts or throws away work, or puts events again) is asked
about first: its form comes back as a confirmation page, and only the confirmed post runs it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from functions.json_body import BodyError, read_json
from orchestrator.console.html import Html, alert, form, hidden, join, link, pairs, tag, url
from orchestrator.console.pages import parse_moment
from orchestrator.control.errors import InvalidInput

Form = Mapping[str, str]
# What an action did, said in one line, and the page to show next.
Done = tuple[str, str]


@dataclass(frozen=True)
class Action:
    run: Callable[[Any, Form], Done]
    # The question asked before a destructive action (given the form), or None when it runs at once.
    confirm: Callable[[Form], str | None] = lambda _: None


def _need(data: Form, name: str) -> str:
    value = data.get(name, "").strip()
    if not value:
        raise InvalidInput(f"no {name.replace('_', ' ')} given", "fill it in", field=name)
    return value


def _json(data: Form, name: str) -> Any:
    try:
        return read_json(data.get(name, "") or "{}")
    except BodyError as error:
        where = f"{name}.{error.problem.field}" if error.problem.field else name
        raise InvalidInput(f"{name} is {error.problem.reason}", "give JSON", field=where) from None


def _execution_page(arn: str) -> str:
    return url("/execution", arn=arn)


def start(plane: Any, data: Form) -> Done:
    execution_input = _json(data, "input")
    if not isinstance(execution_input, dict):
        raise InvalidInput("the input is not a JSON object", "give {...}", field="input")
    arn = plane.start(_need(data, "workflow"), execution_input, name=data.get("name") or None)
    return f"started {arn}", _execution_page(arn)


def pause(plane: Any, data: Form) -> Done:
    arn = _need(data, "arn")
    change = plane.pause(arn, paused_by=plane.caller_arn(), reason=data.get("reason", ""))
    said = "paused: it holds at its next pause point" if change.changed else "already paused"
    return said, _execution_page(arn)


def resume(plane: Any, data: Form) -> Done:
    arn = _need(data, "arn")
    change = plane.resume(arn, resumed_by=plane.caller_arn())
    return ("resumed" if change.changed else "already resumed (ExecutionResumed sent again)"), _execution_page(arn)


def terminate(plane: Any, data: Form) -> Done:
    execution = plane.terminate(_need(data, "arn"), _need(data, "reason"))
    return f"terminated: {execution.status}", _execution_page(execution.arn)


def redrive(plane: Any, data: Form) -> Done:
    execution = plane.redrive(_need(data, "arn"))
    return f"redriven: {execution.status}", _execution_page(execution.arn)


def approval(plane: Any, data: Form) -> Done:
    approved = _need(data, "decision") == "approve"
    key = _need(data, "approval_id")
    result = plane.signal_approval(
        key, approved=approved, decided_by=plane.caller_arn(), comment=data.get("comment", "")
    )
    waited = f"; resumes {len(result.waited_by)} execution(s)" if result.waited_by else f"; {result.note}"
    return f"{'approved' if approved else 'rejected'} {key}{waited}", data.get("back") or "/"


def task(plane: Any, data: Form) -> Done:
    task_id, arn = _need(data, "task_id"), data.get("arn") or None
    if data.get("outcome") == "fail":
        put = plane.signal_task(task_id, error=_need(data, "error"), cause=data.get("cause", ""), execution_arn=arn)
    else:
        put = plane.signal_task(task_id, result=_json(data, "result"), execution_arn=arn)
    return f"{put.detail_type} put for task {task_id}", data.get("back") or "/"


def breaker_reset(plane: Any, data: Form) -> Done:
    change = plane.reset_breaker(_need(data, "breaker_id"))
    return f"breaker {change.breaker_id}: {change.before.state} -> {change.after.state}", "/breakers"


def breaker_force_open(plane: Any, data: Form) -> Done:
    change = plane.force_open_breaker(_need(data, "breaker_id"))
    return f"breaker {change.breaker_id}: {change.before.state} -> {change.after.state}", "/breakers"


def replay(plane: Any, data: Form) -> Done:
    since = parse_moment(_need(data, "since"), "since")
    until = parse_moment(data.get("until", ""), "until") or datetime.datetime.now(datetime.UTC)
    assert since is not None  # _need refused an empty one
    started = plane.replay(since, until, wait=False)
    return f"replay {started.name} of {started.archive}: {started.state}", "/"


ACTIONS: Final[dict[str, Action]] = {
    "start": Action(start),
    "pause": Action(pause),
    "resume": Action(resume),
    "terminate": Action(terminate, lambda data: "Terminate this execution? It stops where it is."),
    "redrive": Action(redrive, lambda data: "Redrive this execution from where it stopped?"),
    "approval": Action(
        approval,
        lambda data: f"Reject approval {data.get('approval_id', '')}?" if data.get("decision") != "approve" else None,
    ),
    "task": Action(
        task, lambda data: f"Fail agent task {data.get('task_id', '')}?" if data.get("outcome") == "fail" else None
    ),
    "breaker-reset": Action(
        breaker_reset, lambda data: f"Reset breaker {data.get('breaker_id', '')}? Calls go to the agent again."
    ),
    "breaker-force-open": Action(
        breaker_force_open,
        lambda data: f"Force breaker {data.get('breaker_id', '')} open? Callers take their fallback.",
    ),
    "replay": Action(replay, lambda data: "Replay this window of the archive? Its events are put on the bus again."),
}


def confirmation(name: str, question: str, data: Form) -> Html:
    """The page that asks before a destructive action: what it will do to what, Confirm (the same post, confirmed)
    or go back without doing anything."""
    shown = [(key, value) for key, value in data.items() if key not in ("back", "confirmed") and value]
    back = data.get("back") or "/"
    confirm = form(f"/actions/{name}", hidden({**data, "confirmed": "yes"}), "Confirm", class_="confirm")
    return join(
        [
            alert(question, error=False),
            pairs("What it acts on", shown),
            confirm,
            tag("p", link(back, "Cancel and go back")),
        ]
    )
