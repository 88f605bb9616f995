"""The stage's custom event bus: encrypted, archived for replay, and writable only by trusted principals."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

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
        # Other accounts may put events only when named in the stage config; everyone else is denied by default.
        principals: list[iam.IPrincipal] = [iam.AccountPrincipal(Aws.ACCOUNT_ID)]
        principals += [iam.AccountPrincipal(account) for account in config.trusted_account_ids]
        self.bus.add_to_resource_policy(
            iam.PolicyStatement(
                sid="TrustedAccountsPutEvents",
                actions=["events:PutEvents"],
                principals=principals,
                resources=[self.bus.event_bus_arn],
            )
        )
        if config.trusted_organization_id:
            self.bus.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="OrganizationPutEvents",
                    actions=["events:PutEvents"],
                    principals=[iam.AnyPrincipal()],
                    resources=[self.bus.event_bus_arn],
                    conditions={"StringEquals": {"aws:PrincipalOrgID": config.trusted_organization_id}},
                )
            )
