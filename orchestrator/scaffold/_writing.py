"""The writers behind `orch new` (see the package's docstring)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import yaml

from asl.admission import begin_state, duplicate_state, rejected_state
from infra.extensions import AGENT_DECLARATION, SIDECAR_SUFFIX, dag_construct_id, pascal
from schemas.envelope import Emitter

TEMPLATES: Final = Path(__file__).parent / "templates"
_EVENT = re.compile(r"^[A-Z][A-Za-z0-9]{0,63}$")
_SOURCE = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$")
_KEBAB = re.compile(r"^[a-z][a-z0-9-]{0,46}[a-z0-9]$")  # an agent's or a workflow's name (asl/dag/spec.py)
_SCHEDULE = re.compile(r"^(rate|cron)\(.+\)$")
_FIELD = re.compile(r"\{\{(\w+)\}\}")


class ScaffoldError(ValueError):
    """What `orch new` cannot write, and why (a usage error)."""


def new_event(
    root: Path, name: str, *, source: str, emitted_by: Sequence[str] = (Emitter.PRODUCERS,), description: str = ""
) -> list[Path]:
    """An event type `name` from `source`: its module, its test, and its registry document (`make schemas`)."""
    _check(_EVENT, name, "an event name is PascalCase (ReportRequested)")
    _check(_SOURCE, source, "a source is dotted lower case (reports.app)")
    emitters = [_emitter(e) for e in emitted_by]
    module = _snake(name)
    fields = {
        "event": name,
        "source": source,
        "module": module,
        "snake": module,
        "emitters": ", ".join(f"Emitter.{e.name}" for e in emitters),
        "description": description or f"{name}: describe the fact this event records.",
        "sample_id": f"{module}-1",
    }
    written = _write(
        root,
        {
            Path("schemas") / f"{module}.py": _render("event.py.tmpl", fields),
            Path("tests") / "unit" / f"test_{module}_event.py": _render("event_test.py.tmpl", fields),
        },
    )
    return written + _generate_registry(root)


def new_agent(root: Path, name: str, *, serves: Sequence[str] = (), description: str = "") -> list[Path]:
    """An agent package serving `serves` (default: `name`): logic, handler, declaration and a test."""
    _check(_KEBAB, name, "an agent's name is lower case with dashes (report-builder)")
    for served in serves:
        _check(re.compile(r"^[a-z][a-z0-9-]{0,62}\*?$"), served, "an agent it serves is `name` or `prefix-*`")
    package = _snake(name)
    listed = ", ".join(json.dumps(s) for s in (serves or [name]))
    fields = {
        "agent": name,
        "package": package,
        "serves": listed,
        "error": pascal(name) + "Refused",
        "description": description or f"The {name} agent: does each AgentTaskRequested of its agents",
    }
    folder = Path("functions") / package
    return _write(
        root,
        {
            folder / "__init__.py": _render("agent_init.py.tmpl", fields),
            folder / "logic.py": _render("agent_logic.py.tmpl", fields),
            folder / "handler.py": _render("agent_handler.py.tmpl", fields),
            folder / AGENT_DECLARATION: _render("agent.yaml.tmpl", fields),
            Path("tests") / "unit" / f"test_{package}_agent.py": _render("agent_test.py.tmpl", fields),
        },
    )


def new_workflow(
    root: Path,
    name: str,
    *,
    dag: bool = False,
    start: str | None = None,
    source: str | None = None,
    agents: Sequence[str] = (),
    schedule: str | None = None,
    description: str = "",
) -> list[Path]:
    """A workflow `name`: a DAG spec dispatching to `agents` one after the other (`dag`), or an ASL file and its
    sidecar; started by the event `start` from `source`, or (ASL only) on `schedule`; with its test."""
    _check(_KEBAB, name, "a workflow's name is lower case with dashes (report-build)")
    if (start is None) == (schedule is None) or (start is None) != (source is None):
        raise ScaffoldError("a workflow starts on an event (--start DETAIL_TYPE --source SOURCE) or --schedule")
    if dag and (schedule is not None or not agents):
        raise ScaffoldError("a DAG starts on an event (--start, --source) and needs its agents (--agents a,b)")
    if agents and not dag:
        raise ScaffoldError("--agents makes the tasks of a DAG: add --dag")
    snake = _snake(name)
    fields = {
        "workflow": name,
        "snake": snake,
        "event": start or "ScheduledRun",
        "source": source or "",
        "description": description or f"The {name} workflow",
    }
    folder = Path("state_machines")
    files: dict[Path, str]
    if dag:
        spec_file = folder / f"{snake}.dag.yaml"
        files = {spec_file: _render("workflow.dag.yaml.tmpl", {**fields, "tasks": _dag_tasks(agents)})}
        logical_id = dag_construct_id(spec_file)
    else:
        _check(_SCHEDULE, schedule or "rate(1)", "a schedule is rate(...) or cron(...)")
        definition = f"{snake}.asl.json"
        trigger = f"start: {{source: {source}, detail_type: {start}}}" if start else f'schedule: "{schedule}"'
        files = {
            folder / definition: json.dumps(_definition(name, start), indent=2) + "\n",
            folder / f"{snake}{SIDECAR_SUFFIX}": _render(
                "workflow.sidecar.yaml.tmpl", {**fields, "definition": definition, "trigger": trigger}
            ),
        }
        logical_id = "Workflow" + pascal(name)
    fields["logical_id"] = logical_id
    if start is None:
        test = _render("workflow_schedule_test.py.tmpl", {**fields, "schedule": str(schedule)})
    else:
        template = "workflow_dag_test.py.tmpl" if dag else "workflow_test.py.tmpl"
        test = _render(template, {**fields, "sample": _sample(root, start, snake)})
    files[Path("tests") / "workflows" / f"test_{snake}_workflow.py"] = test
    return _write(root, files)


def _definition(name: str, start: str | None) -> dict[str, Any]:
    """A JSONata definition: admission of its start event (asl/admission.py) when an event starts it, then one
    state to replace with the workflow's own."""
    work = {
        "Type": "Pass",
        "Comment": "Replace with the workflow's states (dispatch to agents, direct SDK integrations, ...).",
        "Output": {"received": "{% $data %}"},
        "End": True,
    }
    if start is None:
        work["Output"] = {"received": "{% $states.input.detail %}"}
        return {
            "Comment": f"The {name} workflow",
            "QueryLanguage": "JSONata",
            "StartAt": "Work",
            "States": {"Work": work},
        }
    return {
        "Comment": f"The {name} workflow, started by {start}",
        "QueryLanguage": "JSONata",
        "StartAt": "Begin",
        "States": {
            "Begin": begin_state(name, following="Work", assign={"data": "{% $states.input.detail.data %}"}),
            "Work": work,
            "Duplicate": duplicate_state(start, "does the work"),
            "Rejected": rejected_state(),
        },
    }


def _dag_tasks(agents: Sequence[str]) -> str:
    """One task per agent, each after the one before (edit `depends_on` for another shape)."""
    tasks: list[dict[str, Any]] = []
    for agent in agents:
        task: dict[str, Any] = {"name": _snake(agent), "agent": agent, "input": {"request": "{% $input %}"}}
        if tasks:
            task["depends_on"] = [tasks[-1]["name"]]
        task["timeout_seconds"] = 300
        tasks.append(task)
    text = yaml.safe_dump(tasks, sort_keys=False, default_flow_style=None, width=100)
    return "\n".join(f"  {line}" for line in text.splitlines())


def _sample(root: Path, detail_type: str, snake: str) -> str:
    """A valid `data` of `detail_type` for the workflow's test: the project's sample if it has one, else the field
    `orch new event` writes."""
    samples_file = root / "tests" / "samples" / "event_data.json"
    samples = json.loads(samples_file.read_text(encoding="utf-8")) if samples_file.is_file() else {}
    data = samples.get(detail_type, {"id": f"{snake}-1"})
    return json.dumps(data)


def _generate_registry(root: Path) -> list[Path]:
    """`make schemas` in `root` (a process of its own: this one's catalog was built before the new module existed)."""
    before = {p: p.read_bytes() for p in (root / "schemas" / "registry").glob("*/v*.json")}
    environment = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-m", "schemas.registry", "generate"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise ScaffoldError(f"make schemas failed: {done.stderr.strip().splitlines()[-1:]}")
    after = sorted((root / "schemas" / "registry").glob("*/v*.json"))
    return [p.relative_to(root) for p in after if before.get(p) != p.read_bytes()]


def _write(root: Path, files: Mapping[Path, str]) -> list[Path]:
    taken = [str(path) for path in files if (root / path).exists()]
    if taken:
        raise ScaffoldError(f"{', '.join(taken)} exists already; choose another name or remove it")
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    _format(root, [root / path for path in files if path.suffix == ".py"])
    return list(files)


def _format(root: Path, sources: Sequence[Path]) -> None:
    """The project's formatter over what was written (a name's length moves line breaks, and its spelling the order of
    imports, in ways no template can foresee), so `make lint` passes as it is; without ruff at hand the files are left
    as rendered, valid all the same."""
    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff and sources:
        for command in (["check", "--fix", "--select", "I"], ["format"]):  # the imports' order, then the layout
            subprocess.run(
                [ruff, *command, "--quiet", "--no-cache", *map(str, sources)],
                cwd=root,
                check=False,
                capture_output=True,
            )


def _render(template: str, fields: Mapping[str, str]) -> str:
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    missing = sorted(set(_FIELD.findall(text)) - set(fields))
    if missing:  # a template and its writer out of step: a defect, not a user's mistake
        raise RuntimeError(f"{template}: no value for {', '.join(missing)}")
    return _FIELD.sub(lambda match: fields[match.group(1)], text)


def _emitter(value: str) -> Emitter:
    try:
        return Emitter(value)
    except ValueError:
        raise ScaffoldError(f"--emitted-by {value!r}: one of {', '.join(e.value for e in Emitter)}") from None


def _check(pattern: re.Pattern[str], value: str, rule: str) -> None:
    if not pattern.match(value):
        raise ScaffoldError(f"{value!r}: {rule}")


def _snake(name: str) -> str:
    """`ReportRequested` or `report-builder` as `report_requested`, `report_builder`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).replace("-", "_").lower()
