"""`replay`: a recording re-run on the local runtime, on a cloud assembly (the current definitions and handlers),
then recorded again the same way and compared (recording.py).

The recorded inputs are put on the bus as they were (envelope included), in order; before each, the clock is moved
on by the recorded gap, so that what was due in between (a retry, a timeout) is due again. The runtime settles after
each input; after the last it runs on the clock until nothing waits on it (a 24-hour approval timeout included).
moto's backends are process-wide: a replay needs a process with no other local runtime running.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Final

import boto3

from orchestrator.control import ControlPlane
from orchestrator.local.cloud import LocalCloud
from orchestrator.replay.recording import Recording, ReplayReport, compare, record

SETTLE_TIMEOUT_SECONDS: Final = 120.0  # real time to wait for the runtime to settle after an input
CONFIRMATIONS: Final = 3  # how many looks, CONFIRM_SECONDS apart, must find the system unchanged once it is quiet
CONFIRM_SECONDS: Final = 0.1


def replay(recording: Recording, assembly: Path, stage: str = "dev") -> tuple[Recording, ReplayReport]:
    """The recording of the replayed run, and how it differs from `recording`."""
    with LocalCloud.from_assembly(assembly) as cloud:
        clock = cloud.runtime.clock
        elapsed = 0.0
        for item in recording.inputs:
            if item.after_seconds > elapsed:
                clock.advance(item.after_seconds - elapsed)
                elapsed = item.after_seconds
            cloud.put_raw_event(item.source, item.detail_type, item.detail)  # LocalCloudError when the bus refuses it
            settle(cloud)
        settle(cloud, advance_clock=True)
        # Inside a running local cloud, clients made without an endpoint reach its moto.
        replayed = record(ControlPlane(boto3.Session(), stage=stage), recording.correlation_id, recording.description)
    return replayed, compare(recording, replayed)


def settle(cloud: LocalCloud, *, advance_clock: bool = False) -> None:
    """`wait_until_quiet`, confirmed: quiet again and nothing changed (executions' statuses and histories, the event
    store's items) over a few short looks. Quiet detection reads threads' stacks, and under load it has been seen to
    call still an execution whose state was at work in a thread it does not follow (a task's worker, while the
    execution's own thread waits for it on the clock): a replay recorded then would report a divergence that is not
    there."""
    looks: list[Any] = []
    while len(looks) < CONFIRMATIONS or len(set(looks[-CONFIRMATIONS:])) > 1:
        cloud.wait_until_quiet(timeout=SETTLE_TIMEOUT_SECONDS, advance_clock=advance_clock)
        looks.append(_fingerprint(cloud))
        time.sleep(CONFIRM_SECONDS)


def _fingerprint(cloud: LocalCloud) -> tuple[Any, ...]:
    store = cloud.physical_id("AWS::DynamoDB::Table", "EventStore")
    stored = cloud.client("dynamodb").scan(TableName=store, Select="COUNT")["Count"]
    executions = tuple(
        (e["executionArn"], e["status"], len(cloud.history(e["executionArn"]))) for e in cloud.executions()
    )
    return (stored, executions)
