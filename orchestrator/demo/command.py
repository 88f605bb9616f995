"""`make demo`: the app, synthesized, running live on the local runtime, driven by sample events.

Synthesizes the stage (cdk-nag must pass), starts `LocalCloud` on the assembly and puts each sample of
`samples.json` on the bus, one at a time, waiting until the system is still after each (moving the clock
forward for the samples that wait on a timeout). Then it prints, per sample, each execution's path as a timeline
(state, outcome, duration on the local clock), the events that went over the orchestrator's bus, a summary table
of what each sample expects against what happened, and the local runtime's start-up notice.

Exit status: 0 when every sample did what it expects, 1 otherwise (the mismatches are named), 2 when the demo
cannot run (an unreadable samples file, a folder that is not a cloud assembly).

The demo watches the bus as a user would, through a rule of its own that copies every event to an SQS queue.
The handlers' logs (Powertools JSON on stdout) go to a file, `demo.log` in the assembly's folder unless `--logs`
says otherwise, so that they do not drown the demo's own lines.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final, TextIO

from pydantic import ValidationError

from orchestrator.assembly import CloudAssembly, synthesize
from orchestrator.demo.report import packed, report
from orchestrator.demo.running import run_samples, stop_waiting_executions
from orchestrator.demo.runs import DemoRun
from orchestrator.demo.samples import DEFAULT_SAMPLES, Sample, load_samples
from orchestrator.local.cloud import LocalCloud
from orchestrator.local.handler_output import handler_logs_to

DEFAULT_OUTDIR: Final = Path("cdk.out")
LOG_NAME: Final = "demo.log"


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the demo with these arguments (the process's by default); returns its exit status."""
    parser = argparse.ArgumentParser(
        # Named, since run as a package the program would be called `__main__.py`.
        prog="python -m orchestrator.demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stage", default="dev", help="stage to synthesize (default dev)")
    parser.add_argument("--outdir", type=Path, default=DEFAULT_OUTDIR, help="where to synthesize (default cdk.out)")
    parser.add_argument("--assembly", type=Path, help="run this already synthesized assembly; skips synthesis")
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES, help="the samples file")
    parser.add_argument("--logs", type=Path, help=f"where the handlers' logs go (default <assembly>/{LOG_NAME})")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a sample may take (default 60)")
    args = parser.parse_args(argv)
    out = sys.stdout
    try:
        samples = load_samples(args.samples)
    except (OSError, ValidationError) as error:
        print(f"demo: cannot use the samples in {args.samples}: {error}", file=sys.stderr)
        return 2
    folder = args.assembly or args.outdir
    log_path = args.logs or folder / LOG_NAME
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        if args.assembly is None:
            print(
                f"Synthesizing stage {args.stage} into {folder}/ (cdk-nag AwsSolutions checks every stack) ...",
                file=out,
            )
            with handler_logs_to(log):
                stacks = synthesize(args.stage, folder).stacks()
            print("\n".join(packed(f"{len(stacks)} stacks, no cdk-nag finding:", [s.name for s in stacks])), file=out)
        try:
            assembly = CloudAssembly(folder)
        except FileNotFoundError as error:
            print(f"demo: {error}", file=sys.stderr)
            return 2
        print(f"Starting the local runtime on {folder}/ and putting {len(samples)} samples on the bus ...", file=out)
        with handler_logs_to(log):
            demo = _run(assembly, samples, args.timeout, log)
    return report(demo, log_path, out)


def _run(assembly: CloudAssembly, samples: Sequence[Sample], timeout: float, log: TextIO) -> DemoRun:
    with LocalCloud(assembly) as cloud:
        log.write("\n".join(cloud.notice.lines()) + "\n")
        demo = run_samples(cloud, samples, timeout)
        stop_waiting_executions(cloud)
        return demo
