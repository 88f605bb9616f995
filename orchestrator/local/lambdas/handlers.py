"""How a handler is loaded and in which environment it runs, as Lambda would.

- Import: each execution environment of a function (pool.py) loads its own instance of the handler module (the file in
  its code folder, under a unique module name), so module-level state and `functools.cache`d settings are never shared
  between two functions that share a handler file, nor between two environments of one function. Packages the handler
  imports (`functions.*`, `schemas.*`) are shared, imported normally with the code folder first on sys.path, as
  /var/task is on Lambda. An environment's first invocation is its cold start.
- Environment: each execution environment has its own variables, the function's and Lambda's own (`_HANDLER`,
  `AWS_LAMBDA_FUNCTION_NAME`, ...) over a copy of the process's environment as it was at its cold start; the
  import and every invocation in it see them as `os.environ` (environ.py), and nothing else does.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import re
import sys
import threading
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Final, cast

from orchestrator.local.lambdas.environ import process_snapshot
from orchestrator.local.lambdas.model import Handler, InitError, LocalFunction
from orchestrator.local.lambdas.pool import ExecutionEnvironment
from orchestrator.local.runtime import Runtime

_PACKAGE: Final = Path(__file__).parent  # the runtime's own frames are left out of a handler's stack trace
TASK_ROOT: Final = "/var/task"  # where Lambda unpacks a function's code


class HandlerModules:
    """Handler module instances, one per execution environment; `unload` takes every one out of sys.modules."""

    def __init__(self) -> None:
        self._modules: list[str] = []  # names of the handler module instances put in sys.modules
        self._module_ids = itertools.count(1)
        # Imports one at a time: each puts its own code folder first on sys.path while it runs.
        self._loading = threading.RLock()  # re-entrant: a module's import may invoke a function

    def unload(self) -> None:
        """Takes every module instance loaded so far out of sys.modules."""
        with self._loading:
            for name in self._modules:
                sys.modules.pop(name, None)
            self._modules.clear()

    def load(self, function: LocalFunction) -> Handler:
        """The handler of a new instance of the function's handler module: an execution environment's init."""
        module_path, _, attribute = function.handler.rpartition(".")
        with self._loading:
            module = self._load_module(function, module_path)
        handler = getattr(module, attribute, None)
        if not callable(handler):
            raise InitError("Runtime.HandlerNotFound", f"Handler '{attribute}' missing on module '{module_path}'")
        return cast(Handler, handler)

    def _load_module(self, function: LocalFunction, module_path: str) -> ModuleType:
        """A new instance of the handler's module, from the function's code folder, under a name of its own."""
        relative = Path(*module_path.split(".")) if module_path else None
        candidates = [] if relative is None else [relative.with_suffix(".py"), relative / "__init__.py"]
        source = next((function.code_dir / c for c in candidates if (function.code_dir / c).is_file()), None)
        if source is None:
            raise InitError(
                "Runtime.ImportModuleError", f"Unable to import module '{module_path}': No module named '{module_path}'"
            )
        package, _, leaf = module_path.rpartition(".")
        # Kept in sys.modules under a name of its own (a child of its real package, so relative imports resolve), but
        # named as Lambda names it (`__name__`, so the `__module__` of what it defines): a key built from a function's
        # module (Powertools idempotency's default key prefix) is then the same in every environment, as on Lambda.
        slug = re.sub(r"\W", "_", function.name)
        unique = f"{package + '.' if package else ''}_local_{slug}_{next(self._module_ids)}_{leaf}"
        spec = importlib.util.spec_from_file_location(unique, source)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        module.__name__ = module_path
        with _first_on_sys_path(function.code_dir):  # under `_loading` (the caller holds it)
            try:
                if package:
                    importlib.import_module(package)
                sys.modules[unique] = module
                # Run as the loader's exec_module would, but without its check that the module bears the name it was
                # loaded under (it bears Lambda's).
                code = spec.loader.get_code(unique)  # type: ignore[attr-defined]  # a SourceFileLoader's
                with _registered_as(module_path, module):  # pydantic and dataclasses look classes' modules up there
                    exec(code, module.__dict__)  # noqa: S102 - the function's own handler module
            except ImportError as error:
                sys.modules.pop(unique, None)
                raise InitError(
                    "Runtime.ImportModuleError",
                    f"Unable to import module '{module_path}': {error}",
                    stack_of(error, function.code_dir),
                ) from error
            except Exception as error:
                sys.modules.pop(unique, None)
                raise InitError(type(error).__name__, str(error), stack_of(error, function.code_dir)) from error
        self._modules.append(unique)
        return module


@contextmanager
def _registered_as(name: str, module: ModuleType) -> Iterator[None]:
    """`sys.modules[name]` is `module` while the block runs, and what it was (the real module, or nothing) after."""
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        yield
    finally:
        if previous is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous


class Environments:
    """Starts execution environments, each with its own log stream and variables, as Lambda starts them."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def start(self, function: LocalFunction) -> ExecutionEnvironment:
        """A new (cold) execution environment of `function`; its handler is loaded by its first invocation."""
        day = self._runtime.clock.utcnow().strftime("%Y/%m/%d")
        log_stream = f"{day}/[$LATEST]{uuid.uuid4().hex}"  # one per execution environment, as on Lambda
        variables = {**process_snapshot(), **function.environment, **self._lambda_variables(function, log_stream)}
        return ExecutionEnvironment(function, variables, log_stream)

    def begin_invocation(self, environment: ExecutionEnvironment) -> None:
        """What Lambda changes in an environment's variables at each invocation: the trace header."""
        environment.variables["_X_AMZN_TRACE_ID"] = self._trace_id()

    def _trace_id(self) -> str:
        trace = f"Root=1-{int(self._runtime.clock.now()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]}"
        return f"{trace};Sampled=0"

    def _lambda_variables(self, function: LocalFunction, log_stream: str) -> dict[str, str]:
        """The reserved variables Lambda sets (they win over the function's own, as on Lambda)."""
        return {
            "_HANDLER": function.handler,
            "_X_AMZN_TRACE_ID": self._trace_id(),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": function.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_REGION": self._runtime.region,
            "AWS_DEFAULT_REGION": self._runtime.region,
            "LAMBDA_TASK_ROOT": str(function.code_dir),
            # There is no X-Ray daemon locally; Powertools' Tracer would otherwise trace (LAMBDA_TASK_ROOT is set).
            "POWERTOOLS_TRACE_DISABLED": "true",
        }


def stack_of(error: BaseException, code_dir: Path) -> list[str]:
    """The traceback as Lambda's Python runtime reports it: the handler's frames, not the runtime's, each file of the
    function's code named where Lambda unpacks it (`/var/task/handler.py`: "AWS Lambda function errors in Python",
    https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html), formatted from (file, line, function,
    source) as the runtime formats them (awslambdaric's bootstrap: no column markers)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).parent != _PACKAGE]
    return traceback.format_list([(_task_path(f.filename, code_dir), f.lineno or 0, f.name, f.line) for f in frames])


def _task_path(filename: str, code_dir: Path) -> str:
    """`filename` under /var/task when the function's code folder holds it: one of the folder's own files, or a module
    of a package the folder ships that this process imported from elsewhere (`functions.*` and `schemas.*` come from
    the repository); other files (site-packages) as they are."""
    path = Path(filename)
    for parent in reversed(path.parents):  # the longest path inside the code folder first
        inside = path.relative_to(parent)
        if inside.parts and (code_dir / inside).is_file():
            return f"{TASK_ROOT}/{inside.as_posix()}"
    return filename


@contextmanager
def _first_on_sys_path(directory: Path) -> Iterator[None]:
    """The code folder first on sys.path while a handler module is imported, as /var/task is on Lambda."""
    entry = str(directory)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        sys.path.remove(entry)
