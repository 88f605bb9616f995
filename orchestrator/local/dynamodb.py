"""DynamoDB's conditional writes, atomic on moto as they are on AWS.

Why: DynamoDB checks a write's condition and applies it as one step per item. moto 5.2.5 reads the item, checks the
condition, then assigns, with no lock (`moto/dynamodb/models/table.py` `Table.put_item`; `DynamoDBBackend.update_item`
and `delete_item` likewise), so two threads of the local runtime can both pass one condition: two circuit-breaker
probes, a saga step done twice. Serialising moto's item writes with one lock gives back DynamoDB's per-item atomicity
(and more: writes to different items wait for each other too, which only costs time locally). Query and Scan take
the same lock: moto deep-copies the items they return, and a write changing an item meanwhile made the copy fail.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, Final

from orchestrator.local.seams import SeamAdapter, SeamSet
from orchestrator.local.seams import services as declared

# Every DynamoDBBackend method that checks a condition or reads-then-writes an item, and the reads that copy items.
WRITES: Final[tuple[str, ...]] = tuple(seam.attribute for seam in declared.DYNAMODB_ATOMIC_WRITES)


class AtomicWrites(SeamAdapter):
    """Applies the lock around moto's DynamoDB writes; `uninstall()` restores them (both idempotent)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # re-entrant: a transaction's writes may call the single-item ones

    def creators(self) -> dict[str, Any]:
        return {}

    def _seam_set(self) -> SeamSet:
        seam_set = SeamSet("AtomicWrites")
        for seam in declared.DYNAMODB_ATOMIC_WRITES:
            seam_set.wrap(seam, self._locked)
        return seam_set

    def _locked(self, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def write(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return original(*args, **kwargs)

        return write
