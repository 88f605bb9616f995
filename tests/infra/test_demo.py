"""`make demo` (until the local runtime): the summary names what a user will get from `cdk deploy`."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.assembly import CloudAssembly
from orchestrator.demo import describe
from schemas.catalog import EVENT_TYPES
from schemas.envelope import schema_name
from tests.conftest import STACKS


def test_assembly_holds_every_stack(assembly_dir: Path) -> None:
    names = [s.name for s in CloudAssembly(assembly_dir).stacks()]
    assert names == [f"Orchestrator-dev-{s}" for s in STACKS]


def test_summary_names_the_bus_the_guard_rule_the_tables_the_schemas_and_the_api(assembly_dir: Path) -> None:
    text = "\n".join(describe(CloudAssembly(assembly_dir).stacks()))
    assert "bus       orchestrator-dev" in text
    assert '{"source": [{"anything-but": {"prefix": "aws."}}]}' in text
    assert "key pk/sk, TTL expires_at" in text
    assert "POST /events (AWS_IAM authorization)" in text
    for event_type in EVENT_TYPES:
        assert f"schema    {schema_name(event_type)}-v1 (JSONSchemaDraft4)" in text


def test_a_folder_without_a_manifest_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="run `make synth`"):
        CloudAssembly(tmp_path)
