"""Why a grant of the app may show unused in the soak's IAM access report (orchestrator/local/iam/report.py), as IAM
Access Analyzer's unused-access findings would show it after the same traffic on AWS.

The soak runs the order saga and the agent pipeline from events put on the bus, with faults. Some grants serve paths
it does not take: each is listed here with where it is exercised instead (every test below runs with IAM enforced),
so that a grant unused for any other reason stands out as a finding: remove it, or explain it here. The soak fails
on an unexplained unused statement (bench/soak.py, tests/reliability/test_soak.py).

Plain data, no CDK import: the soak reads it without starting the CDK's Node runtime. infra/nag.py holds the
cdk-nag acknowledgments, the other list of the app's grants that need a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class UnusedExplained:
    """Statements of the roles whose name (or their policy's) holds `role`, allowing `action` (any, if empty), whose
    text (policy name, resources, conditions) holds `where` (anything, if empty), may be unused in the soak, for
    `reason`."""

    role: str
    action: str
    where: str
    reason: str


_DAG = "the soak runs no DAG: tests/workflows/test_dag_runs.py runs the onboarding DAG"
_PAUSE = "read only while an operator holds an execution: tests/control/test_pause_resume.py"
_BREAKER = "only when a specialist's breaker changes state: tests/workflows/test_agent_pipeline_breaker.py"
_CORRELATOR = (
    "a waiter is answered by Register when its message came first, by the deliveries consumer when it came after; "
    "the saga and the DAG wait on the correlator only while paused: tests/workflows/test_agent_pipeline_approval.py, "
    "tests/control/test_pause_resume.py"
)

NOT_EXERCISED_BY_THE_SOAK: Final[tuple[UnusedExplained, ...]] = (
    UnusedExplained(
        "ControlApiFunction", "", "", "the soak calls no control route: tests/control/test_http_api.py calls each"
    ),
    UnusedExplained(
        "IngestFunction",
        "events:PutEvents",
        "",
        "the soak puts its events on the bus itself: tests/workflows/test_admission.py and test_forged_events.py "
        "post through ingest (InventoryReserved, PaymentCharged, OrderShipped come from producers of their own)",
    ),
    UnusedExplained(
        "SchemaGuardValidatorFunction",
        "sqs:SendMessage",
        "",
        "the soak's events are valid: tests/workflows/test_admission.py quarantines one",
    ),
    UnusedExplained("DagCustomerOnboarding", "", "", _DAG),
    UnusedExplained("OnboardingAgentsConsumerFunction", "", "", _DAG),
    UnusedExplained("CallbacksConsumerFunction", "states:SendTaskSuccess", "DagCustomerOnboarding", _DAG),
    UnusedExplained("Correlator", "states:SendTaskSuccess", "policy CorrelatorServe", _CORRELATOR),
    UnusedExplained("StateMachineRole", "dynamodb:ConditionCheckItem", "pause#", _PAUSE),
    UnusedExplained("AgentPipelineStateMachineRole", "events:PutEvents", "orchestrator.breakers", _BREAKER),
    UnusedExplained("AgentPipelineStateMachineRole", "cloudwatch:PutMetricData", "", _BREAKER),
)
