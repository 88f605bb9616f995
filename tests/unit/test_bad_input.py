"""The pure parts of issue 17's "identity from the request" and "bad input": the one JSON body reader, the breakers
the app defines, the approvals a history waits for, and the CLI's argument types."""

from __future__ import annotations

import argparse
import base64
import json

import pytest

from asl.dag import load
from asl.dag.deploy import defined_breakers, spec_files
from functions.json_body import BodyError, body_text, read_json
from orchestrator.cli.base import app_breakers, endpoint_url, port, region
from orchestrator.control.tasks import WaitingMessage, waiting_messages


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        ('{"a": ' + "9" * 4_301 + "}", "a", "an integer of 4301 digits; at most 4300"),
        ('{"a": [1, NaN]}', "a[1]", "not a finite number (nan)"),
        ('{"a": {"b": Infinity}}', "a.b", "not a finite number (inf)"),
        ('{"a": -Infinity}', "a", "not a finite number (-inf)"),
        ('{"a": 1e999}', "a", "not a finite number (inf)"),
        # Past the parser's recursion limit, or (where the limit is higher, as under some test runners) past 64 levels.
        ("[" * 5_000 + "]" * 5_000, None, "nests"),
        ("[" * 65 + "]" * 65, "[0]" * 64, "nests deeper than 64 levels"),
        ("[" * 5_000, "", "not valid JSON"),
        ('{"a": "\\ud800"}', "a", "not valid Unicode"),
    ],
)
def test_a_body_no_call_can_carry_is_refused_naming_where(text: str, field: str | None, reason: str) -> None:
    with pytest.raises(BodyError) as refused:
        read_json(text)
    assert field is None or refused.value.problem.field == field
    assert reason in refused.value.problem.reason


def test_numbers_json_can_carry_are_read() -> None:
    assert read_json('{"a": [' + "9" * 4_300 + ", -1.5e300, 0]}") == {"a": [int("9" * 4_300), -1.5e300, 0]}


def test_a_base64_body_that_is_not_utf8_is_refused() -> None:
    assert body_text(base64.b64encode(b'{"a": 1}').decode(), True) == '{"a": 1}'
    for body in (base64.b64encode(b"\xff\xfe").decode(), "not base64!"):
        with pytest.raises(BodyError, match="not UTF-8"):
            body_text(body, True)


def test_the_breakers_the_app_defines_are_one_per_specialist_and_each_dag_breaker() -> None:
    assert app_breakers() == defined_breakers(("billing", "technical", "account", "general"), map(load, spec_files()))
    assert app_breakers() == [
        "agent:account",
        "agent:billing",
        "agent:general",
        "agent:onboarding-workspace",
        "agent:technical",
    ]


def _registered(event_id: int, key: str, previous: int = 0) -> dict[str, object]:
    payload = {"message_name": "ApprovalDecided", "correlation_key": key, "task_token": "t"}
    parameters = json.dumps({"FunctionName": "register", "Payload": payload})
    details = {"resource": "invoke.waitForTaskToken", "resourceType": "lambda", "parameters": parameters}
    return {"id": event_id, "previousEventId": previous, "type": "TaskScheduled", "taskScheduledEventDetails": details}


def test_an_approval_is_waited_for_until_its_task_ends() -> None:
    waiting = [_registered(3, "t-1"), {"id": 4, "previousEventId": 3, "type": "TaskStarted"}]
    assert waiting_messages(waiting) == [WaitingMessage("ApprovalDecided", "t-1")]
    ended = [*waiting, {"id": 5, "previousEventId": 4, "type": "TaskSucceeded"}]
    assert waiting_messages(ended) == []


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (endpoint_url, "not a url"),
        (endpoint_url, "ftp://x"),
        (endpoint_url, "http://[::1"),
        (region, "bad region!"),
        (region, ""),
        (port, "70000"),
        (port, "9" * 5_000),
    ],
)
def test_a_bad_option_value_is_an_argparse_error(kind: object, text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        kind(text)  # type: ignore[operator]


def test_good_option_values_pass() -> None:
    assert endpoint_url("http://127.0.0.1:4566") == "http://127.0.0.1:4566"
    assert region("eu-west-1") == "eu-west-1"
    assert port("4566") == 4566
