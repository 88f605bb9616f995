"""Fault injection for the local runtime: what goes wrong on AWS, on purpose, seeded and repeatable.

Why: the app claims that nothing is lost and nothing is done twice when handlers fail, services throttle, Lambdas
time out and events or messages arrive twice or late. Those claims are only tested when the failures happen. One
declarative `Faults(seed=7, rules=[...])` passed to `LocalCloud(faults=...)` makes them happen:

- `fail_handler`: a function's handler fails with an errorType of choice, before it runs or after it ran;
- `time_out`: the handler runs to its end (side effects happen), then times out: `Sandbox.Timedout`;
- `crash_handler`: the function's process dies mid-handler, as it makes a chosen DynamoDB call (the work before it
  stays, that call and the rest never happen): Lambda answers `Runtime.ExitError`, as for a killed process;
- `throttle_lambda`: Lambda's Invoke API refuses the call: `Lambda.TooManyRequestsException` in a state machine;
- `throttle_put_events`: PutEvents answers `ThrottlingException` entries for some entries and puts the others (a
  partial failure, FailedEntryCount > 0, as AWS answers; a state machine sees `EventBridge.FailedEntry`);
- `throttle_dynamodb`: item reads and writes of a table fail with `ProvisionedThroughputExceededException`;
- `duplicate_messages`: an SQS consumer's processed message is not deleted, so it is received again (same id);
- `duplicate_events`: a rule target receives the event twice;
- `delay_events`: a rule target receives the event late on the clock, so events put after it overtake it;
- `ignore_conditions`: a table's writes ignore their ConditionExpression: idempotency broken on purpose, for the
  tests that prove a check can fail.

Which calls: `target` is a substring of the name the site knows (function name, table name or item key, queue ARN,
rule name or target ARN, PutEvents DetailType); `rate` is the share of calls hit, or `calls` the 1-based numbers of
the matching calls that are hit. A failure is transient (`times=1`, the default: the hit call fails that many
attempts, then its retries pass) or permanent (`times=None`: every attempt of a hit call fails). "The same call" is
known by a key the site derives from the call itself (a DynamoDB item's key, a PutEvents entry's idempotency key,
an SQS message id, the payload of a Lambda invoke), so a retry is recognised as one.

Seeded: whether a call is hit is drawn from `random.Random` seeded with the fault seed, the rule and the call's key,
never from one generator shared in call order: threads interleave differently from run to run, so a shared stream
would hand its numbers to other calls the next time. With the same seed the same calls fail, in any order.

Zero cost when off: `LocalCloud` without `faults` installs no patch, and the runtime's hooks (orchestrator/local/
lambdas/, delivery/, pollers/) test one attribute for None. Patches of moto here (PutEvents, DynamoDB items) are
installed only for the rules that need them.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, Literal

from orchestrator.local.seams import SeamAdapter, SeamSet
from orchestrator.local.seams import services as declared

Kind = Literal[
    "handler_error",
    "handler_timeout",
    "handler_crash",
    "lambda_throttle",
    "put_events_throttle",
    "dynamodb_throttle",
    "sqs_duplicate",
    "event_duplicate",
    "event_delay",
    "ignore_conditions",
]
Phase = Literal["before", "after"]

THROTTLED_MESSAGE: Final = "Rate exceeded"
DYNAMODB_THROTTLED: Final = "ProvisionedThroughputExceededException"
CRASHED: Final = "Runtime.ExitError"  # Lambda's errorType when the runtime process exits mid-invocation
# Keys of a payload that differ between two attempts of the same call (a task token is new per state entry).
_VOLATILE_KEYS: Final = frozenset({"receiptHandle", "task_token", "taskToken", "TaskToken", "ApproximateReceiveCount"})


@dataclass(frozen=True)
class Rule:
    """One kind of fault, where it strikes and how often (built by the factories below)."""

    kind: Kind
    target: str = ""  # a substring of the site's name; "" matches every call of the kind
    rate: float = 1.0  # share of calls hit (drawn per call key from the seed)
    calls: frozenset[int] | None = None  # instead of `rate`: the 1-based numbers of the matching calls hit
    times: int | None = 1  # attempts of a hit call that fail; None: all of them (a permanent fault)
    error: str = ""  # the error type or code the failure carries
    phase: Phase = "before"  # handler errors: before the handler runs, or after it ran (its side effects kept)
    delay: float = 0.0  # event_delay: seconds on the runtime clock
    at: str = ""  # handler_crash: words each found in the DynamoDB call "<operation> <table> <item key>" it dies at

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be within [0, 1], not {self.rate}")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1 (None: every attempt)")


def fail_handler(
    target: str = "",
    *,
    error: str = "InjectedFault",
    phase: Phase = "before",
    rate: float = 1.0,
    calls: Iterable[int] | None = None,
    times: int | None = 1,
) -> Rule:
    """The handler fails with `error` (its errorType), before it runs or after it ran."""
    return Rule("handler_error", target, rate, _calls(calls), times, error, phase)


def time_out(target: str = "", *, rate: float = 1.0, calls: Iterable[int] | None = None, times: int | None = 1) -> Rule:
    """The handler runs to its end (side effects happen), then its result is lost: `Sandbox.Timedout`."""
    return Rule("handler_timeout", target, rate, _calls(calls), times, "Sandbox.Timedout", "after")


def crash_handler(target: str = "", *, at: str, rate: float = 1.0, calls: Iterable[int] | None = None) -> Rule:
    """The function's process dies as its handler makes a DynamoDB item call matching `at` (words each found in
    "<operation> <table> <item key>", e.g. "update_item PaymentsTable"): the call is not made, what the handler did
    before it stays done. Lambda answers `Runtime.ExitError` ("Runtime exited with error: signal: killed"). A crash
    strikes one attempt of a call: the same call made again (a retried invocation) goes through."""
    return Rule("handler_crash", target, rate, _calls(calls), 1, CRASHED, at=at)


def throttle_lambda(
    target: str = "",
    *,
    error: str = "TooManyRequestsException",
    rate: float = 1.0,
    calls: Iterable[int] | None = None,
    times: int | None = 1,
) -> Rule:
    """Lambda's Invoke API refuses the call (the handler never runs): `Lambda.<error>` in a state machine."""
    return Rule("lambda_throttle", target, rate, _calls(calls), times, error)


def throttle_put_events(
    target: str = "", *, rate: float = 1.0, calls: Iterable[int] | None = None, times: int | None = 1
) -> Rule:
    """PutEvents answers a `ThrottlingException` entry for the entries hit (`target`: their DetailType) and puts
    the others: a partial failure, FailedEntryCount > 0, as EventBridge answers."""
    return Rule("put_events_throttle", target, rate, _calls(calls), times, "ThrottlingException")


def throttle_dynamodb(
    target: str = "", *, rate: float = 1.0, calls: Iterable[int] | None = None, times: int | None = 1
) -> Rule:
    """Item reads and writes fail with ProvisionedThroughputExceededException; `target` is part of the table's name
    or of the item's key (as JSON: `order-saga#` picks the order saga's claims)."""
    return Rule("dynamodb_throttle", target, rate, _calls(calls), times, DYNAMODB_THROTTLED)


def duplicate_messages(target: str = "", *, rate: float = 1.0, calls: Iterable[int] | None = None) -> Rule:
    """A message an SQS event source mapping processed is not deleted, so it is received again once its visibility
    timeout has passed on the clock: at-least-once delivery. Once per message."""
    return Rule("sqs_duplicate", target, rate, _calls(calls), 1)


def duplicate_events(target: str = "", *, rate: float = 1.0, calls: Iterable[int] | None = None) -> Rule:
    """A rule target (`target`: the rule's name or the target's ARN) receives the event twice."""
    return Rule("event_duplicate", target, rate, _calls(calls), 1)


def delay_events(
    target: str = "", *, delay: float = 30.0, rate: float = 1.0, calls: Iterable[int] | None = None
) -> Rule:
    """A rule target receives the event `delay` seconds late on the clock: events put after it overtake it."""
    return Rule("event_delay", target, rate, _calls(calls), 1, delay=delay)


def ignore_conditions(table: str) -> Rule:
    """Writes to the table ignore their ConditionExpression: an idempotency check switched off, on purpose."""
    return Rule("ignore_conditions", table, times=None)


def _calls(calls: Iterable[int] | None) -> frozenset[int] | None:
    return None if calls is None else frozenset(calls)


@dataclass(frozen=True)
class Injected:
    """One fault that struck: which rule, where, the call's key and its attempt number."""

    kind: Kind
    site: str
    key: str
    attempt: int


@dataclass(frozen=True)
class HandlerFault:
    """What a handler hook does: fail with `error` before running the handler, or replace its result after."""

    error: str
    message: str
    phase: Phase


class HandlerCrashed(BaseException):  # noqa: N818 - not an error the handler could catch: its process is gone
    """Raised in a handler's thread where its process dies (`crash_handler`); a BaseException, so that no `except
    Exception` of the handler or of the libraries it calls can go on as if it had not happened."""


class Faults(SeamAdapter):
    """The faults of one run: rules, a seed, and the record of every fault injected."""

    def __init__(self, seed: int = 0, rules: Sequence[Rule] = ()) -> None:
        self.seed = seed
        self.rules = tuple(rules)
        self.injected: list[Injected] = []
        self._lock = threading.Lock()
        self._matching_calls: Counter[int] = Counter()  # per rule: calls that matched so far
        self._attempts: Counter[tuple[int, str]] = Counter()  # per rule and call key: attempts so far
        self._running = threading.local()  # .function: the handler the thread runs (`running`)

    def counts(self) -> Counter[Kind]:
        """How many faults of each kind struck."""
        with self._lock:
            return Counter(i.kind for i in self.injected)

    # -- deciding ------------------------------------------------------------------------------------------------

    def _strike(self, kind: Kind, site: str, key: str, where: str = "") -> Rule | None:
        """The first rule of `kind` matching `site` (and holding each word of its `at` in `where`) that hits this
        attempt of the call `key`, recorded; else None."""
        for index, rule in enumerate(self.rules):
            if rule.kind != kind or rule.target not in site or not all(w in where for w in rule.at.split()):
                continue
            with self._lock:
                self._matching_calls[index] += 1
                self._attempts[(index, key)] += 1
                attempt = self._attempts[(index, key)]
                if rule.calls is not None:
                    hit = self._matching_calls[index] in rule.calls
                else:
                    within = rule.times is None or attempt <= rule.times
                    hit = within and self._draw(index, key) < rule.rate
                if hit:
                    self.injected.append(Injected(kind, site, key, attempt))
                    return rule
        return None

    def _draw(self, index: int, key: str) -> float:
        """The call's number in [0, 1): the same for every attempt of the call, and for every run with this seed."""
        return random.Random(f"{self.seed}/{index}/{key}").random()

    # -- hooks the runtime's adapters call -------------------------------------------------------------------

    def handler(self, function_name: str, event: Any) -> HandlerFault | None:
        """Called by the Lambda runtime before a handler runs (orchestrator/local/lambdas.py)."""
        key = f"{function_name}/{_payload_key(event)}"
        rule = self._strike("handler_timeout", function_name, key) or self._strike("handler_error", function_name, key)
        if rule is None:
            return None
        return HandlerFault(rule.error, f"injected fault: {rule.error} in {function_name}", rule.phase)

    @contextmanager
    def running(self, function_name: str) -> Iterator[None]:
        """Called by the Lambda runtime around a handler's run: the calling thread runs `function_name`'s handler
        (what a `crash_handler` rule's DynamoDB call is matched on)."""
        outer = getattr(self._running, "function", None)  # a handler invoking another in its thread
        self._running.function = function_name
        try:
            yield
        finally:
            self._running.function = outer

    def lambda_service_error(self, function_name: str, payload: bytes) -> str | None:
        """Called by the Lambda invoke seam: the Invoke API's error code when the call is refused."""
        try:
            event = json.loads(payload or b"{}")
        except ValueError:
            event = payload.decode(errors="replace")
        rule = self._strike("lambda_throttle", function_name, f"{function_name}/{_payload_key(event)}")
        return None if rule is None else rule.error

    def event_delays(self, rule_name: str, target_arn: str, event: Mapping[str, Any]) -> list[float]:
        """Called by EventBridge delivery per matched event and target: one delay (seconds) per copy delivered."""
        # The event by its envelope's idempotency key where it has one (EventBridge's id is new on every put), so
        # that the same seed delays or doubles the same events from run to run.
        metadata = event.get("detail", {}).get("metadata") if isinstance(event.get("detail"), dict) else None
        identity = (metadata or {}).get("idempotency_key") if isinstance(metadata, dict) else None
        site = f"{rule_name} {target_arn}"
        key = f"{rule_name}/{target_arn}/{event.get('detail-type')}/{identity or event.get('id')}"
        delayed = self._strike("event_delay", site, key)
        delay = delayed.delay if delayed else 0.0
        return [delay, delay] if self._strike("event_duplicate", site, key) else [delay]

    def undeleted(self, queue_arn: str, message_ids: Iterable[str]) -> set[str]:
        """Called by an SQS poller before deleting processed messages: those to leave in the queue (redelivered)."""
        return {m for m in message_ids if self._strike("sqs_duplicate", queue_arn, f"{queue_arn}/{m}")}

    # -- patches of moto ---------------------------------------------------------------------------------------

    def _seam_set(self) -> SeamSet:
        """Patches of moto's PutEvents and DynamoDB item calls, for the rules that need them."""
        seam_set = SeamSet("Faults")
        kinds = {rule.kind for rule in self.rules}
        if "put_events_throttle" in kinds:
            seam_set.wrap(declared.FAULT_PUT_EVENTS, self._wrapping(self._put_events))
        if kinds & {"dynamodb_throttle", "ignore_conditions", "handler_crash"}:
            for seam in declared.FAULT_DYNAMODB:
                seam_set.wrap(seam, self._wrapping(functools.partial(self._dynamodb_call, seam.attribute)))
        return seam_set

    @staticmethod
    def _wrapping(replacement: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """A seam wrapper calling `replacement(original, backend, ...)`."""

        def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(original)
            def patched(backend: Any, *args: Any, **kwargs: Any) -> Any:
                return replacement(original, backend, *args, **kwargs)

            return patched

        return wrap

    def _put_events(self, original: Callable[..., Any], backend: Any, events: list[dict[str, Any]]) -> Any:
        """Throttles the entries hit and puts the rest, answering in the entries' order as PutEvents does."""
        # AWS services' own events (the local runtime puts Step Functions' status changes as `aws.states`) are not
        # subject to a caller's PutEvents quota.
        throttled = [
            None
            if str(e.get("Source", "")).startswith("aws.")
            else self._strike("put_events_throttle", str(e.get("DetailType")), _entry_key(e))
            for e in events
        ]
        if not any(throttled):
            return original(backend, events)
        answers = iter(original(backend, [e for e, t in zip(events, throttled, strict=True) if t is None]))
        failure = {"ErrorCode": "ThrottlingException", "ErrorMessage": THROTTLED_MESSAGE}
        return [dict(failure) if t is not None else next(answers) for t in throttled]

    def _dynamodb_call(self, name: str, original: Callable[..., Any], backend: Any, *args: Any, **kwargs: Any) -> Any:
        if name == "transact_write_items":
            return self._transaction(original, backend, *args, **kwargs)
        call = inspect.signature(original).bind(backend, *args, **kwargs)
        table_name = str(call.arguments["table_name"])
        item_key = _item_key(backend, table_name, call.arguments.get(_KEY_ARGUMENT[name]) or {})
        function = getattr(self._running, "function", None)
        # Not inside a transaction: moto rolls one back only on an Exception, and a crash must not leave it half done
        # (DynamoDB applies a transaction whole or not at all).
        if function is not None and not getattr(self._running, "transaction", False):
            where = f"{name} {table_name} {item_key}"
            if self._strike("handler_crash", function, f"{function}/{where}", where):
                raise HandlerCrashed(f"injected fault: {function}'s process killed at {where}")
        if self._strike("dynamodb_throttle", f"{table_name} {item_key}", f"{table_name}/{item_key}"):
            from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException

            raise DynamodbException(ERROR_TYPE_PREFIX + DYNAMODB_THROTTLED, "injected fault: throughput exceeded")
        if self._ignores_conditions(table_name):
            for condition in ("condition_expression", "expected"):
                if condition in call.arguments:
                    call.arguments[condition] = None
        return original(*call.args, **call.kwargs)

    def _transaction(self, original: Callable[..., Any], backend: Any, transact_items: list[dict[str, Any]]) -> Any:
        """A transaction's items ignore their conditions on the tables that do; each item's write is throttled by
        the item calls the transaction makes (put_item, ...)."""
        items = []
        for item in transact_items:
            ((kind, body),) = item.items()
            if self._ignores_conditions(str(body.get("TableName", ""))):
                body = {k: v for k, v in body.items() if k != "ConditionExpression"}
            items.append({kind: body})
        self._running.transaction = True
        try:
            return original(backend, items)
        finally:
            self._running.transaction = False

    def _ignores_conditions(self, table_name: str) -> bool:
        return any(r.kind == "ignore_conditions" and r.target in table_name for r in self.rules)


def _payload_key(event: Any) -> str:
    """A digest of a payload without what differs between attempts of one call; an SQS batch is its message ids."""
    if isinstance(event, dict) and isinstance(event.get("Records"), list):
        ids = sorted(str(r.get("messageId")) for r in event["Records"] if isinstance(r, dict))
        if ids:
            return "messages:" + ",".join(ids)
    text = json.dumps(_stable(event), sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in _VOLATILE_KEYS}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _entry_key(entry: Mapping[str, Any]) -> str:
    """A PutEvents entry by its DetailType and its envelope's idempotency key (the same on a retried put)."""
    try:
        metadata = json.loads(entry.get("Detail") or "{}").get("metadata") or {}
    except (ValueError, AttributeError):
        metadata = {}
    identity = (
        metadata.get("idempotency_key")
        or hashlib.blake2b(str(entry.get("Detail")).encode(), digest_size=12).hexdigest()
    )
    return f"{entry.get('DetailType')}/{identity}"


# Where moto's DynamoDBBackend methods take the item's key (moto/dynamodb/models/__init__.py).
_KEY_ARGUMENT: Final = {"get_item": "keys", "put_item": "item_attrs", "update_item": "key", "delete_item": "key"}


def _item_key(backend: Any, table_name: str, attributes: Mapping[str, Any]) -> str:
    """The item's key attributes, as text (empty when the table does not exist: moto's own call then fails)."""
    table = backend.tables.get(table_name)
    if table is None:
        return ""
    names = [n for n in (table.hash_key_attr, table.range_key_attr) if n]
    return json.dumps([attributes.get(n) for n in names], sort_keys=True, default=str)


__all__ = [
    "CRASHED",
    "Faults",
    "HandlerCrashed",
    "HandlerFault",
    "Injected",
    "Rule",
    "crash_handler",
    "delay_events",
    "duplicate_events",
    "duplicate_messages",
    "fail_handler",
    "ignore_conditions",
    "throttle_dynamodb",
    "throttle_lambda",
    "throttle_put_events",
    "time_out",
]
