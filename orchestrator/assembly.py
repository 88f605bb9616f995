"""Reads a synthesized cloud assembly (`cdk.out`): its stacks, their templates and the asset folders."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

# The project's files a synth reads (the CDK app, its config, the definitions, and the code and contracts the Lambda
# asset ships), under the root of this installation: what `synthesize` builds from.
PROJECT_ROOT: Final = Path(__file__).resolve().parents[1]
SYNTH_SOURCES: Final = ("app.py", "cdk.json", "config", "infra", "asl", "functions", "schemas", "state_machines")
_NOT_SOURCES: Final = ("__pycache__",)


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


def changed_since_synth(directory: Path, root: Path = PROJECT_ROOT) -> list[Path]:
    """The files of the app under `root` changed after the assembly in `directory` was synthesized, newest first:
    an assembly older than its files runs the app as it was (a workflow's first state of then, say), not as it is.
    Empty when there is no assembly. Modification times, as make compares them."""
    manifest = directory / "manifest.json"
    if not manifest.is_file():
        return []
    synthesized = manifest.stat().st_mtime
    changed = [path for path in _synth_sources(root) if path.stat().st_mtime > synthesized]
    return sorted(changed, key=lambda path: path.stat().st_mtime, reverse=True)


def _synth_sources(root: Path) -> Iterator[Path]:
    for name in SYNTH_SOURCES:
        top = root / name
        if top.is_file():
            yield top
        elif top.is_dir():
            for path in top.rglob("*"):
                if path.is_file() and not set(_NOT_SOURCES) & set(path.relative_to(root).parts):
                    yield path


def synthesize(stage: str, outdir: Path) -> CloudAssembly:
    """Builds and synthesizes the stage's app into `outdir` (cdk-nag runs; a finding stops here)."""
    from infra.app import build_app  # imported here: loading the CDK starts its Node runtime

    app, _ = build_app(stage, str(outdir))
    app.synth()
    return CloudAssembly(outdir)
