"""The event store: every event on the stage's bus and every execution status change of the stage's workflows, one
item each in the State stack's EventStore table, written once (infra/constructs/event_store.py wires it).

Item layout (the appender writes it, `orchestrator.control.event_store` reads it):

    event_id        partition key: the envelope's `metadata.event_id` (the producer's id, the same on every delivery,
                    retry or archive replay of the event); for a status change `<execution arn>#<status>#<redrive
                    count>`, as an execution reaches each status once per run (AWS may send one twice)
    correlation_id  the business process (`metadata.correlation_id`; for a status change, the starting event's, read
                    from the execution's input); left out when there is none, so the index stays sparse
    time            ISO 8601 UTC with microseconds (fixed width, so text order is time order): `metadata.occurred_at`,
                    or the status change's start / stop date
    kind            `event` or `execution`
    type, source    the EventBridge `detail-type` and `source`
    causation_id    the event that caused this one (a status change: the event that started the execution)
    idempotency_key the envelope's
    detail          the whole `detail`, as JSON text (numbers and nesting kept exactly), redacted: task tokens and
                    the fields the event's model declares sensitive are markers (schemas/redaction.py)
    eventbridge_id  EventBridge's `id` of the delivery that was stored first
    expires_at      epoch seconds: when it was appended plus the stage's `event_store_retention_days` (the table's
                    TTL attribute: DynamoDB deletes the item some time after)

The table's global secondary index `ByCorrelation` (partition `correlation_id`, sort `time`) answers "the events of
one business process up to an instant".
"""

from __future__ import annotations

from typing import Final

from schemas.tables import BY_CORRELATION_INDEX, BY_CORRELATION_PARTITION_KEY, BY_CORRELATION_SORT_KEY
from schemas.tables import EVENT_STORE_PARTITION_KEY as PARTITION_KEY
from schemas.tables import EVENT_STORE_TABLE as TABLE_LOGICAL_ID

# The layout is the contract's (schemas/tables.py); these names are the handler's and the tests' own.
INDEX_PARTITION_KEY: Final = BY_CORRELATION_PARTITION_KEY
INDEX_SORT_KEY: Final = BY_CORRELATION_SORT_KEY
__all__ = ["BY_CORRELATION_INDEX", "INDEX_PARTITION_KEY", "INDEX_SORT_KEY", "PARTITION_KEY", "TABLE_LOGICAL_ID"]
