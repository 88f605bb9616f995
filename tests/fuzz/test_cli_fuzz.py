"""Fuzzing the `orch` command line in-process (`main(argv)`, no subprocess): each invocation has one bad argument
among good ones, and the answer is one line on stderr saying what is wrong and how to fix it, exit status 2 (3 for a
breaker the app does not define), never a Python traceback. The endpoint given is a closed local port, so nothing
reaches AWS: an argument error must be found before any call.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from orchestrator.cli import EXIT_NOT_FOUND, EXIT_USAGE, main

CLI_EXAMPLES = 300  # at least 200 bad invocations in the default profile (issue 17)
NOWHERE = ["--endpoint-url", "http://127.0.0.1:9"]  # a closed port: a call would fail fast (exit 1), not hang
ARN = "arn:aws:states:us-east-1:123456789012:execution:order-saga:run-1"

HUGE_AGES = st.sampled_from(["99999999999d", "9" * 30 + "s", "9" * 5_000 + "m", "2020-13-01", "yesterday", ""])
COUNTS = st.sampled_from(["-5", "0", "9" * 30, "abc", "1e3", "", "9" * 5_000])
URLS = st.sampled_from(["", "not a url", "ftp://x", "http://[::1", "http://host:99999", "//nohost", "http://"])
REGIONS = st.sampled_from(["", "bad region!", "x" * 300, "\x00", "eu west 1", "-eu-"])
PORTS = st.sampled_from(["70000", "-1", "0", "abc", "9" * 5_000, "65536", ""])
JSON_VALUES = st.sampled_from(
    ["[" * 5_000, "NaN", "1e999", "-Infinity", "9" * 5_000, "{", '{"a": NaN}', "@/nonexistent/file", "@/"]
)
BREAKER_IDS = st.sampled_from(["../../etc", "x" * 1_000, "", " ", "agent:billing/../x", "agent:nope"])


@pytest.fixture(scope="module")
def binary_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "binary.json"
    path.write_bytes(b"\xff\xfe\x00\x81binary")
    return path


@pytest.fixture(scope="module", autouse=True)
def no_aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "x",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        patch.setenv("AWS_CONFIG_FILE", str(tmp_path_factory.mktemp("aws") / "none"))
        yield


@st.composite
def bad_invocations(draw: st.DrawFn, binary: str) -> list[str]:
    """One command with one bad argument (and the rest good)."""
    json_value = draw(st.one_of(JSON_VALUES, st.just("@" + binary)))
    choices = [
        ["list", "--since", draw(HUGE_AGES), *NOWHERE],
        ["list", "--until", draw(HUGE_AGES), *NOWHERE],
        ["list", "--limit", draw(COUNTS), *NOWHERE],
        ["replay", "--since", draw(HUGE_AGES), *NOWHERE],
        ["history", "--correlation-id", "c-1", "--as-of", draw(HUGE_AGES), *NOWHERE],
        ["--endpoint-url", draw(URLS), "list"],
        ["--region", draw(REGIONS), "list"],
        ["describe", ARN, "--region", draw(REGIONS)],
        ["start", "order-saga", "--input", json_value, *NOWHERE],
        ["put-event", "OrderPlaced", "--data", json_value, *NOWHERE],
        ["signal", "task", "t-1", "--complete", json_value, *NOWHERE],
        ["signal", "approval", "t-1", "--approve", "--by", draw(st.text(max_size=10)), *NOWHERE],
        ["pause", ARN, "--by", draw(st.text(max_size=10)), *NOWHERE],
        ["local", "up", "--port", draw(PORTS)],
        ["local", "up", "--assembly", binary],
        ["local", "access-report", "--port", draw(PORTS)],
        ["replay-test", binary, *NOWHERE],
        ["replay-test", "recording.json", "--assembly", binary, *NOWHERE],
        ["breakers", draw(st.sampled_from(["reset", "force-open"])), draw(BREAKER_IDS), *NOWHERE],
        ["definitions", "shift", "order-saga", "--to", draw(COUNTS), "--weight", "10", *NOWHERE],
        ["describe", draw(st.sampled_from(["", "\x00", "not-an-arn", "arn:aws:states:::x"])), *NOWHERE],
        ["graph", "order-saga", "--execution", draw(st.sampled_from(["", "x", "\x00"])), *NOWHERE],
        ["dag", "graph", binary],
        ["dag", "compile", draw(st.sampled_from(["/", "/nonexistent", binary]))],
        [
            draw(st.sampled_from(["list", "start", "nope", "breakers", "local"])),
            *draw(st.lists(st.text(max_size=8), max_size=3)),
        ],
    ]
    return draw(st.sampled_from(choices))


def run(argv: list[str]) -> tuple[int, str]:
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(argv)
    return code, err.getvalue()


def check(argv: list[str]) -> None:
    code, err = run(argv)
    assert "Traceback" not in err, (argv, err)
    own = [line for line in err.splitlines() if line.startswith("orch")]
    assert own, (argv, err)
    if argv[:1] == ["breakers"] and argv[2:3] == ["agent:nope"]:
        assert code == EXIT_NOT_FOUND and "known: agent:" in own[-1], (argv, err)
        return
    assert code == EXIT_USAGE, (argv[:6], code, err[-400:])


@pytest.fixture(scope="module")
def binary(binary_file: Path) -> str:
    return str(binary_file)


@settings(max_examples=CLI_EXAMPLES)
@given(data=st.data())
@example(data=None)  # the audit's failures, each once: see `AUDIT` below
def test_a_bad_argument_is_one_line_and_exit_2(binary: str, data: st.DataObject | None) -> None:
    if data is None:
        for argv in AUDIT(binary):
            check(argv)
        return
    check(data.draw(bad_invocations(binary)))


def AUDIT(binary: str) -> list[list[str]]:  # noqa: N802 - a table, named as a constant
    """Each printed a Python traceback before (issue 17, "bad input")."""
    return [
        ["list", "--since", "99999999999d", *NOWHERE],
        ["--endpoint-url", "not a url", "list"],
        ["--region", "bad region!", "list"],
        ["start", "order-saga", "--input", "@" + binary, *NOWHERE],
        ["start", "order-saga", "--input", "[" * 5_000, *NOWHERE],
        ["local", "up", "--port", "70000"],
        ["local", "up", "--assembly", binary],
        ["dag", "graph", binary],
    ]


def test_the_check_fails_on_a_traceback_or_another_status() -> None:
    with pytest.raises(AssertionError):
        check(["--endpoint-url", "http://127.0.0.1:9", "list"])  # a good invocation: exit 1 (unreachable), not 2
