"""The stage's custom event bus: encrypted, archived for replay, and writable only by trusted principals."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.constructs.emitting import put_events_statements
from schemas.catalog import emitted_by
from schemas.envelope import Emitter
from schemas.stages import StageConfig


class OrchestratorBus(Construct):
    """One custom bus per stage with its archive (the replay source) and resource policy."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(self, "Key", enable_key_rotation=True, description="Encrypts the orchestrator bus")
        self.bus = events.EventBus(self, "Bus", event_bus_name=config.bus_name, kms_key=self.key)
        self.archive = self.bus.archive(
            "Archive",
            description=f"Every event on {config.bus_name}, for replay",
            event_pattern=events.EventPattern(account=[Aws.ACCOUNT_ID]),
            retention=Duration.days(config.archive_retention_days),
            kms_key=self.key,
        )
        if config.destroy_on_removal:
            self.key.apply_removal_policy(RemovalPolicy.DESTROY)
        self._allow_put_events(config)

    def _allow_put_events(self, config: StageConfig) -> None:
        # The bus's own account is delegated to its identity policies (each conditioned on what its principal
        # emits, infra/constructs/emitting.py). Other accounts, named in the stage config, may put external event
        # types only: an ApprovalDecided or AgentTaskCompleted from outside is denied at the bus.
        self.bus.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OwnAccountPutEvents",
                actions=["events:PutEvents"],
                principals=[iam.AccountPrincipal(Aws.ACCOUNT_ID)],
                resources=[self.bus.event_bus_arn],
            )
        )
        outside: list[tuple[str, list[iam.IPrincipal], dict[str, str]]] = []
        if config.trusted_account_ids:
            accounts: list[iam.IPrincipal] = [iam.AccountPrincipal(a) for a in config.trusted_account_ids]
            outside.append(("TrustedAccountsPutEvents", accounts, {}))
        if config.trusted_organization_id:
            organization = {"aws:PrincipalOrgID": config.trusted_organization_id}
            outside.append(("OrganizationPutEvents", [iam.AnyPrincipal()], organization))
        external = emitted_by(Emitter.PRODUCERS)
        for sid, principals, conditions in outside:
            for statement in put_events_statements(
                self.bus.event_bus_arn, external, principals=principals, sid=sid, conditions=conditions
            ):
                self.bus.add_to_resource_policy(statement)
