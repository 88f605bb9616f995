"""A Map state's items read and batched as AWS does, where moto 5.2.5's grammar lacks the fields (grammar_gaps.py
takes them out of the definition and hands them to `attach`; the seams are declared in
orchestrator/local/seams/services.py).

- `ReaderConfig.CSVDelimiter` (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html):
  COMMA (the default), PIPE, SEMICOLON, SPACE or TAB separate a CSV object's fields. moto reads every CSV with a
  comma (`transformer_csv.py`); the rows read with the delimiter are handed to it as comma-separated text, quoting
  kept, so the rest of its reading (headers, MaxItems) is moto's.
- `ItemBatcher` (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html), in a
  Distributed Map state: the items, each through ItemSelector first, are grouped into batches of at most
  `MaxItemsPerBatch` items and `MaxInputBytesPerBatch` bytes (or their `Path`, or JSONata, values), and each child
  execution gets `{"Items": [...]}`, with `"BatchInput"` (evaluated as a payload template) when the batcher has one.
  Its settings are evaluated by a Pass state moto parses from them, so templates and paths are read as moto reads
  any other field.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Callable
from typing import Any, Final

from orchestrator.local import seams
from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import services as declared
from orchestrator.local.stepfunctions.context import item_source

DELIMITERS: Final[dict[str, str]] = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}
_LIMITS: Final[tuple[str, ...]] = ("MaxItemsPerBatch", "MaxInputBytesPerBatch")
_BATCHER_FIELDS: Final[frozenset[str]] = frozenset({"BatchInput", *_LIMITS, *(f"{limit}Path" for limit in _LIMITS)})
_DISTRIBUTED: Final[str] = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component"
    ".DistributedIterationComponent"
)
# Set on moto's components when a definition is parsed (kept with the parsed program).
_DELIMITER_ATTRIBUTE: Final[str] = "local_csv_delimiter"  # on an ItemReader's CSV transformer
_BATCHER_ATTRIBUTE: Final[str] = "local_item_batcher"  # on a Distributed Map's iteration component


def attach(state_map: Any, fields: dict[str, Any], query_language: str, parse: Callable[[str], Any]) -> None:
    """Sets the fields grammar_gaps.py took out of `state_map` on the components that act on them; raises ValueError
    for a field AWS would refuse (CreateStateMachine answers InvalidDefinition). `parse`: moto's parser."""
    if "CSVDelimiter" in fields:
        transformer = getattr(state_map.item_reader, "resource_output_transformer", None)
        if fields["CSVDelimiter"] not in DELIMITERS or transformer is None:
            raise ValueError(f"CSVDelimiter must be one of {', '.join(DELIMITERS)} in a CSV ReaderConfig")
        setattr(transformer, _DELIMITER_ATTRIBUTE, DELIMITERS[fields["CSVDelimiter"]])
    if "ItemBatcher" in fields:
        if not isinstance(state_map.iteration_component, seams.read(_DISTRIBUTED)):
            raise ValueError("ItemBatcher is valid in a Map state whose ItemProcessor's Mode is DISTRIBUTED only")
        batcher = _settings_template(fields["ItemBatcher"], query_language, parse)
        setattr(state_map.iteration_component, _BATCHER_ATTRIBUTE, batcher)


def _settings_template(batcher: Any, query_language: str, parse: Callable[[str], Any]) -> Any:
    """The ItemBatcher's settings as a component that evaluates them: the Parameters (JSONPath) or Output (JSONata)
    of a Pass state moto parses."""
    if not isinstance(batcher, dict) or not set(batcher) <= _BATCHER_FIELDS:
        raise ValueError(f"ItemBatcher takes only {', '.join(sorted(_BATCHER_FIELDS))}")
    if not any(name.startswith(_LIMITS) for name in batcher):
        raise ValueError("ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch (or their Path)")
    jsonata = query_language == "JSONata"
    if jsonata and any(name.endswith("Path") for name in batcher):
        raise ValueError("ItemBatcher's Path fields are JSONPath only: JSONata writes {% %} in the field itself")
    settings = {(f"{name[:-4]}.$" if name.endswith("Path") else name): value for name, value in batcher.items()}
    field = "Output" if jsonata else "Parameters"
    program, _ = parse(
        json.dumps(
            {
                "QueryLanguage": query_language,
                "StartAt": "ItemBatcher",
                "States": {"ItemBatcher": {"Type": "Pass", field: settings, "End": True}},
            }
        )
    )
    state = program.states.states["ItemBatcher"]
    return state.output.jsonata_template_value if jsonata else state.parameters


def bind_map_items(seam_set: SeamSet) -> None:
    """Binds the CSVDelimiter and ItemBatcher evaluation into `seam_set`."""

    def reading_with_the_delimiter(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        def eval_body(transformer: Any, env: Any) -> None:
            delimiter = getattr(transformer, _DELIMITER_ATTRIBUTE, ",")
            if delimiter != ",":  # the stack holds the object's text, then the reader's config
                env.stack[-2] = _as_comma_separated(env.stack[-2], delimiter)
            original(transformer, env)

        return eval_body

    def batching(original: Callable[[Any, Any, Any], None]) -> Callable[[Any, Any, Any], None]:
        def map_run(component: Any, env: Any, eval_input: Any) -> None:
            template = getattr(component, _BATCHER_ATTRIBUTE, None)
            if template is None:
                original(component, env, eval_input)
                return
            items, state_input = env.stack.pop(), env.states.get_input()
            selector = eval_input.item_selector or eval_input.parameters
            if selector is not None:
                source = item_source(env, from_reader=eval_input.item_reader is not None)
                items = [
                    _evaluated(env, selector, state_input, {"Index": index, "Value": item, "Source": source})
                    for index, item in enumerate(items)
                ]
            batched = copy.copy(eval_input)
            batched.item_selector = batched.parameters = None  # each item went through it already
            env.stack.append(batches(items, _evaluated(env, template, state_input)))
            original(component, env, batched)

        return map_run

    seam_set.wrap(declared.CSV_DELIMITER, reading_with_the_delimiter)
    seam_set.wrap(declared.ITEM_BATCHER, batching)


def _as_comma_separated(text: str, delimiter: str) -> str:
    written = io.StringIO()
    csv.writer(written, lineterminator="\n").writerows(csv.reader(io.StringIO(text), delimiter=delimiter))
    return written.getvalue()


def _evaluated(env: Any, template: Any, state_input: Any, item: dict[str, Any] | None = None) -> Any:
    """`template` evaluated on the Map state's input (with `$$.Map.Item` = `item`), in a frame of its own."""
    frame = env.open_inner_frame()
    try:
        if item is not None:
            frame.states.context_object.context_object_data["Map"] = {"Item": item}
        frame.states.reset(input_value=state_input)
        frame.stack.append(frame.states.get_input())
        template.eval(frame)
        return frame.stack.pop()
    finally:
        env.delete_frame(frame)


def batches(items: list[Any], settings: dict[str, Any]) -> list[dict[str, Any]]:
    """The child inputs of `items` batched by the evaluated ItemBatcher `settings`: `{"Items": [...]}`, with
    `"BatchInput"` when there is one. A batch holds at least one item, whatever its size."""
    max_items, max_bytes = (_positive(settings, limit) for limit in _LIMITS)
    extra = {"BatchInput": settings["BatchInput"]} if "BatchInput" in settings else {}
    empty_size = _size({**extra, "Items": []})
    children: list[dict[str, Any]] = []
    current: list[Any] = []
    size = empty_size
    for item in items:
        item_size = _size(item) + (1 if current else 0)  # the comma before it
        if current and (
            (max_items is not None and len(current) >= max_items)
            or (max_bytes is not None and size + item_size > max_bytes)
        ):
            children.append({**extra, "Items": current})
            current, size, item_size = [], empty_size, item_size - 1
        current.append(item)
        size += item_size
    if current:
        children.append({**extra, "Items": current})
    return children


def _positive(settings: dict[str, Any], name: str) -> int | None:
    value = settings.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 1 or value != int(value):
        raise ValueError(f"ItemBatcher's {name} must be a positive integer, not {value!r}")
    return int(value)


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
