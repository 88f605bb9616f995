"""The web console: workflows, executions (live), one execution's graph, timeline and waits, business processes,
breakers, and the quarantine and dead-letter queues, over the control-plane library alone (orchestrator/control),
on the local runtime or a deployed stage; read-only unless actions are allowed.

    console = Console(RedactedPlane(plane), port=8321, allow_actions=True)
    console.start()          # http://127.0.0.1:8321
    ...
    console.stop()

Server-rendered HTML from the standard library's HTTP server (server.py), a small script of its own for the live
regions (static/console.js: no framework, nothing fetched from elsewhere), pages in pages.py and execution.py,
actions in actions.py. `orch console` and `orch local up --console` start it (orchestrator/cli).
"""

from __future__ import annotations

from orchestrator.console.server import DEFAULT_HOST, DEFAULT_PORT, Console

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "Console"]
