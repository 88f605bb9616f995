"""`orch replay`: a ticket put on the bus is archived; replaying the window puts it on the bus again, and the
replay is described as EventBridge reports it."""

from __future__ import annotations

import pytest

from orchestrator.control import executions
from orchestrator.local.cloud import LocalCloud
from schemas.support import TicketSubmitted
from tests.builders import ticket
from tests.control.conftest import Orch


def started_for(cloud: LocalCloud, ticket_id: str) -> list[str]:
    return [str(e["executionArn"]) for e in cloud.executions() if ticket_id in (e.get("input") or "")]


def test_replaying_the_window_describes_the_replay_and_delivers_again(orch: Orch, cloud: LocalCloud) -> None:
    cloud.put_event(TicketSubmitted.model_validate(ticket("t-replay-1")))
    cloud.wait_until_quiet()
    assert len(started_for(cloud, "t-replay-1")) == 1

    ran = orch("replay", "--since", "1h", "--output", "json")
    assert ran.code == 0, ran.err
    replay = ran.json()
    assert replay["name"].startswith("orch-dev-")
    assert replay["state"] == "COMPLETED"  # moto replays before it answers
    # Followed to its end, its progress on stderr (stdout holds the JSON alone).
    progress = [line for line in ran.err.splitlines() if line.startswith("... ")]
    assert progress and progress[-1].startswith(f"... replay {replay['name']}: COMPLETED")
    described = cloud.client("events").describe_replay(ReplayName=replay["name"])
    assert described["EventSourceArn"].endswith(f"archive/{replay['archive']}")
    assert described["Destination"]["Arn"].endswith(":event-bus/" + cloud.bus_name)

    cloud.wait_until_quiet()
    assert len(started_for(cloud, "t-replay-1")) == 2, "the replayed TicketSubmitted started the pipeline again"


def test_a_window_ending_before_it_starts_is_a_usage_error(orch: Orch) -> None:
    ran = orch("replay", "--since", "2026-01-02T00:00:00", "--until", "2026-01-01T00:00:00")
    assert ran.code == 2
    assert ran.error_lines() == [
        "orch: invalid input (since): the replay window ends before it starts; pass --since before --until"
    ]
    assert orch("replay", "--since", "yesterday").code == 2


def test_reading_many_executions_reports_its_progress_on_stderr(
    orch: Orch, cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in (1, 2):
        cloud.put_event(TicketSubmitted.model_validate(ticket(f"t-progress-{n}")))
    cloud.wait_until_quiet()
    monkeypatch.setattr(executions, "LIST_PROGRESS_EVERY", 1)  # every execution read, rather than every 25th

    listed = orch("list", "--output", "json")

    assert listed.code == 0
    total = len(listed.json()["executions"])
    progress = [line for line in listed.err.splitlines() if line.startswith("... ")]
    assert len(progress) == total >= 2
    assert progress[0] == "... read 1 executions, 0 matching so far"
