"""RedriveExecution on the local runtime: moto 5.2.5 has no such action, so this module adds it to its interpreter.

On AWS, redriving a FAILED, TIMED_OUT or ABORTED execution (within 14 days) restarts it in place, same ARN, from the
state where it stopped, with that state's input and the variables assigned so far; the states that succeeded are
not run again, and the history goes on (`ExecutionRedriven`, then the redriven states). Here:

- the redrive point is the last top-level state the execution entered and did not leave (the one that failed, was
  timed out or was aborted), its input the one its `StateEntered` event recorded;
- the variables are those the top-level states assigned, folded in history order from their `StateExited` events'
  `assignedVariables` (moto records them as AWS does);
- a new `ExecutionWorker` runs the definition from that state on the execution's own event history, after an
  `ExecutionRedriven` event, and the execution is RUNNING again until it ends as any execution does.

Differences from AWS, on purpose and documented: a redriven Map or Parallel state runs all its iterations or
branches again (AWS redrives the unsuccessful ones only); the 14-day limit and redrive counts beyond `redriveCount`
are not enforced. The backend method is installed by orchestrator/local/stepfunctions.py with its other patches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

REDRIVABLE: Final = ("FAILED", "TIMED_OUT", "ABORTED")


class ExecutionNotRedrivable(Exception):
    """The execution cannot be redriven (AWS's ExecutionNotRedrivable): it runs, succeeded, or never entered a state."""


@dataclass(frozen=True)
class RedrivePoint:
    state: str  # the top-level state to start again from
    input: Any  # its input, as it was entered
    variables: dict[str, Any]  # the variables in scope there


def redrive_point(definition: Mapping[str, Any], history: Iterable[Mapping[str, Any]]) -> RedrivePoint:
    """Where a stopped execution starts again, from its definition and its history events (API shape)."""
    top_level = set(definition.get("States", {}))
    variables: dict[str, Any] = {}
    open_state: tuple[str, Any] | None = None
    for event in sorted(history, key=lambda e: int(e["id"])):
        entered = event.get("stateEnteredEventDetails")
        if entered and entered["name"] in top_level:  # the latest entered (a caught state has no exit event)
            open_state = (entered["name"], json.loads(entered.get("input") or "null"))
        exited = event.get("stateExitedEventDetails")
        if exited and exited["name"] in top_level:
            if open_state is not None and open_state[0] == exited["name"]:
                open_state = None
            for name, encoded in (exited.get("assignedVariables") or {}).items():
                variables[name] = _decoded(encoded)
    if open_state is None:
        raise ExecutionNotRedrivable("the execution left every state it entered: there is nothing to redrive")
    return RedrivePoint(open_state[0], open_state[1], variables)


def _decoded(encoded: str) -> Any:
    """A value of `assignedVariables`: JSON, except that moto writes a string as `"` + text + `"` unescaped."""
    try:
        return json.loads(encoded)
    except json.JSONDecodeError:
        return encoded[1:-1] if len(encoded) >= 2 and encoded[0] == encoded[-1] == '"' else encoded


def starting_at(definition: Mapping[str, Any], state: str) -> str:
    """The definition, as JSON text, with its StartAt moved to `state`."""
    return json.dumps({**definition, "StartAt": state})


def redrive_worker(stopped: Any, point: RedrivePoint, definition: Mapping[str, Any], count: int) -> Any:
    """A moto `ExecutionWorker` that runs `definition` from `point` on the history of the `stopped` worker, after an
    `ExecutionRedriven` event (`count`: how many times the execution has been redriven, this one included)."""
    from moto.stepfunctions.parser.api import HistoryEventType
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    history = stopped.env.event_manager
    last_event_id = max((int(e["id"]) for e in history.get_event_history()), default=0)

    class RedriveWorker(ExecutionWorker):
        def _execution_logic(self) -> None:
            program = AmazonStateLanguageParser.parse(starting_at(definition, point.state))[0]
            env = self._get_evaluation_environment()
            env.event_manager = history  # the execution's history goes on
            env.event_history_context.source_event_id = last_event_id  # the redrive follows the last event
            env.states.reset(point.input)
            for name, value in point.variables.items():
                env.variable_store.set(name, value)
            env.variable_store.reset_tracing()  # restored, not assigned: no state reports them
            self.env = env
            env.event_manager.add_event(
                context=env.event_history_context,
                event_type=HistoryEventType.ExecutionRedriven,
                # moto's EventDetails type has no key for it; its history event takes any details it is given.
                event_details={"executionRedrivenEventDetails": {"redriveCount": count}},  # type: ignore[arg-type]
            )
            program.eval(env)
            self._execution_communication.terminated()

    return RedriveWorker(
        evaluation_details=stopped._evaluation_details,
        exec_comm=stopped._execution_communication,
        cloud_watch_logging_session=stopped._cloud_watch_logging_session,
        activity_store=stopped._activity_store,
        mock_test_case=stopped._mock_test_case,
    )
