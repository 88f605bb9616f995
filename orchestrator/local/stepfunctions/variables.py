"""A JSONata state's `Output` reads the variables as they were when the state was entered, as on AWS.

"Passing data between states with variables" (https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html)
has a state's `Assign` and `Output` evaluated in parallel from what the state entered with: an `Output` that reads a
variable its own state assigns gets the value from before the state, and the new value is seen from the next state on.
moto 5.2.5 evaluates `Assign` first, writing the variables, then `Output` on what it just wrote; in a state (Pass,
Task, Map, Parallel, Wait), a Choice rule and a Catch alike.

So `Assign` first keeps a copy of the variables of the state visit it belongs to (`ASSIGN_KEEPS_ENTRY_VARIABLES`), and
`Output` of that visit is evaluated on that copy (`OUTPUT_READS_ENTRY_VARIABLES`). A visit is moto's `State` record of
the context object, made anew each time a state is entered: a copy kept by a state without `Output` is never read by
the next state's. A Catch of a task whose `Output` failed after its `Assign` ran keeps the first copy, so its own
`Output` reads the variables from before the state too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Final

from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import services as declared

EvalBody = Callable[[Any, Any], None]

# Where the copy is kept on moto's `Environment` (one per execution, Map iteration and Parallel branch).
_ENTRY: Final[str] = "_orch_variables_on_entry"


def bind_entry_variables(seam_set: SeamSet) -> None:
    """Binds `Output` evaluated on the variables from before its state's `Assign` into `seam_set`."""
    seam_set.wrap(declared.ASSIGN_KEEPS_ENTRY_VARIABLES, _keeping_entry_variables)
    seam_set.wrap(declared.OUTPUT_READS_ENTRY_VARIABLES, _reading_entry_variables)


def _visit(env: Any) -> Any:
    return env.states.context_object.context_object_data.get("State")


def _keeping_entry_variables(original: EvalBody) -> EvalBody:
    def _eval_body(assign: Any, env: Any) -> None:
        visit = _visit(env)
        kept = getattr(env, _ENTRY, None)
        if kept is None or kept[0] is not visit:
            store = env.variable_store
            entry = copy.copy(store)  # its declarations cache, if any, is the entry's: kept
            entry._inner_scope = dict(store._inner_scope)  # Assign replaces values, never changes one in place
            setattr(env, _ENTRY, (visit, entry))
        original(assign, env)

    return _eval_body


def _reading_entry_variables(original: EvalBody) -> EvalBody:
    def _eval_body(output: Any, env: Any) -> None:
        kept = getattr(env, _ENTRY, None)
        if kept is None or kept[0] is not _visit(env):
            original(output, env)
            return
        current = env.variable_store
        env.variable_store = kept[1]  # this env's state is evaluated on this thread only
        try:
            original(output, env)
        finally:
            env.variable_store = current

    return _eval_body
