"""States.ALL does not match States.DataLimitExceeded, as on AWS.

"Error handling in Step Functions" (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html):
States.ALL "can't catch the States.DataLimitExceeded terminal error type"; a state whose result, output or input is
over the 256 KiB payload quota fails with it, and only a Retry or Catch naming it matches it. moto 5.2.5's
`ErrorEqualsDecl` matches States.ALL to every error, so a Catch on States.ALL routed an oversized Lambda result to its
fallback where AWS fails the execution. (States.ALL does not catch States.Runtime on AWS either; moto reports many of
its own failures as States.Runtime, and those stay catchable here.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import services as declared

DATA_LIMIT_EXCEEDED: Final[str] = "States.DataLimitExceeded"
_ALL: Final[str] = "States.ALL"


def bind_terminal_errors(seam_set: SeamSet) -> None:
    """Binds States.ALL leaving out States.DataLimitExceeded into `seam_set`."""
    seam_set.wrap(declared.STATES_ALL_SKIPS_DATA_LIMIT, _skipping_data_limit)


def _skipping_data_limit(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    def _eval_body(error_equals: Any, env: Any) -> None:
        error_name = getattr(env.stack[-1], "error_name", None)  # what the Retrier or Catcher is asked to match
        if error_name == DATA_LIMIT_EXCEEDED and any(name.error_name == _ALL for name in error_equals.error_names):
            env.stack.pop()
            env.stack.append(False)
            return
        original(error_equals, env)

    return _eval_body
