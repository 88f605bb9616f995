"""`orch local up`: the synthesized app served in-process on moto, as one endpoint on localhost; `orch local seams`:
every change the local runtime makes to moto, and why; `orch local access-report`: what each role of the running
app used, was denied, and never used (orchestrator/local/iam/report.py); `orch local conformance`: how many of the
documented event-pattern and ASL cases the local runtime gets right (orchestrator/local/conformance)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

from orchestrator.assembly import PROJECT_ROOT, changed_since_synth, synthesize
from orchestrator.cli.base import (
    EXIT_FAILURE,
    EXIT_OK,
    Registry,
    UsageError,
    app_breakers,
    assembly,
    listen_port,
    port,
    render_json,
    write,
)
from orchestrator.cli.console import serve
from orchestrator.console import DEFAULT_HOST
from orchestrator.console import DEFAULT_PORT as DEFAULT_CONSOLE_PORT
from orchestrator.control import ControlPlane
from orchestrator.control.redacted import RedactedPlane
from orchestrator.local.cloud import ACCESS_REPORT_PAGE, LocalCloud, PortInUseError
from orchestrator.local.conformance import runner as conformance
from orchestrator.local.iam.report import AccessReport
from orchestrator.local.seams import MotoSeamError, seam_lines, seam_table
from orchestrator.local.server import OWN_PREFIX, SERVER_HOST

DEFAULT_PORT = 4566  # the port AWS tooling conventionally uses for a local endpoint


def register(registry: Registry) -> None:
    local = registry.local_command("local", "the local runtime: the synthesized app in-process on moto", run)
    commands = local.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="serve the whole app on one HTTP endpoint on localhost")
    up.add_argument(
        "--port",
        type=listen_port,
        default=DEFAULT_PORT,
        help=f"port to listen on (default {DEFAULT_PORT}; 0: any free)",
    )
    up.add_argument("--assembly", type=assembly, default=Path("cdk.out"), help="the cloud assembly (default cdk.out)")
    up.add_argument(
        "--stage", default="dev", help="stage to synthesize when the assembly is missing or older than the app's files"
    )
    up.add_argument("--synth", action="store_true", help="synthesize the app first even if the assembly exists")
    up.add_argument("--console", action="store_true", help="also serve the web console (actions allowed) on localhost")
    up.add_argument(
        "--console-port", type=listen_port, default=DEFAULT_CONSOLE_PORT, help="the console's port (default 8321)"
    )
    up.add_argument(
        "--iam",
        choices=("on", "off"),
        default="on",
        help="evaluate every call a function or state machine makes against its role's policies (default on)",
    )
    report = commands.add_parser(
        "access-report", help="per role of the running app: calls allowed, calls denied, statements never used"
    )
    report.add_argument(
        "--port", type=port, default=DEFAULT_PORT, help=f"`orch local up`'s port (default {DEFAULT_PORT})"
    )
    report.add_argument("--output", choices=("table", "json"), default="table", help="table (default) or json")
    conformance = commands.add_parser(
        "conformance",
        help="run the documented event-pattern and ASL cases on the local runtime; pass counts per category",
    )
    conformance.add_argument("--output", choices=("table", "json"), default="table", help="table (default) or json")
    seams = commands.add_parser("seams", help="every change the local runtime makes to moto, and why")
    seams.add_argument("--output", choices=("table", "json"), default=argparse.SUPPRESS, help="table (default) or json")


def run(args: argparse.Namespace) -> int:
    if args.command == "seams":
        write(sys.stdout, render_json(seam_table()) if args.output == "json" else "\n".join(seam_lines()))
        return EXIT_OK
    if args.command == "access-report":
        return print_access_report(args.port, args.output)
    if args.command == "conformance":
        return print_conformance(args.output)
    console_port = args.console_port if args.console else None
    return up(args.assembly, args.port, args.stage, synth=args.synth, iam=args.iam == "on", console_port=console_port)


def print_access_report(port: int, output: str) -> int:
    """The running local runtime's access report (server mode's own page), as a table or JSON."""
    url = f"http://{SERVER_HOST}:{port}{OWN_PREFIX}{ACCESS_REPORT_PAGE}"
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 - loopback, a URL built here
            report = json.loads(answer.read())
    except (urllib.error.URLError, OSError) as error:
        print(
            f"orch: no local runtime answers on port {port} ({error}); start it with `orch local up`", file=sys.stderr
        )
        return EXIT_FAILURE
    write(sys.stdout, render_json(report) if output == "json" else "\n".join(AccessReport.from_json(report).lines()))
    return EXIT_OK


def print_conformance(output: str) -> int:
    """Runs the conformance cases (orchestrator/local/conformance) on a local runtime of its own; 1 when a case
    fails (a known difference, listed with its reason, does not fail the run)."""
    with conformance.empty_local_cloud() as cloud:
        report = conformance.run(cloud)
    write(sys.stdout, render_json(report.as_json()) if output == "json" else "\n".join(report.lines()))
    return EXIT_FAILURE if report.failed else EXIT_OK


def up(
    assembly: Path, port: int, stage: str, *, synth: bool = False, iam: bool = True, console_port: int | None = None
) -> int:
    """Serves the app until SIGINT or SIGTERM; with `console_port`, the web console over it too."""
    # An assembly older than the app's files would serve the app as it was (a workflow's first state of before its
    # admission, failing an invalid event with DynamoDB's error): synthesized again, as a missing one is.
    changed = changed_since_synth(assembly)
    if synth or changed or not (assembly / "manifest.json").exists():
        why = (
            f" ({changed[0].relative_to(PROJECT_ROOT)} changed since it was synthesized)"
            if changed and not synth
            else ""
        )
        print(f"synthesizing stage {stage} into {assembly}{why} ...", flush=True)
        synthesize(stage, assembly)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        cloud = LocalCloud.from_assembly(assembly, port=port, iam=iam)
        cloud.start()
    except PortInUseError as error:
        print(f"orch: {error.strerror}; pick another port with --port", file=sys.stderr)
        return EXIT_FAILURE
    except MotoSeamError as error:  # moto is not what the seams were written for: one line, no traceback
        print(f"orch: {error}; install the pinned moto (make install)", file=sys.stderr)
        return EXIT_FAILURE
    try:
        print(f"local runtime up at {cloud.endpoint_url} (bus {cloud.bus_name})")
        for line in cloud.notice.lines():
            print(f"  {line}")
        print(
            f"try: orch --local list   or   aws --endpoint-url {cloud.endpoint_url} stepfunctions list-state-machines"
        )
        if console_port is None:
            print("Ctrl-C stops it.", flush=True)
            stop.wait()
        else:
            # The console talks to the endpoint as `orch --local` does: through the control plane, over loopback.
            plane = ControlPlane.connect(endpoint_url=cloud.endpoint_url, stage=stage, breakers=app_breakers())
            serve(RedactedPlane(plane), host=DEFAULT_HOST, port=console_port, allow_actions=True, stop=stop)
    except UsageError as error:  # the console's port is taken
        print(f"orch: {error}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        cloud.stop()
    return EXIT_OK
