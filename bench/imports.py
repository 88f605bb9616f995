"""Cold import time of each Lambda handler module of the app, beside `import boto3` plus one client, measured in the
same run the same way, so that the ratio is the figure to read (absolute times say as much about the machine).

The handler modules are the `Handler` strings of the synthesized template's Python `AWS::Lambda::Function`
resources. Each measurement is a fresh interpreter (`sys.executable`, cwd the project root, where the asset's
`functions/` and `schemas/` come from) that times, with `perf_counter` around it, only the subject:
`import <handler module>`, or for the baseline `import boto3; boto3.client("sqs", region_name="us-east-1")`. So
the interpreter's own start-up is not in any figure, and neither is its teardown (the child leaves with `os._exit`
once it has printed). The environment is Lambda-like and the same for every subject: fake credentials, the region,
an empty HOME (no ~/.aws to read); a handler also gets its function's variables from the template (a value the
template computes, a `Ref` or `Fn::GetAtt`, becomes a dummy string: none is used at import) and Lambda's reserved
ones. Tracing is on, as the stacks configure every function, so Powertools' Tracer imports the X-Ray SDK and patches
boto3 at import, as on Lambda; nothing is sent (no X-Ray daemon is contacted at import). No network is touched.

Each subject is imported `warmups` times untimed first (bytecode compiled and cached, files in the page cache), then
`runs` times, the subjects taking turns within each round so that each sees the same machine; the figure is the
median. On Lambda, code shipped without `.pyc` files also pays compilation at every cold start: not counted here.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from bench.common import BenchError, Spread
from orchestrator.assembly import CloudAssembly
from orchestrator.local.runtime import LOCAL_REGION

PROJECT_ROOT: Final = Path(__file__).resolve().parents[1]
BASELINE_NAME: Final = "boto3 + sqs client"
BASELINE_CODE: Final = f'import boto3; boto3.client("sqs", region_name="{LOCAL_REGION}")'
FUNCTION: Final = "AWS::Lambda::Function"
_TIMEOUT_SECONDS: Final = 120.0  # one import that takes longer than this is a hang, not a figure

# The child: times exec of the subject and prints the seconds, wall-clock then CPU (user + system). os._exit skips
# the interpreter's teardown, which is no part of a cold start and would only make the run slower.
_CHILD: Final = (
    "import os, sys, time\n"
    "started, cpu = time.perf_counter(), time.process_time()\n"
    "exec(sys.argv[1])\n"
    "print(time.perf_counter() - started, time.process_time() - cpu, flush=True)\n"
    "os._exit(0)\n"
)


@dataclass(frozen=True)
class Subject:
    """What one measurement imports, and the environment it does so in."""

    name: str  # the handler module, or BASELINE_NAME
    code: str
    environment: dict[str, str]
    functions: tuple[str, ...] = ()  # logical ids of the functions whose handler this module is


@dataclass(frozen=True)
class ImportTime:
    subject: str
    functions: list[str]
    seconds: Spread  # wall-clock
    cpu_seconds: float  # median CPU time (user + system): far below the wall-clock time, the machine was busy
    ratio: float  # median wall-clock time over the baseline's
    cpu_ratio: float  # median CPU time over the baseline's: the steadier figure on a shared machine


@dataclass(frozen=True)
class Imports:
    """Cold import times of every handler module, beside the baseline, over `runs` rounds."""

    runs: int
    warmups: int
    baseline: ImportTime
    handlers: list[ImportTime]
    skipped: list[str] = field(default_factory=list)  # Python handlers not importable from the project (named)


def handler_subjects(assembly_dir: Path) -> tuple[list[Subject], list[str]]:
    """One subject per distinct handler module of the assembly's Python functions, with the environment of the first
    function that uses it; and the handlers that cannot be imported from the project (a CDK-provided function)."""
    by_module: dict[str, Subject] = {}
    skipped: list[str] = []
    for stack in CloudAssembly(assembly_dir).stacks():
        for logical_id, props in stack.resources(FUNCTION):
            handler = str(props.get("Handler", ""))
            if not str(props.get("Runtime", "")).startswith("python") or "." not in handler:
                continue  # Node or container code: no Python module to import
            module = handler.rsplit(".", 1)[0]
            if not PROJECT_ROOT.joinpath(*module.split(".")).with_suffix(".py").is_file():
                skipped.append(f"{stack.name}/{logical_id} ({handler})")
                continue
            if module in by_module:
                known = by_module[module]
                by_module[module] = Subject(module, known.code, known.environment, (*known.functions, logical_id))
                continue
            environment = {**lambda_environment(logical_id, handler, props), **_variables(props)}
            by_module[module] = Subject(module, f"import {module}", environment, (logical_id,))
    return list(by_module.values()), skipped


def lambda_environment(function_name: str, handler: str, props: Mapping[str, Any]) -> dict[str, str]:
    """The variables Lambda itself sets that a handler may read at import (Powertools reads several)."""
    return {
        "_HANDLER": handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{props.get('Runtime', 'python3.13')}",
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(props.get("MemorySize", 128)),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "LAMBDA_TASK_ROOT": str(PROJECT_ROOT),
    }


def _variables(props: Mapping[str, Any]) -> dict[str, str]:
    variables = props.get("Environment", {}).get("Variables", {})
    return {
        name: value if isinstance(value, str) else f"bench-dummy-{name.lower()}" for name, value in variables.items()
    }


def measure_imports(assembly_dir: Path, runs: int = 5, warmups: int = 1) -> Imports:
    """Every handler module's cold import time beside the baseline's, in the same run (see the module docstring)."""
    if runs < 1 or warmups < 0:
        raise ValueError("runs must be at least 1 and warmups at least 0")
    handlers, skipped = handler_subjects(assembly_dir)
    if not handlers:
        raise BenchError(f"no Python handler module to import in the assembly {assembly_dir}")
    subjects = [Subject(BASELINE_NAME, BASELINE_CODE, {}), *handlers]
    with tempfile.TemporaryDirectory(prefix="bench-home-") as home:
        base = _base_environment(Path(home))
        for _ in range(warmups):
            for subject in subjects:
                _import_seconds(subject, base)
        samples: dict[str, list[tuple[float, float]]] = {s.name: [] for s in subjects}
        for _ in range(runs):
            for subject in subjects:
                samples[subject.name].append(_import_seconds(subject, base))
    baseline = Spread.of([wall for wall, _ in samples[BASELINE_NAME]])
    baseline_cpu = statistics.median(cpu for _, cpu in samples[BASELINE_NAME])

    def timed(subject: Subject) -> ImportTime:
        wall = Spread.of([wall for wall, _ in samples[subject.name]])
        cpu = statistics.median(cpu for _, cpu in samples[subject.name])
        ratios = (wall.median / baseline.median, cpu / baseline_cpu)
        return ImportTime(subject.name, list(subject.functions), wall, cpu, *ratios)

    return Imports(runs, warmups, timed(subjects[0]), [timed(s) for s in handlers], skipped)


def _base_environment(home: Path) -> dict[str, str]:
    """What every child gets, handler or baseline: nothing of this process's AWS or Powertools settings."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_REGION": LOCAL_REGION,
        "AWS_DEFAULT_REGION": LOCAL_REGION,
        "AWS_EC2_METADATA_DISABLED": "true",  # never ask the instance metadata service for anything
    }


def _import_seconds(subject: Subject, base: Mapping[str, str]) -> tuple[float, float]:
    """(wall-clock, CPU) seconds of one import in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, subject.code],
        cwd=PROJECT_ROOT,
        env={**base, **subject.environment},
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_SECONDS,
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise BenchError(
            f"{subject.name}: the import failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}"
        )
    # The last line: a module may print at import (Powertools does not, but nothing forbids it).
    wall, cpu = lines[-1].split()
    return float(wall), float(cpu)


def render_imports(imports: Imports) -> list[str]:
    """The import times as lines of an aligned table."""
    label = max(len(t.subject) for t in [imports.baseline, *imports.handlers]) + 2
    header = f"{'':<{label}}" + "".join(f"{c:>11}" for c in ("median", "min", "max", "cpu", "ratio", "cpu ratio"))

    def row(t: ImportTime) -> str:
        values = (t.seconds.median, t.seconds.minimum, t.seconds.maximum, t.cpu_seconds)
        cells = [f"{v * 1000:.0f} ms" for v in values]
        return (
            f"  {t.subject:<{label - 2}}"
            + "".join(f"{c:>11}" for c in cells)
            + f"{t.ratio:>10.2f}x{t.cpu_ratio:>10.2f}x"
        )

    lines = [
        f"Cold import, fresh interpreter, {imports.runs} runs after {imports.warmups} untimed (start-up not counted)",
        header,
        row(imports.baseline) + "  (baseline: import boto3 + boto3.client('sqs'))",
        *(row(t) for t in sorted(imports.handlers, key=lambda t: -t.seconds.median)),
    ]
    wall, cpu = median_ratios(imports)
    lines.append(f"  median of the handlers' ratios: {wall:.2f}x wall-clock, {cpu:.2f}x CPU")
    lines += [f"  not importable from the project, not measured: {s}" for s in imports.skipped]
    return lines


def median_ratios(imports: Imports) -> tuple[float, float]:
    """The median of the handlers' ratios, wall-clock and CPU: one figure each for the whole app."""
    return (
        statistics.median(t.ratio for t in imports.handlers),
        statistics.median(t.cpu_ratio for t in imports.handlers),
    )
