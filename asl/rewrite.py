"""Synth-time rewriting of a parsed ASL definition: find the branch holding a state, send its arrivals elsewhere.

Steps that wrap a state of a hand-written definition in generated states (asl/breaker_steps.py,
asl/pause_points.py) first find the states container holding it, then make everything that went to
the state go to their first generated state instead.
"""

from __future__ import annotations

from typing import Any


def branch_holding(definition: dict[str, Any], state_name: str) -> dict[str, Any] | None:
    """The states container (the definition, a Map's ItemProcessor or a Parallel branch) that has `state_name`."""
    if state_name in definition.get("States", {}):
        return definition
    for state in definition.get("States", {}).values():
        for inner in [state.get("ItemProcessor") or state.get("Iterator"), *state.get("Branches", [])]:
            if inner and (found := branch_holding(inner, state_name)) is not None:
                return found
    return None


def redirect(branch: dict[str, Any], target: str, to: str) -> None:
    """Every arrival at `target` in `branch` (StartAt, Next, a Choice rule or Default, a Catch's Next) arrives at
    `to` instead; `target`'s own transitions are left alone (a state looping to itself still does)."""
    if branch.get("StartAt") == target:
        branch["StartAt"] = to
    for name, state in branch["States"].items():
        if name == target:
            continue
        if state.get("Next") == target:
            state["Next"] = to
        for rule in state.get("Choices", []):
            if rule.get("Next") == target:
                rule["Next"] = to
        if state.get("Default") == target:
            state["Default"] = to
        for catcher in state.get("Catch", []):
            if catcher.get("Next") == target:
                catcher["Next"] = to
