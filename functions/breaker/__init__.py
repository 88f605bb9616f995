"""Circuit breaker for handlers calling a downstream: one semantics and one DynamoDB layout, shared with workflows.

A handler wraps each downstream call in `CircuitBreaker.call` (functions/breaker/breaker.py). The breaker's state
lives in the CircuitBreakers table (infra/stacks/state.py), one item per breaker, so every Lambda instance (and the
workflow-side CDK construct, which must follow this text) sees and guards the same state. In a handler, wired at
the edge (a cached factory), with the adapter of functions/breaker/dynamodb.py:

    breaker = CircuitBreaker("support-model", DynamoDBBreakerStore(table), load_settings(BreakerSettings),
                             listener=observed(publisher, logger))
    answer = breaker.call(lambda: model.answer(ticket), fallback=lambda: CANNED_ANSWER)

Semantics
---------
- CLOSED: calls go through. A failure is recorded with its time; failures older than `window_seconds` no longer
  count (a sliding window). The failure that makes `failure_threshold` failures within the window OPENs the breaker.
  A success in CLOSED writes nothing and resets nothing: older failures age out of the window instead. So the happy
  path costs one consistent read and no write, and the construct needs no write on its success branch either.
- OPEN: no downstream call. The caller gets its fallback, or `BreakerOpen` when it gave none. Once
  `cooldown_seconds` have passed since `opened_at`, the first caller to claim the probe (a conditional write) moves
  the breaker to HALF_OPEN and makes the one downstream call; everyone else keeps getting the fallback.
- HALF_OPEN: only the probe's holder calls. Its success CLOSEs the breaker (failures cleared); its failure OPENs it
  again with a new `opened_at`. A probe whose holder died (crash, Lambda timeout) would hold the breaker half-open
  for ever, so after `probe_timeout_seconds` since `probe_started_at` another caller may claim the probe again; the
  stale holder's outcome then loses its conditional write and is dropped.
- What counts as a failure: an exception from the downstream for which `is_failure(error)` is true (default: every
  `Exception`). An exception it rejects (e.g. a business refusal) means the downstream answered: it counts as a
  success and is re-raised unchanged. A failure is always re-raised after it is recorded; the fallback is only for
  calls the breaker refuses.
- Errors of the store itself propagate: the breaker does not guess a state it cannot read.

State layout (one item per breaker; times are integer epoch milliseconds)
-------------------------------------------------------------------------
| attribute          | type    | meaning                                                                        |
|--------------------|---------|--------------------------------------------------------------------------------|
| `breaker_id`       | S       | partition key: which downstream this breaker guards                            |
| `state`            | S       | `CLOSED`, `OPEN` or `HALF_OPEN`                                                |
| `version`          | N       | 1 on the first write, +1 on every write; the guard of every conditional write |
| `failures`         | L of N  | CLOSED only: times of the failures still inside the window, oldest first      |
| `opened_at`        | N       | OPEN / HALF_OPEN: when the breaker last opened (the cool-down runs from it)    |
| `probe_started_at` | N       | HALF_OPEN only: when the current probe was claimed (its lease runs from it)    |
| `updated_at`       | N       | when the item was last written                                                 |

No item means CLOSED with no failures (version 0). Every transition is a PutItem of the whole next item (so an
attribute absent from the next state is removed) with one of two conditions:
- from version 0 (no item yet): `attribute_not_exists(breaker_id)`;
- otherwise: `#version = :version AND #state = :state`, the version and state that were read.

| transition             | when                                                   | next item                          |
|------------------------|--------------------------------------------------------|------------------------------------|
| CLOSED -> CLOSED       | a failure, below `failure_threshold` in the window     | `failures` = those in window + now |
| CLOSED -> OPEN         | a failure that makes `failure_threshold` in the window | `opened_at` = now                  |
| OPEN -> HALF_OPEN      | a call at or after `opened_at + cooldown`              | `probe_started_at` = now           |
| HALF_OPEN -> HALF_OPEN | a call at or after `probe_started_at + probe_timeout`  | `probe_started_at` = now           |
| HALF_OPEN -> CLOSED    | the probe succeeded (its claimed version still stored) | `failures` = []                    |
| HALF_OPEN -> OPEN      | the probe failed (its claimed version still stored)    | `opened_at` = now                  |

(Both claims keep `opened_at`.)

A failure "in the window" at time `now` is one with `now - failure < window`. A conditional write that fails is a
lost race, never an error: the loser reads the item again and decides again from what it finds (a failure that
finds the breaker no longer CLOSED is not counted; a probe outcome that finds its claim superseded is dropped).
Only the winner of a write reports the state change to the `BreakerListener`, so each transition is reported once.
`observed(publisher, logger)` (functions/breaker/listeners.py) reports it three ways: a log line, a
`BreakerTransitions` metric by breaker and from/to state, and a `BreakerStateChanged` event on the bus.
"""

from __future__ import annotations

from functions.breaker.breaker import BreakerContended, BreakerOpen, BreakerStore, CircuitBreaker, Clock, SystemClock
from functions.breaker.listeners import (
    BreakerListener,
    CompositeListener,
    EventListener,
    LoggingListener,
    MetricsListener,
    NoOpListener,
    StateChange,
    observed,
)
from functions.breaker.state import BreakerSettings, BreakerState, State

__all__ = [
    "BreakerContended",
    "BreakerListener",
    "BreakerOpen",
    "BreakerSettings",
    "BreakerState",
    "BreakerStore",
    "CircuitBreaker",
    "Clock",
    "CompositeListener",
    "EventListener",
    "LoggingListener",
    "MetricsListener",
    "NoOpListener",
    "State",
    "StateChange",
    "SystemClock",
    "observed",
]
