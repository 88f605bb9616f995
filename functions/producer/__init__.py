"""The producer library: validate events against their contracts and publish them to the bus.

Usable from Lambda handlers and from the CLI: build an `EventPublisher` over an `EventBus` (the boto3 adapter is
`EventBridgeBus`) and call `publish`.
"""

from __future__ import annotations

from functions.producer.eventbridge import EventBridgeBus
from functions.producer.publisher import (
    ENTRY_TOO_LARGE,
    MAX_CALL_BYTES,
    MAX_ENTRIES_PER_CALL,
    MISSING_RESULT,
    RETRYABLE_ERROR_CODES,
    EventBus,
    EventBusError,
    EventPublisher,
    OutgoingEvent,
    PublishResult,
    RandomSource,
    entry_size,
    is_retryable,
)

__all__ = [
    "ENTRY_TOO_LARGE",
    "MAX_CALL_BYTES",
    "MAX_ENTRIES_PER_CALL",
    "MISSING_RESULT",
    "RETRYABLE_ERROR_CODES",
    "EventBridgeBus",
    "EventBus",
    "EventBusError",
    "EventPublisher",
    "OutgoingEvent",
    "PublishResult",
    "RandomSource",
    "entry_size",
    "is_retryable",
]
