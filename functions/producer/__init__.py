"""The producer library: validate events against their contracts and publish them to the bus.

Usable from Lambda handlers and from the CLI: build an `EventPublisher` over an `EventBus` (the boto3 adapter is
`EventBridgeBus`) and call `publish`.
"""

from __future__ import annotations

from functions.producer.bus import RETRYABLE_ERROR_CODES, EventBus, EventBusError, is_retryable
from functions.producer.eventbridge import EventBridgeBus
from functions.producer.limits import ENTRY_TOO_LARGE, MAX_CALL_BYTES, MAX_ENTRIES_PER_CALL, entry_size
from functions.producer.publisher import MISSING_RESULT, EventPublisher, OutgoingEvent, PublishResult, RandomSource

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
