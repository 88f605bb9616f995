"""Correlator logic: match waiters and messages by (message name, correlation key); see the package docstring."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

from functions.agents.task_tokens import TaskTokens
from schemas.tables import MESSAGE_PARTITION_PREFIX


class MessageConflict(ValueError):
    """The same message id arrived with other data: a producer reused an id for another message."""


@dataclass(frozen=True)
class Subject:
    """What a waiter waits for and what a message is about: a message name and a correlation key."""

    message_name: str
    correlation_key: str

    @property
    def partition(self) -> str:
        return f"{MESSAGE_PARTITION_PREFIX}{self.message_name}#{self.correlation_key}"


@dataclass(frozen=True)
class Waiter:
    subject: Subject
    waiter_id: str
    task_token: str
    registered_at_ms: int
    expires_at_ms: int
    matched: str | None = None  # the message's sort key once matched

    @property
    def sort_key(self) -> str:
        return f"waiter#{_digest(self.waiter_id)}"


@dataclass(frozen=True)
class Message:
    subject: Subject
    message_id: str
    body: dict[str, Any]  # what the waiting task receives as its result: the event's `data` and `metadata`
    received_at_ms: int
    expires_at_ms: int
    matched: str | None = None  # the waiter's sort key once matched

    @property
    def sort_key(self) -> str:
        return f"message#{_digest(self.message_id)}"

    def same_content(self, other: Message) -> bool:
        """Whether two deliveries carry one message: the same `data` (its envelope's metadata differs per put,
        as Powertools' payload validation compares an event's data only)."""
        return _canonical(self.body.get("data")) == _canonical(other.body.get("data"))


class CorrelationStore(Protocol):
    """Port: the waiters and buffered messages of a subject, and the transactional match of one with the other."""

    def put_waiter(self, waiter: Waiter) -> Waiter:
        """Stores `waiter` (replacing the same waiter id's unmatched item); returns what is stored."""
        ...

    def put_message(self, message: Message) -> Message:
        """Stores `message` unless its id is stored already; returns what is stored."""
        ...

    def waiter(self, subject: Subject, sort_key: str) -> Waiter | None: ...

    def message(self, subject: Subject, sort_key: str) -> Message | None: ...

    def waiters(self, subject: Subject) -> list[Waiter]:
        """Every waiter of `subject`, read consistently, oldest first."""
        ...

    def messages(self, subject: Subject) -> list[Message]:
        """Every stored message of `subject`, read consistently, oldest first."""
        ...

    def match(self, message: Message, waiter: Waiter) -> bool:
        """Records the match on both items at once; False when either is gone or matched to another."""
        ...

    def claim_waiter(self, waiter: Waiter, message: Message) -> bool:
        """Records on the waiter alone that `message` answers it (a broadcast message stays unmatched, for the
        other waiters); False when the waiter is gone, matched, or has a newer token."""
        ...

    def remove_waiter(self, waiter: Waiter) -> None: ...


Delivery = Literal["delivered", "gone", "buffered", "waiting", "duplicate"]


@dataclass(frozen=True)
class Outcome:
    """What one registration or one message led to. `delivered`: a workflow resumed; `gone`: the matched workflow
    no longer waited; `buffered`: a message waits for a waiter; `waiting`: a waiter waits for a message;
    `duplicate`: the message was delivered before."""

    delivery: Delivery
    message_id: str | None = None
    waiter_id: str | None = None


def register(
    store: CorrelationStore, tokens: TaskTokens, waiter: Waiter, now_ms: int, *, broadcast: bool = False
) -> Outcome:
    """A workflow starts waiting: store it, then hand it the oldest live buffered message, if any. A `broadcast`
    message (a fact, such as a resume) answers every waiter of its subject, so it is handed over even if it
    answered others before."""
    stored = store.put_waiter(waiter)
    if stored.matched is not None:
        # Matched before a crash or before this retry of the task: send the match again, to the current token.
        message = store.message(stored.subject, stored.matched)
        if message is not None:
            return _resume(store, tokens, replace(stored, task_token=waiter.task_token), message)
    for message in store.messages(waiter.subject):
        if message.expires_at_ms <= now_ms:
            continue
        if broadcast and store.claim_waiter(stored, message):
            return _resume(store, tokens, stored, message)
        if not broadcast and message.matched is None and store.match(message, stored):
            return _resume(store, tokens, stored, message)
    return Outcome("waiting", waiter_id=waiter.waiter_id)


def receive(
    store: CorrelationStore, tokens: TaskTokens, message: Message, now_ms: int, *, broadcast: bool = False
) -> Outcome:
    """A message arrives: store it once, then resume the oldest live waiter for it, or leave it buffered. A
    `broadcast` message resumes every live waiter of its subject and stays buffered for those still to come."""
    stored = store.put_message(message)
    if not stored.same_content(message):
        raise MessageConflict(
            f"message id {message.message_id!r} of {message.subject.message_name} was received before with other data"
        )
    if broadcast:
        return _broadcast(store, tokens, stored, now_ms)
    if stored.matched is not None:
        waiter = store.waiter(stored.subject, stored.matched)
        if waiter is None:  # delivered and cleaned up: this is a redelivery
            return Outcome("duplicate", message_id=message.message_id)
        return _resume(store, tokens, waiter, stored)  # matched before a crash: send the match again
    for waiter in store.waiters(message.subject):
        if waiter.matched is None and waiter.expires_at_ms > now_ms and store.match(stored, waiter):
            return _resume(store, tokens, waiter, stored)
    return Outcome("buffered", message_id=message.message_id)


def _broadcast(store: CorrelationStore, tokens: TaskTokens, message: Message, now_ms: int) -> Outcome:
    """`message` answers every live waiter of its subject: those it answered before a crash again (their item is
    still there, matched to it), the unmatched ones once each."""
    outcomes = [
        _resume(store, tokens, waiter, message)
        for waiter in store.waiters(message.subject)
        if waiter.matched == message.sort_key
        or (waiter.matched is None and waiter.expires_at_ms > now_ms and store.claim_waiter(waiter, message))
    ]
    delivered = [o for o in outcomes if o.delivery == "delivered"]
    if delivered:
        return Outcome("delivered", message_id=message.message_id, waiter_id=delivered[0].waiter_id)
    return Outcome("buffered", message_id=message.message_id)


def _resume(store: CorrelationStore, tokens: TaskTokens, waiter: Waiter, message: Message) -> Outcome:
    resumed = tokens.succeed(waiter.task_token, _canonical(message.body))
    if resumed:
        # Answered: nothing waits on this waiter any more. The message item stays until its TTL, matched, so a
        # redelivery of it is recognised as a duplicate.
        store.remove_waiter(waiter)
    # Not resumed: the token is dead (a stopped execution, or a retry of the register task that has a new token).
    # The waiter item stays, matched, until it expires: a retry registering the same waiter id finds the match and
    # gets the message on its new token (`register`).
    return Outcome("delivered" if resumed else "gone", message_id=message.message_id, waiter_id=waiter.waiter_id)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(text: str) -> str:
    """A fixed-length form of an id for a sort key (ids may be long; a sort key holds at most 1,024 bytes)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]
