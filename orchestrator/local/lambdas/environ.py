"""`os.environ` per invocation: while the local Lambda runtime is installed, `os.environ` is a mapping whose reads and
writes go, in a context running a handler (pool.py `running_in`), to the variables of that handler's execution
environment, and anywhere else to the process's own environment.

Why a mapping in place of `os.environ` rather than writing each invocation's variables into the process's: the
process's environment is one for every thread, so invocations would have to run one at a time, and every other thread
(moto's interpreter, the runtime's deliveries, a test) would see the running handler's variables. On Lambda each
execution environment is a process with an environment of its own; here the context (a `ContextVar`) stands for it.

Who reads `os.environ` through it: `os.getenv` (it looks up `os.environ` at each call), `dict(os.environ)`,
`os.environ.copy()` (a dict, as `os._Environ.copy` returns), botocore (its config chain keeps the `os.environ` object
of when the session was made and reads keys from it at each lookup: the proxy answers for the reading context),
pydantic models reading variables (functions/settings.py), Powertools (`os.getenv`), `unittest.mock.patch.dict` and
pytest's `monkeypatch.setenv` (they write through the object they were given: the proxy or the real one, both end in
the right environment).

What differs from Lambda, and why:
- A thread a handler starts itself sees the process's environment, not the function's: a new thread starts with an
  empty context, and telling the runtime's own threads (started by a handler's call into moto) from the handler's
  cannot be done from here. asyncio tasks a handler starts do copy its context, and see its environment.
- Modules that bound `os.environ` before the runtime was installed (`from os import environ`) keep the real one.
- `os.putenv`, `os.environb` and subprocesses see the process's environment only (a child process inherits the C
  environment, which the proxy never writes to).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, MutableMapping
from typing import Final

from orchestrator.local.lambdas.pool import running


class InvocationEnviron(MutableMapping[str, str]):
    """`os.environ` while the runtime is installed: the running handler's environment, else the process's."""

    def __init__(self, process: MutableMapping[str, str]) -> None:
        self.process = process  # the real os.environ

    def _current(self) -> MutableMapping[str, str]:
        environment = running()
        return self.process if environment is None else environment.variables

    def __getitem__(self, key: str) -> str:
        return self._current()[key]

    def __setitem__(self, key: str, value: str) -> None:
        if not isinstance(key, str) or not isinstance(value, str):  # as os.environ refuses them
            raise TypeError(f"str expected, not {type(key if not isinstance(key, str) else value).__name__}")
        self._current()[key] = value

    def __delitem__(self, key: str) -> None:
        del self._current()[key]

    def __iter__(self) -> Iterator[str]:
        # A list: os._Environ iterates over a copy of its keys too, so a writer elsewhere cannot break the loop.
        return iter(list(self._current()))

    def __len__(self) -> int:
        return len(self._current())

    def copy(self) -> dict[str, str]:
        """A dict of the current environment, as `os.environ.copy()` returns."""
        return dict(self._current())

    def __repr__(self) -> str:
        return f"InvocationEnviron({dict(self._current())!r})"


PROCESS_ENVIRON: Final = os.environ  # the real one, bound at import (before any runtime is installed)
# One proxy for the process: the seam OS_ENVIRON (seams/services.py) puts it in place of os.environ while a Lambda
# runtime is installed, and its undo puts the real one back, untouched (the proxy writes to it only from threads that
# run no handler, as those writes would have gone there anyway).
PROXY: Final = InvocationEnviron(PROCESS_ENVIRON)


def process_snapshot() -> dict[str, str]:
    """A copy of the process's environment, safe while another thread sets or deletes a key (`dict(os.environ)` raises
    KeyError when a key goes between listing the keys and reading them)."""
    copied = {}
    for key in list(PROCESS_ENVIRON):
        value = PROCESS_ENVIRON.get(key)
        if value is not None:
            copied[key] = value
    return copied
