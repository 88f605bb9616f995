"""Bring your own: the files a user adds to extend the app, found by convention, each with one small declaration.

| what       | where (under the project root)                                   | its declaration                     |
|------------|------------------------------------------------------------------|-------------------------------------|
| event type | `schemas/<domain>.py`: pydantic models on `EventData`            | `EVENTS = (...)` (schemas/catalog)  |
| agent      | `functions/<package>/`: `handler.py` (the adapter), `logic.py`   | `functions/<package>/agent.yaml`    |
| workflow   | `state_machines/<name>.dag.yaml` (a DAG spec)                    | the spec itself                     |
|            | `state_machines/<name>.asl.json` (ASL, JSONata)                  | `state_machines/<name>.workflow.yaml`|

Nothing else is edited: the Workflows stack builds an agent consumer (rule, queue, DLQ, alarms, idempotency records,
PutEvents of exactly the declared types, heartbeats on the workflows that dispatch to its agents) for every
`agent.yaml`, and a workflow for every spec and sidecar; `orch new` writes these files from templates.

Why a convention over folders with a declaration file, not entry points or a registry module to edit: the Lambda
asset already ships `functions/` and `schemas/`, so an agent's code runs as it is, on AWS and locally; a registry
module would be one more shared file every extension edits (merge conflicts, the core touched); entry points need the
project reinstalled after each new agent and cannot be read without importing the code. The declarations are data
(YAML) rather than Python because the CDK app must not import Lambda code (infra never imports functions/, see
docs/architecture.md); data is also what `orch new` writes and what the synth-time checks can name a line of.

The agent pipeline and the order saga stay constructs of their own (infra/constructs): each has functions, breakers
and pause points wired in code, which a sidecar would have to grow a language for. Their agents (the specialists)
and every DAG go through the mechanism above.

The checks here are pure (no CDK): each returns one line per problem, naming the file and the fix, which the stack
adds as an error annotation (`cdk synth` and `cdk deploy` stop on it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Final

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from asl.admission import admission_problem
from asl.dag.spec import AgentName, DagName, Start, jsonata_problems
from schemas.catalog import UnknownEventTypeError, event_type_for
from schemas.envelope import Emitter, EventData
from schemas.stages import StageConfig

PROJECT_ROOT: Final = Path(__file__).resolve().parents[1]
AGENT_DECLARATION: Final = "agent.yaml"
SIDECAR_SUFFIX: Final = ".workflow.yaml"
# What every agent answers its tasks with (the agent protocol, schemas/agents.py).
PROTOCOL_EVENTS: Final = ("AgentTaskCompleted", "AgentTaskFailed")
# An agent name ending so is a prefix: `onboarding-*` serves every agent whose name starts with `onboarding-`.
PREFIX_MARK: Final = "*"

Served = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,62}\*?$")]
PascalName = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Za-z0-9]{0,63}$")]


class ExtensionError(ValueError):
    """A declaration that cannot be read; the message names the file and what is wrong."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Permission(_Strict):
    """An IAM statement the agent's own work needs beyond the app's wiring (a model provider's API): named actions on
    named resources, `{region}` and `{account}` filled with the stack's."""

    actions: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+:[A-Za-z0-9]+$")]] = Field(min_length=1)
    resources: list[Annotated[str, StringConstraints(pattern=r"^arn:")]] = Field(min_length=1)


class AgentDeclaration(_Strict):
    """`functions/<package>/agent.yaml`: the agents a handler serves and the events it emits."""

    description: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    serves: list[Served] = Field(min_length=1, description="agent names; `name-*` serves every `name-...`")
    emits: list[Annotated[str, StringConstraints(min_length=1)]] = Field(default_factory=lambda: [*PROTOCOL_EVENTS])
    # The function's variables filled from the stage config (`REASONER: agent_pipeline.reasoner`).
    stage_settings: dict[str, str] = Field(default_factory=dict)
    # What its work calls besides the bus and its tasks (no wildcard action: each is named).
    permissions: list[Permission] = Field(default_factory=list)
    # The consumer's construct id; by default the package's name in PascalCase + `Agents`.
    construct_id: PascalName | None = None

    def serves_agent(self, agent: str) -> bool:
        return any(
            agent.startswith(entry[:-1]) if entry.endswith(PREFIX_MARK) else agent == entry for entry in self.serves
        )

    def pattern_values(self) -> list[Any]:
        """The values of the consumer's event pattern on `data.agent`."""
        return [{"prefix": e[:-1]} if e.endswith(PREFIX_MARK) else e for e in self.serves]


class Agent(_Strict):
    """A declared agent consumer: its package, file and declaration."""

    package: str
    file: Path
    declaration: AgentDeclaration

    @property
    def handler(self) -> str:
        return f"functions.{self.package}.handler.handler"

    @property
    def construct_id(self) -> str:
        return self.declaration.construct_id or pascal(self.package) + "Agents"

    def environment(self, config: StageConfig) -> dict[str, str]:
        """The variables of its `stage_settings`, from `config`."""
        return {name: str(_setting(config, path, self.file)) for name, path in self.declaration.stage_settings.items()}


class WorkflowSidecar(_Strict):
    """`state_machines/<name>.workflow.yaml`: how the app deploys the ASL file beside it."""

    name: DagName
    description: str = ""
    start: Start | None = None
    schedule: Annotated[str, StringConstraints(pattern=r"^(rate|cron)\(.+\)$")] | None = None
    agents: list[AgentName] = Field(default_factory=list, description="the agents its definition dispatches to")
    substitutions: dict[str, str] = Field(default_factory=dict)


class Workflow(_Strict):
    """A declared ASL workflow: its sidecar file, definition file and declaration."""

    file: Path
    sidecar: WorkflowSidecar

    @property
    def definition_file(self) -> Path:
        return self.file.with_name(self.file.name.removesuffix(SIDECAR_SUFFIX) + ".asl.json")

    @property
    def construct_id(self) -> str:
        return "Workflow" + pascal(self.sidecar.name)


def pascal(name: str) -> str:
    """`report_build` or `report-build` as `ReportBuild`."""
    return "".join(part.title() for part in name.replace("-", "_").split("_"))


def dag_construct_id(spec_file: Path) -> str:
    """The construct id of the DAG in `spec_file` (`state_machines/report_build.dag.yaml`: `DagReportBuild`)."""
    return "Dag" + pascal(spec_file.name.removesuffix(".dag.yaml"))


def shown(path: Path, root: Path = PROJECT_ROOT) -> str:
    """`path` as a message names it: relative to the project when inside it."""
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _read(path: Path, model: type[_Strict]) -> Any:
    try:
        return model.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as error:
        raise ExtensionError(f"{shown(path)}: {error}") from error
    except ValidationError as error:
        reasons = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in error.errors())
        raise ExtensionError(f"{shown(path)}: {reasons}") from error


def agents(root: Path = PROJECT_ROOT) -> list[Agent]:
    """Every `functions/<package>/agent.yaml`, in package order; `ExtensionError` for one that cannot be read."""
    return [
        Agent(package=file.parent.name, file=file, declaration=_read(file, AgentDeclaration))
        for file in sorted((root / "functions").glob(f"*/{AGENT_DECLARATION}"))
    ]


def workflows(root: Path = PROJECT_ROOT) -> list[Workflow]:
    """Every `state_machines/<name>.workflow.yaml`, in name order."""
    return [
        Workflow(file=file, sidecar=_read(file, WorkflowSidecar))
        for file in sorted((root / "state_machines").glob(f"*{SIDECAR_SUFFIX}"))
    ]


def _setting(config: StageConfig, path: str, file: Path) -> Any:
    value: Any = config
    for part in path.split("."):
        if not hasattr(value, part):
            raise ExtensionError(f"{shown(file)}: stage_settings: the stage config has no {path!r}")
        value = getattr(value, part)
    return value


# Checks: each gives one line per problem, naming the file and the fix.


def emission_errors(agent: Agent) -> list[str]:
    """An emitted type the catalog does not have, or that agents may not emit (`EMITTED_BY` without agents)."""
    problems = []
    for detail_type in agent.declaration.emits:
        try:
            event_type = event_type_for(detail_type)
        except UnknownEventTypeError:
            problems.append(
                f"{shown(agent.file)}: emits: unknown event type {detail_type!r}; add its model to a schemas/ module "
                "(orch new event) or drop it from emits"
            )
            continue
        if Emitter.AGENTS not in event_type.EMITTED_BY:
            problems.append(
                f"{shown(agent.file)}: emits: {detail_type} is an internal event agents may not emit (EMITTED_BY: "
                f"{', '.join(sorted(event_type.EMITTED_BY))}); add Emitter.AGENTS to {event_type.__name__}.EMITTED_BY "
                f"in {_module_file(event_type)} or drop it from emits"
            )
    return problems


def emitted_types(agent: Agent) -> list[type[EventData]]:
    """The event types an agent may put on the bus (those its declaration names and the checks let through)."""
    return [event_type_for(t) for t in agent.declaration.emits]


def start_errors(file: Path, start: Start | None) -> list[str]:
    """A workflow started by an event type (or from a source) the catalog does not have."""
    if start is None:
        return []
    try:
        event_type_for(start.detail_type, start.source)
    except UnknownEventTypeError as error:
        return [
            f"{shown(file)}: start.{error.field.replace('-', '_')}: {error}; fix the start or add the event type "
            "to a schemas/ module (orch new event)"
        ]
    return []


def jsonata_errors(workflow: Workflow) -> list[str]:
    """Each `{% ... %}` of an ASL workflow's definition that is not JSONata, by its path: refused at synth rather
    than failing the running execution with States.QueryEvaluationError (the DAG compiler checks its specs so)."""
    file = workflow.definition_file
    try:
        definition = json.loads(file.read_text(encoding="utf-8")) if file.is_file() else None
    except json.JSONDecodeError:
        return []  # admission_errors names it
    return [
        f"{shown(file)}: {where}: not JSONata: `{expression}`: {reason}; fix the expression"
        for where, expression, reason in jsonata_problems(definition)
    ]


def admission_errors(workflow: Workflow) -> list[str]:
    """An event-started ASL workflow whose definition does not admit its start event first (asl/admission.py): an
    event breaking its contract would run it. (The DAGs' compiler and the shipped workflows write that state.)"""
    file = workflow.definition_file
    if workflow.sidecar.start is None or not file.is_file():
        return []
    try:
        definition = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        return [f"{shown(file)}: not JSON ({error}); fix the definition"]
    problem = admission_problem(definition, workflow.sidecar.name) if isinstance(definition, dict) else "not an object"
    if problem is None:
        return []
    return [
        f"{shown(file)}: {problem}, so an event breaking its contract would run it; begin with the admission's states "
        "(asl/admission.py, as `orch new workflow --start` writes them)"
    ]


def name_clash(defined: Mapping[str, str], name: str, where: str) -> list[str]:
    """A line if `name` is a workflow's already (`defined`: name -> where that one is defined)."""
    if name not in defined:
        return []
    return [
        f"{where}: name: workflow {name!r} is already defined by {defined[name]}; rename one (the control plane and "
        "the start claims know a workflow by its name)"
    ]


def twice_served(declared: Iterable[Agent]) -> list[str]:
    """An agent name (or prefix) two consumers declare, or whose names overlap (`onboarding-*` and `onboarding-kyc`,
    `onb*` and `onboarding-*`): both consumers' rules would match its tasks, and both would do them."""
    seen: list[tuple[str, Agent]] = []
    problems = []
    for agent in declared:
        for entry in agent.declaration.serves:
            for earlier, owner in seen:
                if owner is not agent and _overlap(entry, earlier):
                    same = "" if entry == earlier else f" (as {earlier})"
                    problems.append(
                        f"{shown(agent.file)}: serves: {entry} is served by {shown(owner.file)} too{same}; "
                        "drop it from one"
                    )
                    break
            seen.append((entry, agent))
    return problems


def _overlap(one: str, other: str) -> bool:
    """Whether some agent name is served by both entries (a trailing * marks a prefix)."""
    one_prefix, other_prefix = one.endswith(PREFIX_MARK), other.endswith(PREFIX_MARK)
    one_text, other_text = one.removesuffix(PREFIX_MARK), other.removesuffix(PREFIX_MARK)
    if one_prefix and other_prefix:
        return one_text.startswith(other_text) or other_text.startswith(one_text)
    if one_prefix:
        return other_text.startswith(one_text)
    if other_prefix:
        return one_text.startswith(other_text)
    return one == other


def unserved(file: Path, dispatched: Iterable[tuple[str, str]], declared: Iterable[Agent]) -> list[str]:
    """Each (where, agent) of `dispatched` that no declared consumer serves: its tasks would wait until they time
    out."""
    consumers = list(declared)
    return [
        f"{shown(file)}: {where}: {agent}: no agent consumer serves it (no functions/*/{AGENT_DECLARATION} lists it "
        "in serves), so its tasks would wait until they time out; add the agent (orch new agent) or fix the name"
        for where, agent in dispatched
        if not any(consumer.declaration.serves_agent(agent) for consumer in consumers)
    ]


def served_by(declared: Iterable[Agent], dispatched: Iterable[str]) -> list[Agent]:
    """The consumers serving at least one of `dispatched` (they heartbeat those tasks)."""
    names = set(dispatched)
    return [agent for agent in declared if any(agent.declaration.serves_agent(name) for name in names)]


def _module_file(event_type: type[EventData]) -> str:
    return event_type.__module__.replace(".", "/") + ".py"


__all__ = [
    "AGENT_DECLARATION",
    "Agent",
    "AgentDeclaration",
    "ExtensionError",
    "Workflow",
    "WorkflowSidecar",
    "admission_errors",
    "jsonata_errors",
    "agents",
    "dag_construct_id",
    "name_clash",
    "emission_errors",
    "emitted_types",
    "served_by",
    "start_errors",
    "twice_served",
    "unserved",
    "workflows",
]
