"""The control plane: every operator operation (put an event, start, list, describe, history, signal, terminate,
breakers, configuration) implemented once, in `ControlPlane` (plane.py; the operations are grouped a module each), over
boto3 clients for AWS or a local endpoint. The `orch` CLI (orchestrator/cli/) is one face of it; the HTTP API will be
another. The library never prints nor parses arguments: it returns dataclasses and raises the `ControlError` kinds of
errors.py.
"""

from __future__ import annotations

from orchestrator.control.breakers import BreakerChange
from orchestrator.control.connection import LOCAL_ENDPOINT, Execution
from orchestrator.control.errors import (
    Conflict,
    ControlError,
    Forbidden,
    InvalidInput,
    NoCredentials,
    NotFound,
    Unreachable,
)
from orchestrator.control.events import PutResult
from orchestrator.control.executions import ExecutionDetail, ExecutionList
from orchestrator.control.plane import ControlPlane
from orchestrator.control.timeline import TimelineEntry

__all__ = [
    "LOCAL_ENDPOINT",
    "BreakerChange",
    "Conflict",
    "ControlError",
    "ControlPlane",
    "Execution",
    "ExecutionDetail",
    "ExecutionList",
    "Forbidden",
    "InvalidInput",
    "NoCredentials",
    "NotFound",
    "PutResult",
    "TimelineEntry",
    "Unreachable",
]
