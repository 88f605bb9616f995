"""SQS event source mappings run as pollers, the way the Lambda service runs them.

moto 5.2.5 runs a mapping inside `send_message` itself (`Queue.add_message`, moto/sqs/models.py:577): on the sender's
thread it receives up to BatchSize messages and invokes the function once per message with fixed attributes, no
batching window and no partial batch response, and a failure makes the messages visible again at once. Here each
enabled mapping has a poller thread that does what Lambda does:

- it receives up to BatchSize messages (10 a call, WaitTimeSeconds 0, a short real-time sleep when the queue is
  empty) and, with a MaximumBatchingWindowInSeconds, keeps gathering until the batch is full or the window has
  passed on the runtime clock; then it invokes the function once with the SQS event Lambda builds;
- success deletes the batch; a function error (or an invoke that raised) deletes nothing; with
  ReportBatchItemFailures the response `{"batchItemFailures": [{"itemIdentifier": id}]}` keeps only those
  messages, and a response Lambda calls invalid (bad JSON, empty or null identifier, a bad key, an id not in the
  batch) fails the whole batch, as AWS documents under "Success and failure conditions";
- a message not deleted stays invisible for the queue's VisibilityTimeout counted from its receipt. moto counts
  that in real time; the poller also sets a clock timer for the same deadline that makes the message visible
  again, so `clock.advance` redelivers at once. The receipt each timer is for is checked under the lock receives
  hold, so a late timer never un-hides a message received again since;
- after maxReceiveCount receipts the message goes to the queue's dead-letter queue: moto moves it on the next
  receive attempt (`approximate_receive_count >= maxReceiveCount`, moto/sqs/models.py:1029 and :1049), so the
  function runs maxReceiveCount times, as on AWS, and nothing needs adding here.

Where a mapping lives: `create_mapping` creates it in moto too, so `list_event_source_mappings` and
`get_event_source_mapping` answer with its UUID (the CloudFormation `Ref`). moto attaches a mapping to its queue by
putting it in `Queue.lambda_event_source_mappings` (moto/awslambda/models.py:2138), the dict `add_message` walks.
`install()` applies the seam on `LambdaBackend.create_event_source_mapping` (orchestrator/local/seams/services.py)
that takes a mapping these pollers create out of that dict as moto creates it, which leaves it listed by the Lambda
backend while `send_message` no longer invokes anything. moto requires the function to exist in its Lambda backend
(the local Lambda runtime creates it there). A mapping created through the API, not through this module (or before
`install()`), keeps moto's behaviour.

Not modelled: ScalingConfig (each mapping runs one batch at a time, so its order is deterministic), the 6 MB payload
limit, Lambda's polling back-off after errors, and DelaySeconds (moto delays in real time). A mapping with
FilterCriteria is refused rather than run unfiltered; one from a stream or Kafka is named in the start-up notice.

Left at ~520 lines for now: the natural seam is the batch response and event format (`batch_failures`,
`_message_attribute`: pure functions) apart from the poller threads; not split in the seams change.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from orchestrator.local.lambda_port import Invocation, LambdaPort
from orchestrator.local.provision import Creator, Provisioned, Provisioner
from orchestrator.local.queues import queue_url
from orchestrator.local.runtime import Runtime
from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import services as declared

logger = logging.getLogger(__name__)

RECEIVE_LIMIT = 10  # the most messages one ReceiveMessage call returns
IDLE_SECONDS = 0.01  # real-time pause between polls of an empty queue: polling is not a wait on the clock
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"
# Set while this thread creates a mapping for a `Pollers` (any of them: the seam one of them applied serves all).
_creating = threading.local()


class UnsupportedMapping(ValueError):
    """A mapping the local runtime refuses to run rather than run differently from AWS."""


@dataclass(frozen=True)
class SqsMapping:
    uuid: str
    queue_arn: str
    queue_url: str
    function: str
    batch_size: int = 10
    batching_window: float = 0.0
    report_batch_item_failures: bool = False
    enabled: bool = True


@dataclass(frozen=True)
class BatchRecord:
    """One invocation of a mapping: the messages it carried and those kept for redelivery."""

    mapping: str
    queue: str
    function: str
    message_ids: tuple[str, ...]
    failed_ids: tuple[str, ...]
    error: str | None = None  # why the whole batch failed; None when the function's answer was used


@dataclass(frozen=True)
class _Received:
    message: dict[str, Any]
    visible_again_at: float  # on the runtime clock: receipt + the queue's VisibilityTimeout


class Pollers:
    """The SQS event source mappings of the local runtime and their poller threads."""

    def __init__(self, runtime: Runtime, lambdas: LambdaPort) -> None:
        self._runtime = runtime
        self._lambdas = lambdas
        self._mappings: list[SqsMapping] = []
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._started = False
        # Receives and un-hiding timers share this lock; `_hidden` maps a message id to the timer for its receipt.
        self._lock = threading.RLock()
        self._hidden: dict[str, tuple[str, Any]] = {}  # message id -> (receipt, clock timer)
        # Per mapping: messages received and not yet settled, and of those the ones waiting out a batching window
        # (parked on the clock). Received messages are invisible in the queue, so this is how they count as work.
        self._held: Counter[str] = Counter()
        self._windowed: Counter[str] = Counter()
        self._records: list[BatchRecord] = []
        self._seams: SeamSet | None = None

    def creators(self) -> dict[str, Creator]:
        return {"AWS::Lambda::EventSourceMapping": self._create_from_template}

    def install(self) -> None:
        """Mappings any `Pollers` creates from now on are left off their queue in moto (idempotent)."""
        if self._seams is not None:
            return

        def polled_here(original: Callable[[Any, dict[str, Any]], Any]) -> Callable[[Any, dict[str, Any]], Any]:
            def create_event_source_mapping(backend: Any, spec: dict[str, Any]) -> Any:
                mapping = original(backend, spec)
                if getattr(_creating, "active", False):
                    _detach_from_moto_queue(spec["EventSourceArn"], mapping.uuid)
                return mapping

            return create_event_source_mapping

        seam_set = SeamSet("Pollers")
        seam_set.wrap(declared.SQS_MAPPINGS_POLLED, polled_here)
        seam_set.apply()
        self._seams = seam_set

    def uninstall(self) -> None:
        """Restores moto's mapping creation (idempotent); mappings already detached stay so."""
        if self._seams is not None:
            self._seams.undo()
            self._seams = None

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
        _creating.active = True  # moto creates it on this thread, through the seam a `Pollers.install()` applied
        try:
            created = self._runtime.client("lambda").create_event_source_mapping(**arguments)
        except ClientError as error:
            raise UnsupportedMapping(
                f"cannot map {queue_arn} to {function}: {error}; the function must exist in moto's Lambda backend"
            ) from error
        finally:
            _creating.active = False
        url = queue_url(self._runtime.client("sqs"), queue_arn)
        mapping = SqsMapping(
            created["UUID"],
            queue_arn,
            url,
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
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()
        self._started = False
        with self._lock:
            for _, timer in self._hidden.values():
                timer.cancel()
            self._hidden.clear()

    def pending_messages(self) -> int:
        """Messages visible, in flight or delayed in the queues of enabled mappings: work still to come."""
        return self._count(
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"
        )

    def visible_messages(self) -> int:
        """Messages a poller can receive now (the rest wait on a visibility timeout or a delay)."""
        return self._count("ApproximateNumberOfMessages")

    def _count(self, *names: str) -> int:
        sqs = self._runtime.client("sqs")
        total = 0
        for url in {m.queue_url for m in self._mappings if m.enabled}:
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names))["Attributes"]
            total += sum(int(attributes.get(name, 0)) for name in names)
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
        thread = threading.Thread(target=self._poll, args=(mapping,), name=f"sqs-poller-{mapping.uuid}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _poll(self, mapping: SqsMapping) -> None:
        while not self._stop.is_set():
            try:
                batch = self._gather(mapping)
            except Exception as error:  # noqa: BLE001 - surfaced through the activity's failures
                # A queue that cannot be read stays broken: say so once and stop, rather than fail every poll.
                logger.error("local runtime: poller of %s stopped: %r", mapping.queue_arn, error, exc_info=error)
                self._runtime.activity.record(f"sqs poller {mapping.queue_arn}", error)
                return
            if not batch:
                self._stop.wait(IDLE_SECONDS)
                continue
            # An invoke that raised was recorded by `busy`, and its messages kept for redelivery: poll on.
            try:
                with contextlib.suppress(Exception):
                    self._process(mapping, batch)
            finally:
                with self._lock:
                    self._held[mapping.uuid] -= len(batch)

    def working_messages(self) -> int:
        """Messages received by a poller and being processed now (not those waiting out a batching window)."""
        with self._lock:
            return sum(self._held.values()) - sum(self._windowed.values())

    def _gather(self, mapping: SqsMapping) -> list[_Received]:
        """A batch as Lambda gathers it: what one receive gives, or up to BatchSize within the batching window."""
        batch = self._receive(mapping, mapping.batch_size)
        if not batch or mapping.batching_window <= 0:
            return batch
        clock = self._runtime.clock
        deadline = clock.now() + mapping.batching_window
        window_over = threading.Event()
        # A timer rather than a bare deadline, so the clock's `next_deadline` knows the window is waiting.
        timer = clock.call_later(mapping.batching_window, window_over.set)
        try:
            while len(batch) < mapping.batch_size and clock.now() < deadline and not self._stop.is_set():
                with self._lock:
                    self._windowed[mapping.uuid] = len(batch)
                more = self._receive(mapping, mapping.batch_size - len(batch))
                batch += more
                if not more:
                    window_over.wait(IDLE_SECONDS)
        finally:
            timer.cancel()
            with self._lock:
                self._windowed[mapping.uuid] = 0
        return batch

    def _receive(self, mapping: SqsMapping, wanted: int) -> list[_Received]:
        sqs = self._runtime.client("sqs")
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
                scheduled = self._hidden.pop(message["MessageId"], None)
                if scheduled is not None:
                    scheduled[1].cancel()  # moto's real-time visibility ran out before the clock timer fired
        if not messages:
            return []
        visibility = int(
            sqs.get_queue_attributes(QueueUrl=mapping.queue_url, AttributeNames=["VisibilityTimeout"])["Attributes"][
                "VisibilityTimeout"
            ]
        )
        return [_Received(message, now + visibility) for message in messages]

    def _process(self, mapping: SqsMapping, batch: list[_Received]) -> None:
        ids = [received.message["MessageId"] for received in batch]
        event = {"Records": [self._record(mapping, received.message) for received in batch]}
        with self._runtime.activity.busy(f"sqs batch {mapping.queue_arn} -> {mapping.function}"):
            try:
                invocation = self._lambdas.invoke(mapping.function, json.dumps(event).encode(), "RequestResponse")
            except Exception as error:
                self._settle(mapping, batch, set(ids), f"invoke raised {error!r}")
                raise
            failed, error_text = batch_failures(ids, invocation, mapping.report_batch_item_failures)
            self._settle(mapping, batch, failed, error_text)

    def _record(self, mapping: SqsMapping, message: dict[str, Any]) -> dict[str, Any]:
        """One record of the SQS event, as Lambda builds it from a received message."""
        record: dict[str, Any] = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": {
                name: _message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": mapping.queue_arn,
            "awsRegion": self._runtime.region,
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        return record

    def _settle(self, mapping: SqsMapping, batch: list[_Received], failed: set[str], error: str | None) -> None:
        """Deletes what succeeded; what failed becomes visible again when the clock passes its deadline."""
        sqs = self._runtime.client("sqs")
        done = [r.message for r in batch if r.message["MessageId"] not in failed]
        if self._runtime.faults is not None:  # injected: a processed message left undeleted is received again
            kept = self._runtime.faults.undeleted(mapping.queue_arn, [m["MessageId"] for m in done])
            done = [m for m in done if m["MessageId"] not in kept]
            for received in batch:
                if received.message["MessageId"] in kept:
                    self._hide_until(mapping, received)
        for start in range(0, len(done), RECEIVE_LIMIT):
            chunk = done[start : start + RECEIVE_LIMIT]
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)]
            for problem in sqs.delete_message_batch(QueueUrl=mapping.queue_url, Entries=entries).get("Failed", []):
                logger.warning("local runtime: could not delete a processed message: %s", problem)
        for received in batch:
            if received.message["MessageId"] in failed:
                self._hide_until(mapping, received)
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

    def _hide_until(self, mapping: SqsMapping, received: _Received) -> None:
        message_id, receipt = received.message["MessageId"], received.message["ReceiptHandle"]
        delay = received.visible_again_at - self._runtime.clock.now()
        if delay <= 0:
            self._make_visible(mapping.queue_url, message_id, receipt)
            return
        with self._lock:
            timer = self._runtime.clock.call_later(
                delay, lambda: self._on_visibility_timeout(mapping.queue_url, message_id, receipt)
            )
            self._hidden[message_id] = (receipt, timer)

    def _on_visibility_timeout(self, queue_url: str, message_id: str, receipt: str) -> None:
        with self._lock:
            scheduled = self._hidden.get(message_id)
            if scheduled is None or scheduled[0] != receipt:
                return  # received again (moto's real-time visibility ran out first), or the pollers stopped
            del self._hidden[message_id]
            self._make_visible(queue_url, message_id, receipt)

    def _make_visible(self, queue_url: str, message_id: str, receipt: str) -> None:
        try:
            self._runtime.client("sqs").change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=0
            )
        except ClientError as error:  # deleted or purged meanwhile: nothing left to redeliver
            logger.debug("local runtime: message %s not made visible again: %s", message_id, error)


def batch_failures(
    message_ids: Sequence[str], invocation: Invocation, report_batch_item_failures: bool
) -> tuple[set[str], str | None]:
    """The ids Lambda keeps for redelivery after this invocation, and why the whole batch failed (if it did)."""
    everything = set(message_ids)
    if invocation.function_error or not 200 <= invocation.status_code < 300:
        return everything, f"function error: {invocation.function_error or invocation.status_code}"
    if not report_batch_item_failures:
        return set(), None
    try:
        response = json.loads(invocation.payload or b"null")
    except ValueError:
        return everything, "invalid batch response: not JSON"
    # An empty or null response, or a null list, is a complete success (AWS: "Success and failure conditions").
    if response is None:
        return set(), None
    if not isinstance(response, dict):
        return everything, "invalid batch response: not a JSON object"
    items = response.get("batchItemFailures")
    if items is None:
        return set(), None
    if not isinstance(items, list):
        return everything, "invalid batch response: batchItemFailures is not a list"
    failed = _item_identifiers(items)
    if failed is None:
        return everything, "invalid batch response: an item without a non-empty itemIdentifier"
    unknown = sorted(failed - everything)
    if unknown:
        return everything, f"invalid batch response: {unknown} are not messages of the batch"
    return failed, None


def _item_identifiers(items: Iterable[Any]) -> set[str] | None:
    identifiers = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or not identifier:
            return None
        identifiers.add(identifier)
    return identifiers


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """An SQS API message attribute as Lambda's event spells it (camelCase, binary as base64)."""
    attribute: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": [_base64(v) for v in value.get("BinaryListValues", [])],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = _base64(value["BinaryValue"])
    return attribute


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _detach_from_moto_queue(queue_arn: str, mapping_uuid: str) -> None:
    """Removes a mapping from moto's queue so `send_message` stops invoking it; the Lambda backend keeps it."""
    from moto.sqs.models import sqs_backends

    _, _, _, region, account, name = queue_arn.split(":", 5)
    queue = sqs_backends[account][region].queues.get(name)
    attached = getattr(queue, "lambda_event_source_mappings", None)
    if not isinstance(attached, dict):
        raise RuntimeError(
            "moto's SQS Queue has no `lambda_event_source_mappings` dict: the seam pollers.py detaches mappings "
            "from changed in this moto version (built against moto 5.2.5)"
        )
    keys = [key for key, esm in attached.items() if getattr(esm, "uuid", None) == mapping_uuid]
    if not keys:
        raise RuntimeError(f"moto did not attach mapping {mapping_uuid} to {queue_arn} where pollers.py expects it")
    for key in keys:
        del attached[key]
