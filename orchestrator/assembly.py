"""Reads a synthesized cloud assembly (`cdk.out`): its stacks, their templates and the asset folders."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class StackTemplate:
    name: str
    template: dict[str, Any]

    def resources(self, resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(logical id, properties) of every resource of `resource_type`, in template order."""
        for logical_id, resource in self.template.get("Resources", {}).items():
            if resource["Type"] == resource_type:
                yield logical_id, resource.get("Properties", {})


class CloudAssembly:
    """A `cdk.out` folder as the CDK wrote it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        manifest_path = directory / "manifest.json"
        if not manifest_path.exists():
            raise FileNotFoundError(f"{directory} is not a cloud assembly (no manifest.json): run `make synth`")
        self.manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))

    def stacks(self) -> list[StackTemplate]:
        """Every CloudFormation stack of the assembly, in the manifest's order."""
        found = []
        for name, artifact in self.manifest.get("artifacts", {}).items():
            if artifact.get("type") != "aws:cloudformation:stack":
                continue
            template_file = self.directory / artifact["properties"]["templateFile"]
            found.append(StackTemplate(name, json.loads(template_file.read_text(encoding="utf-8"))))
        return found


def synthesize(stage: str, outdir: Path) -> CloudAssembly:
    """Builds and synthesizes the stage's app into `outdir` (cdk-nag runs; a finding stops here)."""
    from infra.app import build_app  # imported here: loading the CDK starts its Node runtime

    app, _ = build_app(stage, str(outdir))
    app.synth()
    return CloudAssembly(outdir)
