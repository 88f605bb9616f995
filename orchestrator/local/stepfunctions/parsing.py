"""Each state machine definition parsed once: moto 5.2.5 parses the definition with ANTLR for every execution
(`ExecutionWorker._get_evaluation_entrypoint`), about 160 ms of CPU for the order saga, though the program it builds
does not depend on the execution.

Reusing one parsed program across executions is safe because moto's components keep no execution state: every
attribute is set when the program is built (`from_state_props`), and what changes while it runs lives in the
`Environment` of each execution (the stack, the heap, the states' data) or in objects made per run (a Map Run, its
workers). moto already relies on that within one execution, whose Map iterations and Parallel branches evaluate the
same components concurrently. The one lazy attribute, `EvalComponent.heap_key` (a retrier's attempt counter is kept
in the heap under it), is set before the program is shared, so two executions never race to pick it.
"""

from __future__ import annotations

import functools
from typing import Any, Final

from orchestrator.local import seams
from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import stepfunctions as declared

# Definitions kept parsed; the app has a handful, a test session a few hundred small ones.
PARSED_CACHE_SIZE: Final[int] = 256

_ASL: Final[str] = "moto.stepfunctions.parser.asl"


def bind_parse_once(seam_set: SeamSet) -> None:
    """Binds the memoized parse into `seam_set`: a cache of its own, dropped with the seams."""
    parser = seams.read(f"{_ASL}.parse.asl_parser.AmazonStateLanguageParser")
    component = seams.read(f"{_ASL}.component.component.Component")
    eval_component = seams.read(f"{_ASL}.component.eval_component.EvalComponent")

    @functools.lru_cache(maxsize=PARSED_CACHE_SIZE)
    def parsed(definition: str) -> Any:
        program = parser.parse(definition)[0]
        _settle_heap_keys(program, component, eval_component)
        return program

    def evaluation_entrypoint(worker: Any) -> Any:
        return parsed(worker._evaluation_details.state_machine_details.definition)

    seam_set.replace(declared.PARSE_ONCE, evaluation_entrypoint)


def _settle_heap_keys(program: Any, component: type[Any], eval_component: type[Any]) -> None:
    """Sets the heap key of every component of `program` (moto picks one lazily, on first use). The walk goes
    through every `Component`: some that hold evaluated ones (the `States` of a program) are not evaluated."""
    seen: set[int] = set()
    pending: list[Any] = [program]
    while pending:
        item = pending.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, component):
            if isinstance(item, eval_component):
                _ = item.heap_key
            pending.extend(vars(item).values())
        elif isinstance(item, list | tuple | set | frozenset):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
