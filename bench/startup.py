"""The local runtime's start-up beside bare moto's (bench/local_runtime.py runs it and reports it).

Start-up: `LocalCloud.from_assembly(dir)`, `start()`, `stop()` on the synthesized app (synthesized into a temporary
folder unless `--assembly` names one), beside bare moto doing the same work minus the local runtime's own: `mock_aws`
start, the assembly's resources created with the same creators (none of the adapters' patches, no ticker, no
pollers), stop. The ratio of the two is what the local runtime adds to start-up. An empty `mock_aws` start + stop is
shown too, for scale.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import boto3
from moto import mock_aws

from bench.common import Spread
from orchestrator.assembly import CloudAssembly
from orchestrator.local.cloud import LocalCloud
from orchestrator.local.lambdas import LambdaRuntime
from orchestrator.local.pollers import Pollers
from orchestrator.local.provision import Provisioner
from orchestrator.local.runtime import MOTO_CONFIG, Runtime
from orchestrator.local.stepfunctions import StepFunctionsAdapter


@dataclass(frozen=True)
class Startup:
    """Seconds, over `runs` warm runs (moto's backends and boto3's service models already loaded)."""

    runs: int
    resources: int  # resources in the assembly's templates
    first_local_cloud: float  # the process's first start: it also loads moto's backends and the service models
    local_cloud: Spread  # LocalCloud.from_assembly + start + stop
    bare_moto: Spread  # mock_aws start + the assembly's resources created + stop
    empty_moto: Spread  # mock_aws start + stop
    ratio: float  # local_cloud / bare_moto, median over median


def measure_startup(assembly_dir: Path, runs: int = 5) -> Startup:
    """Start-up of a local cloud from `assembly_dir`, beside bare moto. The first start in the process is timed on its
    own; after one untimed bare run, the three kinds of warm run take turns, so that each sees the same machine."""
    first = _timed(lambda: _local_cloud_start_stop(assembly_dir))
    _bare_moto_provision(assembly_dir)
    local: list[float] = []
    bare: list[float] = []
    empty: list[float] = []
    for _ in range(runs):
        empty.append(_timed(_empty_moto_start_stop))
        bare.append(_timed(lambda: _bare_moto_provision(assembly_dir)))
        local.append(_timed(lambda: _local_cloud_start_stop(assembly_dir)))
    resources = sum(len(s.template.get("Resources", {})) for s in CloudAssembly(assembly_dir).stacks())
    return Startup(
        runs=runs,
        resources=resources,
        first_local_cloud=first,
        local_cloud=Spread.of(local),
        bare_moto=Spread.of(bare),
        empty_moto=Spread.of(empty),
        ratio=statistics.median(local) / statistics.median(bare),
    )


def _timed(action: Callable[[], object]) -> float:
    # Every run starts with the garbage of the runs before it collected: a collection it inherits can take longer
    # than the run itself (moto's backends leave many objects behind), which would make the spread noise.
    gc.collect()
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _empty_moto_start_stop() -> None:
    with mock_aws(config=MOTO_CONFIG):
        pass


def _local_cloud_start_stop(assembly_dir: Path) -> None:
    with LocalCloud.from_assembly(assembly_dir):
        pass


def _bare_moto_provision(assembly_dir: Path) -> None:
    runtime = Runtime()
    lambdas = LambdaRuntime(runtime)
    # The creators LocalCloud provisions with; the adapters are not installed (no patches, no pollers running).
    creators = {
        **lambdas.creators(),
        **Pollers(runtime, lambdas).creators(),
        **StepFunctionsAdapter(runtime).creators(),
    }
    with mock_aws(config=MOTO_CONFIG):
        # One session for the provisioner and the adapters' clients, as LocalCloud has: a session loads each
        # service's model once.
        runtime.session = boto3.Session()
        provisioner = Provisioner(runtime.session, runtime.account, runtime.region, creators=creators)
        provisioner.provision(CloudAssembly(assembly_dir))
