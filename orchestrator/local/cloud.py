"""`LocalCloud`: the synthesized app, provisioned and running in-process on moto. The face tests and the demo use.

    with LocalCloud.from_assembly("cdk.out") as cloud:
        cloud.put_event(OrderPlaced(...))
        cloud.wait_until_quiet()
        cloud.executions()

Composition: moto's backends (`mock_aws`, with executions on) plus the adapters that add what moto lacks, each in
its own module: Lambda handlers run in-process (`lambdas`), EventBridge delivers to Step Functions and Lambda
targets (`delivery`), SQS event-source mappings poll (`pollers`), the Step Functions interpreter waits on the
local clock and emits status-change events (`stepfunctions`), JSONata evaluates (`jsonata_engine`). With a `port`,
the same system also serves one HTTP endpoint on localhost for the AWS CLI and any SDK (server mode).

Telling when the system is still is `quiet`'s (`wait_until_quiet`); server mode is `server`'s.

moto's backends are process-wide: one `LocalCloud` runs at a time in a process.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import random
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from functions.producer import EventPublisher, OutgoingEvent
from functions.producer.eventbridge import EventBridgeBus
from orchestrator.assembly import CloudAssembly
from orchestrator.local import jsonata_engine
from orchestrator.local.computed_once import ComputedOnce
from orchestrator.local.delivery import Delivery, RulePatterns
from orchestrator.local.dynamodb import AtomicWrites
from orchestrator.local.faults import Faults
from orchestrator.local.iam.enforcement import IamEnforcement
from orchestrator.local.iam.report import AccessReport, Explanation, access_report
from orchestrator.local.iam.resource_policies import allow_rule_to_send
from orchestrator.local.lambdas import DEFAULT_ENVIRONMENTS, LambdaRuntime
from orchestrator.local.pollers import Pollers
from orchestrator.local.provision import Notice, Provisioned, Provisioner
from orchestrator.local.quiet import LocalCloudError, NotQuietError, QuietDetector, Stillness
from orchestrator.local.runtime import MOTO_CONFIG, Runtime, local_session
from orchestrator.local.server import LocalServer, PortInUseError
from orchestrator.local.stepfunctions import StepFunctionsAdapter
from orchestrator.local.stepfunctions.without_batch import import_batch_utils_alone
from schemas.envelope import EventData

# The errors and the result of its methods, named where LocalCloud is.
__all__ = ["LocalCloud", "LocalCloudError", "NotQuietError", "PortInUseError", "Stillness"]

logger = logging.getLogger(__name__)

STOP_SECONDS = 10.0  # how long `stop` lets work in flight finish
ACCESS_REPORT_PAGE = "access-report"  # server mode: GET <endpoint>/_orch/access-report
QUIET_PAGE = "quiet"  # server mode: GET <endpoint>/_orch/quiet answers once the system is still
QUIET_PAGE_SECONDS = 60.0  # how long that answer may wait for the system to come to rest
TICK_SECONDS = 0.005  # how often due clock timers (retries, redeliveries) are fired


class LocalCloud:
    def __init__(
        self,
        assembly: CloudAssembly,
        *,
        port: int | None = None,
        faults: Faults | None = None,
        iam: bool = True,
        seed: int | None = None,
        lambda_environments: int = DEFAULT_ENVIRONMENTS,
    ) -> None:
        self.assembly = assembly
        self.port = port
        self.faults = faults
        self.runtime = Runtime(faults=faults)
        self.lambdas = LambdaRuntime(self.runtime, lambda_environments)
        # Seeded, the runtime's random draws repeat run to run: retry jitter, and the version an alias sends each
        # execution to (a canary's split).
        self.delivery = Delivery(self.runtime, self.lambdas, rng=_seeded(seed, "delivery"))
        self.rule_patterns = RulePatterns()
        self.pollers = Pollers(self.runtime, self.lambdas)
        self.stepfunctions = StepFunctionsAdapter(self.runtime, rng=_seeded(seed, "aliases"))
        # The template's roles are provisioned either way; their policies are enforced only with `iam`.
        self.iam = IamEnforcement(self.runtime.account, self.stepfunctions.execution_of_current_thread)
        self.iam_enforced = iam
        self.runtime.access = self.iam if iam else None
        self.dynamodb = AtomicWrites()
        self.computed_once = ComputedOnce()
        self.notice = Notice()
        self.resources: dict[str, dict[str, Provisioned]] = {}
        self.endpoint_url: str | None = None
        self._quiet = QuietDetector(self.runtime, self.pollers)
        self._mock: Any = None
        self._server = LocalServer(
            {ACCESS_REPORT_PAGE: lambda: self.access_report().as_json(), QUIET_PAGE: self._quiet_page}
        )
        self._ticking = threading.Event()
        self._ticker: threading.Thread | None = None

    @classmethod
    def from_assembly(
        cls,
        directory: str | Path = "cdk.out",
        *,
        port: int | None = None,
        faults: Faults | None = None,
        iam: bool = True,
        seed: int | None = None,
        lambda_environments: int = DEFAULT_ENVIRONMENTS,
    ) -> LocalCloud:
        """A local cloud of the assembly in `directory`; `port` (0 = any free one) also starts server mode;
        `faults` injects failures (orchestrator/local/faults.py); `iam=False` runs without enforcing the
        template's policies (orchestrator/local/iam); `seed` makes its random draws repeat; `lambda_environments`
        caps each function's execution environments (orchestrator/local/lambdas/pool.py)."""
        return cls(
            CloudAssembly(Path(directory)),
            port=port,
            faults=faults,
            iam=iam,
            seed=seed,
            lambda_environments=lambda_environments,
        )

    # -- lifecycle -------------------------------------------------------------------------------------------

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        """Starts moto, installs the adapters, provisions the assembly; on any failure undoes what it did."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        from moto import mock_aws

        import_batch_utils_alone()  # before anything imports moto's Step Functions interpreter (without_batch.py)
        self._mock = mock_aws(config=MOTO_CONFIG)
        self._mock.start()
        jsonata_engine.install(self.runtime.clock.now)
        for adapter in self._patches():
            adapter.install()
        self.runtime.session = local_session()
        provisioner = Provisioner(
            self.runtime.session,
            self.runtime.account,
            self.runtime.region,
            creators={
                **self.lambdas.creators(),
                **self.pollers.creators(),
                **self.stepfunctions.creators(),
                **self.iam.creators(),
            },
        )
        provisioner.provision(self.assembly)
        self.notice, self.resources = provisioner.notice, provisioner.resources
        self.notice.iam = self.iam.summary() if self.iam_enforced else "IAM not enforced (iam off)"
        self._start_ticker()
        self.pollers.start()
        if self.port is not None:
            self.endpoint_url = self._server.start(self.port)

    def stop(self) -> None:
        """Stops taking requests and polling, lets work in flight finish (new work is refused, retry waits end),
        then stops the executions still running, restores moto and leaves it. Idempotent."""
        self._server.stop()
        self.pollers.stop()
        if not self.runtime.activity.stop(timeout=STOP_SECONDS):
            logger.warning("local runtime: work still in flight after %s s: %s", STOP_SECONDS, self._busy_summary())
        self._ticking.clear()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        if self.stepfunctions.uninstall() is False:  # first: executions end before the rest is restored
            logger.warning("local runtime: some execution threads were still running when moto was restored")
        for adapter in reversed(self._patches()):
            adapter.uninstall()  # idempotent: the Step Functions adapter is done already
        jsonata_engine.uninstall()
        if self._mock is not None:
            self._mock.stop()
            self._mock = None

    def _patches(self) -> list[Any]:
        """The adapters that apply seams on moto (orchestrator/local/seams); injected faults last, over the others."""
        faults = [] if self.faults is None else [self.faults]
        iam = [self.iam] if self.iam_enforced else []
        delivery = [self.delivery, self.rule_patterns]
        return [
            self.computed_once,
            self.dynamodb,
            self.lambdas,
            *delivery,
            self.pollers,
            self.stepfunctions,
            *iam,
            *faults,
        ]

    def _start_ticker(self) -> None:
        """Fires due clock timers as real time passes (retries and redeliveries scheduled on the clock)."""
        self._ticking.set()

        clock, ledger = self.runtime.clock, self.runtime.ledger

        def tick() -> None:
            while self._ticking.is_set():
                if clock.due_timers():
                    with ledger.work("the clock's due timers"):  # from before it takes the first one off
                        clock.fire_due_timers()
                time.sleep(TICK_SECONDS)

        self._ticker = threading.Thread(target=tick, name="local-clock-ticker", daemon=True)
        self._ticker.start()

    def tap(self, name: str, pattern: Mapping[str, Any], bus: str | None = None) -> str:
        """A queue receiving every event of `bus` (the orchestrator's) matching `pattern`, through a rule of that
        name, with the queue policy EventBridge needs to send to it (as a CDK SqsQueue target gives); its URL."""
        sqs, events = self.client("sqs"), self.client("events")
        bus = bus or self.bus_name
        url = str(sqs.create_queue(QueueName=name)["QueueUrl"])
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        rule = events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern))["RuleArn"]
        events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "tap", "Arn": arn}])
        allow_rule_to_send(sqs, url, arn, rule)
        return url

    def access_report(self, explained: Sequence[Explanation] = ()) -> AccessReport:
        """Per role, what it was allowed, what it was denied and which statements nothing used, so far (`explained`:
        why some may be unused in this run, orchestrator/local/iam/report.py)."""
        return access_report(self.iam.principals, self.iam.log, explained)

    # -- putting events --------------------------------------------------------------------------------------

    @functools.cached_property
    def bus_name(self) -> str:
        """The orchestrator's bus (the one `AWS::Events::EventBus` of the app). Kept once found: finding it reads
        the assembly's templates."""
        (name,) = [p.ref for _, p in self._provisioned("AWS::Events::EventBus")]
        return str(name)

    def put_event(
        self,
        data: EventData,
        *,
        correlation_id: str | None = None,
        idempotency_key: str | None = None,
        producer: str = "local",
    ) -> str:
        """Puts one project event (with its envelope) on the orchestrator's bus; returns its EventBridge id.
        Two puts with one `idempotency_key` are two deliveries of one event to its consumers."""
        publisher = EventPublisher(EventBridgeBus(self.client("events")), self.bus_name, producer=producer)
        outgoing = OutgoingEvent.from_model(data, correlation_id=correlation_id, idempotency_key=idempotency_key)
        (result,) = publisher.publish([outgoing])
        if not result.sent:
            raise LocalCloudError(f"{data.DETAIL_TYPE} was not put: {result.error_code} {result.error_message}")
        return str(result.eventbridge_id)

    def put_raw_event(self, source: str, detail_type: str, detail: Mapping[str, Any]) -> str:
        """Puts one event on the orchestrator's bus as it is, with PutEvents (what a producer that bypasses the SDK
        sends, or a recorded event with its envelope); returns its EventBridge id."""
        entry = {
            "EventBusName": self.bus_name,
            "Source": source,
            "DetailType": detail_type,
            "Detail": json.dumps(detail),
        }
        (answer,) = self.client("events").put_events(Entries=[entry])["Entries"]
        if "EventId" not in answer:
            raise LocalCloudError(f"PutEvents refused the {detail_type} event: {answer}")
        return str(answer["EventId"])

    def client(self, service: str) -> Any:
        return self.runtime.client(service)

    # -- waiting ---------------------------------------------------------------------------------------------

    def wait_until_quiet(self, timeout: float = 60.0, *, advance_clock: bool = False) -> Stillness:
        """Waits until nothing moves: no work in flight, no message a poller can receive or is processing, no
        execution progressing. What is left then waits on something outside the system (an execution on a task
        token) or on the clock (Wait states, timeouts, retry backoffs, visibility timeouts, batching windows): the
        returned `Stillness` says what. With `advance_clock`, the clock jumps to each next deadline instead, until
        nothing waits on it. Raises `LocalCloudError` when background work failed, `NotQuietError` after
        `timeout` seconds of real time."""
        return self._quiet.wait(timeout, advance_clock=advance_clock)

    def _quiet_page(self) -> dict[str, Any]:
        """`wait_until_quiet` for a client of server mode (a script, the AWS CLI's user): what waits once still,
        or why the system did not come to rest."""
        try:
            stillness = self.wait_until_quiet(QUIET_PAGE_SECONDS)
        except (NotQuietError, LocalCloudError) as error:
            return {"quiet": False, "error": type(error).__name__, "message": str(error)}
        return {"quiet": True, **dataclasses.asdict(stillness)}

    def _busy_summary(self) -> str:
        return self._quiet.busy_summary()

    def _running_executions(self) -> list[str]:
        return self._quiet.running_executions()

    # -- reading -----------------------------------------------------------------------------------------------

    def _provisioned(self, resource_type: str) -> Iterator[tuple[str, Provisioned]]:
        for stack in self.assembly.stacks():
            created = self.resources.get(stack.name, {})
            for logical_id, _ in stack.resources(resource_type):
                if logical_id in created:  # not when its Condition was false
                    yield logical_id, created[logical_id]

    def physical_id(self, resource_type: str, logical_id_prefix: str) -> str:
        """The physical id (`Ref`) of the one resource of `resource_type` whose logical id starts with the prefix."""
        found = [str(p.ref) for lid, p in self._provisioned(resource_type) if lid.startswith(logical_id_prefix)]
        if len(found) != 1:
            raise LookupError(f"{len(found)} {resource_type} resources match {logical_id_prefix!r}: {found}")
        return found[0]

    def executions(self, state_machine_arn: str | None = None) -> list[dict[str, Any]]:
        """Every execution (described), oldest first; of one state machine when given."""
        sfn = self.client("stepfunctions")
        machines = [state_machine_arn] if state_machine_arn else self._state_machine_arns()
        paginator = sfn.get_paginator("list_executions")
        pages = (page for arn in machines for page in paginator.paginate(stateMachineArn=arn))
        found = [sfn.describe_execution(executionArn=e["executionArn"]) for page in pages for e in page["executions"]]
        return sorted(found, key=lambda e: e["startDate"])

    def _state_machine_arns(self) -> list[str]:
        return [m["stateMachineArn"] for m in self.client("stepfunctions").list_state_machines()["stateMachines"]]

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        return list(self.client("stepfunctions").get_execution_history(executionArn=execution_arn)["events"])

    def table_items(self, table_name: str) -> list[dict[str, Any]]:
        return list(self.client("dynamodb").scan(TableName=table_name)["Items"])

    def queue_depth(self, queue_url: str) -> int:
        """Messages in the queue, visible or not (a dead-letter queue's count)."""
        attributes: Mapping[str, str] = self.client("sqs").get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(v) for v in attributes.values())


def _seeded(seed: int | None, purpose: str) -> random.Random | None:
    """A generator of its own per purpose, so that one's draws never shift another's; None unseeded."""
    return None if seed is None else random.Random(f"{seed}/{purpose}")
