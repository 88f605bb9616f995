"""The layers of docs/architecture.md, enforced: every import of a project module, at module level or inside a
function, goes down the table below, never up or sideways.

A unit is a package or module prefix; a module belongs to the longest unit that prefixes it. A unit may import
itself and the units it lists. Imports inside functions are checked like the others and, besides, must be listed
in `LAZY_IMPORTS` with the reason they are lazy (a slow import kept off a path that does not need it), so that no
import hides a loop.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("schemas", "asl", "functions", "infra", "orchestrator", "bench", "app")
SCANNED = ("app.py", "schemas", "asl", "functions", "infra", "orchestrator", "bench")

_CONTRACTS = {"schemas"}
_ASL = {*_CONTRACTS, "asl"}
_LAMBDA = {*_ASL, "functions"}
_CONTROL = {*_LAMBDA, "orchestrator.control"}

# unit -> the units it may import (besides itself). Bottom to top.
ALLOWED: dict[str, set[str]] = {
    # Contracts: event models, table key layouts, the stage settings model.
    "schemas": set(),
    # Pure ASL tooling (DAG compiler, ASL rewrites, history reading, charts): no CDK, no boto3.
    "asl": _CONTRACTS,
    # Lambda code, and the CDK app (which names handlers as strings, never imports them).
    "functions": _ASL,
    "infra": _ASL,
    "app": {*_ASL, "infra"},
    # The control-plane library, and its Lambda adapter (the HTTP API's handler).
    "orchestrator.control": _LAMBDA,
    "functions.control_api": _CONTROL,
    # Tooling on top: the synthesized assembly, the local runtime, replay, the demo, the CLI, benchmarks.
    "orchestrator.assembly": {*_ASL, "infra"},
    "orchestrator.local": {*_LAMBDA, "infra", "orchestrator.assembly"},
    "orchestrator.replay": {*_CONTROL, "infra", "orchestrator.assembly", "orchestrator.local"},
    "orchestrator.demo": {*_CONTROL, "infra", "orchestrator.assembly", "orchestrator.local"},
    # `orch new`'s writers: the extension conventions (infra/extensions.py, pure) and the ASL they write.
    "orchestrator.scaffold": {*_ASL, "infra"},
    # The web console: the control plane's pages and actions, nothing of the runtime it shows.
    "orchestrator.console": _CONTROL,
    "orchestrator.cli": {
        *_CONTROL,
        "infra",
        "orchestrator.scaffold",
        "orchestrator.assembly",
        "orchestrator.local",
        "orchestrator.replay",
        "orchestrator.demo",
        "orchestrator.console",
    },
    "orchestrator": set(),  # the bare package: a docstring
}
ALLOWED["bench"] = {unit for unit in ALLOWED if unit != "app"}

# (module, imported unit) -> why the import is inside a function.
LAZY_IMPORTS: dict[tuple[str, str], str] = {
    ("orchestrator.assembly", "infra"): "loading the CDK starts its Node runtime (seconds): only a synth pays for it",
}


def unit_of(module: str) -> str | None:
    """The longest unit of ALLOWED that prefixes `module`, or None for a module outside the project."""
    if module.split(".")[0] not in PROJECT_PACKAGES:
        return None
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        candidate = ".".join(parts[:size])
        if candidate in ALLOWED:
            return candidate
    raise AssertionError(f"{module} belongs to no unit of the layer table: add it to ALLOWED")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        yield ".".join([*base, node.module] if node.module else base)
    elif node.module:
        yield node.module


def project_imports() -> Iterator[tuple[str, str, int, bool]]:
    """(importing module, imported module, line, inside a function) for every import of a project module."""
    for top in SCANNED:
        path = ROOT / top
        for file in [path] if path.is_file() else sorted(path.rglob("*.py")):
            module = _module_name(file)
            tree = ast.parse(file.read_text(encoding="utf-8"))
            nested = {
                id(inner)
                for fn in ast.walk(tree)
                if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
                for inner in ast.walk(fn)
            }
            for node in ast.walk(tree):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    for name in _imported(node, module, file.name == "__init__.py"):
                        if name.split(".")[0] in PROJECT_PACKAGES:
                            yield module, name, node.lineno, id(node) in nested


def test_the_table_has_no_loop() -> None:
    try:
        order = list(TopologicalSorter(ALLOWED).static_order())
    except CycleError as error:
        pytest.fail(f"the layer table has a loop: {error.args[1]}")
    assert order.index("schemas") < order.index("asl") < order.index("infra") < order.index("orchestrator.cli")


def violations(imports: Iterator[tuple[str, str, int, bool]]) -> list[str]:
    """Each import against the table, as `module:line imports name (why not)`."""
    wrong = []
    for module, name, line, _ in imports:
        source, target = unit_of(module), unit_of(name)
        assert source is not None and target is not None
        if source != target and target not in ALLOWED[source]:
            wrong.append(f"{module}:{line} imports {name} ({source} may not import {target})")
    return wrong


def test_every_import_goes_down_the_table() -> None:
    wrong = violations(project_imports())
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_no_import_hides_inside_a_function() -> None:
    hidden = [
        f"{module}:{line} imports {name} inside a function"
        for module, name, line, inside in project_imports()
        if inside and (module, str(unit_of(name))) not in LAZY_IMPORTS
    ]
    assert not hidden, "\n".join(hidden)


def test_the_check_sees_wrong_imports() -> None:
    """The check can fail: imports up the table, at module level or inside a function, are reported."""
    found = violations(
        iter(
            [
                ("infra.constructs.dag", "orchestrator.cli", 3, False),
                ("orchestrator.control.plane", "infra.app", 4, True),
                ("functions.agents.handler", "orchestrator.control", 5, False),
                ("asl.history", "functions.producer", 6, False),
                ("orchestrator.control.plane", "functions.producer", 7, False),  # allowed: down the table
                ("functions.control_api.handler", "orchestrator.control", 8, False),  # allowed
            ]
        )
    )
    assert [line.split(" ")[0] for line in found] == [
        "infra.constructs.dag:3",
        "orchestrator.control.plane:4",
        "functions.agents.handler:5",
        "asl.history:6",
    ]
