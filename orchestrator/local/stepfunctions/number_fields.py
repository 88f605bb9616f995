"""JSONata expressions of a Task's `TimeoutSeconds` and `HeartbeatSeconds` and of a Wait's `Seconds`, checked as AWS
checks them.

The Task and Wait state pages (https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html,
https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html) take a positive integer for the timeouts and an
integer from 0 to 99999999 for `Seconds`; "in JSONata states, you can alternatively specify a JSONata expression
which must evaluate to an integer in the stated range". One that does not fails the state with
States.QueryEvaluationError (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html), which
Catch and Retry can match. moto 5.2.5 passes the result through int(): the string "10" is 10 seconds, 2.7 is 2, -5 a
wait of nothing, `true` one second, and "soon" a States.Runtime error.

A number with no fraction is an integer (JSONata's numbers are JavaScript's: 10.0 is 10).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from orchestrator.local.jsonata_engine import query_evaluation_failure
from orchestrator.local.jsonata_functions import integer_value
from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import services as declared

LARGEST: Final[int] = 99_999_999  # the largest timeout or wait the Task and Wait pages allow


def bind_number_fields(seam_set: SeamSet) -> None:
    """Binds the checked evaluation of the three fields into `seam_set`."""
    seam_set.replace(declared.JSONATA_TIMEOUT_SECONDS, _evaluated("TimeoutSeconds", smallest=1))
    seam_set.replace(declared.JSONATA_HEARTBEAT_SECONDS, _evaluated("HeartbeatSeconds", smallest=1))
    seam_set.replace(declared.JSONATA_WAIT_SECONDS, _evaluated("Seconds", smallest=0))


def whole_number(value: Any, smallest: int, largest: int = LARGEST) -> int | None:
    """`value` as an integer from `smallest` to `largest`, or None when it is none (a bool is no number)."""
    number = integer_value(value)
    return number if number is not None and smallest <= number <= largest else None


def _evaluated(field: str, smallest: int) -> Callable[[Any, Any], int]:
    def evaluate(component: Any, env: Any) -> int:
        expression = component.string_jsonata
        expression.eval(env=env)
        value = env.stack.pop()
        number = whole_number(value, smallest)
        if number is None:
            raise query_evaluation_failure(
                env,
                f"The JSONata expression '{expression.expression}' specified for the field '{field}' returned "
                f"{json.dumps(value)}, not an integer from {smallest} to {LARGEST}",
            )
        return number

    return evaluate
