"""How a handler is loaded and in which environment it runs, as Lambda would.

- Import: each function loads its own instance of its handler module (the file in its code folder, under a unique
  module name), so module-level state and `functools.cache`d settings never leak between two functions that share
  a handler file. Packages the handler imports (`functions.*`, `schemas.*`) are shared, imported normally with the
  code folder first on sys.path, as /var/task is on Lambda. The first invocation is the cold start.
- Environment: the function's variables plus Lambda's own (`AWS_LAMBDA_FUNCTION_NAME`, `_HANDLER`, ...) are set in
  `os.environ` for the import and each invocation (see `Environments.applied` for why lazily, never deleting).
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import os
import re
import sys
import traceback
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Final

from orchestrator.local.lambdas.model import Handler, InitError, LocalFunction
from orchestrator.local.runtime import Runtime

_PACKAGE: Final = Path(__file__).parent  # the runtime's own frames are left out of a handler's stack trace
TASK_ROOT: Final = "/var/task"  # where Lambda unpacks a function's code


class HandlerModules:
    """Each function's handler, from its own instance of its handler module (warm after the cold start)."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}  # function name -> handler of its own module instance (warm)
        self._modules: list[str] = []  # names of the handler module instances put in sys.modules
        self._module_ids = itertools.count(1)

    def forget(self, function_name: str) -> None:
        """The next invocation of the function is a cold start."""
        self._handlers.pop(function_name, None)

    def unload(self) -> None:
        """Forgets every handler and takes their module instances out of sys.modules."""
        for name in self._modules:
            sys.modules.pop(name, None)
        self._modules.clear()
        self._handlers.clear()

    def handler(self, function: LocalFunction) -> Handler:
        """The function's handler, imported on its cold start (a failed init is retried on the next invocation)."""
        if function.name not in self._handlers:
            module_path, _, attribute = function.handler.rpartition(".")
            module = self._load_module(function, module_path)
            handler = getattr(module, attribute, None)
            if not callable(handler):
                raise InitError("Runtime.HandlerNotFound", f"Handler '{attribute}' missing on module '{module_path}'")
            self._handlers[function.name] = handler
        return self._handlers[function.name]

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
        # A child of its real package, so relative imports resolve; registered in sys.modules, so pydantic and
        # dataclasses find the module of the classes it defines.
        slug = re.sub(r"\W", "_", function.name)
        unique = f"{package + '.' if package else ''}_local_{slug}_{next(self._module_ids)}_{leaf}"
        spec = importlib.util.spec_from_file_location(unique, source)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        with _first_on_sys_path(function.code_dir):
            try:
                if package:
                    importlib.import_module(package)
                sys.modules[unique] = module
                spec.loader.exec_module(module)
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


class Environments:
    """The environment of each invocation running, over the process's environment as it was at the first one."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._log_streams: dict[str, str] = {}
        self._applied: list[dict[str, str]] = []  # the environment of each invocation running, outermost first
        self._baseline: dict[str, str] | None = None  # the process's environment before the first invocation

    def log_stream(self, function_name: str) -> str:
        return self._log_streams[function_name]

    def restore(self) -> None:
        """Puts the process's environment back as it was before the first invocation (deleting what was added)."""
        if self._baseline is not None:
            _switch_environment(self._baseline)
            self._baseline = None

    @contextmanager
    def applied(self, function: LocalFunction) -> Iterator[None]:
        """The function's variables and Lambda's own in os.environ, over the process's environment as it was at
        `install()`; an outer invocation's variables are put back when a nested one returns.

        Why lazily, and never deleting: other threads (moto's interpreter building boto3 clients, other handlers'
        threads) read and copy os.environ while a handler runs, and copying os.environ while a key is deleted raises
        KeyError (seen with five executions in parallel). So while the runtime runs a key is never removed: a
        variable the function does not define is set to "" instead (functions/settings.py reads an empty variable as
        unset), and after an invocation the variables stay until the next one changes them. `uninstall()` puts the
        process's environment back, deleting what the runtime added."""
        if function.name not in self._log_streams:
            day = self._runtime.clock.utcnow().strftime("%Y/%m/%d")
            self._log_streams[function.name] = f"{day}/[$LATEST]{uuid.uuid4().hex}"
        if self._baseline is None:
            self._baseline = dict(os.environ)
        target = {**self._baseline, **function.environment, **self._lambda_variables(function)}
        _switch_environment(target, delete=False)
        self._applied.append(target)
        try:
            yield
        finally:
            self._applied.pop()
            if self._applied:
                _switch_environment(self._applied[-1], delete=False)

    def _lambda_variables(self, function: LocalFunction) -> dict[str, str]:
        """The reserved variables Lambda sets (they win over the function's own, as on Lambda)."""
        trace = f"Root=1-{int(self._runtime.clock.now()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]}"
        return {
            "_HANDLER": function.handler,
            "_X_AMZN_TRACE_ID": f"{trace};Sampled=0",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": function.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": self._log_streams[function.name],
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


def _switch_environment(target: Mapping[str, str], *, delete: bool = True) -> None:
    """Makes os.environ hold `target`, touching only the keys that differ; the keys `target` lacks are removed, or
    without `delete` blanked (set to "")."""
    for key in [key for key in os.environ if key not in target]:
        if delete:
            os.environ.pop(key, None)
        elif os.environ.get(key):
            os.environ[key] = ""
    for key, value in target.items():
        if os.environ.get(key) != value:
            os.environ[key] = value
