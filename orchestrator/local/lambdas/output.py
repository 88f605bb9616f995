"""The handlers' standard output and error, written one write at a time.

On Lambda each execution environment is a process with its own stdout. Here every environment shares the process's,
and Powertools binds each service's logger to the `sys.stdout` of its first use, so handlers running at once
(pool.py) write one text stream from several threads: `io.TextIOWrapper` is not thread-safe (a write that flushes
lets go of the GIL while another thread's write appends to the same pending buffer), and the demo's log file got bytes
that are not UTF-8. While the Lambda runtime is installed, `sys.stdout` and `sys.stderr` are wrapped so that every
write and flush of the handlers (and of anyone else through them) holds one lock.

The lock covers only the writers that go through the wrappers: the program hosting the runtime may use the stream
it wrapped in its own thread, without the lock. pytest does: after each test it seeks, reads and truncates its
capture file (a `TextIOWrapper`) while the handlers of that test's cloud may still be running, and CPython 3.11's
`TextIOWrapper` used from two threads at once can corrupt memory (python/cpython#118138, #119506: a write releases
the GIL inside its flush while the other thread changes the same pending buffer). A workflow test's worker died of a
segmentation fault there, in a handler's write, while the main thread was suspending pytest's capture. So a wrapper
never enters the text layer: it encodes the text itself and writes the bytes to the stream's binary buffer
(`stream.buffer`: a buffered writer, which has a lock of its own, or a raw file), then flushes that buffer where the
text stream would have (line buffering, write-through). A stream with no binary buffer (`io.StringIO`, whose methods
never release the GIL) is written as text.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from typing import Any

_WRITING = threading.RLock()  # one for every wrapped stream: writes are short, and two wrappers may share a stream


class SerializedStream:
    """A text stream whose writes and flushes hold `_WRITING`; everything else is the stream's own."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        with _WRITING:
            binary = getattr(self.stream, "buffer", None)
            if binary is None:
                return int(self.stream.write(text))
            binary.write(text.encode(self.stream.encoding or "utf-8", self.stream.errors or "strict"))
            if getattr(self.stream, "write_through", False) or (
                getattr(self.stream, "line_buffering", False) and "\n" in text
            ):
                binary.flush()
            return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        with _WRITING:
            binary = getattr(self.stream, "buffer", None)
            (self.stream if binary is None else binary).flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def serialize_standard_streams() -> None:
    """Wraps `sys.stdout` and `sys.stderr` (idempotent), and points the logging handlers that write either stream
    directly at its wrapper: Powertools binds a logger's handler to the `sys.stdout` of the logger's making, and the
    loggers a handler's module shares (functions/observability.py caches one per service; the producer's) may have
    been made outside the runtime, before it wrapped the stream."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, SerializedStream):
            wrapper = SerializedStream(stream)
            setattr(sys, name, wrapper)
            _rebind_handlers(stream, wrapper)


def restore_standard_streams() -> None:
    """Unwraps `sys.stdout` and `sys.stderr` where they are still the wrappers (a redirect made since stays), and
    points the logging handlers that write a wrapper back at its stream."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, SerializedStream):
            setattr(sys, name, stream.stream)
            _rebind_handlers(stream, stream.stream)


def _rebind_handlers(old: Any, new: Any) -> None:
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", ()):  # a PlaceHolder has none
            if isinstance(handler, logging.StreamHandler) and handler.stream is old:
                with handler.lock or contextlib.nullcontext():  # not setStream: it flushes the old stream
                    handler.stream = new
