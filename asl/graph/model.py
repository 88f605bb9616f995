"""The model both pictures are drawn from: a state machine's definition read into frames of states (the top level,
a Map's iteration, a Parallel's branch), one node per state and one edge per transition: `Next`, each Choice rule
(labelled with a short form of its condition) and the `Default`, each Catch (dashed, labelled with its errors), `End`
(to the End marker of the top level). JSONata and JSONPath definitions alike. Node ids are made from the names (`s_` +
the name's word characters, numbered on a clash), so a name Mermaid dislikes stays a label only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

START: Final = "__start__"
END: Final = "__end__"
LABEL_CHARS: Final = 36  # a condition longer than this is cut, with an ellipsis


@dataclass(frozen=True)
class Node:
    id: str
    name: str  # the state's name; "Start" / "End" for the markers
    kind: str  # the state's Type, or "Start" / "End"
    detail: str = ""  # a second line: the resource, the wait, the retry
    frames: tuple[Frame, ...] = ()  # a Map's iteration, a Parallel's branches


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    dashed: bool = False  # a Catch


@dataclass(frozen=True)
class Frame:
    """States that run one after the other, in the order met from `StartAt`."""

    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


def chart(definition: Mapping[str, Any]) -> Frame:
    """The definition's top level, with Start and End markers."""
    return _Charter().frame("", definition, top=True)


@dataclass
class _Charter:
    ids: set[str] = field(default_factory=set)

    def frame(self, title: str, machine: Mapping[str, Any], *, top: bool = False) -> Frame:
        states: Mapping[str, Mapping[str, Any]] = machine.get("States", {})
        query_language = str(machine.get("QueryLanguage", "JSONPath"))
        names = _reachable_first(str(machine.get("StartAt", "")), states)
        ids = {name: self._id(name) for name in names}
        nodes: list[Node] = []
        edges: list[Edge] = []
        if top:
            nodes.append(Node(START, "Start", "Start"))
            if machine.get("StartAt") in ids:
                edges.append(Edge(START, ids[str(machine["StartAt"])]))
        for name in names:
            state = states[name]
            language = str(state.get("QueryLanguage", query_language))
            nodes.append(Node(ids[name], name, str(state.get("Type", "")), _detail(state), self._frames(name, state)))
            for target, label, dashed in _transitions(state, language):
                if target in ids:
                    edges.append(Edge(ids[name], ids[target], label, dashed))
                elif target == END and top:
                    edges.append(Edge(ids[name], END, label, dashed))
        if top:
            nodes.append(Node(END, "End", "End"))
        return Frame(title, tuple(nodes), tuple(edges))

    def _frames(self, name: str, state: Mapping[str, Any]) -> tuple[Frame, ...]:
        processor = state.get("ItemProcessor") or state.get("Iterator")
        language = state.get("QueryLanguage")
        if processor is not None:
            return (self.frame("", _inherit(processor, language)),)
        branches = state.get("Branches", [])
        return tuple(self.frame(f"branch {i}", _inherit(b, language)) for i, b in enumerate(branches, 1))

    def _id(self, name: str) -> str:
        base = "s_" + (re.sub(r"\W", "_", name, flags=re.ASCII) or "_")
        made, n = base, 1
        while made in self.ids:
            n += 1
            made = f"{base}_{n}"
        self.ids.add(made)
        return made


def _inherit(machine: Mapping[str, Any], language: Any) -> Mapping[str, Any]:
    return machine if language is None or "QueryLanguage" in machine else {**machine, "QueryLanguage": language}


def _reachable_first(start: str, states: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """State names in the order a reader follows them from StartAt (depth first, Next before Choice rules before
    Catches); states nothing reaches come last, in the file's order."""
    seen: list[str] = []
    stack = [start]
    while stack:
        name = stack.pop()
        if name in seen or name not in states:
            continue
        seen.append(name)
        stack.extend(reversed([target for target, _, _ in _transitions(states[name], "JSONata")]))
    return seen + [name for name in states if name not in seen]


def _transitions(state: Mapping[str, Any], language: str) -> list[tuple[str, str, bool]]:
    """(target, label, dashed) of each way out of the state; target `END` for End."""
    out: list[tuple[str, str, bool]] = []
    if "Next" in state:
        out.append((str(state["Next"]), "", False))
    if state.get("End") or state.get("Type") in ("Succeed", "Fail"):
        out.append((END, "", False))
    for rule in state.get("Choices", []):
        out.append((str(rule.get("Next", "")), _condition(rule, language), False))
    if "Default" in state:
        out.append((str(state["Default"]), "Default", False))
    for catcher in state.get("Catch", []):
        out.append((str(catcher.get("Next", "")), ", ".join(catcher.get("ErrorEquals", [])), True))
    return out


_COMPARISONS: Final[dict[str, str]] = {
    "Equals": "==",
    "LessThan": "<",
    "GreaterThan": ">",
    "LessThanEquals": "<=",
    "GreaterThanEquals": ">=",
    "Matches": "matches",
}


_COMPARISON: Final = re.compile(r"(?:String|Numeric|Boolean|Timestamp)(" + "|".join(_COMPARISONS) + r")(Path)?")


def _condition(rule: Mapping[str, Any], language: str) -> str:
    if "Condition" in rule:  # JSONata
        text = str(rule["Condition"]).strip().removeprefix("{%").removesuffix("%}")
        return _short(" ".join(text.replace("$states.input.", "$.").split()))
    del language  # a JSONPath rule says what it is by its keys
    return _short(_jsonpath_rule(rule))


def _jsonpath_rule(rule: Mapping[str, Any]) -> str:
    if "And" in rule or "Or" in rule:
        word = "and" if "And" in rule else "or"
        return f" {word} ".join(f"({_jsonpath_rule(r)})" for r in rule.get("And", rule.get("Or", [])))
    if "Not" in rule:
        return f"not ({_jsonpath_rule(rule['Not'])})"
    variable = str(rule.get("Variable", "?"))
    for key, value in rule.items():
        if key.startswith("Is"):  # IsPresent, IsNull, IsString, ...
            return f"{variable} {key[2:].lower()}" if value else f"{variable} not {key[2:].lower()}"
        if comparison := _COMPARISON.fullmatch(key):
            shown = value if comparison[2] else json.dumps(value)
            return f"{variable} {_COMPARISONS[comparison[1]]} {shown}"
    return variable


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _detail(state: Mapping[str, Any]) -> str:
    kind = str(state.get("Type", ""))
    parts = []
    if kind == "Task":
        parts.append(_resource(str(state.get("Resource", ""))))
    elif kind == "Wait":
        parts.append(_wait(state))
    elif kind == "Fail" and state.get("Error"):
        parts.append(str(state["Error"]))
    if state.get("Retry"):
        attempts = max(int(r.get("MaxAttempts", 3)) for r in state["Retry"])
        parts.append(f"retry ×{attempts}")
    return " · ".join(p for p in parts if p)


def _resource(resource: str) -> str:
    """The service call, not the ARN: `lambda:invoke`, `events:putEvents.waitForTaskToken`, `lambda MyFunction`."""
    if ":::" in resource:
        return resource.split(":::", 1)[1]
    if ":function:" in resource:
        return "lambda " + resource.split(":function:", 1)[1]
    return resource.rsplit(":", 1)[-1]


def _wait(state: Mapping[str, Any]) -> str:
    for key in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath"):
        if key in state:
            value = state[key]
            return f"{value} s" if key == "Seconds" and isinstance(value, int) else f"{key} {_short(str(value))}"
    return ""


def label(node: Node) -> list[str]:
    """The lines a node is labelled with: its name, then its kind (a Task's goes without saying) and detail."""
    kind = "" if node.kind in ("Task", "Start", "End") else node.kind
    second = " · ".join(p for p in (kind, node.detail) if p)
    return [node.name, second] if second else [node.name]
