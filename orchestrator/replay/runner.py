"""`replay`: a recording re-run on the local runtime, on a cloud assembly (the current definitions and handlers),
then recorded again the same way and compared (recording.py).

The recorded inputs are put on the bus as they were (envelope included), in order; before each, the clock is moved
on by the recorded gap, so that what was due in between (a retry, a timeout) is due again. The runtime settles after
each input; after the last it runs on the clock until nothing waits on it (a 24-hour approval timeout included).
moto's backends are process-wide: a replay needs a process with no other local runtime running.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import boto3

from orchestrator.control import ControlPlane
from orchestrator.local.cloud import LocalCloud
from orchestrator.replay.recording import Recording, ReplayReport, compare, record

SETTLE_TIMEOUT_SECONDS: Final = 120.0  # real time to wait for the runtime to settle after an input


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
            cloud.wait_until_quiet(timeout=SETTLE_TIMEOUT_SECONDS)
        cloud.wait_until_quiet(timeout=SETTLE_TIMEOUT_SECONDS, advance_clock=True)
        # Inside a running local cloud, clients made without an endpoint reach its moto.
        replayed = record(ControlPlane(boto3.Session(), stage=stage), recording.correlation_id, recording.description)
    return replayed, compare(recording, replayed)
