"""Which events the correlator correlates, and the business key each carries.

To correlate another message: add its event type here and its detail-type to the correlator's rule
(infra/constructs/correlator.py reads `CORRELATED_DETAIL_TYPES`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from schemas.agents import ApprovalDecided
from schemas.control import ExecutionResumed
from schemas.dags import DagTaskFinished
from schemas.envelope import EventData

# detail-type -> (event type, its correlation key)
CORRELATED: Final[dict[str, tuple[type[EventData], Callable[[Any], str]]]] = {
    ApprovalDecided.DETAIL_TYPE: (ApprovalDecided, lambda data: data.approval_id),
    # A held execution waits for the resume of its pause (asl/pause_points.py).
    ExecutionResumed.DETAIL_TYPE: (ExecutionResumed, lambda data: data.pause_id),
    DagTaskFinished.DETAIL_TYPE: (DagTaskFinished, lambda data: data.signal_id),
}
# Messages that are facts rather than one-shot answers: each resumes every waiter of its key, now or later, while it
# is kept (the message TTL): every branch of an execution held by one pause goes on when that pause is resumed.
# (Not a DAG's DagTaskFinished: kept for later waits, a redriven branch's wait would get the first run's signal, with
# its result, before the task that sends it has run again.)
BROADCAST: Final[frozenset[str]] = frozenset({ExecutionResumed.DETAIL_TYPE})
CORRELATED_SOURCES: Final[tuple[str, ...]] = tuple(sorted({t.SOURCE for t, _ in CORRELATED.values()}))
CORRELATED_DETAIL_TYPES: Final[tuple[str, ...]] = tuple(sorted(CORRELATED))
