"""Redelivery on the runtime clock: a message a batch did not delete becomes visible again when its visibility
timeout has passed on the clock, not only in real time.

A message not deleted stays invisible for the queue's VisibilityTimeout counted from its receipt. moto counts that in
real time; `VisibilityTimers` also sets a clock timer for the same deadline that makes the message visible again, so
`clock.advance` redelivers at once. The receipt each timer is for is checked under the lock receives hold, so a late
timer never un-hides a message received again since.

After maxReceiveCount receipts the message goes to the queue's dead-letter queue: moto moves it on the next receive
attempt (`approximate_receive_count >= maxReceiveCount`, moto/sqs/models.py:1029 and :1049), so the function runs
maxReceiveCount times, as on AWS, and nothing needs adding here.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from orchestrator.local.runtime import Runtime

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    """A message a poller received, and when it becomes visible again unless deleted."""

    message: dict[str, Any]
    visible_again_at: float  # on the runtime clock: receipt + the queue's VisibilityTimeout


class VisibilityTimers:
    """The clock timers that make received, undeleted messages visible again; one per batch and deadline."""

    def __init__(self, runtime: Runtime, lock: threading.RLock, made_visible: Callable[[str], None]) -> None:
        self._runtime = runtime
        self._made_visible = made_visible  # told the queue's URL once messages are visible again (wakes its pollers)
        self._lock = lock  # the one receives hold, so a receipt is checked against the latest receive
        self._hidden: dict[str, tuple[str, Any]] = {}  # message id -> (receipt, clock timer)

    def received_again(self, message_id: str) -> None:
        """The message was received again (moto's real-time visibility ran out before the clock timer fired): its
        timer is for an old receipt, and skips it. Call holding the lock, around the receive."""
        with self._lock:
            self._hidden.pop(message_id, None)

    def hide_until(self, queue_url: str, batch: Sequence[Received]) -> None:
        """Makes the messages visible again when the clock reaches their deadline (now, if it has passed). Messages
        received together share one timer, so they come back together: a receive never sees part of them."""
        deadlines: dict[float, list[tuple[str, str]]] = {}
        for received in batch:
            message = received.message
            deadlines.setdefault(received.visible_again_at, []).append((message["MessageId"], message["ReceiptHandle"]))
        for deadline, messages in deadlines.items():
            delay = deadline - self._runtime.clock.now()
            with self._lock:
                if delay <= 0:
                    for message_id, receipt in messages:
                        self._make_visible(queue_url, message_id, receipt)
                    continue
                timer = self._runtime.clock.call_later(
                    delay, functools.partial(self._on_visibility_timeout, queue_url, messages)
                )
                for message_id, receipt in messages:
                    self._hidden[message_id] = (receipt, timer)

    def cancel_all(self) -> None:
        """Cancels every timer (the pollers stop)."""
        with self._lock:
            for _, timer in self._hidden.values():
                timer.cancel()
            self._hidden.clear()

    def _on_visibility_timeout(self, queue_url: str, messages: Sequence[tuple[str, str]]) -> None:
        with self._lock:  # all at once: a receive (which holds the lock) sees the whole batch or none of it
            for message_id, receipt in messages:
                scheduled = self._hidden.get(message_id)
                if scheduled is None or scheduled[0] != receipt:
                    continue  # received again (moto's real-time visibility ran out first), or the pollers stopped
                del self._hidden[message_id]
                self._make_visible(queue_url, message_id, receipt)

    def _make_visible(self, queue_url: str, message_id: str, receipt: str) -> None:
        try:
            self._runtime.client("sqs").change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=0
            )
        except ClientError as error:  # deleted or purged meanwhile: nothing left to redeliver
            logger.debug("local runtime: message %s not made visible again: %s", message_id, error)
            return
        self._made_visible(queue_url)
