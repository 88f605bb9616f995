"""Redaction: what never leaves the workflow side as it is, replaced by a marker wherever the app keeps or shows it.

Two things are redacted (issue 17, "tokens never leave the workflow side"):

- **Task tokens, wherever they are.** Any mapping key named like one (`task_token`, `taskToken`, `TaskToken`, in
  any case and with or without the underscore), at any depth, including inside strings that hold JSON (Step
  Functions records a task's parameters and a state's input and output as JSON text): such a string is parsed,
  scrubbed and written back (compact), and left exactly as it was when it holds nothing to redact. A token lets
  whoever holds it complete or fail a workflow's task, so it is a credential.
- **The `data` fields an event model declares `SENSITIVE`** (schemas/envelope.py), wherever an event of that type
  is recognized: an EventBridge event (`detail-type` + `detail`), a PutEvents entry (`DetailType` + `Detail`, the
  detail as JSON text or not) or a stored event (`type` + `detail`). Declared today: `task_token` on AgentTaskRequested,
  AgentTaskCompleted and AgentTaskFailed (the generic scrub finds it anyway; declaring it says so in the contract),
  and CustomerSignedUp's `name` and `email`, the personal data of the catalog that identifies a person by itself.
  Left out on purpose: ids (`customer_id` and the like are what an operator correlates by and identify no one
  outside the app), free text such as a ticket's body (the agents' whole input; its content is the customer's
  choice), and OrderPlaced's `payment_method` (a payment method's reference, but the demo gateway's behaviour
  depends on it, so a replay from the store would change outcome; a real gateway's reference should be declared).

The marker, `redacted:sha256:<first 16 hex digits of the value's SHA-256>`, hides the value yet lets an operator
tell two values apart and find the same value in two places (the token of a request in its completion). Redacting
is idempotent: a marker is left as it is, so redacting twice changes nothing. A consequence: a process recorded from
the event store (`orch replay-test --from-store`) replays its inputs with markers in the declared fields.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

from schemas.catalog import event_type_for, is_known

MARKER_PREFIX: Final = "redacted:sha256:"
# Where an event's type and its detail sit: an EventBridge event, a PutEvents entry, a stored event.
_ENVELOPES: Final = (("detail-type", "detail"), ("DetailType", "Detail"), ("type", "detail"))


def marker(value: Any) -> str:
    """The marker that stands for `value` (a marker stands for itself)."""
    if isinstance(value, str) and value.startswith(MARKER_PREFIX):
        return value
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return MARKER_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:16]


def is_token_key(key: Any) -> bool:
    """Whether a mapping key names a task token (`task_token`, `taskToken`, `TaskToken`)."""
    return isinstance(key, str) and key.replace("_", "").lower() == "tasktoken"


def redact(value: Any) -> Any:
    """`value` with every task token and every recognized event's sensitive fields replaced by markers. Mappings,
    lists, tuples and dataclasses are copied where something changed; anything else is returned as it is."""
    return _redact(value)


def redact_event(detail_type: str, detail: Any) -> Any:
    """An event's `detail` with its model's sensitive `data` fields and every task token in it replaced by markers."""
    return _declared(detail_type, _redact(detail))


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return _redact_text(value)
    if isinstance(value, Mapping):
        redacted = {k: marker(v) if is_token_key(k) and v is not None else _redact(v) for k, v in value.items()}
        for type_key, detail_key in _ENVELOPES:
            if isinstance(redacted.get(type_key), str) and detail_key in redacted:
                redacted[detail_key] = _declared(redacted[type_key], redacted[detail_key])
        return redacted
    if isinstance(value, list):
        return [_redact(v) for v in value]
    if isinstance(value, tuple):
        items = [_redact(v) for v in value]
        return value._make(items) if hasattr(value, "_make") else tuple(items)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for field in dataclasses.fields(value):
            old = getattr(value, field.name)
            new = marker(old) if is_token_key(field.name) and old is not None else _redact(old)
            if field.init and new != old:
                changes[field.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value


def _redact_text(text: str) -> str:
    """A string holding a JSON object or array, scrubbed and dumped back when something in it was redacted."""
    if text.lstrip()[:1] not in ("{", "["):
        return text
    try:
        loaded = json.loads(text)
    except (ValueError, RecursionError):
        return text
    redacted = _redact(loaded)
    return text if redacted == loaded else json.dumps(redacted, separators=(",", ":"), ensure_ascii=False)


def _declared(detail_type: str, detail: Any) -> Any:
    """`detail` (a mapping, or JSON text of one) with the sensitive fields `detail_type`'s model declares marked."""
    sensitive = event_type_for(detail_type).SENSITIVE if is_known(detail_type) else None
    if not sensitive:
        return detail
    if isinstance(detail, str):
        try:
            loaded = json.loads(detail)
        except (ValueError, RecursionError):
            return detail
        redacted = _declared(detail_type, loaded)
        return detail if redacted == loaded else json.dumps(redacted, separators=(",", ":"), ensure_ascii=False)
    data = detail.get("data") if isinstance(detail, Mapping) else None
    if not isinstance(data, Mapping) or not sensitive & data.keys():
        return detail
    marked = {k: marker(v) if k in sensitive and v is not None else v for k, v in data.items()}
    return {**detail, "data": marked}


__all__ = ["MARKER_PREFIX", "is_token_key", "marker", "redact", "redact_event"]
