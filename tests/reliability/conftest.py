"""A local cloud of the real app with injected faults: one per test, the faults given by the test."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orchestrator.local.cloud import LocalCloud
from orchestrator.local.faults import Faults, Injected, Rule

StartCloud = Callable[..., LocalCloud]


@pytest.fixture
def cloud_with(assembly_dir: Path, aws_credentials: None) -> Iterator[StartCloud]:
    """`cloud_with(rule, ..., seed=7)` starts the app on the local runtime with those faults (stopped at the end)."""
    with contextlib.ExitStack() as stack:

        def start(*rules: Rule, seed: int = 7) -> LocalCloud:
            return stack.enter_context(LocalCloud.from_assembly(assembly_dir, faults=Faults(seed, rules)))

        yield start


def injected(cloud: LocalCloud) -> list[Injected]:
    """Every fault that struck in the cloud's run."""
    assert cloud.faults is not None, "the cloud was started with faults"
    return list(cloud.faults.injected)
