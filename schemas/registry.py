"""Registry documents: the JSON Schema Draft 4 of each whole EventBridge event, generated from the models.

The documents live in `schemas/registry/<source>@<DetailType>/v<N>.json`, are committed, and are deployed as
`AWS::EventSchemas::Schema` resources. A committed document is the published contract of that version:
`generate` rewrites it only with a backward-compatible change (see `schemas.compatibility`); a breaking change
needs a new `SCHEMA_VERSION` on the model, which writes a new file and keeps the old one.

Usage: `python -m schemas.registry generate` (write) or `python -m schemas.registry check` (fail when stale or
broken; what the tests run).
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from schemas.catalog import event_types as all_event_types
from schemas.compatibility import BreakingChange, breaking_changes
from schemas.envelope import EventData, EventDetail, schema_name

REGISTRY_DIR = Path(__file__).parent / "registry"
DRAFT4 = "http://json-schema.org/draft-04/schema#"

# EventBridge's own envelope around `detail`, as delivered to targets.
_ENVELOPE_FIELDS: dict[str, dict[str, Any]] = {
    "version": {"type": "string"},
    "id": {"type": "string"},
    "account": {"type": "string"},
    "time": {"type": "string", "format": "date-time"},
    "region": {"type": "string"},
    "resources": {"type": "array", "items": {"type": "string"}},
}


def registry_document(event_type: type[EventData]) -> dict[str, Any]:
    """The Draft 4 document of the whole EventBridge event carrying `event_type`."""
    detail = _to_draft4(EventDetail[event_type].model_json_schema())  # type: ignore[valid-type]
    detail["title"] = f"{event_type.DETAIL_TYPE}Detail"
    # A document describes one version of the contract: pin it, so an event of another version does not pass.
    detail["properties"]["metadata"]["properties"]["schema_version"] = {
        "type": "integer",
        "enum": [event_type.SCHEMA_VERSION],
    }
    return {
        "$schema": DRAFT4,
        "title": event_type.DETAIL_TYPE,
        "description": event_type.DESCRIPTION,
        "type": "object",
        "required": ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"],
        "properties": {
            **_ENVELOPE_FIELDS,
            "detail-type": {"type": "string", "enum": [event_type.DETAIL_TYPE]},
            "source": {"type": "string", "enum": [event_type.SOURCE]},
            "detail": detail,
        },
    }


def document_path(event_type: type[EventData], version: int | None = None) -> Path:
    """Where the document of `event_type` at `version` (default: the model's) is committed."""
    return REGISTRY_DIR / schema_name(event_type) / f"v{version or event_type.SCHEMA_VERSION}.json"


def render(document: Mapping[str, Any]) -> str:
    """The committed text of a document: stable, so a stale file shows up as a text difference."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def published_documents(registry_dir: Path = REGISTRY_DIR) -> Iterable[tuple[str, int, dict[str, Any]]]:
    """Every committed document as (schema name, version, document), in name and version order."""
    for path in sorted(registry_dir.glob("*/v*.json"), key=lambda p: (p.parent.name, int(p.stem[1:]))):
        yield path.parent.name, int(path.stem[1:]), json.loads(path.read_text(encoding="utf-8"))


def _breaking_against_published(event_type: type[EventData], candidate: Mapping[str, Any]) -> list[BreakingChange]:
    """Breaking changes of `candidate` against the committed document of the same version (none if unpublished)."""
    path = document_path(event_type)
    if not path.exists():
        return []
    label = f"{schema_name(event_type)} v{event_type.SCHEMA_VERSION}"
    return breaking_changes(label, json.loads(path.read_text(encoding="utf-8")), candidate)


def problems(event_types: Iterable[type[EventData]] | None = None) -> tuple[list[BreakingChange], list[str]]:
    """Breaking changes against the published documents, and documents that are missing or stale."""
    breaking: list[BreakingChange] = []
    stale: list[str] = []
    for event_type in all_event_types() if event_types is None else event_types:
        path = document_path(event_type)
        candidate = registry_document(event_type)
        breaking.extend(_breaking_against_published(event_type, candidate))
        if not path.exists():
            stale.append(f"{path.relative_to(REGISTRY_DIR.parent)} is missing")
        elif path.read_text(encoding="utf-8") != render(candidate):
            stale.append(f"{path.relative_to(REGISTRY_DIR.parent)} is stale")
    return breaking, stale


def generate(event_types: Iterable[type[EventData]] | None = None) -> list[BreakingChange]:
    """Writes every document whose change is compatible; returns the breaking changes it refused to write."""
    refused: list[BreakingChange] = []
    for event_type in all_event_types() if event_types is None else event_types:
        candidate = registry_document(event_type)
        found = _breaking_against_published(event_type, candidate)
        if found:
            refused.extend(found)
            continue
        path = document_path(event_type)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(candidate), encoding="utf-8")
    return refused


def _to_draft4(schema: dict[str, Any]) -> dict[str, Any]:
    """Pydantic emits JSON Schema 2020-12 with `$defs`; the registry takes Draft 4: inline refs, rewrite keywords."""
    definitions = schema.get("$defs", {})

    def convert(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [convert(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name in seen:
                raise ValueError(f"recursive model {name} cannot be inlined into a Draft 4 document")
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            return convert({**copy.deepcopy(definitions[name]), **siblings}, (*seen, name))
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$defs":
                continue
            if key == "const":
                out["enum"] = [value]
            elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
                out["minimum" if key == "exclusiveMinimum" else "maximum"] = value
                out[key] = True
            elif key in ("properties", "patternProperties"):
                out[key] = {name: convert(sub, seen) for name, sub in value.items()}
            else:
                out[key] = convert(value, seen)
        return out

    converted: dict[str, Any] = convert(schema, ())
    return converted


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "generate":
        refused = generate()
        for change in refused:
            print(f"refused: {change}", file=sys.stderr)
        if refused:
            print("A breaking change needs a new SCHEMA_VERSION on the model.", file=sys.stderr)
        return 1 if refused else 0
    if command == "check":
        breaking, stale = problems()
        for change in breaking:
            print(f"breaking: {change}", file=sys.stderr)
        for line in stale:
            print(f"{line}: run `make schemas`", file=sys.stderr)
        return 1 if breaking or stale else 0
    print("usage: python -m schemas.registry [generate|check]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
