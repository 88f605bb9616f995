"""A workflow's `live` alias: what events (its start rule) and `orch start` start it through, so that
`orch definitions shift / rollback` (orchestrator/control/definitions.py) decide which version they run.

Each deploy publishes the state machine's definition as a version (`Version`: its `StateMachineRevisionId` is the state
machine's, so a change of definition or configuration replaces it, which publishes anew) and routes `live` all to it.
A deploy that changes the definition so ends any canary on the version it deploys; one that changes nothing leaves
`live` where an operator shifted it. A replaced version is kept (UpdateReplacePolicy Retain): executions started on it
run on, and an operator can shift `live` back to it.

Step Functions authorizes StartExecution through an alias (or a version) on the state machine's own, unqualified ARN,
the qualifier being the `states:StateMachineQualifier` condition key (developer guide, "Authorization for versions and
aliases in Step Functions workflows": "Step Functions uses the state machine's ARN instead of using the version ARN or
alias ARN"): a grant on the alias ARN itself allows nothing (aws/aws-cdk#30265). `grant_start_live` grants the state
machine's ARN with the qualifier pinned to `live`: the grantee may start the workflow through its alias only, neither
its latest revision nor a version.
"""

from __future__ import annotations

from typing import Any, Final

from aws_cdk import CfnDeletionPolicy
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

# The alias events start workflows through (orchestrator/control/definitions.py `DEFAULT_ALIAS`; a test ties them).
LIVE_ALIAS: Final = "live"
_CONSTRUCT_ID: Final = "Live"


class LiveAlias(Construct):
    """The version a deploy publishes and the `live` alias routing all to it, under the state machine's own node."""

    def __init__(self, state_machine: sfn.StateMachine) -> None:
        super().__init__(state_machine, _CONSTRUCT_ID)
        self.state_machine = state_machine
        version = sfn.CfnStateMachineVersion(
            self,
            "Version",
            state_machine_arn=state_machine.state_machine_arn,
            state_machine_revision_id=state_machine.state_machine_revision_id,
            description="published by the deploy",
        )
        # Kept when replaced (see the module docstring). Kept on deletion too, which leaves nothing behind: "The
        # DeleteStateMachine API action deletes all versions and aliases" (the same developer guide page).
        version.cfn_options.update_replace_policy = CfnDeletionPolicy.RETAIN
        version.cfn_options.deletion_policy = CfnDeletionPolicy.RETAIN
        alias = sfn.CfnStateMachineAlias(
            self,
            "Alias",
            name=LIVE_ALIAS,
            description="the deployed version: what events and orch start run (orch definitions shift moves it)",
            routing_configuration=[
                sfn.CfnStateMachineAlias.RoutingConfigurationVersionProperty(
                    state_machine_version_arn=version.attr_arn, weight=100
                )
            ],
        )
        self.arn = alias.attr_arn
        self._start_role: iam.IRole | None = None

    def start_target(self, **options: Any) -> targets.SfnStateMachine:
        """A rule target starting executions through the alias (`options`: retries, dead letters), as EventBridge's
        role for the alias (`StartRole`, one for every rule starting it), granted as `grant_start_live` grants."""
        if self._start_role is None:
            role = iam.Role(self, "StartRole", assumed_by=iam.ServicePrincipal("events.amazonaws.com"))
            grant_start_live(self.state_machine, role)
            # The target grants StartExecution on the ARN it starts, the alias's, which Step Functions never
            # matches: handed the role without policy updates, it adds nothing, and the grant above stays alone.
            self._start_role = role.without_policy_updates()
            self._through_alias = sfn.StateMachine.from_state_machine_arn(self, "Target", self.arn)
        return targets.SfnStateMachine(self._through_alias, role=self._start_role, **options)


def live_alias(state_machine: sfn.StateMachine) -> LiveAlias:
    """The state machine's `LiveAlias`, made on first use (one per state machine)."""
    found = state_machine.node.try_find_child(_CONSTRUCT_ID)
    return found if isinstance(found, LiveAlias) else LiveAlias(state_machine)


def grant_start_live(state_machine: sfn.IStateMachine, grantee: iam.IGrantable) -> None:
    """`grantee` may start `state_machine` through its `live` alias, and only so (see the module docstring)."""
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["states:StartExecution"],
            resources=[state_machine.state_machine_arn],
            conditions={"StringEquals": {"states:StateMachineQualifier": LIVE_ALIAS}},
        )
    )


__all__ = ["LIVE_ALIAS", "LiveAlias", "grant_start_live", "live_alias"]
