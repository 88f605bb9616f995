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
from hypothesis import example, given
from hypothesis import strategies as st

from functions.control_api import handler as control_api
from tests.builders import LambdaContext, api_request
from tests.fuzz import strategies as fuzz
from tests.fuzz.conftest import World, fresh

ARN = "arn:aws:states:us-east-1:123456789012:execution:order-saga:order-1001"
# Route (method, path) -> a valid body.
ROUTES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/executions"): {"workflow": "order-saga", "input": {"order_id": "o-1"}, "name": "run-1"},
    ("POST", f"/executions/{quote(ARN, safe='')}/terminate"): {"reason": "operator"},
    ("POST", "/signals/approvals/appr-1"): {"decision": "approved", "decided_by": "ops", "comment": "ok"},
    ("POST", "/signals/tasks/task-1"): {"result": {"ok": True}, "execution_arn": ARN},
    ("POST", "/workflows/order-saga/versions"): {"description": "v2"},
    ("POST", "/workflows/order-saga/aliases/live/shift"): {"to": 2, "weight": 10},
    ("POST", "/replays"): {"since": "2026-11-25T00:00:00Z", "until": "2026-11-25T01:00:00Z"},
}
QUERY = {"workflow": "order-saga", "status": "RUNNING", "since": "2026-11-25T00:00:00Z", "limit": "5"}
DOCUMENTED = {200, 201, 202, 400, 404, 409, 502, 503}


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


def assert_documented(status: int, body: str) -> None:
    assert status in DOCUMENTED, (status, body[:300])
    if status == 400:
        error = json.loads(body)
        assert error["message"] and "field" in error, error


routes = st.sampled_from(sorted(ROUTES))


@given(route=routes, body=st.one_of(st.text(max_size=20), st.builds(fuzz.body_text, fuzz.json_values())))
def test_any_body_on_any_route(world: World, route: tuple[str, str], body: str) -> None:
    assert_documented(*call(*route, body))


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
    assert_documented(*call(*route, body))


queries = st.builds(
    lambda known, extra: {**known, **extra},
    st.fixed_dictionaries({}, optional={k: st.one_of(st.just(v), fuzz.text()) for k, v in QUERY.items()}),
    st.dictionaries(st.text(max_size=8), fuzz.text(), max_size=2),
)


@given(query=queries)
def test_any_query_string(world: World, query: dict[str, str]) -> None:
    assert_documented(*call("GET", "/executions", None, query))


@given(segment=fuzz.text(), suffix=st.sampled_from(["", "/history"]))
def test_any_execution_arn_in_the_path(world: World, segment: str, suffix: str) -> None:
    # Any bytes a client may percent-encode, a lone surrogate's too.
    path_segment = quote(segment.encode("utf-8", "surrogatepass"), safe="")
    assert_documented(*call("GET", f"/executions/{path_segment}{suffix}", None))
