"""The State stack's tables as a contract: their logical ids, key attributes and the key layouts of the items that
several components share. Defined once here and imported by the CDK app (which creates and grants them), the Lambda
handlers and the workflows' ASL rewrites (which read and write them), and the control plane (which finds them).

| table           | key                  | items                                                                    |
|-----------------|----------------------|--------------------------------------------------------------------------|
| Idempotency     | `id`                 | Powertools idempotency records; the workflows' start claims              |
|                 |                      | (`<workflow>#<business id>`, `<workflow>#key#<idempotency key>`)         |
| CircuitBreakers | `breaker_id`         | one per breaker; the workflows' own are `agent:<name>`                   |
| WorkflowControl | `pk` + `sk`          | pause records (`pause#<execution ARN>`, `pause`); the correlator's       |
|                 |                      | waiters and messages (`msg#<name>#<key>`, `waiter#...` / `message#...`)  |
| EventStore      | `event_id`, an index | every event, redacted, expiring (`expires_at`); index `ByCorrelation`    |
|                 |                      | (`correlation_id`, `time`)                                               |
"""

from __future__ import annotations

from typing import Final

# Logical ids in the State stack (`Orchestrator-<stage>-State`); the control plane finds a table by this prefix.
IDEMPOTENCY_TABLE: Final = "Idempotency"
CIRCUIT_BREAKERS_TABLE: Final = "CircuitBreakers"
WORKFLOW_CONTROL_TABLE: Final = "WorkflowControl"
EVENT_STORE_TABLE: Final = "EventStore"


def claim_prefix(workflow: str) -> str:
    """The key prefix of `workflow`'s start claims in the Idempotency table (functions/admission writes them; its
    grant is on these keys only)."""
    return f"{workflow}#"


# WorkflowControl: one partition key and one sort key for every item kind.
CONTROL_PARTITION_KEY: Final = "pk"
CONTROL_SORT_KEY: Final = "sk"
CONTROL_TTL: Final = "expires_at"
# A pause record: `pause#<execution ARN>` / `pause` (written by the control plane, read by the pause checks).
PAUSE_PARTITION_PREFIX: Final = "pause#"
PAUSE_SORT_KEY: Final = "pause"
PAUSED_STATE: Final = "PAUSED"  # the record's `state` while the execution is to hold (else RESUMED)
# A Lambda task at a pause point checks the record itself (functions/pause_check.py), so the workflow spends no
# state transition on it (asl/pause_points.py): the definition passes the execution's ARN in this field of the
# payload, and the function fails with this error, before doing anything, while the execution is paused.
PAUSE_CHECK_FIELD: Final = "pause_check_execution"
PAUSE_IN_FORCE_ERROR: Final = "PauseInForce"
# The variable naming the WorkflowControl table to such a function (set with its grant, infra/constructs/workflow.py).
PAUSE_TABLE_VARIABLE: Final = "WORKFLOW_CONTROL_TABLE"
# The correlator's items: `msg#<message name>#<correlation key>` / `waiter#<digest>` or `message#<digest>`.
MESSAGE_PARTITION_PREFIX: Final = "msg#"
WAITER_SORT_PREFIX: Final = "waiter#"
MESSAGE_SORT_PREFIX: Final = "message#"

# CircuitBreakers: the breakers a workflow guards its agents with are `agent:<agent name>`.
AGENT_BREAKER_PREFIX: Final = "agent:"

# EventStore and its index by business process.
EVENT_STORE_PARTITION_KEY: Final = "event_id"
BY_CORRELATION_INDEX: Final = "ByCorrelation"
BY_CORRELATION_PARTITION_KEY: Final = "correlation_id"
BY_CORRELATION_SORT_KEY: Final = "time"
# An item's expiry (epoch seconds): appended + the stage's `event_store_retention_days`; DynamoDB's TTL deletes it.
EVENT_STORE_TTL: Final = "expires_at"

# The customer-onboarding DAG's agents are the tasks whose agent name starts with this (functions/onboarding).
ONBOARDING_AGENT_PREFIX: Final = "onboarding-"
