"""`RulePatterns`: EventBridge's event patterns checked and tested by the local pattern engine, not by moto.

Two seams (declared in orchestrator/local/seams/services.py): PutRule refuses a malformed pattern with
InvalidEventPatternException (HTTP 400), so a bad rule never reaches the bus, where moto 5.2.5 stores it and then
fails every PutEvents on that bus; TestEventPattern answers `{"Result": true|false}`, where moto answers nothing.
Rule delivery matches with the same engine (adapter.py), so a test and a delivery never disagree.
"""

from __future__ import annotations

import json
from typing import Any, Final

from orchestrator.local.patterns import InvalidEventPattern, compile_pattern
from orchestrator.local.provision import Creator
from orchestrator.local.seams import SeamAdapter, SeamSet, read
from orchestrator.local.seams import services as declared

# The API's length constraint on EventPattern (PutRule and TestEventPattern: "Length Constraints: Maximum length of
# 4096"; botocore's model says `max: 4096` and does not check it client-side). The account quota "Event pattern size"
# (2,048 by default, adjustable to 4,096) is refused by another error the API references do not name: not enforced.
PATTERN_MAX_LENGTH: Final = 4096

# The fields TestEventPattern's API reference names as mandatory in the event tested.
EVENT_FIELDS: Final = ("id", "account", "source", "time", "region", "resources", "detail-type")


def pattern_error(pattern: str | None) -> str | None:
    """Why EventBridge refuses this pattern (AWS's message), or None when it is valid or absent."""
    if not pattern:
        return None
    try:
        compile_pattern(pattern)
    except InvalidEventPattern as invalid:
        return invalid.reason
    return None


def _too_long(pattern: Any) -> None:
    """Raises the ValidationException AWS answers to a pattern over the API's length constraint (its usual
    constraint message, which names the parameter and the limit)."""
    if isinstance(pattern, str) and len(pattern) > PATTERN_MAX_LENGTH:
        error_type = read("moto.events.exceptions.ValidationException")
        raise error_type(
            f"1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: Member must have "
            f"length less than or equal to {PATTERN_MAX_LENGTH}"
        )


def _refused(reason: str) -> Exception:
    error_type = read("moto.events.exceptions.InvalidEventPatternException")
    return error_type(reason=reason)  # type: ignore[no-any-return]


def _event_refused(reason: str) -> Exception:
    error_type = read("moto.events.exceptions.ValidationException")
    return error_type(f"Parameter Event is not valid. Reason: {reason}")  # type: ignore[no-any-return]


def event_pattern_result(pattern_text: Any, event_text: Any) -> bool:
    """TestEventPattern: whether the event matches; moto's errors as AWS answers them."""
    _too_long(pattern_text)
    reason = "Event pattern is required" if not pattern_text else pattern_error(str(pattern_text))
    if reason is not None:
        raise _refused(reason)
    try:
        event = json.loads(event_text) if isinstance(event_text, str) else None
    except ValueError:
        event = None
    if not isinstance(event, dict):
        raise _event_refused("Event is not a JSON object")
    missing = [name for name in EVENT_FIELDS if name not in event]
    if missing:
        raise _event_refused(f"Provided Event is missing field(s): {', '.join(missing)}")
    return compile_pattern(str(pattern_text)).matches(event)


class RulePatterns(SeamAdapter):
    """PutRule's pattern validation and TestEventPattern, by orchestrator/local/patterns.py."""

    def creators(self) -> dict[str, Creator]:
        """Rules are provisioned as they are (through the PutRule seam)."""
        return {}

    def _seam_set(self) -> SeamSet:
        def validating(original: Any) -> Any:
            def put_rule(backend: Any, name: str, *args: Any, **kwargs: Any) -> Any:
                pattern = kwargs.get("event_pattern", args[2] if len(args) > 2 else None)
                _too_long(pattern)
                reason = pattern_error(pattern)
                if reason is not None:
                    raise _refused(reason)
                return original(backend, name, *args, **kwargs)

            return put_rule

        def answer(handler: Any) -> str:
            result = event_pattern_result(handler._get_param("EventPattern"), handler._get_param("Event"))
            return json.dumps({"Result": result})

        seam_set = SeamSet("RulePatterns", exclusive=True)
        seam_set.wrap(declared.EVENTS_PUT_RULE, validating)
        seam_set.replace(declared.EVENTS_TEST_EVENT_PATTERN, answer)
        return seam_set
