"""`Pollers`: each enabled SQS event source mapping polled on a thread of its own, the way the Lambda service does.

moto 5.2.5 runs a mapping inside `send_message` itself (`Queue.add_message`, moto/sqs/models.py:577): on the sender's
thread it receives up to BatchSize messages and invokes the function once per message with fixed attributes, no
batching window and no partial batch response, and a failure makes the messages visible again at once. Here a poller
receives up to BatchSize messages (10 a call, WaitTimeSeconds 0; on an empty queue it sleeps until a message arrives,
which `Queue.add_message` tells it, so idle queues cost nothing) and, with a MaximumBatchingWindowInSeconds, keeps
gathering until the batch is full or the window has passed on the runtime clock; then it invokes the function once
with the SQS event Lambda builds (`batches`). Success deletes the batch; what the function's answer keeps becomes
visible again on the clock (`visibility`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from orchestrator.local.lambda_port import LambdaPort
from orchestrator.local.pollers import queue_scans
from orchestrator.local.pollers.batches import BatchRecord, batch_failures, sqs_record
from orchestrator.local.pollers.mappings import (
    RECEIVE_LIMIT,
    REPORT_BATCH_ITEM_FAILURES,
    SqsMapping,
    UnsupportedMapping,
    create_in_moto,
    polled_here,
)
from orchestrator.local.pollers.visibility import Received, VisibilityTimers
from orchestrator.local.provision import Creator, Provisioned, Provisioner
from orchestrator.local.queues import queue_name, queue_url
from orchestrator.local.runtime import Runtime
from orchestrator.local.seams import SeamAdapter, SeamSet
from orchestrator.local.seams import services as declared

logger = logging.getLogger(__name__)

# A poller waiting on an empty queue is woken by a message's arrival (seam SQS_ARRIVALS), by its batching window's
# end and by the visibility timers; it also looks again after this much real time, for what moto alone makes
# visible in real time (a DelaySeconds message, a visibility timeout the runtime did not set).
IDLE_SECONDS = 0.5


# The queue attribute names of GetQueueAttributes, and moto's Queue properties that answer them.
_QUEUE_COUNTS = {
    "ApproximateNumberOfMessages": "approximate_number_of_messages",
    "ApproximateNumberOfMessagesNotVisible": "approximate_number_of_messages_not_visible",
    "ApproximateNumberOfMessagesDelayed": "approximate_number_of_messages_delayed",
}


class Pollers(SeamAdapter):
    """The SQS event source mappings of the local runtime and their poller threads."""

    def __init__(self, runtime: Runtime, lambdas: LambdaPort) -> None:
        self._runtime = runtime
        self._lambdas = lambdas
        self._mappings: list[SqsMapping] = []
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._started = False
        # Receives and un-hiding timers share this lock.
        self._lock = threading.RLock()
        self._timers = VisibilityTimers(runtime, self._lock, lambda url: self._wake(queue_name(url)))
        # Per mapping: messages received and not yet settled. Received messages are invisible in the queue: this is
        # how a poller's wait knows it is over (`_gather`).
        self._held: Counter[str] = Counter()
        self._records: list[BatchRecord] = []
        self._wakers: dict[str, list[threading.Event]] = {}  # queue name -> the wake-up event of each of its pollers

    def creators(self) -> dict[str, Creator]:
        return {"AWS::Lambda::EventSourceMapping": self._create_from_template}

    def _seam_set(self) -> SeamSet:
        """Mappings any `Pollers` creates from now on are left off their queue in moto; once uninstalled, mappings
        already detached stay so."""
        seam_set = SeamSet("Pollers")
        seam_set.wrap(declared.SQS_MAPPINGS_POLLED, polled_here)
        seam_set.wrap(declared.SQS_ARRIVALS, self._waking_on_arrival)
        seam_set.replace(declared.SQS_RETENTION_READ, _within_retention)
        for seam in declared.SQS_QUEUE_SCANS:
            seam_set.replace(seam, property(queue_scans.SCANS[seam.attribute]))
        return seam_set

    def _waking_on_arrival(self, original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        def add_message(queue: Any, message: Any) -> None:
            original(queue, message)
            self._wake(queue.name)

        return add_message

    def _wake(self, name: str) -> None:
        """Wakes the pollers of the queue named `name`: a message may be there to receive."""
        for event in self._wakers.get(name, []):
            event.set()

    @property
    def mappings(self) -> list[SqsMapping]:
        return list(self._mappings)

    @property
    def records(self) -> list[BatchRecord]:
        """Every batch invoked so far, in order."""
        with self._lock:
            return list(self._records)

    def create_mapping(
        self,
        queue_arn: str,
        function: str,
        *,
        batch_size: int = 10,
        batching_window: float = 0.0,
        report_batch_item_failures: bool = False,
        enabled: bool = True,
        scaling_config: dict[str, Any] | None = None,
    ) -> SqsMapping:
        """Creates the mapping in moto (detached from moto's own delivery) and polls it once started."""
        if batch_size > RECEIVE_LIMIT and batching_window < 1:
            # Lambda refuses this too: a batch larger than one receive can only be gathered over a window.
            raise UnsupportedMapping(f"BatchSize {batch_size} needs MaximumBatchingWindowInSeconds of at least 1")
        arguments: dict[str, Any] = {
            "EventSourceArn": queue_arn,
            "FunctionName": function,
            "BatchSize": batch_size,
            "MaximumBatchingWindowInSeconds": int(batching_window),
            "Enabled": enabled,
        }
        if report_batch_item_failures:
            arguments["FunctionResponseTypes"] = [REPORT_BATCH_ITEM_FAILURES]
        if scaling_config:
            arguments["ScalingConfig"] = scaling_config
        mapping = SqsMapping(
            create_in_moto(self._runtime, arguments),
            queue_arn,
            queue_url(self._runtime.client("sqs"), queue_arn),
            function,
            batch_size,
            batching_window,
            report_batch_item_failures,
            enabled,
        )
        self._mappings.append(mapping)
        if self._started:
            self._start_poller(mapping)
        return mapping

    def start(self) -> None:
        """Starts one poller thread per enabled mapping (mappings created later start with their creation)."""
        if self._started:
            return
        self._started = True
        self._stop.clear()
        for mapping in self._mappings:
            self._start_poller(mapping)

    def stop(self) -> None:
        """Stops the pollers after their current batch and cancels their timers (call before leaving moto)."""
        self._stop.set()
        for name in list(self._wakers):
            self._wake(name)
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()
        self._wakers.clear()
        self._started = False
        self._timers.cancel_all()

    def pending_messages(self) -> int:
        """Messages visible, in flight or delayed in the queues of enabled mappings: work still to come."""
        return self._count(
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"
        )

    def visible_messages(self) -> int:
        """Messages a poller can receive now (the rest wait on a visibility timeout or a delay)."""
        return self._count("ApproximateNumberOfMessages")

    def _queue(self, name: str) -> Any:
        """moto's queue named `name` (None: there is none)."""
        from moto.sqs.models import sqs_backends

        return sqs_backends[self._runtime.account][self._runtime.region].queues.get(name)

    def _count(self, *names: str) -> int:
        """The sum of the queue attributes `names` (as GetQueueAttributes names them) over the polled queues, read
        from moto's queues directly: quiet detection asks this at every still moment, and through boto3 it costs a
        millisecond a queue."""
        total = 0
        for name in {queue_name(m.queue_url) for m in self._mappings if m.enabled}:
            queue = self._queue(name)
            if queue is not None:
                total += sum(int(getattr(queue, _QUEUE_COUNTS[attribute])) for attribute in names)
        return total

    # The template side.

    def _create_from_template(self, p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
        source = str(props.get("EventSourceArn", ""))
        service = source.split(":")[2] if source.count(":") >= 5 else ""
        if service != "sqs":
            # Streams and Kafka are not polled locally: named in the start-up notice like every type not run.
            p.notice.unsupported[f"AWS::Lambda::EventSourceMapping from {service or 'a self-managed source'}"] += 1
            placeholder = str(uuid.uuid4())
            return Provisioned(placeholder, {"Id": placeholder})
        if props.get("FilterCriteria"):
            raise UnsupportedMapping(f"{logical_id}: FilterCriteria is not evaluated locally")
        mapping = self.create_mapping(
            source,
            props["FunctionName"],
            batch_size=int(props.get("BatchSize", 10)),
            batching_window=float(props.get("MaximumBatchingWindowInSeconds", 0)),
            report_batch_item_failures=REPORT_BATCH_ITEM_FAILURES in props.get("FunctionResponseTypes", []),
            enabled=str(props.get("Enabled", True)).lower() == "true",
            scaling_config=props.get("ScalingConfig"),  # kept for the API's answers; one batch at a time runs
        )
        return Provisioned(mapping.uuid, {"Id": mapping.uuid})

    # The poller side.

    def _start_poller(self, mapping: SqsMapping) -> None:
        if not mapping.enabled:
            return
        wake = threading.Event()
        self._wakers.setdefault(queue_name(mapping.queue_url), []).append(wake)
        thread = threading.Thread(
            target=self._poll, args=(mapping, wake), name=f"sqs-poller-{mapping.uuid}", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _poll(self, mapping: SqsMapping, wake: threading.Event) -> None:
        with self._runtime.ledger.work(f"sqs poller of {mapping.queue_arn}"):
            while not self._stop.is_set():
                try:
                    batch = self._gather(mapping, wake)
                except Exception as error:  # noqa: BLE001 - surfaced through the activity's failures
                    # A queue that cannot be read stays broken: say so once and stop, rather than fail every poll.
                    logger.error("local runtime: poller of %s stopped: %r", mapping.queue_arn, error, exc_info=error)
                    self._runtime.activity.record(f"sqs poller {mapping.queue_arn}", error)
                    return
                if not batch:
                    continue
                # An invoke that raised was recorded by `busy`, and its messages kept for redelivery: poll on.
                try:
                    with contextlib.suppress(Exception):
                        self._process(mapping, batch)
                finally:
                    with self._lock:
                        self._held[mapping.uuid] -= len(batch)

    def _gather(self, mapping: SqsMapping, wake: threading.Event) -> list[Received]:
        """A batch as Lambda gathers it: what one receive gives, or up to BatchSize within the batching window.
        Waiting on an empty queue is one wait in the ledger, over once woken (`wake`: a message arrived, the
        pollers stop) or once a receive got something (the receive counts what it holds, under the lock, as it
        takes it out of sight): idle polls change nothing there."""

        def woken_or_holding(_: float) -> bool:
            return wake.is_set() or self._holds(mapping, 1)

        with self._runtime.ledger.waiting(f"messages on {mapping.queue_arn}", woken_or_holding):
            while True:
                wake.clear()  # before the receive: a message arriving after it sets it again
                batch = self._receive(mapping, mapping.batch_size)
                if batch or self._stop.is_set():
                    break
                wake.wait(IDLE_SECONDS)
        if not batch or mapping.batching_window <= 0:
            return batch
        clock = self._runtime.clock
        deadline = clock.now() + mapping.batching_window
        window_over = threading.Event()

        def end_window() -> None:
            window_over.set()
            wake.set()

        # A timer rather than a bare deadline, so the clock's `next_deadline` knows the window is waiting.
        timer = clock.call_later(mapping.batching_window, end_window)

        def over(_: float) -> bool:
            return window_over.is_set() or self._stop.is_set() or self._holds(mapping, mapping.batch_size)

        try:
            with self._runtime.ledger.waiting(f"the batching window of {mapping.queue_arn}", over):
                while len(batch) < mapping.batch_size and clock.now() < deadline and not self._stop.is_set():
                    wake.clear()
                    more = self._receive(mapping, mapping.batch_size - len(batch))
                    batch += more
                    if not more:
                        wake.wait(IDLE_SECONDS)
        finally:
            timer.cancel()
        return batch

    def _holds(self, mapping: SqsMapping, count: int) -> bool:
        """The poller of `mapping` has received at least `count` messages not yet settled."""
        with self._lock:
            return self._held[mapping.uuid] >= count

    def _permit(self, mapping: SqsMapping, action: str) -> None:
        """With IAM enforced: Lambda's event-source mapping reads and deletes the queue's messages as the function's
        execution role (as on AWS, which is why the CDK grants the role sqs:ReceiveMessage and DeleteMessage); raises
        the AccessDenied error when that role may not. A poller that cannot receive stops, its failure surfaced."""
        access = self._runtime.access
        if access is not None:
            role = self._lambdas.role_of(mapping.function)
            access.permit_role(role, action, mapping.queue_arn, self._runtime.client("sqs"))

    def _receive(self, mapping: SqsMapping, wanted: int) -> list[Received]:
        sqs = self._runtime.client("sqs")
        self._permit(mapping, "sqs:ReceiveMessage")
        with self._lock:
            now = self._runtime.clock.now()
            messages = sqs.receive_message(
                QueueUrl=mapping.queue_url,
                MaxNumberOfMessages=min(wanted, RECEIVE_LIMIT),
                WaitTimeSeconds=0,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            self._held[mapping.uuid] += len(messages)
            for message in messages:
                self._timers.received_again(message["MessageId"])
        if not messages:
            return []
        # Off moto's queue: GetQueueAttributes computes every attribute, the message counts (a scan) included.
        visibility = int(self._queue(queue_name(mapping.queue_url)).visibility_timeout)
        return [Received(message, now + visibility) for message in messages]

    def _process(self, mapping: SqsMapping, batch: list[Received]) -> None:
        ids = [received.message["MessageId"] for received in batch]
        records = [sqs_record(received.message, mapping.queue_arn, self._runtime.region) for received in batch]
        with self._runtime.activity.busy(f"sqs batch {mapping.queue_arn} -> {mapping.function}"):
            try:
                invocation = self._lambdas.invoke(
                    mapping.function, json.dumps({"Records": records}).encode(), "RequestResponse"
                )
            except Exception as error:
                self._settle(mapping, batch, set(ids), f"invoke raised {error!r}")
                raise
            failed, error_text = batch_failures(ids, invocation, mapping.report_batch_item_failures)
            self._settle(mapping, batch, failed, error_text)

    def _settle(self, mapping: SqsMapping, batch: list[Received], failed: set[str], error: str | None) -> None:
        """Deletes what succeeded; what failed becomes visible again when the clock passes its deadline."""
        sqs = self._runtime.client("sqs")
        done = [r.message for r in batch if r.message["MessageId"] not in failed]
        if self._runtime.faults is not None:  # injected: a processed message left undeleted is received again
            kept = self._runtime.faults.undeleted(mapping.queue_arn, [m["MessageId"] for m in done])
            done = [m for m in done if m["MessageId"] not in kept]
            self._timers.hide_until(mapping.queue_url, [r for r in batch if r.message["MessageId"] in kept])
        if done:
            self._permit(mapping, "sqs:DeleteMessage")
        for start in range(0, len(done), RECEIVE_LIMIT):
            chunk = done[start : start + RECEIVE_LIMIT]
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)]
            for problem in sqs.delete_message_batch(QueueUrl=mapping.queue_url, Entries=entries).get("Failed", []):
                logger.warning("local runtime: could not delete a processed message: %s", problem)
        self._timers.hide_until(mapping.queue_url, [r for r in batch if r.message["MessageId"] in failed])
        with self._lock:
            self._records.append(
                BatchRecord(
                    mapping.uuid,
                    mapping.queue_arn,
                    mapping.function,
                    tuple(r.message["MessageId"] for r in batch),
                    tuple(r.message["MessageId"] for r in batch if r.message["MessageId"] in failed),
                    error,
                )
            )


def _within_retention(backend: Any, name: str, message: Any) -> bool:
    """moto's retention check of a message being received (moto/sqs/models.py:1279), the period read off the queue."""
    from moto.core.utils import unix_time

    retained_until = float(backend.get_queue(name).message_retention_period) + message.sent_timestamp / 1000
    return bool(retained_until > unix_time())
