"""What one execution costs: its history counted (state transitions as Step Functions bills them, retries, Lambda
tasks) and priced per 1,000 executions (bench/workflows.py's docstring says what is counted and why)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

# Standard workflows, us-east-1 (https://aws.amazon.com/step-functions/pricing/); Lambda requests
# (https://aws.amazon.com/lambda/pricing/). Free tiers ignored; Lambda duration not counted.
PRICE_PER_TRANSITION: Final = 0.025 / 1_000  # USD
PRICE_PER_LAMBDA_REQUEST: Final = 0.20 / 1_000_000  # USD
EXECUTIONS: Final = 1_000  # costs are per this many executions

SCHEDULED: Final = frozenset({"TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"})


@dataclass(frozen=True)
class HistoryCounts:
    """What one execution's history says it cost."""

    events: int
    states_entered: int
    retries: int  # task attempts after the first, in any state: each is billed as one more transition
    lambda_tasks: int  # Lambda invocations the state machine made itself

    @property
    def state_transitions(self) -> int:
        """As billed: each step executed, including retries."""
        return self.states_entered + self.retries


def count_history(events: Sequence[Mapping[str, Any]]) -> HistoryCounts:
    """Counts one execution's history (every page of it)."""
    types = {event["id"]: str(event["type"]) for event in events}

    def is_retry(event: Mapping[str, Any]) -> bool:
        # An attempt follows, in its branch of the history, the state's entry; a retry follows the failed (or timed
        # out) attempt before it. previousEventId links events within a branch, so Map iterations do not mix.
        return not types.get(event.get("previousEventId", 0), "").endswith("StateEntered")

    def is_lambda(event: Mapping[str, Any]) -> bool:
        resource_type = event.get("taskScheduledEventDetails", {}).get("resourceType")
        return bool(event["type"] == "LambdaFunctionScheduled" or resource_type == "lambda")

    scheduled = [e for e in events if e["type"] in SCHEDULED]
    return HistoryCounts(
        events=len(events),
        states_entered=sum(1 for kind in types.values() if kind.endswith("StateEntered")),
        retries=sum(1 for e in scheduled if is_retry(e)),
        lambda_tasks=sum(1 for e in scheduled if is_lambda(e)),
    )


@dataclass(frozen=True)
class Cost:
    """USD per EXECUTIONS executions."""

    step_functions: float
    lambda_requests: float

    @property
    def total(self) -> float:
        return self.step_functions + self.lambda_requests

    @classmethod
    def per_thousand(cls, state_transitions: int, lambda_invocations: int) -> Cost:
        return cls(
            step_functions=state_transitions * EXECUTIONS * PRICE_PER_TRANSITION,
            lambda_requests=lambda_invocations * EXECUTIONS * PRICE_PER_LAMBDA_REQUEST,
        )
