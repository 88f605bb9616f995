"""The real app's throughput on the local runtime: order sagas at rising concurrency, and how soon the runtime knows
it is done.

    python -m bench.real_app [--assembly cdk.out] [--sizes 10 50 200] [--rounds 3] [--quiet-samples 20] [--json]

One `LocalCloud` of the synthesized app (its real rules, state machines and handlers, no faults). After a one-order
warm-up (the handlers' cold starts), for each size N: N plain orders put on the bus at once, then
`wait_until_quiet()`. A size's time runs from just before the first put to the stop date of its last execution, so
the figure is the work's, not the waiting loop's; every execution must have SUCCEEDED (else `BenchError`). The sizes
run in turn `--rounds` times (default 3) on the same cloud; each size's figure is its median round.

- **sagas/s** at each size, and the time at the largest size over the time at the middle one beside the size ratio
  (near-linear: the cost of a saga does not grow with how many run beside it): the median of the rounds' ratios,
  each from one round, so that a slow moment of a shared machine moves one ratio, not the figure.
- **quiet latency**: how long after the system came to rest (the runtime's ledger's last change: the last piece of
  work ended, the last worker entered its wait) `wait_until_quiet()` returned, median over the sizes; and how long
  one call takes on a system already still (median of `--quiet-samples` calls).
- **transitions per step**: the warm-up saga's state transitions as Step Functions bills them (bench/costs.py) over
  its three steps (reserve, charge, ship).
- **IAM enforcement's cost** (orchestrator/local/iam): start-up and sagas/s at `--iam-size` with enforcement on and
  off, local clouds started in turn (on, off, on, off...: `--iam-rounds` each), medians and their ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.common import (
    QUIET,
    BenchError,
    environment,
    order,
    prepare_environment,
    progress,
    publisher_quiet,
    synthesized,
)
from bench.costs import count_history
from orchestrator.local.cloud import LocalCloud

SAGA_STEPS = 3  # reserve inventory, charge payment, arrange shipping
TIMEOUT_SECONDS = 600.0


@dataclass(frozen=True)
class Size:
    sagas: int
    seconds: float  # from just before the first put to the last execution's stop date
    quiet_after_seconds: float  # from the system's coming to rest to wait_until_quiet's return

    @property
    def per_second(self) -> float:
        return self.sagas / self.seconds


@dataclass(frozen=True)
class IamCost:
    """Medians over the rounds, enforcement on and off."""

    sagas: int
    start_on: float
    start_off: float
    per_second_on: float
    per_second_off: float


@dataclass(frozen=True)
class Report:
    sizes: list[Size]  # each size's median round
    still_call_seconds: float  # one wait_until_quiet() on a system already still (median)
    transitions: int  # of one happy-path saga
    environment: dict[str, Any]
    iam: IamCost | None = None
    growths: list[float] = field(default_factory=list)  # per round: time at the largest size / at the middle one

    @property
    def growth(self) -> tuple[float, float] | None:
        """(the rounds' median of time at the largest size / time at the middle one, the sizes' ratio); None with
        fewer than 2 sizes."""
        if len(self.sizes) < 2:
            return None
        middle, largest = self.sizes[-2], self.sizes[-1]
        return statistics.median(self.growths), largest.sagas / middle.sagas

    def as_json(self) -> dict[str, Any]:
        return {
            "sizes": [{**asdict(size), "per_second": size.per_second} for size in self.sizes],
            "growth": self.growth,
            "growths": self.growths,
            "quiet_after_seconds_median": statistics.median(s.quiet_after_seconds for s in self.sizes),
            "still_call_seconds": self.still_call_seconds,
            "transitions": self.transitions,
            "transitions_per_step": self.transitions / SAGA_STEPS,
            "iam": asdict(self.iam) if self.iam else None,
            "environment": self.environment,
        }


def measure(assembly: Path, sizes: Sequence[int], quiet_samples: int, rounds: int = 1) -> Report:
    with LocalCloud.from_assembly(assembly) as cloud:
        machine = cloud.physical_id("AWS::StepFunctions::StateMachine", "OrderSaga")
        (warm,), _ = _run(cloud, machine, ["bench-warm-up"])
        transitions = count_history(cloud.history(warm["executionArn"])).state_transitions
        runs: list[list[Size]] = []  # per round, one Size per size
        for round_number in range(1, rounds + 1):
            runs.append([])
            for size in sizes:
                progress(f"round {round_number} of {rounds}: {size} sagas at once")
                started = time.time()
                ids = [f"bench-{round_number}-{size}-{n}" for n in range(size)]
                ended, latency = _run(cloud, machine, ids)
                last_stop = max(e["stopDate"] for e in ended).timestamp()
                runs[-1].append(Size(size, last_stop - started, latency))
        measured = [_median_round([run[i] for run in runs]) for i in range(len(sizes))]
        growths = [run[-1].seconds / run[-2].seconds for run in runs] if len(sizes) >= 2 else []
        still = []
        for _ in range(quiet_samples):
            began = time.perf_counter()
            cloud.wait_until_quiet()
            still.append(time.perf_counter() - began)
    return Report(measured, statistics.median(still), transitions, environment(), growths=growths)


def _median_round(rounds: list[Size]) -> Size:
    """The round whose time is the median (the lower one of an even count: a figure that was measured)."""
    return sorted(rounds, key=lambda size: size.seconds)[(len(rounds) - 1) // 2]


def measure_iam_cost(assembly: Path, sagas: int, rounds: int) -> IamCost:
    """Start-up and sagas/s with IAM enforced and not, local clouds started in turn (see the module docstring)."""
    samples: dict[bool, tuple[list[float], list[float]]] = {True: ([], []), False: ([], [])}
    for n in range(rounds):
        for iam in (True, False):
            progress(f"IAM {'on' if iam else 'off'}: round {n + 1} of {rounds}, {sagas} sagas")
            began = time.perf_counter()
            with LocalCloud.from_assembly(assembly, iam=iam) as cloud:
                samples[iam][0].append(time.perf_counter() - began)
                machine = cloud.physical_id("AWS::StepFunctions::StateMachine", "OrderSaga")
                _run(cloud, machine, [f"iam-warm-up-{iam}-{n}"])
                started = time.time()
                ended, _ = _run(cloud, machine, [f"iam-{iam}-{n}-{i}" for i in range(sagas)])
                samples[iam][1].append(sagas / (max(e["stopDate"] for e in ended).timestamp() - started))
    on, off = samples[True], samples[False]
    median = statistics.median
    return IamCost(sagas, median(on[0]), median(off[0]), median(on[1]), median(off[1]))


def _run(cloud: LocalCloud, machine: str, order_ids: list[str]) -> tuple[list[dict[str, Any]], float]:
    """Puts one order per id, waits until still; returns their executions (each must have SUCCEEDED) and how long
    after the system came to rest the wait returned."""
    since = datetime.datetime.now(datetime.UTC)
    for order_id in order_ids:
        cloud.put_event(order(order_id), correlation_id=order_id)
    cloud.wait_until_quiet(timeout=TIMEOUT_SECONDS)
    latency = time.monotonic() - cloud.runtime.ledger.last_change
    ended = [e for e in cloud.executions(machine) if e["startDate"] >= since]
    failed = [e["executionArn"] for e in ended if e["status"] != "SUCCEEDED"]
    if len(ended) != len(order_ids) or failed:
        raise BenchError(f"{len(order_ids)} orders put, {len(ended)} executions, not SUCCEEDED: {failed}")
    return ended, latency


def render(report: Report) -> str:
    lines = ["Order sagas on the real app (local runtime, no faults)", "", "  sagas  seconds  sagas/s  quiet after"]
    for size in report.sizes:
        lines.append(
            f"  {size.sagas:>5}  {size.seconds:7.2f}  {size.per_second:7.1f}  {size.quiet_after_seconds * 1000:8.1f} ms"
        )
    if report.growth is not None:
        grown, ratio = report.growth
        each = ", ".join(f"{g:.2f}x" for g in report.growths)
        lines.append(
            f"  time at the largest size: {grown:.2f}x the middle one's, for {ratio:.0f}x the sagas "
            f"(median of {len(report.growths)} round(s): {each})"
        )
    lines += [
        f"  wait_until_quiet() on a still system: {report.still_call_seconds * 1000:.2f} ms (median)",
        f"  one saga: {report.transitions} state transitions, {report.transitions / SAGA_STEPS:.1f} per step",
    ]
    if report.iam is not None:
        cost = report.iam
        lines.append(
            f"  IAM enforced vs not: start-up {cost.start_on:.2f} s vs {cost.start_off:.2f} s "
            f"({cost.start_on / cost.start_off:.2f}x); {cost.sagas} sagas {cost.per_second_on:.1f}/s vs "
            f"{cost.per_second_off:.1f}/s ({cost.per_second_off / cost.per_second_on:.2f}x the time)"
        )
    lines.append(f"  measured on {report.environment}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.real_app", description=__doc__.split("\n\n")[0])
    parser.add_argument("--assembly", type=Path, help="a synthesized cdk.out (default: synthesize into a temp dir)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 200], help="sagas at once, in turn")
    parser.add_argument("--rounds", type=int, default=3, help="times the sizes run in turn (median round)")
    parser.add_argument("--quiet-samples", type=int, default=20, help="wait_until_quiet() calls timed when still")
    parser.add_argument("--iam-size", type=int, default=50, help="sagas at once for IAM's cost (default 50)")
    parser.add_argument("--iam-rounds", type=int, default=2, help="local clouds started per side (0 skips it)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args(argv)
    if any(size < 1 for size in args.sizes) or min(args.rounds, args.quiet_samples, args.iam_size) < 1:
        parser.error("--sizes, --rounds, --quiet-samples and --iam-size must be at least 1")
    if args.iam_rounds < 0:
        parser.error("--iam-rounds must be at least 0")
    prepare_environment()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        assembly = args.assembly or synthesized("dev", Path(scratch) / "cdk.out")
        # The handlers' log lines and metrics go to stdout, bound when each is first imported: during the run.
        with contextlib.redirect_stdout(QUIET), publisher_quiet():
            report = measure(assembly, args.sizes, args.quiet_samples, args.rounds)
            if args.iam_rounds:
                report = dataclasses.replace(report, iam=measure_iam_cost(assembly, args.iam_size, args.iam_rounds))
    print(json.dumps(report.as_json(), indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
