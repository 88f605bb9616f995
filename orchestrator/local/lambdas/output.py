"""The handlers' standard output and error, written one write at a time.

On Lambda each execution environment is a process with its own stdout. Here every environment shares the process's,
and Powertools binds each service's logger to the `sys.stdout` of its first use, so handlers running at once
(pool.py) write one text stream from several threads: `io.TextIOWrapper` is not thread-safe (a write that flushes
lets go of the GIL while another thread's write appends to the same pending buffer), and the demo's log file got bytes
that are not UTF-8. While the Lambda runtime is installed, `sys.stdout` and `sys.stderr` are wrapped so that every
write and flush of the handlers (and of anyone else through them) holds one lock.
"""

from __future__ import annotations

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
            return int(self.stream.write(text))

    def writelines(self, lines: Any) -> None:
        with _WRITING:
            self.stream.writelines(lines)

    def flush(self) -> None:
        with _WRITING:
            self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def serialize_standard_streams() -> None:
    """Wraps `sys.stdout` and `sys.stderr` (idempotent)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, SerializedStream):
            setattr(sys, name, SerializedStream(stream))


def restore_standard_streams() -> None:
    """Unwraps `sys.stdout` and `sys.stderr` where they are still the wrappers (a redirect made since stays)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, SerializedStream):
            setattr(sys, name, stream.stream)
