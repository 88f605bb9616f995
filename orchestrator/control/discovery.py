"""Finding the deployed app's resources: the same way on AWS and on the local runtime.

The CloudFormation stack outputs (`AgentPipelineArn`, `OrderSagaArn`, `CircuitBreakersTableName`) would name them on
AWS, but the local runtime provisions the assembly through the services' own APIs, not CloudFormation, so there are
no stacks to describe there. What both runtimes share is how resources are named and tagged:

- every resource carries the app's `stage` tag (infra/app.py), which tells the stages of one account apart, and a
  workflow's state machine its `workflow` tag, the name operators use (`order-saga`, a DAG spec's name:
  infra/constructs/workflow.py);
- a table without an explicit name is named `<stack>-<LogicalId>[-<random>]` on both, and the stack name holds the
  stage (`Orchestrator-<stage>-State`);
- the bus is named in the stage config (`bus_name`).

So discovery lists state machines (and their tags) and tables, paginated, once per `Discovery`.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from botocore.exceptions import ClientError

from schemas.stages import StageConfig

WORKFLOW_TAG: Final = "workflow"  # infra/constructs/workflow.py `WORKFLOW_TAG`
STAGE_TAG: Final = "stage"


logger = logging.getLogger(__name__)


class Discovery:
    """The app's state machines and tables of one stage, looked up through boto3 clients and remembered."""

    def __init__(self, stepfunctions: Any, dynamodb: Any, config: StageConfig) -> None:
        self._sfn = stepfunctions
        self._dynamodb = dynamodb
        self._config = config
        self._machines: dict[str, str] | None = None
        self._tables: list[str] | None = None
        # State machines of the account whose tags the caller may not read: not the stage's as far as it can tell
        # (another stage's, or another app's), so skipped, and named here and in a warning rather than failing.
        self.unreadable: list[str] = []

    def state_machines(self) -> dict[str, str]:
        """Workflow name -> state machine ARN, for the workflows deployed in this stage."""
        if self._machines is None:
            found: dict[str, str] = {}
            pages = self._sfn.get_paginator("list_state_machines").paginate()
            for machine in (m for page in pages for m in page["stateMachines"]):
                tags = self._tags(machine["stateMachineArn"])
                if tags is None:
                    continue
                if tags.get(STAGE_TAG) == self._config.stage and WORKFLOW_TAG in tags:
                    found[tags[WORKFLOW_TAG]] = machine["stateMachineArn"]
            self._machines = found
        return self._machines

    def _tags(self, arn: str) -> dict[str, str] | None:
        """The state machine's tags; None when the caller may not read them, or it was deleted meanwhile."""
        try:
            tags = self._sfn.list_tags_for_resource(resourceArn=arn).get("tags", [])
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code not in ("AccessDeniedException", "ResourceNotFound"):
                raise
            self.unreadable.append(arn)
            logger.warning("skipped state machine %s: its tags cannot be read (%s)", arn, code)
            return None
        return {str(t.get("key")): str(t.get("value")) for t in tags}

    def workflow_of(self, state_machine_arn: str) -> str:
        """The workflow name of a state machine ARN (the state machine's own name when it is none of the app's)."""
        for workflow, arn in self.state_machines().items():
            if arn == state_machine_arn:
                return workflow
        return state_machine_arn.rsplit(":", 1)[-1]

    def table(self, logical_id: str) -> str | None:
        """The name of the State stack's table whose logical id starts with `logical_id`, or None."""
        if self._tables is None:
            pages = self._dynamodb.get_paginator("list_tables").paginate()
            self._tables = [name for page in pages for name in page["TableNames"]]
        prefix = f"{self._config.prefix}-State-{logical_id}"
        matches = [name for name in self._tables if name.startswith(prefix)]
        return matches[0] if len(matches) == 1 else None
