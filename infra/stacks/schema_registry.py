"""Schema registry: one `AWS::EventSchemas::Schema` per event type and published version.

The documents are the committed files in `schemas/registry/<source>@<DetailType>/v<N>.json`, generated from the
pydantic models by `make schemas`. This stack reads files only; it never imports the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_eventschemas as eventschemas
from constructs import Construct

from schemas.stages import StageConfig

REGISTRY_DIR = Path(__file__).resolve().parents[2] / "schemas" / "registry"


def published_schema_files(registry_dir: Path = REGISTRY_DIR) -> list[tuple[str, int, Path]]:
    """(schema name, version, file) of every committed document, in a stable order."""
    found = [(p.parent.name, int(p.stem[1:]), p) for p in registry_dir.glob("*/v*.json")]
    return sorted(found)


class SchemaRegistryStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.registry = eventschemas.CfnRegistry(
            self,
            "Registry",
            registry_name=f"orchestrator-{config.stage}",
            description="Event contracts of the orchestrator, generated from its pydantic models",
        )
        self.schemas: list[eventschemas.CfnSchema] = []
        for name, version, path in published_schema_files():
            document = json.loads(path.read_text(encoding="utf-8"))
            schema = eventschemas.CfnSchema(
                self,
                f"{name.replace('@', '-').replace('.', '-')}-v{version}",
                registry_name=self.registry.attr_registry_name,
                schema_name=f"{name}-v{version}",
                type="JSONSchemaDraft4",
                content=json.dumps(document, separators=(",", ":")),
                description=document.get("description") or None,
            )
            self.schemas.append(schema)
        CfnOutput(self, "RegistryName", value=self.registry.attr_registry_name)
