"""What EventBridge carries: the PutEvents quotas, an entry's size as EventBridge counts it, and the values no event
can carry (nested too deep, not valid Unicode, a number JSON cannot write), refused by name before anything is sent."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from schemas.validation import FieldError, field_path

# EventBridge PutEvents quotas: entries per call, and total entry size per call (which also bounds one entry).
MAX_ENTRIES_PER_CALL = 10
MAX_CALL_BYTES = 262_144
# Error code of a result for an entry refused before sending because it alone exceeds MAX_CALL_BYTES.
ENTRY_TOO_LARGE = "EntryTooLarge"
# How deep arrays and objects may nest in an event. Real events nest a few levels; pydantic cannot serialize past 255
# and Python's JSON parser past about a thousand, so deeper input is refused by name instead of failing mid-publish.
MAX_NESTING = 64
# The most digits an integer may have: Python's int-string conversion limit (`sys.get_int_max_str_digits()`'s
# default), past which `json.loads` and `json.dumps` raise ValueError. No event needs a number that long.
MAX_INT_DIGITS = 4_300


@dataclass(frozen=True)
class BadNumber:
    """What a JSON reader puts in place of a number it must not turn into a value (an integer of more than
    MAX_INT_DIGITS digits), so that `unsendable` names where it was."""

    reason: str


def entry_size(entry: Mapping[str, Any]) -> int:
    """Size of a PutEvents entry as EventBridge computes it ("Calculating PutEvents event entry size")."""
    size = 14 if entry.get("Time") is not None else 0
    size += len(entry["Source"].encode("utf-8"))
    size += len(entry["DetailType"].encode("utf-8"))
    if entry.get("Detail") is not None:
        size += len(entry["Detail"].encode("utf-8"))
    for resource in entry.get("Resources") or ():
        if resource is not None:
            size += len(resource.encode("utf-8"))
    return size


def unsendable(value: Any, prefix: str = "") -> FieldError | None:
    """The first place in `value` no event can carry, or None: arrays or objects nested deeper than MAX_NESTING, a
    string (or key) that is not valid Unicode (a lone surrogate, which JSON can carry as `\\ud800` but UTF-8 cannot
    encode), a number that is not finite (NaN and the infinities, which JSON cannot write: `json.dumps` would put the
    non-standard `NaN` and EventBridge would refuse it, or a reader turn it into null) or an integer of more than
    MAX_INT_DIGITS digits. Iterative, so that the check itself never runs out of stack on the input it is there to
    refuse."""
    stack: list[tuple[Any, tuple[int | str, ...]]] = [(value, ())]
    while stack:
        current, path = stack.pop()
        if isinstance(current, BaseModel):
            current = dict(current)
        if isinstance(current, str):
            if not _encodable(current):
                return FieldError("", field_path(path, prefix), "not valid Unicode: a lone surrogate")
            continue
        if isinstance(current, BadNumber):
            return FieldError("", field_path(path, prefix), current.reason)
        if isinstance(current, float) and not math.isfinite(current):
            return FieldError("", field_path(path, prefix), f"not a finite number ({current}): JSON has no such value")
        if isinstance(current, int) and not isinstance(current, bool) and _too_long(current):
            return FieldError("", field_path(path, prefix), f"an integer of more than {MAX_INT_DIGITS} digits")
        if not isinstance(current, (Mapping, list, tuple)):
            continue
        if len(path) >= MAX_NESTING:
            return FieldError("", field_path(path, prefix), f"nests deeper than {MAX_NESTING} levels")
        if isinstance(current, Mapping):
            for key, child in current.items():
                if isinstance(key, str) and not _encodable(key):
                    return FieldError("", field_path(path, prefix), "a key is not valid Unicode: a lone surrogate")
                stack.append((child, (*path, str(key))))
        else:
            stack.extend((child, (*path, index)) for index, child in enumerate(current))
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_FIRST_TOO_LONG = 10**MAX_INT_DIGITS  # the smallest integer of MAX_INT_DIGITS + 1 digits


def _too_long(number: int) -> bool:
    return bool(abs(number) >= _FIRST_TOO_LONG)  # compared, not converted to digits (which raises past the limit)
