"""`make demo`: the app, synthesized, running live on the local runtime, driven by the sample events of
`samples.json`; `python -m orchestrator.demo --help` says what it prints.

- `samples`: the sample specs (what to put on the bus, what must follow) and their loading;
- `running`: putting each sample on the bus, settling, the bus tap, reading the quarantine and dead-letter queues;
- `runs`: what happened (the records a run gathers) and an execution's timeline;
- `report`: the timelines, sample sections, summary table and notice as lines, and the exit status;
- `logs`: the handlers' output sent to a log file while the demo runs;
- `command`: the command line.
"""

from __future__ import annotations

from orchestrator.demo.command import main
from orchestrator.demo.running import BusTap
from orchestrator.demo.runs import timeline
from orchestrator.demo.samples import DEFAULT_SAMPLES
from orchestrator.local.handler_output import handler_logs_to

__all__ = ["DEFAULT_SAMPLES", "BusTap", "handler_logs_to", "main", "timeline"]
