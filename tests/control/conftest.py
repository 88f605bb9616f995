"""The `orch` CLI run in-process (`main(argv)`) against the local runtime on the real assembly: inside a running
`LocalCloud`, boto3 clients made without an endpoint reach moto, so the commands need no `--endpoint-url`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from orchestrator.cli import main
from orchestrator.local.cloud import LocalCloud

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@contextmanager
def running_cloud(assembly_dir: Path, tmp_path_factory: pytest.TempPathFactory, **options: Any) -> Iterator[LocalCloud]:
    """A local cloud of the assembly (`options`: LocalCloud's), with credentials that reach only it."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAKE_CREDENTIALS.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        patch.setenv("AWS_CONFIG_FILE", str(tmp_path_factory.mktemp("aws") / "no-config"))
        with LocalCloud.from_assembly(assembly_dir, **options) as local:
            yield local


@pytest.fixture(scope="module")
def cloud(assembly_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """One local cloud per test module (a start costs seconds); each test keeps to its own business keys."""
    with running_cloud(assembly_dir, tmp_path_factory) as local:
        yield local


@dataclass(frozen=True)
class Ran:
    code: int
    out: str  # the command's own output (handlers running in-process also print their JSON logs; left out)
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("orch:")]


class Orch:
    """Runs `orch` commands in-process, capturing what each one prints."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def __call__(self, *argv: str) -> Ran:
        self._capsys.readouterr()  # what background work printed before
        code = main(list(argv))
        captured = self._capsys.readouterr()
        own = [line for line in captured.out.splitlines() if not line.startswith('{"')]
        return Ran(code, "\n".join(own), captured.err)


@pytest.fixture
def orch(capsys: pytest.CaptureFixture[str]) -> Orch:
    return Orch(capsys)
