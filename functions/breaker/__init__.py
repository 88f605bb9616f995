"""Circuit breaker for handlers calling a downstream: the rules of schemas/breaker_rules.py, shared with workflows.

A handler wraps each downstream call in `CircuitBreaker.call` (functions/breaker/breaker.py). The breaker's state
lives in the CircuitBreakers table (infra/stacks/state.py), one item per breaker, so every Lambda instance and every
workflow wrapped by asl/breaker_steps.py sees and guards the same state. The item, its write conditions and the
transition table are schemas/breaker_rules.py; the pure functions of functions/breaker/state.py pick and apply its
rows, and tests/integration/test_breaker_rules.py runs each row against this library and the workflow form. In a
handler, wired at the edge (a cached factory), with the adapter of functions/breaker/dynamodb.py:

    breaker = CircuitBreaker("support-model", DynamoDBBreakerStore(table), load_settings(BreakerSettings),
                             listener=observed(publisher, logger))
    answer = breaker.call(lambda: model.answer(ticket), fallback=lambda: CANNED_ANSWER)

Semantics
---------
- CLOSED: calls go through. A failure is recorded with its time; failures older than `window_seconds` no longer
  count (a sliding window). The failure that makes `failure_threshold` failures within the window OPENs the breaker.
  A success in CLOSED writes nothing and resets nothing: older failures age out of the window instead. So the happy
  path costs one consistent read and no write, and the workflow form needs no write on its success branch either.
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

A conditional write that fails is a lost race, never an error: the loser reads the item again and decides again from
what it finds. Only the winner of a write reports the state change to the `BreakerListener`, so each transition is
reported once. `observed(publisher, logger)` (functions/breaker/listeners.py) reports it three ways: a log line, a
`BreakerTransitions` metric by breaker and from/to state, and a `BreakerStateChanged` event on the bus.

Why not Powertools' circuit breaker
-----------------------------------
Powertools 3.37 ships `aws_lambda_powertools.utilities.circuit_breaker` (DynamoDB persistence, a half-open probe
election). It is not used here, because its breaker cannot be the one the workflows read and write (read in its
source, `circuit_breaker/base.py` and `persistence/{base,dynamodb}.py`):
- It counts failures in memory, per execution environment (`_LOCAL_FAILURES`, module-level, *consecutive* failures
  reset by any success), and writes the item only when that environment trips it. Our failures are a sliding window
  in the item (`failures`), shared by every Lambda instance and by the workflow form, which has no memory between
  executions: a workflow could neither count towards its threshold nor see the handlers' failures.
- Its item is another layout: `failure_count`, `half_open_owner` (a per-thread owner id), `probe_lease_expiry`, an
  `expiration` TTL, times in epoch seconds, key attribute `id` by default; ours has `version`, `failures`,
  `probe_started_at`, `updated_at` in milliseconds. Its probe election is conditional on state and owner, but closing
  and reopening are unconditional `update_item`s (`_update_record`), so a stale probe's outcome can overwrite a newer
  state; every write of ours is guarded by the `version` read, which is also what the workflow form's ASL conditions
  on. It has no version to guard on.
- It reads eventually consistently (`ConsistentRead=False`) through a per-environment cache (`local_cache_max_age`,
  5 s by default) and fails open (treats a failed read as CLOSED); ours reads consistently and lets a store error
  propagate. It closes after `success_threshold` probe successes (3 by default) and takes its probe lease from
  `recovery_timeout`; ours closes on one probe and has its own `probe_timeout_seconds`.
- Its clock is `datetime.now()` inside the handler (`_now`, a staticmethod): the local runtime's clock, which tests
  advance over cool-downs, could not drive it.
Adopting it would mean two breakers with two states for one downstream; a layout adapter could not give it the
shared window. The listeners, too, stay ours: its `on_transition` hook carries no version, which our
`BreakerStateChanged` events are keyed by.
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
from functions.breaker.state import BreakerSettings, BreakerState
from schemas.breaker_rules import State

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
