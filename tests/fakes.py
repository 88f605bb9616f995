"""Fakes of this project's ports that record what happened, for tests to assert on."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecordingBus:
    """The EventBus port: accepts every entry (or refuses them all with `failing_code`) and keeps what was put."""

    failing_code: str | None = None
    entries: list[dict[str, Any]] = field(default_factory=list)

    def put_events(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        if self.failing_code is not None:
            failed = {"ErrorCode": self.failing_code, "ErrorMessage": "refused by the fake"}
            return {"FailedEntryCount": len(entries), "Entries": [failed for _ in entries]}
        self.entries.extend(entries)
        return {"FailedEntryCount": 0, "Entries": [{"EventId": f"eb-{len(self.entries)}"} for _ in entries]}

    def events(self) -> list[dict[str, Any]]:
        """What was put, as (detail-type, detail) pairs in a dict each."""
        return [
            {"detail-type": e["DetailType"], "source": e["Source"], **json.loads(e["Detail"])} for e in self.entries
        ]


@dataclass
class RecordingTaskTokens:
    """The TaskTokens port: records every call in order; tokens in `gone` answer that the workflow gave up."""

    gone: set[str] = field(default_factory=set)
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def heartbeat(self, task_token: str) -> bool:
        self.calls.append(("heartbeat", task_token))
        return task_token not in self.gone

    def succeed(self, task_token: str, output: str) -> bool:
        self.calls.append(("succeed", task_token, json.loads(output)))
        return task_token not in self.gone

    def fail(self, task_token: str, error: str, cause: str) -> bool:
        self.calls.append(("fail", task_token, error, cause))
        return task_token not in self.gone
