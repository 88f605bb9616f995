"""`ControlPlane`: every operator operation, once, over boto3 clients. The `orch` CLI calls it (and the HTTP API will).

    plane = ControlPlane.connect(endpoint_url="http://127.0.0.1:4566")     # or profile=..., region=... for AWS
    plane.put_event("TicketSubmitted", {...}, correlation_id="t-1")
    plane.list_executions(workflow="agent-pipeline", status="RUNNING")
    plane.signal_approval("t-1", approved=True, decided_by="lead@example.com")

No printing and no argument parsing here: operations return dataclasses and raise `ControlError` kinds
(orchestrator/control/errors.py). Resources are found by name and stage tag (orchestrator/control/discovery.py).
Events go through the project's validating publisher (functions/producer), breakers are read and written with the
handlers' own store and state (functions/breaker), so the rules live in one place.

The operations come in groups, a module each, all over one `Connection` (connection.py): events (events.py),
executions (executions.py), pause and resume (pausing.py), signals (signals.py), workflows' definitions and
pictures (workflows.py), circuit breakers (breakers.py), the quarantine and dead-letter queues (queues.py).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import boto3

from orchestrator.control.breakers import BreakerOperations
from orchestrator.control.connection import LOCAL_REGION
from orchestrator.control.errors import aws_errors
from orchestrator.control.events import EventOperations
from orchestrator.control.executions import ExecutionOperations
from orchestrator.control.pausing import PauseOperations
from orchestrator.control.queues import QueueOperations
from orchestrator.control.signals import SignalOperations
from orchestrator.control.workflows import WorkflowOperations
from schemas.stages import StageConfig


class ControlPlane(
    SignalOperations,
    ExecutionOperations,
    PauseOperations,
    EventOperations,
    WorkflowOperations,
    BreakerOperations,
    QueueOperations,
):
    """Operations on one deployed stage of the app, through the clients of `session` (to `endpoint_url` if given)."""

    @classmethod
    def connect(
        cls,
        *,
        endpoint_url: str | None = None,
        profile: str | None = None,
        region: str | None = None,
        stage: str = "dev",
        config: StageConfig | None = None,
        breakers: Collection[str] = (),
    ) -> ControlPlane:
        """A control plane for AWS (profile, region) or, with `endpoint_url`, for a local endpoint, which takes any
        credentials: when none are configured it gets placeholder ones, as the AWS CLI needs some to sign."""
        with aws_errors(endpoint_url):
            session = boto3.Session(profile_name=profile, region_name=region)
            if endpoint_url is not None:
                if session.get_credentials() is None:
                    session = boto3.Session(
                        aws_access_key_id="local", aws_secret_access_key="local", region_name=region or LOCAL_REGION
                    )
                elif session.region_name is None:
                    session = boto3.Session(profile_name=profile, region_name=LOCAL_REGION)
        return cls(session, stage=stage, config=config, endpoint_url=endpoint_url, breakers=breakers)

    def config_show(self) -> dict[str, Any]:
        """The stage's effective configuration (config/stages.json, validated as the CDK app reads it)."""
        # The control API's function is not told who hears the alarms (infra/stacks/control.py): rather than show its
        # default (no one), it leaves them out.
        untold = {"alert_subscriptions"} - self.config.model_fields_set
        return self.config.model_dump(mode="json", exclude=untold)


__all__ = ["ControlPlane"]
