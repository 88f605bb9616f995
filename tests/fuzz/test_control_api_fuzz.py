"""Fuzzing the control plane's HTTP API: the real handler, API Gateway proxy events with broken bodies, query
strings and path parameters, on moto with no app deployed (so a request that gets past validation finds nothing).

Whatever arrives, the answer is one of the statuses the API documents (functions/control_api/handler.py: 2xx; 400
naming the field; 404; 409; 502/503 from AWS), never an unhandled exception (API Gateway's bare 502).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from functions.control_api import handler as control_api
from tests.builders import LambdaContext, api_request
from tests.fuzz import literals
from tests.fuzz import strategies as fuzz
from tests.fuzz.conftest import World, fresh

ARN = "arn:aws:states:us-east-1:123456789012:execution:order-saga:order-1001"
# Route (method, path) -> a valid body.
ROUTES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/executions"): {"workflow": "order-saga", "input": {"order_id": "o-1"}, "name": "run-1"},
    ("POST", f"/executions/{quote(ARN, safe='')}/terminate"): {"reason": "operator"},
    ("POST", "/signals/approvals/appr-1"): {"decision": "approved", "comment": "ok"},
    ("POST", f"/executions/{quote(ARN, safe='')}/pause"): {"reason": "maintenance"},
    ("POST", "/signals/tasks/task-1"): {"result": {"ok": True}, "execution_arn": ARN},
    ("POST", "/workflows/order-saga/versions"): {"description": "v2"},
    ("POST", "/workflows/order-saga/aliases/live/shift"): {"to": 2, "weight": 10},
    ("POST", "/replays"): {"since": "2026-11-25T00:00:00Z", "until": "2026-11-25T01:00:00Z"},
}
QUERY = {"workflow": "order-saga", "status": "RUNNING", "since": "2026-11-25T00:00:00Z", "limit": "5"}
DOCUMENTED = {200, 201, 202, 400, 404, 409, 502, 503}
# With the classes below, this file's fuzzers try more than 5,000 requests in the default profile (issue 17).
LITERAL_EXAMPLES = 2_500
HOSTILE_EXAMPLES = 2_500
AWS_TEXT = ("arn:aws:iam::", "arn:aws:sts::", "assumed-role")
ACCOUNT = "123456789012"  # the moto world's account: in an answer only where the request had it


@pytest.fixture(scope="module", autouse=True)
def handler_caches(world: World, control_api_environment: None) -> Iterator[None]:
    yield from fresh(control_api.plane)


def call(method: str, path: str, body: str | None, query: dict[str, str] | None = None) -> tuple[int, str]:
    event = api_request(body, method=method, path=path)
    if query is not None:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    response = control_api.handler(event, LambdaContext())
    return response["statusCode"], response["body"]


def assert_documented(status: int, body: str, request: str = "") -> None:
    assert status in DOCUMENTED, (status, body[:300])
    if status == 400:
        error = json.loads(body)
        assert error["message"] and "field" in error, error
    if status >= 400:  # what AWS says about the account and the function's role is never answered
        assert not [text for text in AWS_TEXT if text in body], body[:300]
        assert ACCOUNT not in body or ACCOUNT in request, body[:300]


routes = st.sampled_from(sorted(ROUTES))


@given(route=routes, body=st.one_of(st.text(max_size=20), st.builds(fuzz.body_text, fuzz.json_values())))
def test_any_body_on_any_route(world: World, route: tuple[str, str], body: str) -> None:
    assert_documented(*call(*route, body), body)


@st.composite
def broken_bodies(draw: st.DrawFn) -> tuple[tuple[str, str], str]:
    route = draw(routes)
    return route, fuzz.body_text(draw(fuzz.mutated(ROUTES[route])))


@given(request=broken_bodies())
@example(request=(("POST", "/executions"), fuzz.body_text(ROUTES["POST", "/executions"])))
# Found by this fuzzer: a body nested deeper than the JSON parser's recursion limit failed the function
# (RecursionError in Powertools' request validation), which API Gateway answers with a bare 502.
@example(request=(("POST", "/replays"), fuzz.body_text({"since": fuzz.nest(3_000, False)})))
def test_a_valid_body_made_wrong(world: World, request: tuple[tuple[str, str], str]) -> None:
    route, body = request
    assert_documented(*call(*route, body), json.dumps([route, body]))


queries = st.builds(
    lambda known, extra: {**known, **extra},
    st.fixed_dictionaries({}, optional={k: st.one_of(st.just(v), fuzz.text()) for k, v in QUERY.items()}),
    st.dictionaries(st.text(max_size=8), fuzz.text(), max_size=2),
)


@given(query=queries)
def test_any_query_string(world: World, query: dict[str, str]) -> None:
    assert_documented(*call("GET", "/executions", None, query), json.dumps(query))


@given(segment=fuzz.text(), suffix=st.sampled_from(["", "/history"]))
def test_any_execution_arn_in_the_path(world: World, segment: str, suffix: str) -> None:
    # Any bytes a client may percent-encode, a lone surrogate's too.
    path_segment = quote(segment.encode("utf-8", "surrogatepass"), safe="")
    assert_documented(*call("GET", f"/executions/{path_segment}{suffix}", None), path_segment)


# -- bad input of issue 17: numbers JSON cannot carry, binary bodies, odd query strings ------------------------------


@st.composite
def literal_bodies(draw: st.DrawFn) -> tuple[tuple[str, str], str, str, str]:
    route = draw(routes)
    return (route, *draw(literals.with_literal(ROUTES[route])))


@settings(max_examples=LITERAL_EXAMPLES)
@given(case=literal_bodies())
# Each was an unhandled ValueError inside json.loads (API Gateway's bare 502), or NaN/inf went on as a number.
@example(case=(("POST", "/replays"), '{"since": ' + "1" * 5_000 + "}", "since", "1" * 5_000))
@example(case=(("POST", "/executions"), '{"workflow": "order-saga", "input": {"x": NaN}}', "input.x", "NaN"))
@example(case=(("POST", "/executions"), '{"workflow": "order-saga", "input": [1e999]}', "input[0]", "1e999"))
def test_a_number_json_cannot_carry_is_refused_naming_its_field(
    world: World, case: tuple[tuple[str, str], str, str, str]
) -> None:
    (method, path), body, field, literal = case
    status, answer = call(method, path, body)
    assert status == 400, answer[:300]
    assert json.loads(answer)["field"] == field, answer[:300]
    assert literals.expected_reason(literal) in json.loads(answer)["message"]


ODD_QUERY_VALUES = st.one_of(
    st.sampled_from(["", " ", "NaN", "Infinity", "1e999", "9" * 5_000, "\x00", "\ud800", "%", "[" * 5_000]),
    fuzz.text(),
)
GETS = [
    ("/executions", ("workflow", "status", "correlation_id", "since", "until", "limit")),
    ("/workflows/order-saga/graph", ("execution", "format")),
    (f"/executions/{quote(ARN, safe='')}/history", ("with_io",)),
    ("/processes/order-1001/history", ("as_of",)),
]


@st.composite
def hostile_requests(draw: st.DrawFn) -> tuple[str, str, str | None, dict[str, str] | None, bool]:
    """A GET with odd query values, or a POST whose body is binary, not base64, deep, or a bare literal."""
    if draw(st.booleans()):
        path, names = draw(st.sampled_from(GETS))
        query = draw(st.dictionaries(st.sampled_from(names), ODD_QUERY_VALUES, min_size=1, max_size=3))
        return "GET", path, None, query, False
    method, path = draw(routes)
    body = draw(
        st.one_of(
            literals.binary_bodies(),
            st.builds(lambda depth: "[" * depth, st.sampled_from([65, 1_000, 5_000, 100_000])),
            st.sampled_from(["NaN", "-Infinity", "1e999", "9" * 4_301, "\ud800", "", " "]),
        )
    )
    return method, path, body, None, draw(st.booleans())


@settings(max_examples=HOSTILE_EXAMPLES)
@given(request=hostile_requests())
# Found by the audit: an empty `execution=` reached botocore (ParamValidationError, unmapped: a bare 502).
@example(request=("GET", "/workflows/order-saga/graph", None, {"execution": ""}, False))
def test_hostile_requests_are_answered_never_crash(
    world: World, request: tuple[str, str, str | None, dict[str, str] | None, bool]
) -> None:
    method, path, body, query, base64_encoded = request
    event = api_request(body, method=method, path=path)
    event["isBase64Encoded"] = base64_encoded
    if query is not None:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    response = control_api.handler(event, LambdaContext())
    assert_documented(response["statusCode"], response["body"], json.dumps([path, body, query]))
    if query == {"execution": ""}:
        assert (response["statusCode"], json.loads(response["body"])["field"]) == (400, "execution")


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, '{"message": "boom"}'),
        (400, '{"message": "invalid"}'),
        (403, '{"message": "User: arn:aws:sts::123456789012:assumed-role/ControlApi/fn is not authorized"}'),
        (502, '{"message": "AccessDeniedException: account 123456789012"}'),
    ],
    ids=["undocumented", "names-no-field", "role-echoed", "account-echoed"],
)
def test_the_check_fails_on_a_bad_answer(status: int, body: str) -> None:
    with pytest.raises(AssertionError):
        assert_documented(status, body, "a request without the account")
