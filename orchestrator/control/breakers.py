"""The control plane's operations on circuit breakers, read and written through the handlers' own store and state
(functions/breaker), so that the breaker's rules live in one place."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from functions.breaker import BreakerState
from functions.breaker.dynamodb import DynamoDBBreakerStore
from orchestrator.control.connection import Connection
from orchestrator.control.errors import Conflict, InvalidInput, NotFound
from schemas.tables import CIRCUIT_BREAKERS_TABLE

# What a breaker id may look like at all (`agent:billing`): anything else is refused before it is looked up.
BREAKER_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9:._-]{0,127}")


@dataclass(frozen=True)
class BreakerChange:
    breaker_id: str
    before: BreakerState
    after: BreakerState


class BreakerOperations(Connection):
    """List the breakers; reset or force-open one."""

    def _breakers(self) -> tuple[Any, DynamoDBBreakerStore]:
        table = self._table(CIRCUIT_BREAKERS_TABLE)
        return table, DynamoDBBreakerStore(table)

    def list_breakers(self) -> list[BreakerState]:
        """Every breaker with a stored state (one without an item is CLOSED with no failures), by id."""
        table, store = self._breakers()
        with self._calls():
            ids: list[str] = []
            arguments: dict[str, Any] = {"ProjectionExpression": "breaker_id"}
            while True:
                page = table.scan(**arguments)
                ids += [str(item["breaker_id"]) for item in page["Items"]]
                if "LastEvaluatedKey" not in page:
                    break
                arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            # Read through the handlers' store: one decoding of the item layout (functions/breaker/dynamodb.py).
            return [store.read(breaker_id) for breaker_id in sorted(ids)]

    def reset_breaker(self, breaker_id: str) -> BreakerChange:
        """CLOSED with no failures. Written (not deleted) with the next version, so a probe or failure decided on
        the old item loses its conditional write instead of overwriting the reset."""
        return self._replace(
            breaker_id, lambda current, now: BreakerState(breaker_id, "CLOSED", current.version + 1, updated_at=now)
        )

    def force_open_breaker(self, breaker_id: str) -> BreakerChange:
        """OPEN from now: callers take their fallback until the cool-down has passed, then one probe goes through
        (the breaker's own rule; force-open again to keep it open longer)."""
        return self._replace(
            breaker_id,
            lambda current, now: BreakerState(breaker_id, "OPEN", current.version + 1, opened_at=now, updated_at=now),
        )

    def _defined(self, breaker_id: str) -> None:
        """InvalidInput for an id no breaker can have (`../../etc`, 1,000 characters); NotFound for one the stage's
        workflows do not define: nothing is written for either."""
        if not BREAKER_ID.fullmatch(breaker_id):
            shown = breaker_id if len(breaker_id) <= 40 else f"{breaker_id[:40]}... ({len(breaker_id)} characters)"
            raise InvalidInput(
                f"not a breaker id: {shown!r}",
                "a breaker id is up to 128 letters, digits and ':._-', e.g. agent:billing",
                field="breaker_id",
            )
        if breaker_id not in self.breakers:
            known = ", ".join(sorted(self.breakers)) or "none"
            raise NotFound(f"no breaker named {breaker_id}", f"known: {known}")

    def _replace(self, breaker_id: str, make: Callable[[BreakerState, int], BreakerState]) -> BreakerChange:
        self._defined(breaker_id)
        _, store = self._breakers()
        with self._calls():
            current = store.read(breaker_id)
            new = make(current, round(self._now() * 1000))
            if not store.replace(current, new):  # conditional on the version read: someone wrote in between
                raise Conflict(f"breaker {breaker_id} changed while it was being written", "run the command again")
        return BreakerChange(breaker_id, current, new)
