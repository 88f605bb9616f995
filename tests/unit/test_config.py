"""Stage configuration: every stage loads; errors name the stage and the field; the layer matches the pin."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from schemas.stages import CONFIG_FILE, ConfigError, load_stage

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("stage", sorted(json.loads(CONFIG_FILE.read_text(encoding="utf-8"))))
def test_every_stage_in_the_file_is_valid(stage: str) -> None:
    assert load_stage(stage).stage == stage


def test_unknown_stage_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"no stage 'qa'; stages: dev, prod"):
        load_stage("qa")


def test_invalid_value_names_the_stage_and_field(tmp_path: Path) -> None:
    stages = json.loads(CONFIG_FILE.read_text(encoding="utf-8"))
    stages["dev"]["target_retry"]["maximum_retry_attempts"] = 500
    broken = tmp_path / "stages.json"
    broken.write_text(json.dumps(stages), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"stage 'dev': target_retry.maximum_retry_attempts: .*less than or equal"):
        load_stage("dev", broken)


def test_the_powertools_layer_on_aws_is_the_version_pinned_for_local_runs() -> None:
    pinned = re.search(r"^aws-lambda-powertools\S*==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M)
    assert pinned is not None
    for stage in json.loads(CONFIG_FILE.read_text(encoding="utf-8")):
        assert load_stage(stage).powertools_version == pinned.group(1)


def test_a_heartbeat_interval_not_shorter_than_the_agents_timeout_is_refused(tmp_path: Path) -> None:
    stages = json.loads(CONFIG_FILE.read_text(encoding="utf-8"))
    stages["dev"]["agent_pipeline"]["agent_heartbeat_seconds"] = stages["dev"]["agent_pipeline"][
        "agent_timeout_seconds"
    ]
    broken = tmp_path / "stages.json"
    broken.write_text(json.dumps(stages), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"stage 'dev': agent_pipeline: .*heartbeat_seconds must be less than"):
        load_stage("dev", broken)
