"""Comparing a recorded run with a replayed one (no AWS): paths step by step, emitted events as a multiset, and the
normalization that keeps what differs between runs by nature out of the comparison."""

from __future__ import annotations

from orchestrator.replay.recording import RecordedExecution, Recording, compare, normalized

PATH = ["Begin: succeeded", "Triage: succeeded", "[0] billing Dispatch: succeeded", "Resolved: succeeded"]


def recording(path: list[str], emitted: list[dict[str, object]], status: str = "SUCCEEDED") -> Recording:
    return Recording("t-1", [], [RecordedExecution("agent-pipeline", status, path)], emitted)


def event(detail_type: str, **data: object) -> dict[str, object]:
    return {"source": "orchestrator.agents", "detail_type": detail_type, "data": data}


def test_the_same_run_with_events_in_another_order_is_clean() -> None:
    a, b = event("AgentTaskCompleted", agent="billing"), event("AgentTaskCompleted", agent="account")
    report = compare(recording(PATH, [a, b]), recording(PATH, [b, a]))
    assert report.clean and [s.same for s in report.executions[0].steps] == [True] * 4


def test_the_first_divergent_step_and_the_events_only_one_side_emitted_are_reported() -> None:
    replayed_path = [*PATH[:2], "Synthesis: succeeded"]
    report = compare(
        recording(PATH, [event("TicketResolved", ticket_id="t-1")]),
        recording(replayed_path, [event("TicketEscalated", ticket_id="t-1")], status="FAILED"),
    )
    (execution,) = report.executions
    first = execution.first_divergence
    assert first is not None and (first.index, first.recorded, first.replayed) == (2, PATH[2], "Synthesis: succeeded")
    assert execution.steps[3].replayed is None, "the replay stopped a step earlier"
    assert (execution.recorded_status, execution.replayed_status) == ("SUCCEEDED", "FAILED")
    assert [e["detail_type"] for e in report.missing_events] == ["TicketResolved"]
    assert [e["detail_type"] for e in report.unexpected_events] == ["TicketEscalated"]
    assert not report.clean


def test_an_execution_only_one_side_started_is_a_divergence() -> None:
    report = compare(recording(PATH, []), Recording("t-1", [], [], []))
    (execution,) = report.executions
    assert execution.replayed_status is None and not report.clean


def test_generated_ids_times_and_tokens_are_normalized_and_nothing_else() -> None:
    data = {
        "task_id": "0b6f7c1e-3d2a-4a8e-9f10-1234567890ab",
        "task_token": "AQB...",
        "expires_at": "2026-11-26T18:00:00+00:00",
        "nested": [{"at": "2026-11-25T09:00:00Z", "agent": "billing"}],
        "amount_cents": 4200,
    }
    assert normalized(data) == {
        "task_id": "<uuid>",
        "task_token": "<token>",
        "expires_at": "<time>",
        "nested": [{"at": "<time>", "agent": "billing"}],
        "amount_cents": 4200,
    }


def test_a_recording_survives_its_json() -> None:
    original = recording(PATH, [event("AgentTaskCompleted", agent="billing")])
    assert Recording.from_json(original.to_json()) == original
