"""Fields of ASL that moto 5.2.5's grammar does not know, read all the same.

moto parses a definition with an ANTLR grammar (`asl/antlr/runtime/ASLParser.py`) that has no `ItemBatcher` in a Map
state and no `CSVDelimiter` in an ItemReader's `ReaderConfig`: CreateStateMachine refuses a definition that uses them
with InvalidDefinition, where AWS runs it (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html,
https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html).

So the parser (`AmazonStateLanguageParser.parse`, the seam; every parse goes through it: CreateStateMachine's
validation, each execution's program, a redrive) is given the definition without them, and each field taken out is
then handed, with the Map state component moto built where it was, to the code that acts on it (map_items.py). A
definition without such fields is parsed as written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import services as declared
from orchestrator.local.stepfunctions import map_items

Path = tuple[str | int, ...]  # state names, and the branch index after a Parallel state's name
Parse = Callable[[str], tuple[Any, Any]]


@dataclass(frozen=True)
class _Taken:
    path: Path  # of the Map state
    fields: dict[str, Any]  # by name (`ItemBatcher`, `CSVDelimiter`): the value taken out
    query_language: str  # of the Map state: JSONPath or JSONata


# Where each field sits in a Map state, as a path of keys below it.
_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "ItemBatcher": ("ItemBatcher",),
    "CSVDelimiter": ("ItemReader", "ReaderConfig", "CSVDelimiter"),
}


def bind_grammar_gaps(seam_set: SeamSet) -> None:
    """Binds the parse of the fields moto's grammar lacks into `seam_set` (parse time: the parse cache keys on it)."""

    def parsing_them_aside(original: Parse) -> Parse:
        def parse(definition: str) -> tuple[Any, Any]:
            try:
                document = json.loads(definition)
            except ValueError:
                return original(definition)  # moto's own error
            taken = list(_take_fields(document)) if isinstance(document, dict) else []
            if not taken:
                return original(definition)
            program, tree = original(json.dumps(document, ensure_ascii=False))
            for found in taken:
                map_items.attach(_component_at(program, found.path), found.fields, found.query_language, original)
            return program, tree

        return parse

    seam_set.wrap(declared.GRAMMAR_GAPS_PARSE, parsing_them_aside)


def _take_fields(definition: dict[str, Any]) -> Iterator[_Taken]:
    """Takes the fields of `_FIELDS` out of every Map state of `definition` (changed in place)."""
    top_language = definition.get("QueryLanguage", "JSONPath")
    for path, state in _map_states(definition.get("States", {}), ()):
        fields = {name: value for name, keys in _FIELDS.items() if (value := _pop(state, keys)) is not None}
        if fields:
            yield _Taken(path, fields, state.get("QueryLanguage", top_language))


def _map_states(states: Any, path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    for name, state in states.items() if isinstance(states, dict) else ():
        here = (*path, name)
        kind = state.get("Type") if isinstance(state, dict) else None
        if kind == "Map":
            yield here, state
            processor = state.get("ItemProcessor") or state.get("Iterator") or {}
            yield from _map_states(processor.get("States", {}), here)
        elif kind == "Parallel":
            for index, branch in enumerate(state.get("Branches", [])):
                yield from _map_states(branch.get("States", {}), (*here, index))


def _pop(state: dict[str, Any], keys: tuple[str, ...]) -> Any:
    *parents, last = keys
    owner: Any = state
    for key in parents:
        owner = owner.get(key) if isinstance(owner, dict) else None
    return owner.pop(last, None) if isinstance(owner, dict) else None


def _component_at(program: Any, path: Path) -> Any:
    """The state component moto built at `path` (the names and branch indexes `_map_states` gives)."""
    states, position = program.states.states, 0
    while True:
        component = states[path[position]]
        position += 1
        if position == len(path):
            return component
        step = path[position]
        if isinstance(step, int):  # a branch of a Parallel state
            states, position = component.branches.programs[step].states.states, position + 1
        else:  # the states of a Map state's ItemProcessor
            states = component.iteration_component._states.states
