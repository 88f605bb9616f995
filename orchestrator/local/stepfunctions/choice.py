"""Choice states as AWS runs them (the seams are declared in orchestrator/local/seams/services.py):

- `StringMatches`: https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html: `*` matches zero or more
  characters and no other character is special; an escaped `\\*` is a literal asterisk and `\\\\` a literal
  backslash. moto 5.2.5 matches with `fnmatch`, where `?` and `[...]` are wildcards too and a backslash escapes
  nothing (`string_operators.py`, `StringMatches._compare`): `a\\*b` never matches `a*b`.
- No rule matched and no `Default`: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
  names the error `States.NoChoiceMatched`; moto raises a bare RuntimeError (`state_choice.py`), so the execution
  fails with `States.Runtime`, which no Catch for `States.NoChoiceMatched` (a Parallel's, a Map's) can match.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, Final

from orchestrator.local import seams
from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import services as declared

_P: Final[str] = "moto.stepfunctions.parser"
# What moto's StateChoice._eval_state raises when no rule matched and there is no Default.
_NO_BRANCH: Final[str] = "No branching option reached in state %s"
_PATTERN_TOKEN: Final = re.compile(r"\\(.)|(\*)|([^\\*]+|\\)", re.DOTALL)


def string_matches(value: Any, pattern: Any) -> bool:
    """Whether `value` matches a StringMatches `pattern` (`*` any characters; `\\*`, `\\\\` literal)."""
    return isinstance(value, str) and isinstance(pattern, str) and _regex(pattern).fullmatch(value) is not None


@functools.lru_cache(maxsize=1024)
def _regex(pattern: str) -> re.Pattern[str]:
    # A token is an escaped character (literal), a wildcard, or a run of plain characters (a lone trailing
    # backslash among them, literal too).
    parts = [
        ".*" if wildcard else re.escape(escaped or plain)
        for escaped, wildcard, plain in _PATTERN_TOKEN.findall(pattern)
    ]
    return re.compile("".join(parts), re.DOTALL)


def bind_choice(seam_set: SeamSet) -> None:
    """Binds the Choice state fixes into `seam_set`."""
    failure_event = seams.read(f"{_P}.asl.component.common.error_name.failure_event.FailureEvent")
    failure_event_exception = seams.read(f"{_P}.asl.component.common.error_name.failure_event.FailureEventException")
    no_choice_matched = seams.read(f"{_P}.asl.component.common.error_name.states_error_name.StatesErrorName")(
        typ=seams.read(
            f"{_P}.asl.component.common.error_name.states_error_name_type.StatesErrorNameType"
        ).StatesNoChoiceMatched
    )
    execution_failed = seams.read(f"{_P}.api.HistoryEventType").ExecutionFailed
    event_details = seams.read(f"{_P}.asl.eval.event.event_detail.EventDetails")

    def failing_with_no_choice_matched(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        def eval_state(state: Any, env: Any) -> None:
            try:
                original(state, env)
            except RuntimeError as error:
                if error.args[:1] != (_NO_BRANCH,):
                    raise
                cause = f"No Choice Rule of state '{state.name}' matched its input, and it has no Default."
                details = {"error": no_choice_matched.error_name, "cause": cause}
                raise failure_event_exception(
                    failure_event=failure_event(
                        env=env,
                        error_name=no_choice_matched,
                        event_type=execution_failed,
                        event_details=event_details(executionFailedEventDetails=details),
                    )
                ) from None

        return eval_state

    seam_set.replace(declared.STRING_MATCHES_PATTERN, string_matches)
    seam_set.wrap(declared.NO_CHOICE_MATCHED, failing_with_no_choice_matched)
