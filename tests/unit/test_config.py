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


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("emails", "on-call", r"alert_subscriptions.emails.0: .*'on-call' is not an email address"),
        ("emails", "a b@example.com", r"alert_subscriptions.emails.0: .*is not an email address"),
        ("https_endpoints", "http://alerts.example.com", r"alert_subscriptions.https_endpoints.0: .*https:// URL"),
        ("https_endpoints", "https://", r"alert_subscriptions.https_endpoints.0: .*https:// URL"),
        ("sns_topic_arns", "arn:aws:sqs:eu-west-1:123456789012:q", r"alert_subscriptions.sns_topic_arns.0: .*SNS"),
        ("sns_topic_arns", "arn:aws:sns:eu-west-1:1234:on-call", r"alert_subscriptions.sns_topic_arns.0: .*SNS"),
    ],
)
def test_an_alert_subscription_of_the_wrong_shape_is_refused_naming_the_field(
    tmp_path: Path, field: str, value: str, message: str
) -> None:
    stages = json.loads(CONFIG_FILE.read_text(encoding="utf-8"))
    stages["prod"]["alert_subscriptions"][field] = [value]
    broken = tmp_path / "stages.json"
    broken.write_text(json.dumps(stages), encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"stage 'prod': {message}"):
        load_stage("prod", broken)


def test_alert_subscriptions_of_each_kind_are_read_and_default_to_none(tmp_path: Path) -> None:
    stages = json.loads(CONFIG_FILE.read_text(encoding="utf-8"))
    stages["prod"]["alert_subscriptions"] = {
        "emails": ["on-call@example.com"],
        "https_endpoints": ["https://alerts.example.com/hook?team=orders"],
        "sns_topic_arns": ["arn:aws:sns:eu-west-1:123456789012:on-call", "arn:aws-cn:sns:cn-north-1:123456789012:x"],
    }
    del stages["dev"]["alert_subscriptions"]
    written = tmp_path / "stages.json"
    written.write_text(json.dumps(stages), encoding="utf-8")

    prod = load_stage("prod", written).alert_subscriptions
    assert prod.emails == ["on-call@example.com"] and not prod.empty
    assert len(prod.https_endpoints) == 1 and len(prod.sns_topic_arns) == 2
    assert load_stage("dev", written).alert_subscriptions.empty
