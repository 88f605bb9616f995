"""The event and each target's input, as EventBridge builds them: pure functions of the event and the target.

moto 5.2.5 ignores a target's `Input` and `InputPath`; of `InputTransformer` it knows only `<aws.events.event.json>`
and `<aws.events.event.ingestion-time>`, and it `json.loads` the rendered template, so `<aws.events.rule-arn>` or a
string template that is not JSON fails PutEvents itself; and its default event has no `account`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from jsonpath_ng.jsonpath import JSONPath
from jsonpath_ng.parser import parse as parse_json_path

from orchestrator.local.delivery.retries import DeliveryFailure


def event_json(moto_event: Mapping[str, Any]) -> dict[str, Any]:
    """The event EventBridge sends, from moto's internal one (whose `time` is a unix number, with extra keys)."""
    event: dict[str, Any] = {
        "version": moto_event.get("version", "0"),
        "id": moto_event["id"],
        "detail-type": moto_event["detail-type"],
        "source": moto_event["source"],
        "account": moto_event.get("account", ""),
        "time": iso_time(moto_event.get("time")),
        "region": moto_event.get("region", ""),
        "resources": list(moto_event.get("resources") or []),
        "detail": moto_event.get("detail", {}),
    }
    if "replay-name" in moto_event:  # replayed events carry it on AWS too
        event["replay-name"] = moto_event["replay-name"]
    return event


def target_input(target: Mapping[str, Any], event: Mapping[str, Any], variables: Mapping[str, str]) -> str:
    """The text a target receives: the event, or what its Input, InputPath or InputTransformer make of it.

    `variables` are the transformer's predefined string variables (`aws.events.rule-arn`, `aws.events.rule-name`,
    `aws.events.event.ingestion-time`)."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath") is not None:
        return dumps(select(event, target["InputPath"]))
    transformer = target.get("InputTransformer")
    if transformer:
        return render_template(transformer["InputTemplate"], transformer.get("InputPathsMap") or {}, event, variables)
    return dumps(event)


def select(document: Any, path: str) -> Any:
    """A JSONPath of EventBridge's subset (dots, dashes, indices, wildcards): one value, a list, or None."""
    matches = [match.value for match in _json_path(path).find(document)]
    if "*" in path or len(matches) > 1:
        return matches
    return matches[0] if matches else None


_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_MISSING = object()


def render_template(
    template: str, paths: Mapping[str, str], event: Mapping[str, Any], variables: Mapping[str, str]
) -> str:
    """An InputTemplate with its placeholders filled, as EventBridge fills them.

    Inside a JSON string a value is inserted as string content (escaped); outside one, as JSON in a JSON template
    (a template that is a JSON object) and as plain text in a string template. `<aws.events.event>` (the event without
    `detail`) and `<aws.events.event.json>` are inserted as JSON, unescaped, as AWS documents. A variable whose path
    matches nothing "isn't created and doesn't appear in the output": empty text, or `null` where a JSON template
    needs a value. A placeholder that names no variable is left as it is."""
    values: dict[str, Any] = dict.fromkeys(paths, _MISSING)
    values.update({name: value for name, path in paths.items() if (value := select(event, path)) is not None})
    values.update(variables)
    raw = {
        "aws.events.event": dumps({key: value for key, value in event.items() if key != "detail"}),
        "aws.events.event.json": dumps(event),
    }
    json_template = template.lstrip().startswith("{")
    pieces: list[str] = []
    in_string = False
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        literal = template[position : match.start()]
        in_string = _inside_string_after(literal, in_string)
        pieces.append(literal)
        name = match.group(1)
        if name in raw:
            pieces.append(raw[name])
        elif name in values:
            pieces.append(_fill(values[name], in_string=in_string, json_template=json_template))
        else:
            pieces.append(match.group(0))
        position = match.end()
    rendered = "".join(pieces) + template[position:]
    if json_template:
        try:
            json.loads(rendered)
        except ValueError as error:
            raise DeliveryFailure("INVALID_JSON", f"the InputTemplate rendered invalid JSON: {error}") from error
    return rendered


def _fill(value: Any, *, in_string: bool, json_template: bool) -> str:
    if value is _MISSING:
        return "null" if json_template and not in_string else ""
    text = value if isinstance(value, str) else dumps(value)
    if in_string:
        return json.dumps(text, ensure_ascii=False)[1:-1]
    return dumps(value) if json_template else text


def _inside_string_after(text: str, in_string: bool) -> bool:
    """Whether a JSON string literal is open after `text`, given whether one was open before it."""
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and in_string:
            escaped = True
        elif char == '"':
            in_string = not in_string
    return in_string


@functools.lru_cache(maxsize=256)
def _json_path(path: str) -> JSONPath:
    return parse_json_path(path)


def dumps(value: Any) -> str:
    """Compact JSON, as EventBridge sends it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def iso_time(value: Any) -> str:
    """moto's event time (a unix number) as the ISO time EventBridge writes."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value or "")
