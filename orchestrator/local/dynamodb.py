"""DynamoDB's conditional writes, atomic on moto as they are on AWS.

Why: DynamoDB checks a write's condition and applies it as one step per item. moto 5.2.5 reads the item, checks the
condition, then assigns, with no lock (`moto/dynamodb/models/table.py` `Table.put_item`; `DynamoDBBackend.update_item`
and `delete_item` likewise), so two threads of the local runtime can both pass one condition: two circuit-breaker
probes, a saga step done twice. Serialising moto's item writes with one lock gives back DynamoDB's per-item atomicity
(and more: writes to different items wait for each other too, which only costs time locally). Query and Scan take
the same lock: moto deep-copies the items they return, and a write changing an item meanwhile made the copy fail.

Transactions: moto backs up every table a transaction names by deep-copying the whole table before each
TransactWriteItems, and rolls back by putting the copy in its place. That is O(table) per transaction (each
workflow's admission writes two claims in the Idempotency table, which holds every function's idempotency records:
the cost grew with the run, and the copies kept the process growing until a full soak was killed for memory). Here
a transaction backs up the items it touches instead (a copy of each, or their absence) and restores those on
failure; the tables' own deep copy is made a no-op for the call (the table object itself), so moto's rollback puts
each table back in its own place.
"""

from __future__ import annotations

import copy
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
            seam_set.wrap(seam, self._transaction if seam.attribute == "transact_write_items" else self._locked)
        return seam_set

    def _transaction(self, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> Any:
            with self._lock:
                touched = _touched(backend, transact_items)
                tables = {id(table): table for table, *_ in touched}.values()
                for table in tables:
                    table.__deepcopy__ = functools.partial(_itself, table)  # moto's backup: the table itself
                try:
                    return original(backend, transact_items)
                except Exception:
                    for table, hash_key, range_key, before in reversed(touched):
                        _restore(table, hash_key, range_key, before)
                    raise
                finally:
                    for table in tables:
                        del table.__deepcopy__

        return transact_write_items

    def _locked(self, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def write(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return original(*args, **kwargs)

        return write


def _itself(table: Any, memo: Any) -> Any:
    return table


def _touched(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
    """(table, hash key, range key, a copy of the item or None) for each item the transaction names."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    touched = []
    for entry in transact_items:
        for body in entry.values():
            table = backend.tables.get(body.get("TableName")) if isinstance(body, dict) else None
            key = (body.get("Key") or body.get("Item") or {}) if table is not None else {}
            if table is None or table.hash_key_attr not in key:
                continue  # moto refuses it itself, before writing anything
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
            current = table.get_item(hash_key, range_key)
            touched.append((table, hash_key, range_key, copy.deepcopy(current)))
    return touched


def _restore(table: Any, hash_key: Any, range_key: Any, before: Any) -> None:
    if before is None:
        if table.get_item(hash_key, range_key) is not None:
            table.delete_item(hash_key, range_key)
    else:
        table.put_item(before.to_json()["Attributes"])
