"""JSONata for moto's Step Functions interpreter, evaluated by `jsonata-python`.

Checked against moto 5.2.5 only: `install()` raises `MotoSeamError` on any other moto version or when a seam below is
missing, so an upgrade fails loudly instead of silently evaluating nothing.

Why: moto evaluates JSONata through a JVM bridge (`_JSONataJVMBridge`) it never wires up. Its
`eval_jsonata_expression` calls the module-level function pointer `_eval_jsonata`, which stays `None`, so every
JSONata field (`Arguments`, `Output`, `Assign`, Choice `Condition`, `{% ... %}` templates, `Items`, timeouts) and
every `$variable` sample in a JSONPath state fails with a TypeError that the interpreter reports as `States.Runtime`.

What is patched, in `moto.stepfunctions.parser.asl`:

1. `jsonata.jsonata._eval_jsonata`, the function pointer, is set to `evaluate`. moto composes a closed expression
   itself before calling it, `($states:={...};$myVar:=...;<state expression>)`, binding `$states.input`, `.result`,
   `.context`, `.errorOutput` and the `Assign` variables as JSONata declarations; so the evaluator needs no
   bindings of its own. (`_JSONataJVMBridge.eval_jsonata` is never called by moto 5.2.5 and is left alone.)
2. `_eval_body` of `component.common.string.string_expression.StringJSONata` and `StringVariableSample`, the only
   callers of that pointer, are wrapped to turn a `JSONataException` into moto's `FailureEventException` with the
   error `States.QueryEvaluationError`. The pointer is given no `Environment`, and without one the interpreter maps
   any exception to `States.Runtime`, which Catch / Retry on `States.QueryEvaluationError` would never match.
3. Step Functions' own JSONata functions that jsonata-python lacks, `$uuid()`, `$parse(json)` and
   `$hash(value, algorithm)`, are registered on every expression `evaluate` compiles (`STEP_FUNCTIONS_FUNCTIONS`).
   moto declares stand-ins for them at the head of each composed expression (`$uuid:=function(){"Function $uuid is
   currently not supported"}`, from `component.intrinsic.jsonata._DECLARATION_BY_VARIABLE_REFERENCE`), and a
   declaration in the expression would shadow a registered function; so `install()` takes those three entries out
   of that table. moto's JSONata definitions of `$partition` and `$range` are left in place.
4. `$now()` and `$millis()` read the time source given to `install()` (the local runtime passes its clock), once per
   expression as JSONata specifies, so a workflow comparing times (a breaker's cool-down, a deadline) sees the clock
   jump when a test advances it.

`uninstall()` restores all of it. Install before starting executions and uninstall only after they finish: moto
runs each execution on a background thread that reads the pointer on every evaluation.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import jsonata
import moto
from jsonata.functions import Functions

SUPPORTED_MOTO_VERSION: Final[str] = "5.2.5"
QUERY_EVALUATION_ERROR: Final[str] = "States.QueryEvaluationError"

_ASL: Final[str] = "moto.stepfunctions.parser.asl"
_PATCHED_EXPRESSION_CLASSES: Final[tuple[str, ...]] = ("StringJSONata", "StringVariableSample")

EvalBody = Callable[[Any, Any], None]

# Step Functions' `$hash` algorithms, by the names its documentation gives, as hashlib names them.
_HASH_ALGORITHMS: Final[dict[str, str]] = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


def _uuid() -> str:
    """`$uuid()`: a random version 4 UUID."""
    return str(uuid.uuid4())


def _parse(text: Any) -> Any:
    """`$parse(json)`: the value a JSON string holds."""
    if not isinstance(text, str):
        raise TypeError(f"$parse takes a JSON string, not {type(text).__name__}")
    return json.loads(text)


def _hash(value: Any, algorithm: Any) -> str:
    """`$hash(value, algorithm)`: the hex digest of a string with MD5, SHA-1, SHA-256, SHA-384 or SHA-512."""
    if not isinstance(value, str):
        raise TypeError(f"$hash takes a string to hash, not {type(value).__name__}")
    if algorithm not in _HASH_ALGORITHMS:
        raise ValueError(f"$hash algorithm must be one of {', '.join(_HASH_ALGORITHMS)}, not {algorithm!r}")
    return hashlib.new(_HASH_ALGORITHMS[algorithm], value.encode("utf-8")).hexdigest()


# JSONata functions of Step Functions that jsonata-python does not have, by name without the `$`.
STEP_FUNCTIONS_FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {"uuid": _uuid, "parse": _parse, "hash": _hash}


class MotoSeamError(RuntimeError):
    """moto is not the version this adapter was checked against, or a patched seam has moved."""


@dataclass(frozen=True)
class _Seams:
    jsonata_module: Any
    string_expression_module: Any
    function_declarations: dict[str, str]
    jsonata_exception: type[Exception]
    failure_event: Any
    failure_event_exception: Any
    states_error_name: Any
    query_evaluation_error_type: Any
    evaluation_failed_event_type: Any
    event_details: Any
    evaluation_failed_event_details: Any


@dataclass(frozen=True)
class _Installation:
    seams: _Seams
    previous_pointer: Any
    original_eval_bodies: dict[str, EvalBody]
    removed_declarations: dict[str, str]


_lock = threading.Lock()
_installation: _Installation | None = None
# Seconds since the epoch for `$now()` / `$millis()`; set by `install()`.
_time_source: Callable[[], float] = time.time


def evaluate(expression: str) -> Any:
    """Evaluate one closed JSONata expression as moto composes it; raise moto's JSONataException on failure."""
    jsonata_exception = _load_seams().jsonata_exception
    try:
        compiled = jsonata.Jsonata(expression)
        for name, function in STEP_FUNCTIONS_FUNCTIONS.items():
            compiled.register_lambda(name, function)
        _bind_time(compiled, int(_time_source() * 1000))
        result = compiled.evaluate(None)
    # jsonata-python raises JException for JSONata errors but lets bare ValueError / TypeError escape from its
    # built-ins (`$number("abc")` is a ValueError), and all of them are query evaluation errors to Step Functions.
    except Exception as ex:
        raise jsonata_exception(QUERY_EVALUATION_ERROR, _describe(ex)) from ex
    try:
        # A JSON round trip drops jsonata-python's list subclass and rejects what state data cannot hold
        # (functions, NaN), which moto would otherwise carry into history events and fail on much later.
        return json.loads(json.dumps(result, allow_nan=False))
    except (TypeError, ValueError) as ex:
        raise jsonata_exception(QUERY_EVALUATION_ERROR, "The expression returned an unsupported result type.") from ex


def _bind_time(compiled: Any, timestamp_ms: int) -> None:
    """`$now()` and `$millis()` of one evaluation, both at `timestamp_ms` (see the module docstring, 4.)."""
    compiled.register_lambda("millis", lambda: timestamp_ms)
    compiled.register_lambda(
        "now",
        lambda picture=None, timezone=None: Functions.datetime_from_millis(timestamp_ms, picture, timezone),
    )


def install(time_source: Callable[[], float] = time.time) -> None:
    """Make moto evaluate JSONata with jsonata-python (idempotent), `$now()` reading `time_source`."""
    global _installation, _time_source
    with _lock:
        if _installation is not None:
            return
        _time_source = time_source
        _check_moto_version()
        seams = _load_seams()
        originals: dict[str, EvalBody] = {}
        for class_name in _PATCHED_EXPRESSION_CLASSES:
            expression_class = getattr(seams.string_expression_module, class_name)
            originals[class_name] = expression_class.__dict__["_eval_body"]
            expression_class._eval_body = _raising_query_evaluation_errors(originals[class_name], seams)
        # moto's stand-in declarations would shadow the registered functions (see the module docstring, 3.).
        removed = {
            reference: seams.function_declarations.pop(reference)
            for reference in [f"${name}" for name in STEP_FUNCTIONS_FUNCTIONS]
            if reference in seams.function_declarations
        }
        _installation = _Installation(seams, seams.jsonata_module._eval_jsonata, originals, removed)
        seams.jsonata_module._eval_jsonata = evaluate


def uninstall() -> None:
    """Restore moto's own (non-functional) JSONata evaluation (idempotent)."""
    global _installation, _time_source
    with _lock:
        if _installation is None:
            return
        _time_source = time.time
        seams = _installation.seams
        seams.jsonata_module._eval_jsonata = _installation.previous_pointer
        for class_name, original in _installation.original_eval_bodies.items():
            getattr(seams.string_expression_module, class_name)._eval_body = original
        seams.function_declarations.update(_installation.removed_declarations)
        _installation = None


def is_installed() -> bool:
    """Whether moto currently evaluates JSONata through this adapter."""
    return _installation is not None


@contextmanager
def jsonata_enabled() -> Iterator[None]:
    """JSONata evaluation inside the block; nests, and only the outermost block uninstalls."""
    owner = not is_installed()
    install()
    try:
        yield
    finally:
        if owner:
            uninstall()


def _raising_query_evaluation_errors(original: EvalBody, seams: _Seams) -> EvalBody:
    @functools.wraps(original)
    def _eval_body(component: Any, env: Any) -> None:
        try:
            original(component, env)
        except seams.jsonata_exception as ex:
            raise _query_evaluation_failure(seams, env, component.expression, ex) from ex

    return _eval_body


def _query_evaluation_failure(seams: _Seams, env: Any, expression: str, ex: Exception) -> Exception:
    # The state expression only: the composed one carries all of $states and every variable.
    cause = f"The JSONata expression '{expression}' could not be evaluated: {getattr(ex, 'details', None) or ex}"
    error_name = seams.states_error_name(typ=seams.query_evaluation_error_type)
    failure_event = seams.failure_event(
        env=env,
        error_name=error_name,
        event_type=seams.evaluation_failed_event_type,
        event_details=seams.event_details(
            evaluationFailedEventDetails=seams.evaluation_failed_event_details(error=error_name.error_name, cause=cause)
        ),
    )
    failure: Exception = seams.failure_event_exception(failure_event=failure_event)
    return failure


def _describe(ex: Exception) -> str:
    code = getattr(ex, "error", None)
    return f"{code}: {ex}" if isinstance(code, str) and code else str(ex) or type(ex).__name__


def _check_moto_version() -> None:
    if moto.__version__ != SUPPORTED_MOTO_VERSION:
        raise MotoSeamError(
            f"orchestrator.local.jsonata_engine was checked against moto {SUPPORTED_MOTO_VERSION}, found "
            f"{moto.__version__}: re-read moto's {_ASL}.jsonata.jsonata and string_expression, then update it"
        )


@functools.cache
def _load_seams() -> _Seams:
    try:
        jsonata_module = importlib.import_module(f"{_ASL}.jsonata.jsonata")
        string_expression = importlib.import_module(f"{_ASL}.component.common.string.string_expression")
        intrinsic_jsonata = importlib.import_module(f"{_ASL}.component.intrinsic.jsonata")
        failure = importlib.import_module(f"{_ASL}.component.common.error_name.failure_event")
        error_name = importlib.import_module(f"{_ASL}.component.common.error_name.states_error_name")
        error_type = importlib.import_module(f"{_ASL}.component.common.error_name.states_error_name_type")
        event_detail = importlib.import_module(f"{_ASL}.eval.event.event_detail")
        api = importlib.import_module("moto.stepfunctions.parser.api")
        seams = _Seams(
            jsonata_module=jsonata_module,
            string_expression_module=string_expression,
            function_declarations=intrinsic_jsonata._DECLARATION_BY_VARIABLE_REFERENCE,
            jsonata_exception=jsonata_module.JSONataException,
            failure_event=failure.FailureEvent,
            failure_event_exception=failure.FailureEventException,
            states_error_name=error_name.StatesErrorName,
            query_evaluation_error_type=error_type.StatesErrorNameType.StatesQueryEvaluationError,
            evaluation_failed_event_type=api.HistoryEventType.EvaluationFailed,
            event_details=event_detail.EventDetails,
            evaluation_failed_event_details=api.EvaluationFailedEventDetails,
        )
        callable_entry_point = callable(jsonata_module.eval_jsonata_expression)
    except (ImportError, AttributeError) as ex:
        raise MotoSeamError(f"a moto seam this adapter patches is missing: {ex}") from ex
    if not isinstance(seams.function_declarations, dict):
        raise MotoSeamError(f"{_ASL}.component.intrinsic.jsonata._DECLARATION_BY_VARIABLE_REFERENCE is not a dict")
    if not callable_entry_point or not hasattr(jsonata_module, "_eval_jsonata"):
        raise MotoSeamError(f"{_ASL}.jsonata.jsonata no longer calls through the _eval_jsonata pointer")
    for class_name in _PATCHED_EXPRESSION_CLASSES:
        if "_eval_body" not in getattr(string_expression, class_name, type).__dict__:
            raise MotoSeamError(f"{_ASL}.component.common.string.string_expression.{class_name}._eval_body is missing")
    if seams.query_evaluation_error_type.to_name() != QUERY_EVALUATION_ERROR:
        raise MotoSeamError(f"moto names the query evaluation error {seams.query_evaluation_error_type.to_name()}")
    return seams
