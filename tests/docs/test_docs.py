"""The README stays a short front page whose links work, and the generated `orch` reference stays current.

The docs site's own links are checked by `make docs-check` (`mkdocs build --strict`, part of `make test`)."""

from __future__ import annotations

import importlib.util
import re
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
README_LIMIT_BYTES = 12_288
# Inline links and images `[text](target "title")`, and reference definitions `[label]: target`.
_INLINE = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.M)


@cache
def _generator() -> ModuleType:
    """docs/_gen/cli_reference.py, a script rather than a package module, loaded from its file."""
    name = "docs_gen_cli_reference"
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / "_gen" / "cli_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def _relative_links(markdown: str) -> list[str]:
    """Link targets that name a file of the repository: no scheme, no pure `#anchor`, no mail address."""
    without_code = re.sub(r"```.*?```", "", markdown, flags=re.S)
    targets = _INLINE.findall(without_code) + _REFERENCE.findall(without_code)
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t, re.I) and not t.startswith("#")]


def test_the_readme_is_short_and_says_how_to_run_the_demo_and_the_tests() -> None:
    text = README.read_text(encoding="utf-8")

    assert len(README.read_bytes()) <= README_LIMIT_BYTES, (
        f"README.md is {len(README.read_bytes())} bytes, over {README_LIMIT_BYTES}: move detail into docs/"
    )
    assert "make demo" in text
    assert "make test" in text
    assert "On a fresh machine with Python 3.11+ and" in text


def test_every_relative_link_of_the_readme_names_a_file_of_the_repository() -> None:
    links = _relative_links(README.read_text(encoding="utf-8"))

    assert any(link.startswith("docs/") for link in links), "the README links into the docs site"
    for link in links:
        target = (ROOT / link.split("#", 1)[0]).resolve()
        assert target.is_relative_to(ROOT), f"README.md links outside the repository: {link}"
        assert target.exists(), f"README.md links to a missing file: {link}"


def test_the_link_check_finds_broken_and_outside_links() -> None:
    links = _relative_links(
        "[a](docs/index.md#x) ![b](missing.png) [c](https://example.com) [d](#top) [e](../shared/DESIGN.md)\n"
        "```\n[f](in-a-code-block.md)\n```\n[g]: docs/cli.md\n"
    )

    assert links == ["docs/index.md#x", "missing.png", "../shared/DESIGN.md", "docs/cli.md"]
    assert not (ROOT / "missing.png").exists()
    assert not (ROOT / "../shared/DESIGN.md").resolve().is_relative_to(ROOT)


def test_the_committed_cli_reference_is_what_the_parsers_generate() -> None:
    from orchestrator.cli import build_parser

    generator = _generator()
    fresh = generator.render(build_parser())

    committed = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert committed == fresh, "docs/cli.md is stale: run `make docs` and commit docs/cli.md"


def test_the_cli_reference_has_a_section_and_a_usage_line_for_every_subcommand() -> None:
    from orchestrator.cli import build_parser

    generator = _generator()
    page = generator.render(build_parser())
    paths = [" ".join(command.path) for command in generator.commands(build_parser())]

    assert {"orch", "orch signal approval", "orch breakers force-open", "orch local up", "orch dag graph"} <= set(paths)
    for path in paths[1:]:
        assert re.search(rf"^#+ {re.escape(path)}$", page, re.M), f"no section for {path}"
        assert re.search(rf"^{re.escape(path)}( |$)", page, re.M), f"no usage line for {path}"
    assert "(--approve | --reject)" in page  # a required choice of one reads as argparse writes it
    assert "| `--weight PERCENT` | yes | 1..100 |" in page  # an option's row: metavar, required, help
