"""The stage's custom event bus: encrypted, archived for replay, writable only by trusted principals, with a
dead-letter queue of its own.

The bus is encrypted with a customer-managed key, so an event EventBridge cannot encrypt or decrypt while it
processes it on the bus (the key disabled, scheduled for deletion, its policy changed) is not retried: without a bus
DLQ it would be lost. The bus's DLQ receives those events (still encrypted: EventBridge's "Encrypted Events" with the
payload under the bus key) and alarms on the first one, like every other dead-letter queue of the app."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.constructs.alerts import AlarmedQueue, AlertsTopic
from infra.constructs.emitting import put_events_statements
from schemas.catalog import emitted_by
from schemas.envelope import Emitter
from schemas.stages import StageConfig


class OrchestratorBus(Construct):
    """One custom bus per stage with its archive (the replay source), resource policy and dead-letter queue."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, alerts: AlertsTopic) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(self, "Key", enable_key_rotation=True, description="Encrypts the orchestrator bus")
        self.dead_letters = AlarmedQueue(
            self, "DeadLetters", config=config, alerts=alerts, threshold=config.alarms.dead_letter_depth
        )
        self.bus = events.EventBus(
            self,
            "Bus",
            event_bus_name=config.bus_name,
            kms_key=self.key,
            dead_letter_queue=self.dead_letters.queue,
        )
        self._allow_dead_letters()
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

    def _allow_dead_letters(self) -> None:
        # CDK gives EventBridge no access to a bus's DLQ (it does for a rule target's): the bus itself, no other.
        self.dead_letters.queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EventBridgeBusDeadLetters",
                actions=["sqs:SendMessage"],
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                resources=[self.dead_letters.queue.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": self.bus.event_bus_arn}},
            )
        )

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
