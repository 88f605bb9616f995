"""moto's queue scans with the time read once per scan (seams SQS_QUEUE_SCANS).

moto's `Queue.messages` and its three message counts test every message with `Message.visible` / `Message.delayed`,
each of which reads the time again (a datetime computed per message). SendMessage reads every queue attribute, these
counts included, only to learn ContentBasedDeduplication, so with a backlog of a thousand messages (the event
store's queue while 200 sagas run) each send cost a few milliseconds and the work grew with the square of the
backlog. Here each scan reads the time once and compares the messages' own fields, as moto's properties do
(moto/sqs/models.py: `Message.visible` is `now > visible_at`, `Message.delayed` is `now < delayed_until`): the same
answers, from one moment instead of a moment per message.
"""

from __future__ import annotations

from typing import Any


def _now_millis() -> float:
    from moto.core.utils import unix_time_millis  # moto's time, so a frozen clock in moto's own tests still holds

    return unix_time_millis()


def messages(queue: Any) -> list[Any]:
    """Visible and not delayed: what a receive may return."""
    now = _now_millis()
    return [m for m in queue._messages if now > m.visible_at and not now < m.delayed_until]


def approximate_number_of_messages(queue: Any) -> int:
    return len(messages(queue))


def approximate_number_of_messages_not_visible(queue: Any) -> int:
    now = _now_millis()
    return sum(1 for m in queue._messages if not now > m.visible_at)


def approximate_number_of_messages_delayed(queue: Any) -> int:
    now = _now_millis()
    return sum(1 for m in queue._messages if now < m.delayed_until)


SCANS = {
    "messages": messages,
    "approximate_number_of_messages": approximate_number_of_messages,
    "approximate_number_of_messages_not_visible": approximate_number_of_messages_not_visible,
    "approximate_number_of_messages_delayed": approximate_number_of_messages_delayed,
}
