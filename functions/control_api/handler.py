"""Lambda handler of the control plane's HTTP API (API Gateway REST, IAM authorization on every method).

Each route maps one HTTP request onto one `ControlPlane` operation (orchestrator/control/plane.py), the same one the
`orch` CLI calls, and its result onto JSON (`to_jsonable`): no logic of its own beyond that mapping. Request bodies
and query strings are pydantic-validated by Powertools (`enable_validation=True`), which is also where the OpenAPI
document (openapi/control-api.json, `make openapi`) takes its schemas from. Errors keep the library's one line:
invalid input is 400 naming the field, not found 404, a conflict 409, an AWS side that fails 502 or 503. What AWS
said is never answered (it can name the account and the function's role): the error code only, the text logged.

Who acts (`paused_by`, `resumed_by`, `decided_by`) is the request's signer, from API Gateway's request context
(IAM authorization: `requestContext.identity.userArn`), never the body: a body naming one is refused (400).

Every JSON body it answers is written by one function, `_serialize`, which redacts it first (schemas/redaction.py):
no task token (an execution's history records the dispatched ones) nor any field an event model declares sensitive
leaves the API, whatever the route; markers stand in their place. `signal task` still works: the control plane reads
the token from the history itself and never answers it.
"""

# No `from __future__ import annotations`: Powertools reads the routes' annotations at runtime to validate requests
# and to write the OpenAPI schemas, and string annotations would leave it forward references it cannot resolve.

import binascii
import datetime
import json
from functools import cache
from http import HTTPStatus
from typing import Annotated, Any, Literal
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.shared.json_encoder import Encoder
from aws_lambda_powertools.utilities import jmespath_utils
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, Json

from functions.json_body import BodyError, read_json
from functions.log_context import correlated
from functions.observability import observability
from functions.settings import load_settings
from orchestrator.control import (
    ControlError,
    ControlPlane,
    Forbidden,
    InvalidInput,
)
from orchestrator.control.errors import http_status
from orchestrator.control.render import to_jsonable
from schemas.redaction import redact
from schemas.stages import StageConfig

logger, tracer, _ = observability()  # no metrics of its own


def _serialize(body: Any) -> str:
    """Every JSON body the API answers, redacted: the one boundary no task token or sensitive field passes."""
    return json.dumps(redact(body), separators=(",", ":"), ensure_ascii=False, cls=Encoder)


# Bodies are read by the handlers' one JSON reader: NaN, 1e999, a 5,000-digit integer are a 400 naming the field.
app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=read_json, serializer=_serialize)

JSON = dict[str, Any]


class ControlApiSettings(BaseModel):
    """The stage's settings as the Control stack wrote them into the environment (`STAGE_CONFIG`, JSON): the
    function never reads the CDK's stage file, which its asset does not hold. `CONTROL_ENDPOINT_URL` points the
    plane elsewhere (a local endpoint); on AWS it is never set. `BREAKER_IDS` (a JSON list) names the breakers the
    stage's workflows define: the only ones the API resets or forces open."""

    stage_config: str = Field(min_length=2)
    control_endpoint_url: str | None = None
    breaker_ids: Json[list[str]] = Field(default_factory=list)


@cache
def plane() -> ControlPlane:
    """The control plane of this function's stage, through the function's own role."""
    settings = load_settings(ControlApiSettings)
    return ControlPlane.connect(
        config=StageConfig.model_validate_json(settings.stage_config),
        endpoint_url=settings.control_endpoint_url,
        breakers=settings.breaker_ids,
    )


class ErrorBody(BaseModel):
    """Every error: the library's one line (what happened; the fix) and, for invalid input, the field at fault."""

    message: str
    field: str | None = None


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"model": ErrorBody}}}


# The statuses any route may answer besides its own (the OpenAPI document lists them from here).
ERRORS: dict[int, Any] = {
    400: _error("Invalid input: the body, a query parameter or a value the control plane refused; names the field"),
    403: _error(
        "The API's own role may not do it (the execution or state machine is not of its stage's workflows), "
        "or the request carries no IAM identity"
    ),
    404: _error("No such execution, workflow, breaker or agent task"),
    409: _error("The execution is not running, or the breaker changed while it was written"),
    502: _error("AWS answered with an error the control plane has no kind for (its error code only, never its text)"),
    503: _error("AWS cannot be reached, or the function has no credentials (the error code only)"),
}


# -- request bodies --------------------------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartRequest(_Body):
    workflow: str = Field(min_length=1, description="workflow name (order-saga), state machine name or ARN")
    input: dict[str, Any] = Field(default_factory=dict, description="the execution's input")
    name: str | None = Field(default=None, min_length=1, max_length=80, description="execution name")


class TerminateRequest(_Body):
    reason: str = Field(min_length=1, max_length=32_768, description="recorded as the execution's cause")


# Who acts is the signer's IAM identity (the request context), recorded as these fields; a body naming one is refused.
AUDIT_FIELDS = ("paused_by", "resumed_by", "decided_by")


class PauseRequest(_Body):
    """Who pauses is the request's signer (`paused_by` is its IAM ARN); a body with `paused_by` is refused (400)."""

    reason: str = Field(default="", max_length=1024, description="why; recorded with the pause")


class ResumeRequest(_Body):
    """Who resumes is the request's signer (`resumed_by` is its IAM ARN); a body with `resumed_by` is refused (400)."""


class ApprovalRequest(_Body):
    """Who decides is the request's signer (`decided_by` is its IAM ARN); a body with `decided_by` is refused (400).
    An approval no running workflow waits for is still decided: the answer says until when the decision is kept."""

    decision: Literal["approved", "rejected"]
    comment: str = Field(default="", max_length=4096)


class TaskSignalRequest(_Body):
    """Completes the task with `result`, or fails it with `error` (and `cause`): exactly one of the two."""

    result: dict[str, Any] | None = None
    error: str | None = Field(default=None, min_length=1)
    cause: str = ""
    execution_arn: str | None = Field(default=None, description="the execution waiting for it, when known")


class PublishRequest(_Body):
    description: str = Field(default="", max_length=256, description="the version's description")


class ShiftRequest(_Body):
    to: int = Field(ge=1, description="the version number to route to")
    weight: int = Field(ge=1, le=100, description="percent of the alias's executions; the rest stay where they are")


class ReplayRequest(_Body):
    since: datetime.datetime = Field(description="replay the events archived from (ISO 8601, UTC)")
    until: datetime.datetime | None = Field(default=None, description="until (ISO 8601, UTC; default now)")


# -- executions ------------------------------------------------------------------------------------------------


@app.get("/executions", responses=ERRORS)
@tracer.capture_method
def list_executions(
    workflow: Annotated[str | None, Query(description="workflow name, state machine name or ARN")] = None,
    status: Annotated[str | None, Query(description="RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED")] = None,
    correlation_id: Annotated[str | None, Query()] = None,
    since: Annotated[datetime.datetime | None, Query(description="started at or after (ISO 8601, UTC)")] = None,
    until: Annotated[datetime.datetime | None, Query(description="started at or before (ISO 8601, UTC)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> JSON:
    found = plane().list_executions(
        workflow=workflow,
        status=status,
        correlation_id=correlation_id,
        since=_utc(since),
        until=_utc(until),
        limit=limit,
    )
    return to_jsonable(found)  # type: ignore[no-any-return]


@app.post("/executions", responses=ERRORS)
@tracer.capture_method
def start(request: Annotated[StartRequest, Body()]) -> Response[str]:
    arn = plane().start(request.workflow, request.input, name=request.name)
    return _json(HTTPStatus.CREATED, {"execution_arn": arn})


@app.get("/executions/<arn>", responses=ERRORS)
@tracer.capture_method
def describe(arn: str) -> JSON:
    return to_jsonable(plane().describe(unquote(arn)))  # type: ignore[no-any-return]


@app.get("/executions/<arn>/history", responses=ERRORS)
@tracer.capture_method
def history(arn: str, with_io: Annotated[bool, Query(description="include inputs and outputs")] = False) -> JSON:
    return {"events": to_jsonable(plane().history(unquote(arn), with_io=with_io))}


@app.post("/executions/<arn>/terminate", responses=ERRORS)
@tracer.capture_method
def terminate(arn: str, request: Annotated[TerminateRequest, Body()]) -> JSON:
    return to_jsonable(plane().terminate(unquote(arn), request.reason))  # type: ignore[no-any-return]


@app.post("/executions/<arn>/redrive", responses=ERRORS)
@tracer.capture_method
def redrive(arn: str) -> JSON:
    return to_jsonable(plane().redrive(unquote(arn)))  # type: ignore[no-any-return]


@app.post("/executions/<arn>/pause", responses=ERRORS)
@tracer.capture_method
def pause(arn: str, request: Annotated[PauseRequest, Body()]) -> JSON:
    change = plane().pause(unquote(arn), paused_by=_caller(), reason=request.reason)
    return to_jsonable(change)  # type: ignore[no-any-return]


@app.post("/executions/<arn>/resume", responses=ERRORS)
@tracer.capture_method
def resume(arn: str, request: Annotated[ResumeRequest, Body()]) -> JSON:
    return to_jsonable(plane().resume(unquote(arn), resumed_by=_caller()))  # type: ignore[no-any-return]


# -- signals ---------------------------------------------------------------------------------------------------


@app.post("/signals/approvals/<key>", responses=ERRORS)
@tracer.capture_method
def signal_approval(key: str, request: Annotated[ApprovalRequest, Body()]) -> Response[str]:
    put = plane().signal_approval(
        unquote(key), approved=request.decision == "approved", decided_by=_caller(), comment=request.comment
    )
    return _json(HTTPStatus.ACCEPTED, to_jsonable(put))


@app.post("/signals/tasks/<task_id>", responses=ERRORS)
@tracer.capture_method
def signal_task(task_id: str, request: Annotated[TaskSignalRequest, Body()]) -> Response[str]:
    put = plane().signal_task(
        unquote(task_id),
        result=request.result,
        error=request.error,
        cause=request.cause,
        execution_arn=request.execution_arn,
    )
    return _json(HTTPStatus.ACCEPTED, to_jsonable(put))


# -- business processes ----------------------------------------------------------------------------------------


@app.get("/processes/<correlation_id>/history", responses=ERRORS)
@tracer.capture_method
def process_history(
    correlation_id: str,
    as_of: Annotated[
        datetime.datetime | None, Query(description="as known at this instant (ISO 8601, UTC; default now)")
    ] = None,
) -> JSON:
    """A business process rebuilt from the event store: its state as of an instant, its events, their causal chain."""
    return to_jsonable(plane().process_history(unquote(correlation_id), _utc(as_of)))  # type: ignore[no-any-return]


# -- breakers, configuration, pictures -------------------------------------------------------------------------


@app.get("/breakers", responses=ERRORS)
@tracer.capture_method
def list_breakers() -> JSON:
    return {"breakers": to_jsonable(plane().list_breakers())}


@app.post("/breakers/<breaker_id>/reset", responses=ERRORS)
@tracer.capture_method
def reset_breaker(breaker_id: str) -> JSON:
    return to_jsonable(plane().reset_breaker(unquote(breaker_id)))  # type: ignore[no-any-return]


@app.post("/breakers/<breaker_id>/force-open", responses=ERRORS)
@tracer.capture_method
def force_open_breaker(breaker_id: str) -> JSON:
    return to_jsonable(plane().force_open_breaker(unquote(breaker_id)))  # type: ignore[no-any-return]


@app.get("/config", responses=ERRORS)
@tracer.capture_method
def config_show() -> JSON:
    return plane().config_show()


@app.get("/workflows/<workflow>/graph", responses=ERRORS)
@tracer.capture_method
def graph(
    workflow: str,
    execution: Annotated[str | None, Query(description="an execution ARN: colour its states by outcome")] = None,
    format: Annotated[Literal["mermaid", "svg"], Query()] = "mermaid",  # noqa: A002 - the query parameter's name
) -> Response[str]:
    drawing = plane().graph(unquote(workflow), execution, format)
    content_type = "image/svg+xml" if format == "svg" else "text/plain; charset=utf-8"
    return Response(status_code=HTTPStatus.OK, content_type=content_type, body=drawing)


# -- definitions, replay --------------------------------------------------------------------------------------


@app.get("/workflows/<workflow>/definitions", responses=ERRORS)
@tracer.capture_method
def list_definitions(workflow: str) -> JSON:
    return to_jsonable(plane().list_definitions(unquote(workflow)))  # type: ignore[no-any-return]


@app.post("/workflows/<workflow>/versions", responses=ERRORS)
@tracer.capture_method
def publish(workflow: str, request: Annotated[PublishRequest, Body()]) -> Response[str]:
    return _json(HTTPStatus.CREATED, to_jsonable(plane().publish(unquote(workflow), request.description)))


@app.post("/workflows/<workflow>/aliases/<alias>/shift", responses=ERRORS)
@tracer.capture_method
def shift(workflow: str, alias: str, request: Annotated[ShiftRequest, Body()]) -> JSON:
    change = plane().shift(unquote(workflow), request.to, request.weight, unquote(alias))
    return to_jsonable(change)  # type: ignore[no-any-return]


@app.post("/workflows/<workflow>/aliases/<alias>/rollback", responses=ERRORS)
@tracer.capture_method
def rollback(workflow: str, alias: str) -> JSON:
    return to_jsonable(plane().rollback(unquote(workflow), unquote(alias)))  # type: ignore[no-any-return]


@app.post("/replays", responses=ERRORS)
@tracer.capture_method
def replay(request: Annotated[ReplayRequest, Body()]) -> Response[str]:
    until = _utc(request.until) or datetime.datetime.now(datetime.UTC)
    return _json(HTTPStatus.CREATED, to_jsonable(plane().replay(_utc(request.since) or until, until)))


# -- errors ----------------------------------------------------------------------------------------------------

# What an error from AWS is answered with, by status: the code only (`service_code`), never AWS's text.
_SERVICE_ANSWERS: dict[HTTPStatus, str] = {
    HTTPStatus.BAD_REQUEST: "the service refused a value: {code}; check the value given",
    HTTPStatus.NOT_FOUND: "not found: {code}; check the name or ARN",
    HTTPStatus.FORBIDDEN: "the API's role may not do it: {code}",
}


@app.exception_handler(ControlError)  # type: ignore[untyped-decorator]  # Powertools leaves it untyped
def control_error(error: ControlError) -> Response[str]:
    """The library's one line; an error from AWS it has no kind for is the gateway's upstream failing (502). When
    the line holds what AWS said (account id, role ARN), the answer names its code only and the log keeps the line."""
    status = http_status(error)
    field = error.field if isinstance(error, InvalidInput) and error.field else None
    message = error.line()
    if error.service_code is not None:
        logger.warning("service call failed", status=int(status), code=error.service_code, error=message)
        answer = _SERVICE_ANSWERS.get(status, "the service call failed: {code}")
        message = answer.format(code=error.service_code)
    elif status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        logger.warning("control plane call failed", status=int(status), error=message)
    return _json(status, ErrorBody(message=message, field=field).model_dump(exclude_none=True))


@app.exception_handler(BodyError)  # type: ignore[untyped-decorator]
def unreadable_body(error: BodyError) -> Response[str]:
    """A body that is not JSON, or holds what no call can carry (NaN, 1e999, a 5,000-digit integer): 400 naming
    where (functions/json_body.py)."""
    problem = error.problem
    message = f"invalid request: {problem.field}: {problem.reason}" if problem.field else problem.reason
    return _json(HTTPStatus.BAD_REQUEST, ErrorBody(message=message, field=problem.field).model_dump())


@app.exception_handler([binascii.Error, UnicodeError])  # type: ignore[untyped-decorator]
def undecodable_body(_: ValueError) -> Response[str]:
    """A body API Gateway passed base64-encoded that is not base64 of UTF-8 text (Powertools decodes it)."""
    message = "invalid request: the body is not UTF-8 text (JSON is)"
    return _json(HTTPStatus.BAD_REQUEST, ErrorBody(message=message, field="").model_dump())


@app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
def invalid_request(error: RequestValidationError) -> Response[str]:
    """Powertools' 422 as a 400 like the library's, naming the first field at fault (`reason`, `query.limit`)."""
    problems = [(_field(e.get("loc", ())), _reason(e)) for e in error.errors()]
    field, reason = problems[0] if problems else ("", "invalid request")
    message = "; ".join(f"{f}: {r}" if f else r for f, r in problems) or reason
    return _json(HTTPStatus.BAD_REQUEST, ErrorBody(message=f"invalid request: {message}", field=field).model_dump())


@app.exception_handler(RecursionError)  # type: ignore[untyped-decorator]
def too_deep(_: RecursionError) -> Response[str]:
    """A body nested about a thousand deep: more than the JSON parser's recursion limit (in Powertools' validation,
    before any route runs), and more than any request of this API. A 400, not the function failing."""
    message = "invalid request: the body nests arrays or objects too deeply"
    return _json(HTTPStatus.BAD_REQUEST, ErrorBody(message=message, field="").model_dump())


def _reason(error: dict[str, Any]) -> str:
    location = tuple(error.get("loc", ()))
    if error.get("type") == "extra_forbidden" and location[-1:] and location[-1] in AUDIT_FIELDS:
        return "who acts is the request's signer (its IAM identity), never a field of the body"
    return str(error.get("msg", ""))


def _field(location: Any) -> str:
    """`("body", "reason")` -> `reason`; `("query", "limit")` -> `query.limit` (where else it came from)."""
    parts = [str(part) for part in location]
    return ".".join(parts[1:] if parts[:1] == ["body"] else parts)


# -- plumbing --------------------------------------------------------------------------------------------------


def _json(status: HTTPStatus, body: Any) -> Response[str]:
    return Response(status_code=status, content_type="application/json", body=_serialize(body))


def _utc(moment: datetime.datetime | None) -> datetime.datetime | None:
    """A time without a zone is UTC, as the CLI reads it."""
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _caller() -> str:
    """The IAM principal that signed the request: API Gateway puts it in the request context (IAM authorization), and
    nothing a caller sends can change it."""
    identity = app.current_event.request_context.identity
    caller = identity.user_arn or identity.caller
    if not caller:
        raise Forbidden("the request carries no IAM identity", "sign it with SigV4 (the API takes IAM authorization)")
    return caller


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with correlated(logger, jmespath_utils.query(envelope=correlation_paths.API_GATEWAY_REST, data=event)):
        return app.resolve(event, context)
