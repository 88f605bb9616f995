"""The control plane with every result redacted: what an operator's screen (the `orch` CLI, the console) is shown."""

from __future__ import annotations

import functools
from typing import Any

from schemas.redaction import redact


class RedactedPlane:
    """The control plane as every `orch` command and the console see it: the result of each operation is redacted
    (schemas/redaction.py) before a command or a page renders it, so no output shows a task token or a field an
    event model declares sensitive. The plane itself still uses the tokens (`signal task` reads the one it
    answers from the execution's history), inside the operation."""

    def __init__(self, plane: Any) -> None:
        self._plane = plane

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._plane, name)
        if not callable(attribute):
            return attribute

        @functools.wraps(attribute)
        def redacted(*args: Any, **kwargs: Any) -> Any:
            return redact(attribute(*args, **kwargs))

        return redacted


__all__ = ["RedactedPlane"]
