"""Benchmarks of the local runtime, each beside bare moto in the same run, so that the ratio is the figure to read
(it says what the local runtime adds; absolute figures say as much about the machine).

    python -m bench.local_runtime [--assembly cdk.out] [--startups 5] [--events 50] [--rounds 3] [--json]

Start-up (bench/startup.py): a local cloud of the synthesized app started and stopped, beside bare moto creating the
same resources. Throughput (bench/throughput.py): workflows per second through a minimal assembly, beside bare moto
running the same definition. Each module's docstring says what exactly is timed; here, the report and the command.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.common import Spread, environment, prepare_environment, progress, synthesized
from bench.startup import Startup, measure_startup
from bench.throughput import Throughput, measure_throughput


@dataclass(frozen=True)
class Report:
    startup: Startup | None
    throughput: Throughput | None

    def as_json(self) -> dict[str, Any]:
        return {"environment": environment(), **asdict(self)}


# -- output ------------------------------------------------------------------------------------------------------


_LABEL = 64  # width of a row's label


def render(report: Report) -> str:
    """The report as an aligned table."""
    env = environment()
    lines = [f"Local runtime benchmark: Python {env['python']}, moto {env['moto']}, {env['cpus']} CPUs"]
    if report.startup is not None:
        s = report.startup
        lines += [
            "",
            _header(f"Start-up, {s.runs} warm runs, from the synthesized app ({s.resources} resources)"),
            _row("  local runtime: LocalCloud.from_assembly + start + stop", s.local_cloud, "{:.3f} s"),
            _row("  bare moto: mock_aws start + the same resources + stop", s.bare_moto, "{:.3f} s"),
            _row("  bare moto, empty: mock_aws start + stop", s.empty_moto, "{:.3f} s"),
            f"  local / bare moto: {s.ratio:.2f}x",
            f"  the process's first LocalCloud start + stop (cold: loads moto's backends): {s.first_local_cloud:.3f} s",
        ]
    if report.throughput is not None:
        t = report.throughput
        lines += [
            "",
            _header(f"Workflows per second, {t.rounds} rounds of {t.events}", "execution"),
            _row("  local runtime: PutEvents -> rule -> state machine -> Lambda", t.local, "{:.1f} /s")
            + f"{t.local_execution_seconds * 1000:>10.1f} ms",
            _row("  bare moto: StartExecution -> Lambda task (canned echo)", t.bare_moto, "{:.1f} /s")
            + f"{t.bare_execution_seconds * 1000:>10.1f} ms",
            f"  local / bare moto: {t.ratio:.2f} (bare moto runs {1 / t.ratio:.1f}x as many workflows per second)",
        ]
    return "\n".join(lines)


def _header(title: str, *extra: str) -> str:
    return (
        f"{title:<{_LABEL}}"
        + "".join(f"{c:>11}" for c in ("median", "min", "max"))
        + "".join(f"{c:>13}" for c in extra)
    )


def _row(label: str, spread: Spread, cell: str) -> str:
    values = (spread.median, spread.minimum, spread.maximum)
    return f"{label:<{_LABEL}}" + "".join(f"{cell.format(value):>11}" for value in values)


# -- command line ------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.local_runtime", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--assembly", type=Path, help="assembly to start up (default: the app synthesized to a temp dir)"
    )
    parser.add_argument("--stage", default="dev", help="stage to synthesize (default dev)")
    parser.add_argument("--startups", type=int, default=5, help="start-up runs (default 5; 0 skips start-up)")
    parser.add_argument("--events", type=int, default=50, help="workflows per round (default 50; 0 skips throughput)")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (default 3)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.startups < 0 or args.events < 0:
        parser.error("--rounds must be at least 1, --startups and --events at least 0")
    prepare_environment()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        startup = None
        if args.startups:
            assembly = args.assembly or synthesized(args.stage, Path(scratch) / "cdk.out")
            progress(f"start-up: {args.startups} runs from {assembly}")
            startup = measure_startup(assembly, args.startups)
        throughput = None
        if args.events:
            progress(f"throughput: {args.rounds} rounds of {args.events} workflows, local then bare moto")
            throughput = measure_throughput(args.events, args.rounds)
    report = Report(startup, throughput)
    print(json.dumps(report.as_json(), indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
