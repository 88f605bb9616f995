"""Where the in-process handlers' output goes while a command runs them: a log file for the demo, standard error for
`orch replay-test`, so that it does not drown (or, with `--output json`, corrupt) the command's own output."""

from __future__ import annotations

import contextlib
import io
import sys
import threading
from collections.abc import Iterator
from typing import Any, Final, TextIO


class _HandlerOutput(io.TextIOBase):
    """What the process writes to stdout and stderr while a command runs handlers: its log.

    Powertools binds each service's logger to the `sys.stdout` of the moment that service's first logger is made,
    for the life of the process, so this one object serves every run: between runs it writes through to the
    stdout of the moment, as if it were not there."""

    def __init__(self) -> None:
        super().__init__()
        self.target: TextIO | None = None
        self._writing = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        target = self.target or (sys.stdout if sys.stdout is not self else sys.__stdout__)
        with self._writing:  # handlers of several functions may write at once (a text stream is not thread-safe)
            return target.write(text) if target is not None else len(text)

    def flush(self) -> None:
        if self.target is not None:
            self.target.flush()

    @property
    def buffer(self) -> Any:
        """The binary layer: the CDK's Node runtime writes its messages there."""
        target = self.target or sys.__stdout__
        return target.buffer if target is not None else io.BytesIO()


_HANDLER_OUTPUT: Final = _HandlerOutput()


@contextlib.contextmanager
def handler_logs_to(log: TextIO) -> Iterator[None]:
    """stdout and stderr of everything but the command's own lines go to `log` for the duration."""
    _HANDLER_OUTPUT.target = log
    try:
        with contextlib.redirect_stdout(_HANDLER_OUTPUT), contextlib.redirect_stderr(_HANDLER_OUTPUT):
            yield
    finally:
        _HANDLER_OUTPUT.flush()
        _HANDLER_OUTPUT.target = None
