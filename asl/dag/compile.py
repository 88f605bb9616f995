"""Compiles a DAG spec into a JSONata ASL definition in which every task starts once ALL its dependencies are done.

Step Functions has Parallel (fork, then wait for every branch) but no join across branches, so a task cannot wait
for "a in this branch and b in that one". The construction:

1. **Series-parallel parts become nested states.** `Graph.decompose` (asl/dag/graph.py) splits the graph
   into parts run one after the other (Series: a chain of states) and independent parts run side by side
   (Parallel: one branch each). This is exact: a part only ever waits for tasks it depends on. Chains, diamonds
   and fan-outs compile to this alone, with no extra moving parts.
2. **What is not series-parallel becomes a Join: one Parallel branch per task, joined by completion signals.** In
   the "N" (a->c, b->c, b->d) no nesting is exact: waiting for {a, b} before {c, d} makes d wait for a. So each task
   of such a part gets its own branch, which first waits for a signal from each dependency inside the part, then
   runs the task, then signals each dependent inside the part (a task whose one dependency there has no other
   dependent there just follows it in its branch: a chain needs no signals). The wait is event-driven, never
   polling: the branch registers with the correlator (functions/correlator, `lambda:invoke.waitForTaskToken` on its
   Register function) for the message `DagTaskFinished` keyed by `hash(execution id, edge)`; the finished task puts
   one `DagTaskFinished` per outgoing edge on the bus, whose correlator consumer resumes the waiter (or buffers the
   message until the waiter registers: either may come first). One key per edge makes the pairing exact: one
   message, one waiter; a rerun of the Join (a redrive) sends new messages (their ids name the signal state's
   entry), which reach the new waits. The signal carries the task's output, so the dependent reads
   `$results.<dep>` as anywhere.
   Dependencies from outside the Join are done before it starts (the Join is a part of a Series).

Data: every part takes and returns the object of the results so far (`{task: output}`); a Parallel merges its
branches' outputs. `$input` / `$metadata` (the start event's data and metadata) are variables set by `Begin`.

Conditions: a task whose `when` is false, or one of whose dependencies was skipped, is skipped (its result is null,
its signals say `skipped`). Failures: a task that fails (after its retries) fails its branch, which fails every
enclosing Parallel (the others are stopped) and the execution; with `breaker: true` its dispatch is wrapped at synth
time in the project's circuit breaker (`BreakerCall`s, applied by infra/constructs/dag.py), whose open state fails
the task with `BreakerOpen` without dispatching it.

Saga: when a task has a compensation, each such task records its completion (a conditional-free PutItem in the
WorkflowControl table, `dag#<execution id>` / `done#<task>`, with its output) and the whole body runs inside one
Parallel whose Catch starts the compensations: in reverse topological order (so every task is undone after all the
tasks that depended on it), each compensable task that recorded its completion is undone by its compensation agent;
tasks that never completed are not. A compensation that still fails after its retries is reported, the others still
run. The execution then fails with the original error and a cause listing what was and was not undone.

Here: the nesting (Series, Parallel) and the Join's branches, and each task's states. The Join's waits and signals are
in signals.py, the completion records and compensations in saga.py, the pieces they share (placeholders, retries,
JSONata, the agent request) in states.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from asl.admission import BEGIN, DUPLICATE, REJECTED, begin_state, duplicate_state, rejected_state
from asl.dag.graph import Block, Join, Leaf, Parallel, Series
from asl.dag.saga import record, saga
from asl.dag.signals import MAX_ENTRIES, signal_dependents, wait_for
from asl.dag.spec import DagSpec, Task
from asl.dag.states import (
    PUT_RETRY,
    agent_request,
    error_name,
    mapped,
    task_retries,
)
from asl.fields import jsonata


@dataclass(frozen=True)
class BreakerCall:
    """A dispatch state to wrap in a circuit breaker (`agent:<agent>`), with the Fail state it falls back to."""

    state: str
    fallback: str
    agent: str


@dataclass
class CompiledDag:
    definition: dict[str, Any]
    breakers: list[BreakerCall] = field(default_factory=list)


@dataclass
class _Fragment:
    """States with one entry; `exits` are the states whose `Next` continues after the fragment."""

    states: dict[str, Any]
    start: str
    exits: list[str]


def compile_spec(spec: DagSpec) -> CompiledDag:
    """The definition of `spec` (placeholders `${EventBusName}`, `${CorrelatorRegisterFunctionArn}`,
    `${WorkflowControlTableName}`, `${AdmissionFunctionArn}`) and the dispatches to wrap in breakers."""
    return _Compiler(spec).compile()


class _Compiler:
    def __init__(self, spec: DagSpec) -> None:
        self.spec = spec
        self.graph = spec.graph()
        self.breakers: list[BreakerCall] = []
        self.forks = 0
        self.may_skip = {
            task.name
            for task in spec.tasks
            if task.when or any(spec.task(a).when for a in self.graph.ancestors(task.name))
        }

    def compile(self) -> CompiledDag:
        body = self._block(self.graph.decompose())
        states: dict[str, Any] = {
            BEGIN: self._begin(body.start if not self.spec.is_saga else "Run"),
            DUPLICATE: duplicate_state(self.spec.start.detail_type, "runs the DAG"),
            REJECTED: rejected_state(),
        }
        if self.spec.is_saga:
            states.update(saga(self.spec, self.graph, self._branch(body)))
        else:
            states.update(body.states)
            self._continue(states, body.exits, "Done")
        states["Done"] = {
            "Type": "Succeed",
            "Comment": "Every task finished or was skipped; the output is each task's result (null: skipped).",
        }
        definition = {
            "Comment": (self.spec.description or f"The {self.spec.name} DAG.")
            + " Compiled from its .dag.yaml by asl/dag: every task starts once all its dependencies are "
            "done.",
            "QueryLanguage": "JSONata",
            "TimeoutSeconds": self.spec.timeout_seconds,
            "StartAt": BEGIN,
            "States": states,
        }
        return CompiledDag(definition, self.breakers)

    def _begin(self, following: str) -> dict[str, Any]:
        """`Begin`: admits the start event (asl/admission.py), as the hand-written workflows do. The results so
        far start empty; every task reads the event's data as $input."""
        return begin_state(
            self.spec.name,
            following=following,
            assign={"input": "{% $states.input.detail.data %}", "metadata": "{% $states.input.detail.metadata %}"},
            output={},
        )

    # -- blocks -------------------------------------------------------------------------------------------------

    def _block(self, block: Block) -> _Fragment:
        if isinstance(block, Leaf):
            return self._task(self.spec.task(block.task))
        if isinstance(block, Series):
            return self._sequence([self._block(part) for part in block.parts])
        if isinstance(block, Parallel):
            return self._fork([self._block(part) for part in block.parts], "Fork", "independent parts side by side")
        return self._join(block)

    def _sequence(self, fragments: list[_Fragment]) -> _Fragment:
        """The fragments one after the other."""
        states: dict[str, Any] = {}
        for current, following in zip(fragments, fragments[1:], strict=False):
            self._continue(current.states, current.exits, following.start)
        for fragment in fragments:
            states.update(fragment.states)
        return _Fragment(states, fragments[0].start, fragments[-1].exits)

    def _fork(self, branches: list[_Fragment], kind: str, why: str) -> _Fragment:
        self.forks += 1
        name = f"{kind}{self.forks}"
        state = {
            "Type": "Parallel",
            "Comment": f"{why}; the results so far go to every branch and come back merged.",
            "Branches": [self._branch(fragment) for fragment in branches],
            "Output": "{% $merge($states.result) %}",
        }
        return _Fragment({name: state}, name, [name])

    def _branch(self, fragment: _Fragment) -> dict[str, Any]:
        states = fragment.states
        for name in fragment.exits:
            states[name].pop("Next", None)
            states[name]["End"] = True
        return {"StartAt": fragment.start, "States": states}

    def _join(self, block: Join) -> _Fragment:
        inside = set(block.tasks)
        deps = {name: [d for d in self.spec.task(name).depends_on if d in inside] for name in block.tasks}
        dependents = {name: [d for d in self.graph.dependents[name] if d in inside] for name in block.tasks}
        # A task whose one dependency here has no other dependent here runs right after it, in its branch: a chain
        # needs no signals inside it.
        chains: list[list[str]] = []
        for name in block.tasks:
            if len(deps[name]) == 1 and dependents[deps[name][0]] == [name]:
                next(chain for chain in chains if chain[-1] == deps[name][0]).append(name)
            else:
                chains.append([name])
        branches = []
        for chain in chains:
            sequence = self._sequence([self._task(self.spec.task(name)) for name in chain])
            states, start, exits = sequence.states, sequence.start, sequence.exits
            head, tail = chain[0], chain[-1]
            for dep in reversed(deps[head]):
                wait = f"{head}: wait for {dep}"
                states[wait] = wait_for(self.spec, dep, head, start)
                start = wait
            signals = dependents[tail]
            for index in range(0, len(signals), MAX_ENTRIES):
                chunk = signals[index : index + MAX_ENTRIES]
                signal = f"{tail}: signal" + (f" {index // MAX_ENTRIES + 1}" if len(signals) > MAX_ENTRIES else "")
                states[signal] = signal_dependents(self.spec, tail, chunk)
                self._continue(states, exits, signal)
                exits = [signal]
            branches.append(_Fragment(states, start, exits))
        return self._fork(
            branches,
            "Join",
            "not series-parallel: a branch per task (or chain of tasks), each waiting for its dependencies' "
            "completion signals (DagTaskFinished, through the correlator)",
        )

    # -- a task -------------------------------------------------------------------------------------------------

    def _task(self, task: Task) -> _Fragment:
        name = task.name
        states: dict[str, Any] = {}
        dispatch = self._dispatch(task)
        states[name] = dispatch
        failed = f"{name}: failed"
        states[failed] = {
            "Type": "Fail",
            "Comment": f"The task {name} failed after its retries; the DAG fails.",
            "Error": jsonata(error_name("$states.input.Error")),
            "Cause": "{% $type($states.input.Cause) = 'string' ? $states.input.Cause : '' %}",
        }
        exits = [name]
        if task.compensation:
            recorded = f"{name}: recorded"
            states[recorded] = record(name)
            dispatch["Next"] = recorded
            exits = [recorded]
        if task.breaker:
            fallback = f"{name}: breaker open"
            states[fallback] = {
                "Type": "Fail",
                "Comment": f"The breaker of agent {task.agent} is open: the task is not dispatched and fails.",
                "Error": "BreakerOpen",
                "Cause": f"the agent {task.agent} failed too often lately; {name} was not dispatched",
            }
            self.breakers.append(BreakerCall(name, fallback, task.agent))
        if name not in self.may_skip:
            return _Fragment(states, name, exits)
        condition, skipped = f"{name}: condition", f"{name}: skipped"
        skip_when = [f"$type($states.input.{dep}) = 'null'" for dep in task.depends_on if dep in self.may_skip]
        if task.when:
            skip_when.append(f"(($results := $states.input; {task.when}) ? false : true)")
        states[condition] = {
            "Type": "Choice",
            "Comment": "Skipped when its condition is false or a dependency was skipped.",
            "Choices": [{"Condition": jsonata(" or ".join(skip_when)), "Next": skipped}],
            "Default": name,
        }
        states[skipped] = {
            "Type": "Pass",
            "Output": jsonata(f"$merge([$states.input, {{'{name}': null}}])"),
        }
        return _Fragment(states, condition, [*exits, skipped])

    def _dispatch(self, task: Task) -> dict[str, Any]:
        state: dict[str, Any] = {
            "Type": "Task",
            "Comment": f"Agent {task.agent}: AgentTaskRequested with this task's token; the agent answers through the "
            "callback (SendTaskSuccess / SendTaskFailure).",
            "Resource": "arn:aws:states:::events:putEvents.waitForTaskToken",
            "Arguments": {
                "Entries": [agent_request(self.spec, task.name, task.agent, task, mapped(task.input, "$results"))]
            },
            "TimeoutSeconds": task.timeout_seconds,
            "Retry": [PUT_RETRY, *task_retries(task.retry)],
            "Catch": [
                {"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput %}", "Next": f"{task.name}: failed"}
            ],
            "Output": jsonata(f"$merge([$states.input, {{'{task.name}': $states.result}}])"),
        }
        if task.heartbeat_seconds:
            state["HeartbeatSeconds"] = task.heartbeat_seconds
        return state

    @staticmethod
    def _continue(states: dict[str, Any], exits: list[str], next_state: str) -> None:
        for name in exits:
            states[name]["Next"] = next_state
