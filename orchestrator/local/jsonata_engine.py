"""JSONata for moto's Step Functions interpreter, evaluated by `jsonata-python`.

Checked against moto 5.2.5 only: `install()` applies the seams declared in orchestrator/local/seams/services.py and
raises `MotoSeamError` on any other moto version or when one of them is missing, so an upgrade fails loudly instead
of silently evaluating nothing.

Why: moto evaluates JSONata through a JVM bridge (`_JSONataJVMBridge`) it never wires up. Its
`eval_jsonata_expression` calls the module-level function pointer `_eval_jsonata`, which stays `None`, so every
JSONata field (`Arguments`, `Output`, `Assign`, Choice `Condition`, `{% ... %}` templates, `Items`, timeouts) and
every `$variable` sample in a JSONPath state fails with a TypeError that the interpreter reports as `States.Runtime`.

What is patched, in `moto.stepfunctions.parser.asl`:

1. `jsonata.jsonata._eval_jsonata`, the function pointer, is set to `evaluate` (bound to the time source). moto
   composes a closed expression itself before calling it, `($states:={...};$myVar:=...;<state expression>)`,
   binding `$states.input`, `.result`, `.context`, `.errorOutput` and the `Assign` variables as JSONata
   declarations; so the evaluator needs no bindings of its own. (`_JSONataJVMBridge.eval_jsonata` is never called
   by moto 5.2.5 and is left alone.)
2. `_eval_body` of `component.common.string.string_expression.StringJSONata` and `StringVariableSample`, the only
   callers of that pointer, are wrapped to turn a `JSONataException` into moto's `FailureEventException` with the
   error `States.QueryEvaluationError`. The pointer is given no `Environment`, and without one the interpreter maps
   any exception to `States.Runtime`, which Catch / Retry on `States.QueryEvaluationError` would never match.
3. Step Functions' own JSONata functions that jsonata-python lacks, `$uuid()`, `$parse(json)`,
   `$hash(value, algorithm)`, `$partition(array, chunkSize)` and a seeded `$random([seed])`, are registered on every
   expression `evaluate` compiles (`STEP_FUNCTIONS_FUNCTIONS`, orchestrator/local/jsonata_functions.py). moto declares
   stand-ins for the first four at the head of each composed expression (`$uuid:=function(){"Function $uuid is
   currently not supported"}`, from `component.intrinsic.jsonata._DECLARATION_BY_VARIABLE_REFERENCE`), and a
   declaration in the expression would shadow a registered function; so `install()` takes those four entries out
   of that table (seams of kind `remove`). moto's JSONata definition of `$range` is left in place.
4. `$now()` and `$millis()` read the time source given to `install()` (the local runtime passes its clock), once per
   expression as JSONata specifies, so a workflow comparing times (a breaker's cool-down, a deadline) sees the clock
   jump when a test advances it.
5. Each state expression is parsed once (`_compiled`, an LRU cache). moto writes the values of `$states` and of the
   variables into the text it composes, so that text differs with every execution: `split_declarations` takes those
   values out as bindings and leaves the state's own expression, the cache key. An evaluation binds them and its
   time functions on a copy of its own, never on the shared compiled object, as executions evaluate concurrently on
   moto's threads.

`uninstall()` restores all of it. Install before starting executions and uninstall only after they finish: moto
runs each execution on a background thread that reads the pointer on every evaluation.
"""

from __future__ import annotations

import copy
import functools
import importlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import jsonata
from jsonata.functions import Functions
from jsonata.utils import Utils

from orchestrator.local.jsonata_functions import STEP_FUNCTIONS_FUNCTIONS
from orchestrator.local.seams import MotoSeamError, SeamSet, check_moto_version
from orchestrator.local.seams import services as declared

QUERY_EVALUATION_ERROR: Final[str] = "States.QueryEvaluationError"

# How many distinct state expressions stay compiled (a definition holds a few dozen).
COMPILED_CACHE_SIZE: Final[int] = 4096

_ASL: Final[str] = "moto.stepfunctions.parser.asl"

EvalBody = Callable[[Any, Any], None]


@dataclass(frozen=True)
class _MotoNames:
    """What the JSONata seams read of moto (they change only what orchestrator/local/seams declares)."""

    jsonata_exception: type[Exception]
    failure_event: Any
    failure_event_exception: Any
    states_error_name: Any
    query_evaluation_error_type: Any
    evaluation_failed_event_type: Any
    event_details: Any
    evaluation_failed_event_details: Any


_lock = threading.Lock()
_installed: SeamSet | None = None


def evaluate(expression: str, time_source: Callable[[], float] = time.time) -> Any:
    """Evaluate one closed JSONata expression as moto composes it, `$now()` reading `time_source`; raise moto's
    JSONataException on failure."""
    jsonata_exception = _load_moto_names().jsonata_exception
    try:
        declarations, body = split_declarations(expression)
        result = _evaluation(_compiled(body), int(time_source() * 1000), declarations).evaluate(None)
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


@functools.lru_cache(maxsize=COMPILED_CACHE_SIZE)
def _compiled(expression: str) -> jsonata.Jsonata:
    """The expression parsed once, Step Functions' functions registered on its root frame; never evaluated itself
    (see `_evaluation`), so that frame is not changed after this returns."""
    compiled = jsonata.Jsonata(expression)
    for name, function in STEP_FUNCTIONS_FUNCTIONS.items():
        compiled.register_lambda(name, function)
    return compiled


def compiled_expressions() -> int:
    """How many state expressions have been compiled since the cache was last cleared (for tests and benches)."""
    return _compiled.cache_info().misses


def clear_compiled() -> None:
    """Forget every compiled expression."""
    _compiled.cache_clear()


def split_declarations(expression: str) -> tuple[dict[str, Any], str]:
    """moto's composed expression `($states:={...};$var:=...;<state expression>)` as the declared values by name
    (without `$`) and the expression left, `(<state expression>)`: the same text for every execution of a state, so
    its compiled form is reused. A declaration whose value is not plain JSON stays in the expression."""
    if expression.startswith(_TYPE_CHECK) and expression.endswith(")"):
        # moto checks a field's type by evaluating `$type(<composed expression>)` (jsonata/validations.py).
        checked, body = split_declarations(expression[len(_TYPE_CHECK) : -1])
        return checked, f"{_TYPE_CHECK}{body})"
    if not expression.startswith("(") or not expression.endswith(")"):
        return {}, expression
    declarations: dict[str, Any] = {}
    position = 1
    while (declared := _DECLARATION.match(expression, position)) is not None:
        try:
            value, end = _JSON.raw_decode(expression, declared.end())
        except ValueError:
            break
        if not expression.startswith(";", end):
            break
        declarations[declared["name"]] = _jsonata_nulls(value)
        position = end + 1
    return declarations, f"({expression[position:]}" if position > 1 else expression


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is no JSONata literal")


_TYPE_CHECK: Final[str] = "$type("
# moto writes each declaration as `$name:=<JSON>;` with no spaces (`encode_jsonata_variable_declarations`).
_DECLARATION: Final = re.compile(r"\$(?P<name>[A-Za-z0-9_]+):=")
_JSON: Final = json.JSONDecoder(parse_constant=_refuse_constant)  # NaN and Infinity are no JSONata literals


def _jsonata_nulls(value: Any) -> Any:
    """A JSON value as jsonata-python evaluates the same literal: `null` is its NULL_VALUE, not None (undefined)."""
    if value is None:
        return Utils.NULL_VALUE
    if isinstance(value, dict):
        return {key: _jsonata_nulls(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonata_nulls(item) for item in value]
    return value


def _evaluation(compiled: jsonata.Jsonata, timestamp_ms: int, declarations: dict[str, Any]) -> jsonata.Jsonata:
    """A shallow copy of `compiled` for one evaluation (the parsed AST shared, read only), with a frame of its own
    over the compiled one holding moto's declarations and `$now()` and `$millis()` at `timestamp_ms` (see the module
    docstring, 4.).

    jsonata-python keeps an evaluation's state on the instance (`environment`, `input`, the `$` binding) and
    evaluates on `Jsonata.CURRENT.jsonata`, a per-thread instance its constructor sets: evaluating the cached object
    from several threads would mix their frames, so each evaluation gets its copy and makes it the thread's current
    instance, as compiling it afresh did."""
    evaluation = copy.copy(compiled)
    evaluation.environment = evaluation.create_frame(compiled.environment)
    for name, value in declarations.items():
        evaluation.assign(name, value)
    evaluation.register_lambda("millis", lambda: timestamp_ms)
    evaluation.register_lambda(
        "now",
        lambda picture=None, timezone=None: Functions.datetime_from_millis(timestamp_ms, picture, timezone),
    )
    jsonata.Jsonata.CURRENT.jsonata = evaluation
    return evaluation


def install(time_source: Callable[[], float] = time.time) -> None:
    """Make moto evaluate JSONata with jsonata-python (idempotent), `$now()` reading `time_source`."""
    global _installed
    with _lock:
        if _installed is not None:
            return
        check_moto_version("orchestrator.local.jsonata_engine")
        names = _load_moto_names()
        seam_set = SeamSet("jsonata_engine")
        seam_set.replace(declared.JSONATA_EVALUATOR, functools.partial(evaluate, time_source=time_source))
        for seam in declared.JSONATA_QUERY_ERRORS:
            seam_set.wrap(seam, functools.partial(_raising_query_evaluation_errors, names=names))
        # moto's stand-in declarations would shadow the registered functions (see the module docstring, 3.).
        for seam in (*declared.JSONATA_FUNCTION_STANDINS, declared.JSONATA_PARTITION_STANDIN):
            seam_set.remove(seam)
        seam_set.apply()
        _installed = seam_set


def uninstall() -> None:
    """Restore moto's own (non-functional) JSONata evaluation (idempotent)."""
    global _installed
    with _lock:
        if _installed is None:
            return
        _installed.undo()
        _installed = None


def is_installed() -> bool:
    """Whether moto currently evaluates JSONata through this adapter."""
    return _installed is not None


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


def _raising_query_evaluation_errors(original: EvalBody, names: _MotoNames) -> EvalBody:
    @functools.wraps(original)
    def _eval_body(component: Any, env: Any) -> None:
        try:
            original(component, env)
        except names.jsonata_exception as ex:
            # The state expression only: the composed one carries all of $states and every variable.
            details = getattr(ex, "details", None) or ex
            cause = f"The JSONata expression '{component.expression}' could not be evaluated: {details}"
            raise query_evaluation_failure(env, cause) from ex

    return _eval_body


def query_evaluation_failure(env: Any, cause: str) -> Exception:
    """moto's failure of the state `env` evaluates, States.QueryEvaluationError with `cause`, which Catch and Retry
    can match (raise it from a seam on the interpreter)."""
    names = _load_moto_names()
    error_name = names.states_error_name(typ=names.query_evaluation_error_type)
    failure_event = names.failure_event(
        env=env,
        error_name=error_name,
        event_type=names.evaluation_failed_event_type,
        event_details=names.event_details(
            evaluationFailedEventDetails=names.evaluation_failed_event_details(error=error_name.error_name, cause=cause)
        ),
    )
    failure: Exception = names.failure_event_exception(failure_event=failure_event)
    return failure


def _describe(ex: Exception) -> str:
    code = getattr(ex, "error", None)
    return f"{code}: {ex}" if isinstance(code, str) and code else str(ex) or type(ex).__name__


@functools.cache
def _load_moto_names() -> _MotoNames:
    try:
        jsonata_module = importlib.import_module(f"{_ASL}.jsonata.jsonata")
        failure = importlib.import_module(f"{_ASL}.component.common.error_name.failure_event")
        error_name = importlib.import_module(f"{_ASL}.component.common.error_name.states_error_name")
        error_type = importlib.import_module(f"{_ASL}.component.common.error_name.states_error_name_type")
        event_detail = importlib.import_module(f"{_ASL}.eval.event.event_detail")
        api = importlib.import_module("moto.stepfunctions.parser.api")
        names = _MotoNames(
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
        raise MotoSeamError(f"a moto name the JSONata seams read is missing: {ex}") from ex
    if not callable_entry_point or not hasattr(jsonata_module, "_eval_jsonata"):
        raise MotoSeamError(f"{_ASL}.jsonata.jsonata no longer calls through the _eval_jsonata pointer")
    if names.query_evaluation_error_type.to_name() != QUERY_EVALUATION_ERROR:
        raise MotoSeamError(f"moto names the query evaluation error {names.query_evaluation_error_type.to_name()}")
    return names
