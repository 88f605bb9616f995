"""Work in flight in the local runtime: counted while it runs, its failures recorded, never swallowed."""

from __future__ import annotations

import threading

import pytest

from orchestrator.local.activity import Activity


def test_submitted_work_is_in_flight_until_it_returns() -> None:
    activity = Activity()
    release = threading.Event()
    activity.submit("delivery", release.wait)
    assert activity.in_flight == 1
    assert not activity.wait_idle(0.01)
    release.set()
    assert activity.wait_idle(5)
    assert (activity.in_flight, activity.finished, activity.failures) == (0, 1, [])


def test_a_failure_in_background_work_is_recorded_with_its_name() -> None:
    activity = Activity()

    def broken() -> None:
        raise KeyError("no such target")

    activity.submit("delivery to target T", broken)
    assert activity.wait_idle(5)
    (failure,) = activity.failures
    assert failure.work == "delivery to target T"
    assert isinstance(failure.error, KeyError)


def test_a_busy_block_counts_while_it_runs_and_records_then_reraises_errors() -> None:
    activity = Activity()
    with activity.busy("poll"):
        assert activity.in_flight == 1
    with pytest.raises(RuntimeError), activity.busy("poll"):
        raise RuntimeError("handler crashed")
    assert activity.in_flight == 0
    assert activity.finished == 2
    assert [f.work for f in activity.failures] == ["poll"]


def test_a_stopping_runtime_starts_no_new_work_and_waits_for_work_in_flight() -> None:
    activity = Activity()
    release = threading.Event()
    assert activity.submit("delivery", release.wait)
    threading.Timer(0.05, release.set).start()
    assert activity.stop(timeout=5), "stop waits for the work in flight"
    ran: list[str] = []
    assert not activity.submit("late delivery", lambda: ran.append("ran"))
    assert activity.wait_idle(1)
    assert ran == [] and activity.stopping.is_set()
