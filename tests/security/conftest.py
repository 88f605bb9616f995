"""The security tests read every stack the app synthesizes (the session's one synth), the Control stack included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def all_templates(assembly_dir: Path) -> dict[str, dict[str, Any]]:
    """Every stack's template, by stack name."""
    return {
        path.name.removesuffix(".template.json"): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(assembly_dir.glob("*.template.json"))
    }
