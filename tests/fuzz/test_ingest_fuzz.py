"""Fuzzing POST /events: the real ingestion handler, API Gateway proxy events in, moto's bus behind it.

Whatever the body, the answer is 202 with every event on the bus, or a 4xx that says what is wrong (naming the field
wherever there is one) with nothing on the bus: never an unhandled exception (which API Gateway turns into a 502
that tells the producer nothing) and never half a request published.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from functions.ingest import handler as ingest_handler
from tests.builders import LambdaContext, api_request, sample_data
from tests.fuzz import literals
from tests.fuzz import strategies as fuzz
from tests.fuzz.conftest import World, fresh

VALID_REQUEST: dict[str, list[dict[str, Any]]] = {
    "events": [
        {"detail-type": "OrderPlaced", "data": sample_data("OrderPlaced"), "correlation_id": "order-1001"},
        {"detail-type": "TicketSubmitted", "data": sample_data("TicketSubmitted"), "idempotency_key": "k-1"},
    ]
}
# Refusals with nothing to point at: the body as a whole is missing, unreadable or too big.
NO_FIELD = ("no body", "not valid JSON", "the limit is", "not UTF-8")
# With the classes below, this file's fuzzers try more than 5,000 bodies in the default profile (issue 17).
LITERAL_EXAMPLES = 3_000
HOSTILE_EXAMPLES = 2_000

bodies = st.one_of(
    st.text(max_size=50),
    st.builds(fuzz.body_text, fuzz.json_values()),
    st.builds(fuzz.body_text, fuzz.mutated(VALID_REQUEST)),
    st.builds(fuzz.body_text, fuzz.mutated(VALID_REQUEST, max_mutations=4)),
    st.builds(fuzz.body_text, fuzz.deep_nesting()),
    st.builds(lambda events: fuzz.body_text({"events": events}), st.lists(fuzz.json_values(4), max_size=8)),
)


@pytest.fixture(scope="module", autouse=True)
def handler_caches() -> Iterator[None]:
    yield from fresh(ingest_handler.settings, ingest_handler.publisher)


def post(body: str | None) -> tuple[int, dict[str, Any]]:
    response = ingest_handler.handler(api_request(body), LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def _with(event: int, **fields: Any) -> str:
    """The valid request with fields of one of its events replaced (`data` merged)."""
    request = copy.deepcopy(VALID_REQUEST)
    data = fields.pop("data", {})
    request["events"][event].update(fields)
    request["events"][event]["data"].update(data)
    return fuzz.body_text(request)


@given(body=bodies)
@example(body=fuzz.body_text(VALID_REQUEST))
# Found by this fuzzer (each was an unhandled exception, so API Gateway's 502):
# a body nested deeper than the JSON parser's recursion limit (RecursionError);
@example(body=fuzz.body_text(fuzz.nest(3_000, False)))
# a free-form field nested deeper than pydantic can serialize, found in the producer ("Maximum serialization depth");
@example(body=_with(1, data={"details": {"order_id": "o-1", "x": fuzz.nest(900, False)}}))
# a lone surrogate (`\ud800` in the JSON), which UTF-8 cannot encode when the event is sized (UnicodeEncodeError).
@example(body=_with(1, data={"summary": "x\udfffy"}))
@example(body=_with(0, idempotency_key="\ud800"))
def test_any_body_is_published_whole_or_refused_with_a_reason(world: World, body: str) -> None:
    world.tap.received()  # what an earlier example put on the bus is not this one's
    status, reply = post(body)
    assert_published_whole_or_refused(status, reply, world.tap.received())


def assert_published_whole_or_refused(status: int, reply: dict[str, Any], delivered: list[dict[str, Any]]) -> None:
    if status == 202:
        assert sorted(e["detail"]["metadata"]["event_id"] for e in delivered) == sorted(reply["event_ids"])
        return
    assert status in (400, 413), (status, reply)
    assert delivered == [], "a refused request published events"
    assert reply["message"]
    for error in reply.get("errors", []):
        assert error["field"] and error["reason"], error
    if status == 400 and not any(reason in reply["message"] for reason in NO_FIELD):
        assert reply["errors"], f"a 400 that names no field: {reply['message']}"


@pytest.mark.parametrize(
    ("status", "reply", "delivered"),
    [
        (400, {"message": "1 field error(s)", "errors": [{"field": "events[0].data", "reason": "x"}]}, [{}]),
        (502, {"message": "Internal server error"}, []),
        (400, {"message": "the request does not have the expected shape", "errors": []}, []),
        (400, {"message": "1 field error(s)", "errors": [{"field": "", "reason": "bad"}]}, []),
    ],
    ids=["half-published", "unhandled", "names-no-field", "empty-field"],
)
def test_the_check_fails_on_a_bad_answer(status: int, reply: dict[str, Any], delivered: list[dict[str, Any]]) -> None:
    with pytest.raises(AssertionError):
        assert_published_whole_or_refused(status, reply, delivered)


# -- bad input of issue 17: numbers JSON cannot carry, binary, deep nesting -----------------------------------------


@settings(max_examples=LITERAL_EXAMPLES)
@given(case=literals.with_literal(VALID_REQUEST))
# Each was an unhandled ValueError (so API Gateway's bare 502), or silently null on the bus:
@example(
    case=(_with(0, data={"total_cents": "@"}).replace('"@"', "9" * 5_000), "events[0].data.total_cents", "9" * 5_000)
)
@example(case=(_with(1, data={"summary": "@"}).replace('"@"', "NaN"), "events[1].data.summary", "NaN"))
@example(case=(_with(1, data={"summary": "@"}).replace('"@"', "1e999"), "events[1].data.summary", "1e999"))
def test_a_number_json_cannot_carry_is_refused_naming_its_field(world: World, case: tuple[str, str, str]) -> None:
    body, field, literal = case
    status, reply = post(body)
    assert status == 400, reply
    assert [e["field"] for e in reply["errors"]] == [field], reply
    assert literals.expected_reason(literal) in reply["errors"][0]["reason"]
    assert_no_aws_text(json.dumps(reply))


hostile = st.one_of(
    st.builds(lambda depth: "[" * depth, st.sampled_from([65, 1_000, 5_000, 100_000])),
    st.builds(lambda depth: '{"events": ' + "[" * depth + "]" * depth + "}", st.integers(1, 200)),
    st.binary(max_size=64).map(lambda raw: raw.decode("latin-1")),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "9" * 4_301, '{"events": NaN}', "\ud800", '"\ud800"']),
    fuzz.text(),
)


@settings(max_examples=HOSTILE_EXAMPLES)
@given(body=hostile, base64_encoded=st.booleans() | literals.binary_bodies())
def test_hostile_bodies_are_refused_with_a_reason(world: World, body: str, base64_encoded: bool | str) -> None:
    event = api_request(body)
    if not isinstance(base64_encoded, bool):  # what API Gateway passes base64-encoded: bytes that are rarely UTF-8
        event["body"], base64_encoded = base64_encoded, True
    event["isBase64Encoded"] = base64_encoded
    response = ingest_handler.handler(event, LambdaContext())
    reply = json.loads(response["body"])
    assert_published_whole_or_refused(response["statusCode"], reply, world.tap.received())
    assert_no_aws_text(response["body"])


AWS_TEXT = ("123456789012", "arn:aws:iam::", "arn:aws:sts::", "assumed-role")


def assert_no_aws_text(body: str) -> None:
    """Nothing of what AWS says about the account and the function's role (the moto world's account id included)."""
    assert not [text for text in AWS_TEXT if text in body], body[:300]
