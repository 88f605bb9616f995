"""The control plane's operations on a workflow's state machine rather than its executions: its published versions
and aliases (definitions.py) and its picture (drawing.py)."""

from __future__ import annotations

from typing import Literal

from orchestrator.control import definitions
from orchestrator.control.connection import Connection
from orchestrator.control.definitions import DEFAULT_ALIAS, AliasChange, Definitions, Version
from orchestrator.control.drawing import draw, outcomes


class WorkflowOperations(Connection):
    """List, publish and route a workflow's definitions; draw it."""

    def list_definitions(self, workflow: str) -> Definitions:
        """The workflow's state machine with its published versions and its aliases' routing."""
        machine = self._state_machine(workflow)
        with self._calls():
            return definitions.list_definitions(self._client("stepfunctions"), workflow, machine)

    def publish(self, workflow: str, description: str = "") -> Version:
        """Publishes the workflow's current definition as a new version."""
        machine = self._state_machine(workflow)
        with self._calls():
            return definitions.publish(self._client("stepfunctions"), machine, description)

    def shift(self, workflow: str, to: int, weight: int, alias: str = DEFAULT_ALIAS) -> AliasChange:
        """Routes `weight` % of `alias` to version `to`, the rest staying on its current version (a canary)."""
        machine = self._state_machine(workflow)
        with self._calls():
            return definitions.shift(self._client("stepfunctions"), machine, alias, to, weight)

    def rollback(self, workflow: str, alias: str = DEFAULT_ALIAS) -> AliasChange:
        """All of `alias` back on its stable version (the canary's first entry, or the version before the shift)."""
        machine = self._state_machine(workflow)
        with self._calls():
            return definitions.rollback(self._client("stepfunctions"), machine, alias)

    def graph(self, workflow: str, execution: str | None = None, fmt: Literal["mermaid", "svg"] = "mermaid") -> str:
        """A workflow's state machine drawn as Mermaid text or SVG; with `execution`, each state coloured by what it
        did there (orchestrator/control/drawing.py)."""
        if execution is not None:
            self._check_execution_arn(execution)
        # A workflow by its tag first, as every other command names it (a state machine's name need not hold it),
        # else an ARN, a state machine's name or a part of it (drawing.resolve).
        machine = self.workflows().get(workflow, workflow)
        with self._calls():
            return draw(self._client("stepfunctions"), machine, execution, fmt)

    def state_outcomes(self, execution: str) -> dict[str, str]:
        """What each state the execution visited did ("succeeded", "caught", "failed", "running", "aborted"), as
        `graph` colours them: for a picture drawn elsewhere (a DAG's dependency view, asl/dag/picture.py)."""
        self._check_execution_arn(execution)
        with self._calls():
            return outcomes(self._client("stepfunctions"), execution)
