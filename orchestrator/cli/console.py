"""`orch console`: the web console (orchestrator/console) on localhost, over the stage the global options name
(`--local`, `--endpoint-url`, or AWS with `--profile` / `--region`, and `--stage`). Against AWS it is read-only
unless `--allow-actions`; against a local endpoint it may act. `orch local up --console` starts it beside the
local runtime (orchestrator/cli/local.py), through `serve`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any
from urllib.parse import urlsplit

from orchestrator.cli.base import Registry, Result, UsageError, listen_port, write
from orchestrator.console import DEFAULT_HOST, DEFAULT_PORT, Console

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def register(registry: Registry) -> None:
    text = "serve the web console on localhost: workflows, executions, graphs, timelines, breakers, queues"
    console = registry.command("console", text, run)
    console.add_argument(
        "--port", type=listen_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free)"
    )
    console.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}, this machine only; anything else exposes the console)",
    )
    console.add_argument(
        "--allow-actions",
        action="store_true",
        help="allow start, pause, resume, terminate, redrive, signals, breakers, replay (always on a local endpoint)",
    )


def run(plane: Any, args: argparse.Namespace) -> Result:
    endpoint = args.endpoint_url
    local = bool(args.local) or (endpoint is not None and urlsplit(endpoint).hostname in LOOPBACK_HOSTS)
    address = serve(plane, host=args.host, port=args.port, allow_actions=bool(args.allow_actions) or local)
    return {"console": address, "stopped": True}, "console stopped"


def serve(plane: Any, *, host: str, port: int, allow_actions: bool, stop: threading.Event | None = None) -> str:
    """Serves the console over `plane` (already redacted) until `stop` is set, or without one until SIGINT or
    SIGTERM; returns its address. A port it cannot listen on is a UsageError, before any signal is handled."""
    console = Console(plane, host=host, port=port, allow_actions=allow_actions)
    try:
        address = console.start()
    except OSError as error:
        raise UsageError(f"--port: cannot listen on {host}:{port}: {error.strerror}; pick another port") from None
    if stop is None:
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    try:
        mode = "actions allowed" if allow_actions else "read-only (--allow-actions to act)"
        write(sys.stdout, f"console at {address} ({mode}); Ctrl-C stops it")
        stop.wait()
    finally:
        console.stop()
    return address
