"""The `*.dag.yaml` format: a pydantic model of a declarative DAG workflow and the checks a graph must pass.

A spec names the event that starts the workflow and its tasks. Each task is done by an agent (dispatched as
AgentTaskRequested with a task token, answered through the callback), with an input mapping, a timeout, a retry
policy, an optional circuit breaker and an optional compensation; `depends_on` lists the tasks it waits for and
`when` an optional condition. Inside expressions (JSONata, `{% ... %}` as in ASL): `$input` is the start event's
`data`, `$metadata` its envelope metadata, `$results.<task>` the output of a task this one depends on
(transitively); a compensation also sees `$result`, the output of the task it undoes.

Errors name the task and the field (`tasks[2] (charge).depends_on: unknown task 'chrage'`). Graph errors: a
duplicate task, an unknown dependency, a cycle (named, `a -> b -> c -> a`), a reference to the result of a task
that is not a dependency, and an unreachable task.

Conditions: a task whose `when` is false is skipped, and so is every task depending on a skipped task (it would
read a result that does not exist); skipped tasks count as finished for the DAG. **Unreachable** therefore means a
task that can never run whatever the input: its condition is a constant that is false (`false`, `1 = 2`), or it
depends, directly or not, on such a task. Such a spec is refused, naming the chain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import jsonata  # jsonata-python, the local runtime's evaluator: to tell a constant condition's value
import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from asl.dag.graph import Graph

TaskName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,29}$")]
AgentName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,62}$")]  # schemas.agents.AgentName
DagName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,47}$")]

_RESULT_REFERENCE = re.compile(r"\$results\.([A-Za-z_][A-Za-z0-9_]*)")
_EXPRESSION = re.compile(r"^\{%(.*)%\}$", re.DOTALL)


class DagSpecError(ValueError):
    """A spec that cannot be compiled; the message names the file, the task and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Retry(_Strict):
    """Retries of a failed or timed-out task: a new dispatch (a new task token) after backoff with full jitter."""

    max_attempts: int = Field(default=0, ge=0, le=10)
    interval_seconds: int = Field(default=2, ge=1, le=3600)
    backoff_rate: float = Field(default=2.0, ge=1.0, le=10.0)
    max_delay_seconds: int = Field(default=60, ge=1, le=86_400)


class Compensation(_Strict):
    """The agent that undoes a completed task when the DAG fails later."""

    agent: AgentName
    input: dict[str, Any] = Field(default_factory=dict)
    timeout_seconds: int = Field(default=300, ge=1, le=31_536_000)
    retry: Retry = Retry(max_attempts=3)


class Task(_Strict):
    name: TaskName
    agent: AgentName
    input: dict[str, Any] = Field(default_factory=dict)
    depends_on: list[TaskName] = Field(default_factory=list)
    when: str | None = Field(default=None, min_length=1)
    timeout_seconds: int = Field(default=300, ge=1, le=31_536_000)
    heartbeat_seconds: int | None = Field(default=None, ge=1, le=31_536_000)
    retry: Retry = Retry()
    breaker: bool = False
    compensation: Compensation | None = None

    @field_validator("depends_on")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        repeated = sorted({name for name in value if value.count(name) > 1})
        if repeated:
            raise ValueError(f"lists {', '.join(repeated)} more than once")
        return value

    @field_validator("when")
    @classmethod
    def _bare_expression(cls, value: str | None) -> str | None:
        # `when` is always JSONata; the delimiters are optional there.
        if value is not None and (match := _EXPRESSION.match(value.strip())):
            return match.group(1).strip()
        return value


class Start(_Strict):
    """The event that starts an execution (EventBridge `source` and `detail-type`)."""

    source: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    detail_type: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class DagSpec(_Strict):
    name: DagName
    description: str = ""
    start: Start
    # How long a task waits for its dependencies' completion signals (non-series-parallel parts, see compile.py),
    # and the whole execution's budget.
    timeout_seconds: int = Field(default=86_400, ge=1, le=31_536_000)
    tasks: list[Task] = Field(min_length=1)

    def task(self, name: str) -> Task:
        return next(task for task in self.tasks if task.name == name)

    def graph(self) -> Graph:
        return Graph({task.name: tuple(task.depends_on) for task in self.tasks})

    @property
    def is_saga(self) -> bool:
        return any(task.compensation for task in self.tasks)


def load(path: str | Path) -> DagSpec:
    """The spec in `path`, validated (fields, then the graph); `DagSpecError` names what is wrong."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:  # a binary file is not a spec either
        raise DagSpecError(f"{path}: {error}") from error
    return parse(document, origin=str(path))


def parse(document: Any, origin: str = "<spec>") -> DagSpec:
    """`document` (the parsed YAML) as a checked `DagSpec`."""
    try:
        spec = DagSpec.model_validate(document)
    except ValidationError as error:
        raise DagSpecError(f"{origin}: " + "; ".join(_field_errors(error, document))) from error
    problems = graph_errors(spec)
    if problems:
        raise DagSpecError(f"{origin}: " + "; ".join(problems))
    return spec


def graph_errors(spec: DagSpec) -> list[str]:
    """Everything wrong with the graph of a spec whose fields are valid; empty when it compiles."""
    names = [task.name for task in spec.tasks]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        return [f"tasks: duplicate task {name!r}" for name in duplicates]
    known = set(names)
    problems = [
        f"{_where(spec, task.name)}.depends_on: unknown task {dependency!r}"
        for task in spec.tasks
        for dependency in task.depends_on
        if dependency not in known
    ]
    problems += [
        f"{_where(spec, task.name)}.depends_on: a task cannot depend on itself"
        for task in spec.tasks
        if task.name in task.depends_on
    ]
    if problems:
        return problems
    cycle = spec.graph().cycle()
    if cycle:
        return ["tasks: cycle " + " -> ".join(cycle)]
    return _syntax_errors(spec) + _reference_errors(spec) + _unreachable(spec)


def _expression_fields(task: Task) -> list[tuple[str, Any]]:
    """The fields of a task that hold JSONata, by their path in the spec."""
    fields: list[tuple[str, Any]] = [("when", task.when), ("input", task.input)]
    if task.compensation:
        fields.append(("compensation.input", task.compensation.input))
    return fields


def _syntax_errors(spec: DagSpec) -> list[str]:
    """Each expression that is not JSONata, named by its field: refused at compile rather than failing the running
    execution with States.QueryEvaluationError."""
    problems = []
    for task in spec.tasks:
        for field, value in _expression_fields(task):
            expressions = [value.strip()] if field == "when" and value is not None else list(_expressions(value))
            for expression in expressions:
                if (reason := not_jsonata(expression)) is not None:
                    problems.append(f"{_where(spec, task.name)}.{field}: not JSONata: `{expression}`: {reason}")
    return problems


def not_jsonata(expression: str) -> str | None:
    """Why `expression` does not parse as JSONata (None: it does), as jsonata-python, the local evaluator, says."""
    try:
        jsonata.Jsonata(expression)
    except jsonata.JException as error:
        return str(error)
    return None


def jsonata_problems(value: Any, where: str = "$") -> Iterable[tuple[str, str, str]]:
    """(path, expression, reason) for each `{% ... %}` string at any depth of `value` (an ASL definition, say) that
    does not parse; the path is JSONPath-like (`$.States.Begin.Output`)."""
    if isinstance(value, str):
        if (match := _EXPRESSION.match(value.strip())) and (reason := not_jsonata(match.group(1).strip())):
            yield where, match.group(1).strip(), reason
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from jsonata_problems(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from jsonata_problems(item, f"{where}[{index}]")


def _expressions(value: Any) -> Iterable[str]:
    """The JSONata of each `{% ... %}` string in a payload template, at any depth."""
    for text in _strings(value):
        if match := _EXPRESSION.match(text.strip()):
            yield match.group(1).strip()


def _strings(value: Any) -> Iterable[str]:
    """Every string of a payload template (or a condition), at any depth."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _reference_errors(spec: DagSpec) -> list[str]:
    graph = spec.graph()
    problems = []
    for task in spec.tasks:
        ancestors = graph.ancestors(task.name)
        for field, value in _expression_fields(task):
            for referenced in sorted(set(_results_referenced(value))):
                if referenced not in ancestors:
                    problems.append(
                        f"{_where(spec, task.name)}.{field}: reads $results.{referenced}, but {referenced!r} is not "
                        "among its dependencies (direct or not)"
                    )
    return problems


def _unreachable(spec: DagSpec) -> list[str]:
    never = {task.name for task in spec.tasks if task.when is not None and constant_false(task.when)}
    problems = [
        f"{_where(spec, name)}.when: unreachable: `{spec.task(name).when}` can never hold" for name in sorted(never)
    ]
    graph = spec.graph()
    for task in spec.tasks:
        if task.name in never:
            continue
        blocked = sorted(graph.ancestors(task.name) & never)
        if blocked:
            chain = " -> ".join(graph.path(blocked[0], task.name))
            problems.append(
                f"{_where(spec, task.name)}.depends_on: unreachable: it depends on {blocked[0]!r}, whose condition "
                f"can never hold ({chain}), and a skipped task skips its dependents"
            )
    return problems


def constant_false(expression: str) -> bool:
    """Whether a condition reads nothing (no `$`) and is false: it can never hold, whatever the input."""
    if "$" in expression:
        return False
    try:
        value = jsonata.Jsonata(expression).evaluate(None)
    except Exception:  # noqa: BLE001 - an expression that does not evaluate alone is not a constant
        return False
    return value is None or value is False or value == 0 or value == ""


def _results_referenced(value: Any) -> Iterable[str]:
    for text in _strings(value):
        yield from _RESULT_REFERENCE.findall(text)


def _where(spec: DagSpec, name: str) -> str:
    index = next(i for i, task in enumerate(spec.tasks) if task.name == name)
    return f"tasks[{index}] ({name})"


def _field_errors(error: ValidationError, document: Any) -> list[str]:
    """Pydantic's errors with the task named: `tasks[1] (charge).timeout_seconds: ...`."""
    messages = []
    for detail in error.errors():
        location = list(detail["loc"])
        parts: list[str] = []
        for position, part in enumerate(location):
            if isinstance(part, int):
                parts[-1] = f"{parts[-1]}[{part}]"
                name = _task_name(document, location[: position + 1])
                if name:
                    parts[-1] += f" ({name})"
            else:
                parts.append(str(part))
        messages.append(f"{'.'.join(parts) or '(spec)'}: {detail['msg']}")
    return messages


def _task_name(document: Any, location: list[Any]) -> str | None:
    if location[:1] != ["tasks"] or len(location) != 2 or not isinstance(document, dict):
        return None
    tasks = document.get("tasks")
    if isinstance(tasks, list) and location[1] < len(tasks) and isinstance(tasks[location[1]], dict):
        name = tasks[location[1]].get("name")
        return str(name) if name is not None else None
    return None
