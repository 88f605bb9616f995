"""The handlers' standard streams (orchestrator/local/lambdas/output.py): many writer threads, and a host that uses
the wrapped stream in its own thread without the lock, as pytest does with its capture file after each test."""

from __future__ import annotations

import io
import logging
import tempfile
import threading
from typing import Any

from orchestrator.local.lambdas.output import SerializedStream

LINE = '{"level":"INFO","message":"' + "x" * 200 + '"}\n'
WRITERS = 4


class CaptureFile(io.TextIOWrapper):
    """pytest's capture file as `_pytest.capture.EncodedFile` makes it, recording the threads that enter its text
    layer's write or flush."""

    def __init__(self) -> None:
        raw = tempfile.TemporaryFile(buffering=0)  # noqa: SIM115 (the text wrapper owns it and closes it)
        super().__init__(raw, encoding="utf-8", errors="replace", newline="", write_through=True)
        self.text_layer_threads: set[int] = set()

    def write(self, text: str) -> int:
        self.text_layer_threads.add(threading.get_ident())
        return super().write(text)

    def flush(self) -> None:
        self.text_layer_threads.add(threading.get_ident())
        super().flush()


def _writers(target: Any, lines: int) -> list[threading.Thread]:
    def write() -> None:
        for _ in range(lines):
            target.write(LINE)
            target.flush()

    return [threading.Thread(target=write) for _ in range(WRITERS)]


def test_writers_never_enter_the_text_layer_the_host_is_seeking_and_truncating():
    """Before: the handlers' writes went through the capture file's `TextIOWrapper`, which pytest's thread seeks,
    reads and truncates meanwhile; CPython 3.11's text layer used from two threads at once corrupts memory (a
    workflow test's worker died of a segmentation fault in a handler's write). Now only the binary layer is shared."""
    capture = CaptureFile()
    stream = SerializedStream(capture)
    threads = _writers(stream, 100)
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):  # what pytest does after each test, with no lock
        capture.seek(0)
        capture.read()
        capture.seek(0)
        capture.truncate()
    for thread in threads:
        thread.join()

    writers = {thread.ident for thread in threads}
    assert not capture.text_layer_threads & writers, "a writer thread entered the text layer"


def test_every_line_arrives_whole_through_the_binary_layer():
    capture = CaptureFile()
    stream = SerializedStream(capture)
    threads = _writers(stream, 100)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stream.flush()
    capture.seek(0)
    lines = capture.read().splitlines(keepends=True)
    assert len(lines) == WRITERS * 100
    assert set(lines) == {LINE}


def test_a_line_buffered_stream_gets_each_line_at_once_and_a_text_only_stream_is_written_as_text():
    raw = io.BytesIO()
    terminal = io.TextIOWrapper(raw, encoding="utf-8", line_buffering=True)
    SerializedStream(terminal).write("é\n")
    assert raw.getvalue() == "é\n".encode(), "flushed at the newline, as the text stream would have"

    memory = io.StringIO()
    SerializedStream(memory).writelines(["a\n", "b\n"])
    assert memory.getvalue() == "a\nb\n"


def test_a_logging_handler_bound_to_the_stream_before_it_was_wrapped_writes_through_the_wrapper_until_restored(
    monkeypatch: Any,
):
    """Powertools binds a logger's handler to the `sys.stdout` of the logger's making; a logger made before the
    runtime wrapped the stream (one cached per service, the producer's) would write the text layer directly."""
    from orchestrator.local.lambdas.output import restore_standard_streams, serialize_standard_streams

    capture = CaptureFile()
    monkeypatch.setattr("sys.stdout", capture)
    handler = logging.StreamHandler(capture)
    made_before = logging.getLogger("tests.output.made-before")
    monkeypatch.setattr(made_before, "handlers", [handler])

    serialize_standard_streams()
    try:
        assert isinstance(handler.stream, SerializedStream) and handler.stream.stream is capture
    finally:
        restore_standard_streams()
    assert handler.stream is capture
