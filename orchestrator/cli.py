"""`orch`: the orchestrator's command line. For now one command group, `orch local`, the local runtime.

    orch local up [--port 4566] [--assembly cdk.out] [--stage dev]

serves the whole synthesized app on one HTTP endpoint on localhost, for the AWS CLI and any SDK:

    aws --endpoint-url http://127.0.0.1:4566 events put-events --entries file://event.json
    aws --endpoint-url http://127.0.0.1:4566 stepfunctions list-executions --state-machine-arn ...
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from orchestrator import cli_graph

DEFAULT_PORT = 4566  # the port AWS tooling conventionally uses for a local endpoint


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="orch", description="Event-driven orchestrator on AWS.")
    groups = parser.add_subparsers(dest="group", required=True)
    local = groups.add_parser("local", help="the local runtime: the synthesized app in-process on moto")
    commands = local.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="serve the whole app on one HTTP endpoint on localhost")
    up.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    up.add_argument("--assembly", type=Path, default=Path("cdk.out"), help="the cloud assembly (default cdk.out)")
    up.add_argument("--stage", default="dev", help="stage to synthesize when the assembly is missing")
    up.add_argument("--synth", action="store_true", help="synthesize the app first even if the assembly exists")
    cli_graph.register(groups)
    args = parser.parse_args(argv)
    if args.group == "graph":
        return int(args.run(args))
    return local_up(args.assembly, args.port, args.stage, synth=args.synth)


def local_up(assembly: Path, port: int, stage: str, *, synth: bool = False) -> int:
    from orchestrator.demo import synthesize
    from orchestrator.local.cloud import LocalCloud, PortInUseError

    if synth or not (assembly / "manifest.json").exists():
        print(f"synthesizing stage {stage} into {assembly} ...", flush=True)
        synthesize(stage, assembly)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        cloud = LocalCloud.from_assembly(assembly, port=port)
        cloud.start()
    except PortInUseError as error:
        print(f"orch: {error.strerror}; pick another port with --port", file=sys.stderr)
        return 1
    try:
        print(f"local runtime up at {cloud.endpoint_url} (bus {cloud.bus_name})")
        for line in cloud.notice.lines():
            print(f"  {line}")
        print(f"try: aws --endpoint-url {cloud.endpoint_url} stepfunctions list-state-machines")
        print("Ctrl-C stops it.", flush=True)
        stop.wait()
    finally:
        cloud.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
