"""The order saga: its three services (a function and a DynamoDB table each), the state machine, its start rule,
and where its escalations go.

The workflow is `state_machines/order_saga.asl.json` (JSONata), set up as every workflow is
(infra/constructs/workflow.py): retry numbers from the stage config written in at synth time, the functions' ARNs
and the bus name as definition substitutions. OrderPlaced on the bus starts an execution (rule target with retries
and a DLQ).

Each service owns its table, here beside its function rather than in the State stack: database per service, the
saga's services deploy and go together, and the construct stays one piece to copy (the State stack holds the
orchestrator's own state, shared by every workflow). Each function may read and write its own table's items, with
the three item actions it uses only; the state machine may invoke the three functions and put events on this bus.

Idempotency, on the State stack's Idempotency table (`idempotency_table`), at two levels:
- the execution: the saga's first state (`Begin`) is its admission (asl/admission.py, functions/admission), which
  validates the OrderPlaced against its contract (an invalid one ends in `Rejected`, `InvalidStartEvent`, nothing
  written) and then claims its order id, and its envelope's idempotency key, under `order-saga#`. EventBridge
  delivers at least once and the rule starts an execution per delivery: an execution that finds the claim ends at
  once in `Duplicate`, so a redelivered order reserves, charges, ships and emits nothing. The admission function may
  put items under that prefix only (`dynamodb:LeadingKeys`); the state machine writes no claim itself.
- each service call: Powertools idempotency (functions/idempotency.py) keyed on the call's `idempotency_key`
  (`<envelope key>:<action>`), so a retried task gets the first attempt's answer. The three functions get the
  table (IDEMPOTENCY_TABLE) with what Powertools calls on it.
The services' own records, written with conditional puts under the saga's key, stay the lasting guard: they do not
expire as Powertools records do (an hour), and they tie a compensation to the step it undoes.

A compensation that keeps failing puts OrderCompensationEscalated on the bus; a rule keeps every such event in the
escalations queue, whose alarm goes off at the first one: the event stays there, with what to redo, for a person.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from asl.pause_points import REGISTER_PLACEHOLDER, TABLE_PLACEHOLDER, PausePoints
from infra.constructs.alerts import AlarmedQueue, AlertsTopic
from infra.constructs.correlator import Correlator
from infra.constructs.lambda_function import PROJECT_ROOT, PythonFunction, grant_idempotency_records
from infra.constructs.removal import removal_policy
from infra.constructs.rule_targets import reliable_target_options
from infra.constructs.workflow import start_rule, workflow_state_machine
from schemas.stages import StageConfig

DEFINITION_FILE = PROJECT_ROOT / "state_machines" / "order_saga.asl.json"

# Events of `schemas.orders` (infra reads no models; a test ties them).
ORDERS_SOURCE = "shop.orders"
START_DETAIL_TYPE = "OrderPlaced"
ESCALATION_DETAIL_TYPE = "OrderCompensationEscalated"

# What each service's adapter does to its table (functions/*/dynamodb.py): no scans, queries or deletes.
TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")

# An operator's pause holds the saga before its next forward step, never before a compensation (a paused saga that
# fails still undoes what it did: asl/pause_points.py).
PAUSE_POINTS = PausePoints(("ReserveInventory", "ChargePayment", "ArrangeShipping"))

# (construct id, handler, service, description)
_SERVICES = (
    (
        "Inventory",
        "functions.inventory.handler.handler",
        "inventory",
        "Order saga: reserves and releases an order's stock",
    ),
    ("Payments", "functions.payments.handler.handler", "payments", "Order saga: charges and refunds an order"),
    ("Shipping", "functions.shipping.handler.handler", "shipping", "Order saga: arranges an order's shipment"),
)


def numbers(config: StageConfig) -> dict[str, int]:
    """The definition's numeric placeholders and their values for a stage."""
    transient, compensation = config.order_saga.transient_retry, config.order_saga.compensation_retry
    return {
        "TransientIntervalSeconds": transient.interval_seconds,
        "TransientMaxAttempts": transient.max_attempts,
        "TransientMaxDelaySeconds": transient.max_delay_seconds,
        "CompensationIntervalSeconds": compensation.interval_seconds,
        "CompensationMaxAttempts": compensation.max_attempts,
        "CompensationMaxDelaySeconds": compensation.max_delay_seconds,
    }


class SagaService(Construct):
    """One service of the saga: its function and the table only it uses."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        handler: str,
        service: str,
        description: str,
        idempotency_table: dynamodb.ITable,
        idempotency_actions: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=not config.destroy_on_removal,
            removal_policy=removal_policy(config),
        )
        self.function: lambda_.Function = PythonFunction(
            self,
            "Service",
            config=config,
            handler=handler,
            service=service,
            description=description,
            environment={"TABLE_NAME": self.table.table_name, "IDEMPOTENCY_TABLE": idempotency_table.table_name},
        ).function
        self.table.grant(self.function, *TABLE_ACTIONS)
        grant_idempotency_records(self.function, idempotency_table, idempotency_actions, config)


class OrderSaga(Construct):
    """The saga; `idempotency_actions` are what Powertools calls on `idempotency_table` (the stack's one list); the
    pause records are in `workflow_control_table`, and `correlator` resumes a held execution."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        bus: events.IEventBus,
        alerts: AlertsTopic,
        idempotency_table: dynamodb.ITable,
        idempotency_actions: Sequence[str],
        workflow_control_table: dynamodb.ITable,
        correlator: Correlator,
    ) -> None:
        super().__init__(scope, construct_id)
        self._workflow_control_table = workflow_control_table
        self._correlator = correlator
        self.inventory, self.payments, self.shipping = (
            SagaService(
                self,
                name,
                config=config,
                handler=handler,
                service=service,
                description=description,
                idempotency_table=idempotency_table,
                idempotency_actions=idempotency_actions,
            )
            for name, handler, service, description in _SERVICES
        )
        self.state_machine = self._state_machine(config, bus, idempotency_table)
        self.rule = self._start_rule(config, bus, alerts)
        self.escalations = self._escalations(config, bus, alerts)

    @property
    def services(self) -> tuple[SagaService, SagaService, SagaService]:
        return self.inventory, self.payments, self.shipping

    def _state_machine(
        self, config: StageConfig, bus: events.IEventBus, idempotency_table: dynamodb.ITable
    ) -> sfn.StateMachine:
        self.log_group, state_machine = workflow_state_machine(
            self,
            workflow="order-saga",
            config=config,
            bus=bus,
            definition_file=DEFINITION_FILE,
            numbers=numbers(config),
            functions={
                "InventoryFunctionArn": self.inventory.function,
                "PaymentsFunctionArn": self.payments.function,
                "ShippingFunctionArn": self.shipping.function,
                REGISTER_PLACEHOLDER: self._correlator.register,
            },
            substitutions={
                TABLE_PLACEHOLDER: self._workflow_control_table.table_name,
            },
            transform=PAUSE_POINTS.wrap,
            pause_records=self._workflow_control_table,
            start_claims=idempotency_table,
        )
        return state_machine

    def _start_rule(self, config: StageConfig, bus: events.IEventBus, alerts: AlertsTopic) -> events.Rule:
        return start_rule(
            self,
            "OrderPlaced",
            config=config,
            bus=bus,
            alerts=alerts,
            state_machine=self.state_machine,
            description="Starts the order saga for every placed order",
            source=ORDERS_SOURCE,
            detail_types=[START_DETAIL_TYPE],
        )

    def _escalations(self, config: StageConfig, bus: events.IEventBus, alerts: AlertsTopic) -> AlarmedQueue:
        escalations = AlarmedQueue(self, "Escalations", config=config, alerts=alerts, threshold=1)
        rule = events.Rule(
            self,
            "CompensationEscalated",
            event_bus=bus,
            description="Keeps every escalated compensation of the order saga for a person; its queue is alarmed",
            event_pattern=events.EventPattern(source=[ORDERS_SOURCE], detail_type=[ESCALATION_DETAIL_TYPE]),
        )
        rule.add_target(
            targets.SqsQueue(
                escalations.queue,
                **reliable_target_options(self, "EscalationDeadLetters", config=config, alerts=alerts),
            )
        )
        return escalations
