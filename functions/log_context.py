"""The correlation id on every log line a handler writes while it handles one event.

A handler names the event's correlation id (the envelope's `metadata.correlation_id`, or what stands for it where
the event has no envelope) and runs its work inside `correlated`: every Powertools Logger line in between carries
`correlation_id`, the logic's loggers too. An SQS consumer does it per record, so the next record's lines never
carry the previous one's id.

The key is a context-local Powertools key (`thread_safe_append_keys`: a module-level ContextVar in Powertools'
formatter, merged into the lines of every Powertools Logger), not the logger-wide one that
`inject_lambda_context(correlation_id_path=...)` sets (`set_correlation_id` is `append_keys`, which lands on the
formatter of that Logger's service only). Checked in Powertools 3.37 (logging/logger.py, logging/formatter.py), for
three reasons:
- per record: `correlation_id_path` is one JMESPath over the whole event, read once per invocation, so an SQS batch
  holding several processes' records could carry only one id;
- the logic's loggers: a Logger of another service (the publisher's `producer`) has a formatter of its own, which a
  logger-wide key of the handler's service never reaches;
- the local runtime runs invocations of one function in parallel threads of one process (on AWS an execution
  environment runs one at a time), where a logger-wide key would stamp one invocation's lines with another's id; a
  ContextVar starts empty in each new thread.
Leaving restores the id that was there before, so a nested handler (the local runtime may run one inside another's
thread) does not strip its caller's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aws_lambda_powertools import Logger

KEY = "correlation_id"


@contextmanager
def correlated(logger: Logger, correlation_id: str | None) -> Iterator[None]:
    """Every log line inside carries `correlation_id` (none when it is None)."""
    before = logger.thread_safe_get_current_keys().get(KEY)
    logger.thread_safe_append_keys(**{KEY: correlation_id})
    try:
        yield
    finally:
        if before is None:
            logger.thread_safe_remove_keys([KEY])
        else:
            logger.thread_safe_append_keys(**{KEY: before})


def delivered_correlation_id(event: object) -> str | None:
    """`detail.metadata.correlation_id` of an EventBridge event as delivered, when it is there and a string.

    For handlers that must log about events they have not validated yet (the schema guard): an invalid event may
    have no envelope at all."""
    found: object = event
    for key in ("detail", "metadata", KEY):
        if not isinstance(found, dict):
            return None
        found = found.get(key)
    return found if isinstance(found, str) else None
