"""A small secret scanner: AWS access key ids, AWS secret keys, private keys, and tokens of the common providers, in
the git-tracked files and the synthesized templates.

Patterns match the shape of real credentials (an AWS key id is `AKIA` / `ASIA` and 16 upper-case characters; a
secret key is 40 base64 characters assigned to something called secret). A value a test needs that looks like one
(none today) goes in tests/security/secrets_allowlist.txt: one `path<TAB>the matched text<TAB>why` a line.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWLIST = Path(__file__).with_name("secrets_allowlist.txt")

PATTERNS: dict[str, re.Pattern[str]] = {
    "AWS access key id": re.compile(
        r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}(?![A-Z0-9])"
    ),
    "AWS secret access key": re.compile(
        r"(?i)(?:aws)?_?secret(?:_access)?_?key[\"']?\s*[:=]\s*[\"']?(?P<value>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
    ),
    "private key": re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY(?: BLOCK)?-----"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    "API key (sk-)": re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{32,}\b"),
    "password or token": re.compile(
        r"(?i)(?:password|passwd|api_?key|client_secret|auth_token|bearer)\b[\"']?\s*[:=]\s*[\"']"
        r"(?P<value>[^\"'\s]{12,})[\"']"
    ),
}

# Files that are not ours to scan: binary content, or generated lock data with hashes that look random.
_SKIPPED_SUFFIXES = (".png", ".jpg", ".gif", ".ico", ".zip", ".gz", ".pdf", ".whl")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}: {self.text[:12]}..."


def scan_text(path: str, text: str) -> Iterator[Finding]:
    """Every credential-shaped string in `text`."""
    for number, line in enumerate(text.splitlines(), start=1):
        for kind, pattern in PATTERNS.items():
            for match in pattern.finditer(line):
                yield Finding(path, number, kind, match.group("value") if "value" in pattern.groupindex else match[0])


def scan_files(paths: Iterable[Path], root: Path = ROOT) -> list[Finding]:
    """Findings in the files at `paths`, less the allow-listed ones."""
    allowed = allowlist()
    found = []
    for path in paths:
        if path.suffix in _SKIPPED_SUFFIXES or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        relative = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        found += [f for f in scan_text(relative, text) if (f.path, f.text) not in allowed]
    return found


def tracked_files(root: Path = ROOT) -> list[Path]:
    """The files git tracks (what a clone would publish); the working tree's files when there is no git."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True, text=True
        ).stdout.split("\0")
    except (OSError, subprocess.CalledProcessError):
        ignored = {".git", ".venv", "cdk.out", "node_modules", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
        return [p for p in root.rglob("*") if p.is_file() and not ignored & set(p.relative_to(root).parts)]
    return [root / name for name in listed if name]


def allowlist() -> set[tuple[str, str]]:
    """(path, matched text) pairs a person has looked at and found not to be secrets."""
    if not ALLOWLIST.exists():
        return set()
    entries = set()
    for line in ALLOWLIST.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            path, text, _why = line.split("\t", 2)
            entries.add((path, text))
    return entries
