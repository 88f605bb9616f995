"""Execution environments of a function, as Lambda keeps them: each runs one invocation at a time and is reused warm.

On Lambda each concurrent invocation of a function runs in an execution environment of its own (a process: its own
module globals, Powertools buffers, clients and environment variables); an environment that finished an invocation
takes the next one warm, and a new one starts cold only when every existing one is busy. Here an environment is its
own instance of the handler module (handlers.py), its own variables (environ.py) and its own log stream; a pool per
function hands them out one invocation at a time.

Why a cap (`DEFAULT_ENVIRONMENTS`) where Lambda scales out to the account's concurrency: each cold start imports the
handler module again and builds its clients (tens of milliseconds of one core, bench/imports.py), and the local runtime
has the cores of one machine, not a fleet. Unbounded, 200 sagas started at once would pay 200 imports of each function
they touch, for no more parallelism than the machine has. With a few environments per function, concurrency defects
of the app (two invocations racing on one DynamoDB item) can show, and a burst waits for a warm environment instead.
An invocation waiting for one is blocked outside any wait of the ledger: quiet detection counts it as work, as it is.

What the cap changes from Lambda: where Lambda would start another environment (or, at a reserved concurrency,
throttle), an invocation here waits. So a handler that waits for more concurrent invocations of its own function than
the cap (its own, synchronously, nested deeper than the cap; or from other threads while it holds an environment)
waits for ever; raise the cap for such a test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final

from orchestrator.local.lambdas.model import Handler, LocalFunction
from orchestrator.local.runtime import local_session

DEFAULT_ENVIRONMENTS: Final = 2  # per function: see the module docstring


@dataclass
class ExecutionEnvironment:
    """One execution environment of a function: held by one invocation at a time."""

    function: LocalFunction
    variables: dict[str, str]  # its os.environ (environ.py): the function's variables and Lambda's over the process's
    log_stream: str
    handler: Handler | None = None  # from its own module instance, once its init (the cold start) succeeded
    # Set when Lambda would not reuse it: its process died (an injected crash) or the invocation timed out (Lambda
    # resets the environment after a timeout); the next invocation then starts cold, as on Lambda.
    retired: bool = False
    _session: Any = None

    def default_session(self) -> Any:
        """boto3's default session in this environment (`boto3.client(...)` in a handler): one per environment, as
        each Lambda process has its own. Shared by every environment, building clients from the one default session
        would race (botocore's session is not thread-safe to build clients from), and a client made in one function
        could carry another's credentials. Made on first use, inside the environment: it reads its variables."""
        if self._session is None:
            self._session = local_session()
        return self._session


_running: ContextVar[ExecutionEnvironment | None] = ContextVar("lambda_execution_environment", default=None)


def running() -> ExecutionEnvironment | None:
    """The execution environment whose handler the calling context runs (None: the process's own work)."""
    return _running.get()


@contextmanager
def running_in(environment: ExecutionEnvironment) -> Iterator[None]:
    """The calling context runs in `environment` until the block ends: `os.environ` (environ.py) and boto3's default
    session are its own. A nested block (a handler invoking another function synchronously, in its thread) shadows it,
    and the outer one is back when it ends. Threads the handler starts begin with an empty context: the process's."""
    token = _running.set(environment)
    try:
        yield
    finally:
        _running.reset(token)


def default_session(original: Callable[[], Any]) -> Callable[[], Any]:
    """boto3's `_get_default_session`, answering the running environment's session (seam BOTO3_DEFAULT_SESSION)."""

    def get_default_session() -> Any:
        environment = _running.get()
        return original() if environment is None else environment.default_session()

    return get_default_session


class EnvironmentPool:
    """A function's execution environments: a free warm one, else a new one up to `cap`, else wait for one."""

    def __init__(self, cap: int, start: Callable[[], ExecutionEnvironment]) -> None:
        if cap < 1:
            raise ValueError(f"a function needs at least one execution environment, not {cap}")
        self.cap = cap
        self._start = start
        self._free = threading.Condition()
        self._idle: list[ExecutionEnvironment] = []
        self._alive = 0  # environments started and not discarded: idle or running an invocation
        self.started: list[ExecutionEnvironment] = []  # every environment started, for `unload` and tests

    @contextmanager
    def lease(self) -> Iterator[ExecutionEnvironment]:
        """An environment for one invocation, back in the pool when the block ends (discarded if its init failed or it
        was retired, as Lambda discards such an environment: the next invocation starts cold)."""
        with self._free:
            self._free.wait_for(lambda: bool(self._idle) or self._alive < self.cap)
            # The most recently used first, as Lambda routes to a warm environment.
            environment = self._idle.pop() if self._idle else None
            if environment is None:
                self._alive += 1
        if environment is None:
            try:
                environment = self._start()
            except BaseException:
                self._discard()
                raise
            with self._free:
                self.started.append(environment)
        try:
            yield environment
        finally:
            if environment.handler is None or environment.retired:
                self._discard()
            else:
                with self._free:
                    self._idle.append(environment)
                    self._free.notify()

    def _discard(self) -> None:
        with self._free:
            self._alive -= 1
            self._free.notify()
