"""The console's pieces that need no cloud: the guards every request passes before any page or action reaches the
control plane (Host, Origin, read-only), the escaping of what the stage holds, the confirmation of destructive
actions; and the library's readings the pages show (a DAG's task outcomes, a set-aside message's reason)."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from asl.dag.picture import task_outcomes
from asl.graph import ABORTED, CAUGHT, FAILED, RUNNING, SUCCEEDED
from orchestrator.console import Console
from orchestrator.console.actions import ACTIONS, confirmation
from orchestrator.console.html import code, field, tag
from orchestrator.control.queues import read_message
from tests.dag.harness import spec


@pytest.fixture
def console() -> Iterator[Console]:
    # No control plane: every request checked here is answered before one would be used (a call on None fails).
    served = Console(None, port=0, allow_actions=False)
    served.start()
    yield served
    served.stop()


def request(console: Console, method: str, path: str, headers: dict[str, str], body: str = "") -> tuple[int, Any]:
    address = urlsplit(console.url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    connection.putrequest(method, path, skip_host=True)
    for name, value in {"Content-Length": str(len(body)), **headers}.items():
        connection.putheader(name, value)
    connection.endheaders(body.encode())
    answer = connection.getresponse()
    return answer.status, answer


def test_a_request_naming_another_host_is_refused(console: Console) -> None:
    # A DNS-rebound name pointing at 127.0.0.1 reaches the port, but names its own host.
    status, _ = request(console, "GET", "/", {"Host": "attacker.example:80"})

    assert status == 421


def test_a_form_posted_from_another_site_is_refused(console: Console) -> None:
    host = urlsplit(console.url).netloc
    headers = {"Host": host, "Content-Type": "application/x-www-form-urlencoded"}

    for origin in ({"Origin": "http://attacker.example"}, {}):  # a foreign page, or one that says nothing
        status, answer = request(console, "POST", "/actions/terminate", {**headers, **origin}, "arn=x&reason=y")
        assert (status, answer.read()) == (403, b"a form of another site")


def test_a_read_only_console_refuses_every_action(console: Console) -> None:
    host = urlsplit(console.url).netloc
    headers = {"Host": host, "Origin": console.url, "Content-Type": "application/x-www-form-urlencoded"}

    status, answer = request(console, "POST", "/actions/pause", headers, "arn=x")

    assert status == 403
    assert "the console is read-only; start it with --allow-actions to act" in answer.read().decode()


def test_static_files_are_served_with_the_policy_and_nothing_else_is(console: Console) -> None:
    host = {"Host": urlsplit(console.url).netloc}

    status, answer = request(console, "GET", "/static/console.js", host)
    assert status == 200 and answer.getheader("Content-Type") == "text/javascript; charset=utf-8"
    policy = answer.getheader("Content-Security-Policy")
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert b"data-live" in answer.read()
    for path in ("/static/../server.py", "/static/%2e%2e/server.py", "/static/missing.js"):
        status, _ = request(console, "GET", path, host)
        assert status == 404, path


def test_what_the_stage_holds_is_escaped() -> None:
    hostile = '</pre><script>alert("x")</script>'

    assert "<script>" not in code({"subject": hostile})
    assert tag("td", hostile) == "<td>&lt;/pre&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td>"
    labelled = field("Reason", "reason", value='" onfocus="alert(1)', key="pause")
    assert '<label for="f-pause-reason">Reason</label>' in labelled
    assert 'value="&quot; onfocus=&quot;alert(1)"' in labelled


def test_destructive_actions_ask_first_and_the_others_do_not() -> None:
    asked = {name for name, action in ACTIONS.items() if action.confirm({"decision": "approve", "outcome": "x"})}

    assert asked == {"terminate", "redrive", "breaker-reset", "breaker-force-open", "replay"}
    assert ACTIONS["approval"].confirm({"approval_id": "T-1", "decision": "reject"}) == "Reject approval T-1?"
    assert ACTIONS["task"].confirm({"task_id": "t-9", "outcome": "fail"}) == "Fail agent task t-9?"
    page = confirmation("terminate", "Terminate this execution?", {"arn": "arn:x", "reason": "r", "back": "/e"})
    assert '<input type="hidden" name="confirmed" value="yes">' in page
    assert '<a href="/e">Cancel and go back</a>' in page


def test_a_dag_blames_the_task_that_failed_not_a_sibling_stopped_with_it() -> None:
    dag = spec("blame", [{"name": "a"}, {"name": "c", "depends_on": ["a"]}, {"name": "d", "depends_on": ["a"]}])
    # As outcomes_of reads them from the history: c's dispatch was caught into its Fail state; d, still waiting,
    # was stopped when c's branch failed the Parallel.
    states = {"a": SUCCEEDED, "c": CAUGHT, "c: failed": FAILED, "d": ABORTED, "dPauseCheck": SUCCEEDED}

    assert task_outcomes(dag, states) == {"a": SUCCEEDED, "c": FAILED, "d": ABORTED}
    assert task_outcomes(dag, {"a": RUNNING}) == {"a": RUNNING}  # a task not reached has no outcome


def test_a_set_aside_message_says_why() -> None:
    event = {"detail-type": "OrderPlaced", "detail": {"metadata": {"correlation_id": "O-1"}, "data": {}}}
    quarantined = {"MessageId": "m-1", "Body": json.dumps({"reason": "data.total_cents: required", "event": event})}
    letter = {
        "MessageId": "m-2",
        "Body": json.dumps(event),
        "MessageAttributes": {"ERROR_CODE": {"StringValue": "Throttled"}, "ERROR_MESSAGE": {"StringValue": "slow"}},
    }

    read = read_message("quarantine", quarantined)
    assert (read.reason, read.detail_type, read.correlation_id) == ("data.total_cents: required", "OrderPlaced", "O-1")
    dead = read_message("dead-letter", letter)
    assert (dead.reason, dead.detail_type, dead.correlation_id) == ("Throttled slow", "OrderPlaced", "O-1")
    assert read_message("dead-letter", {"Body": "not json"}).reason == "redriven after its maximum receives"


def test_orch_console_on_a_port_taken_says_so_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    from orchestrator.cli import EXIT_USAGE, main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        code = main(["--local", "console", "--port", str(port)])

    assert code == EXIT_USAGE
    assert capsys.readouterr().err.startswith(f"orch: --port: cannot listen on 127.0.0.1:{port}: ")


def test_a_form_whose_length_is_not_a_size_is_refused_naming_content_length() -> None:
    acting = Console(None, port=0, allow_actions=True)  # the form is read, and refused, before any action runs
    acting.start()
    try:
        host = urlsplit(acting.url).netloc
        headers = {"Host": host, "Origin": acting.url, "Content-Type": "application/x-www-form-urlencoded"}
        for length, status, reason in (
            ("-1", 400, "Content-Length: &#x27;-1&#x27; is not a number of bytes"),
            ("abc", 400, "Content-Length: &#x27;abc&#x27; is not a number of bytes"),
            ("99999999", 413, "Content-Length: 99999999 bytes, over the"),
        ):
            answered, answer = request(acting, "POST", "/actions/pause", {**headers, "Content-Length": length})
            assert (answered, reason in answer.read().decode()) == (status, True), length
    finally:
        acting.stop()


def test_a_graphs_accessible_name_is_escaped() -> None:
    from orchestrator.console.execution import _labelled

    labelled = _labelled("<svg width='1'>", 'Graph of "x"><script>')

    assert labelled.startswith('<svg role="img" aria-label="Graph of &quot;x&quot;&gt;&lt;script&gt; (the table')
