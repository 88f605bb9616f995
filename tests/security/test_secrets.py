"""No secret values in the repository or the synthesized templates; the scanner proven on planted ones."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from tests.security.secrets import ROOT, Finding, scan_files, scan_text, tracked_files

# Credential-shaped values, put together at run time so that this file itself holds none. The secret is AWS's own
# documentation example; the key id is made up.
KEY_ID = "AKIA" + "QWERTYUIOPASDFGH"
SECRET = "wJalrXUtnFEMI/K7MDENG" + "/bPxRfiCYEXAMPLEKEY"
PRIVATE_KEY = "-----BEGIN " + "RSA PRIVATE KEY-----"
PASSWORD = "correct-" + "horse-battery-staple"


def test_no_tracked_file_holds_a_secret() -> None:
    files = tracked_files()
    assert len(files) > 100 and ROOT / "README.md" in files  # it scanned the repository, not nothing
    assert [str(f) for f in scan_files(files)] == []


def test_no_template_holds_a_secret(assembly_dir: Path) -> None:
    templates = sorted(assembly_dir.glob("*.template.json"))
    assert templates
    assert [str(f) for f in scan_files(templates, root=assembly_dir)] == []


def test_the_scanner_finds_planted_secrets(tmp_path: Path) -> None:
    planted = tmp_path / "settings.py"
    planted.write_text(
        f'ACCESS_KEY_ID = "{KEY_ID}"\naws_secret_access_key = "{SECRET}"\nKEY = """{PRIVATE_KEY}\n"""\n'
        f'DB_PASSWORD = "{PASSWORD}"\n',
        encoding="utf-8",
    )
    found = scan_files([planted], root=tmp_path)
    assert [(f.path, f.line, f.kind) for f in found] == [
        ("settings.py", 1, "AWS access key id"),
        ("settings.py", 2, "AWS secret access key"),
        ("settings.py", 3, "private key"),
        ("settings.py", 5, "password or token"),
    ]


def test_a_key_put_in_a_function_environment_is_found(assembly_dir: Path) -> None:
    path = assembly_dir / "Orchestrator-dev-Ingestion.template.json"
    template: dict[str, Any] = copy.deepcopy(json.loads(path.read_text(encoding="utf-8")))
    function = next(r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    function["Properties"]["Environment"]["Variables"].update({"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_KEY": SECRET})
    found = list(scan_text("widened.template.json", json.dumps(template, indent=1)))
    assert {f.kind for f in found} == {"AWS access key id", "AWS secret access key"}
    assert all(isinstance(f, Finding) and f.text in (KEY_ID, SECRET) for f in found)
