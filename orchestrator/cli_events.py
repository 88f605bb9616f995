"""`orch history --correlation-id ID [--as-of TIME]`: a business process rebuilt from the event store, as of an
instant: its state, then its events as a causal chain (each under the event that caused it).

The operation is `ControlPlane.process_history` (orchestrator/control/event_store.py); this module adds the command's
options to `orch history` and prints the result. Wired in by orchestrator/cli.py.
"""

from __future__ import annotations

import argparse
from typing import Any

from orchestrator.control.render import pairs, table


def add_history_options(history: argparse.ArgumentParser) -> None:
    """The correlation form's options on `orch history` (whose EXECUTION_ARN then becomes optional)."""
    history.add_argument("--correlation-id", help="a business process (its key) instead of an execution")
    history.add_argument("--as-of", metavar="TIME", help="with --correlation-id: as known then (ISO 8601 or an age)")


def process_history(plane: Any, args: argparse.Namespace) -> tuple[Any, str]:
    """Runs the correlation form of `orch history`; returns what JSON shows and the text."""
    from orchestrator.cli import UsageError, parse_time

    if args.execution:
        raise UsageError("give an EXECUTION_ARN or --correlation-id, not both")
    found = plane.process_history(args.correlation_id, parse_time(args.as_of, "--as-of"))
    return found, render(found)


def render(found: Any) -> str:
    """The state as pairs, then the chain: time, the event indented under its cause, what it names, its id."""
    state = found.state
    rows: list[tuple[str, Any]] = [
        ("process", f"{found.correlation_id} ({state.kind})"),
        ("as of", found.as_of or "now"),
        ("status", state.status),
    ]
    rows += [(f"  {name}", value) for name, value in state.facts.items()]
    rows += [("agent", f"{agent}: {outcome}") for agent, outcome in state.agents.items()]
    rows += [("execution", f"{label}: {status}") for label, status in state.executions.items()]
    chain = [
        (
            link.event.time.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
            "  " * link.depth + ("└ " if link.depth else "") + _name(link.event),
            link.event.summary or "-",
            link.event.event_id + (" (cause not stored)" if link.cause_missing else ""),
        )
        for link in found.chain
    ]
    return pairs(rows) + "\n\n" + table(["AT (UTC)", "EVENT (under its cause)", "WHAT", "EVENT ID"], chain)


def _name(event: Any) -> str:
    # A status change's detail-type says nothing its summary does not: named by what changed instead.
    return "execution status" if event.kind == "execution" else str(event.type)


__all__ = ["add_history_options", "process_history", "render"]
