"""Results of control-plane operations as text: aligned tables for people, JSON for scripts. Pure functions that
return strings; the CLI prints them (and the HTTP API will use `to_jsonable`)."""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Mapping, Sequence
from typing import Any


def to_jsonable(value: Any) -> Any:
    """Dataclasses, datetimes and tuples as plain JSON values (datetimes in ISO 8601 UTC)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def as_json(value: Any) -> str:
    return json.dumps(to_jsonable(value), indent=2, ensure_ascii=False)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Columns padded to their widest cell (the last one not padded); an empty table says so."""
    if not rows:
        return "(none)"
    cells = [[str(h) for h in headers], *[[cell_text(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def pairs(rows: Sequence[tuple[str, Any]]) -> str:
    """A two-column key / value table without headers (one record)."""
    width = max((len(key) for key, _ in rows), default=0)
    return "\n".join(f"{key.ljust(width)}  {cell_text(value)}".rstrip() for key, value in rows)


def cell_text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime.datetime):
        return timestamp(value)
    if isinstance(value, list | tuple):
        return ", ".join(cell_text(v) for v in value) or "-"
    if isinstance(value, Mapping):
        return json.dumps(to_jsonable(value), ensure_ascii=False)
    return str(value)


def timestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def duration(milliseconds: int | float | None) -> str:
    """`850 ms`, `12.3 s`, `4m05s`, `26h00m`; "-" for None (still running)."""
    if milliseconds is None:
        return "-"
    seconds = milliseconds / 1000
    if seconds < 1:
        return f"{round(milliseconds)} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def took(started: datetime.datetime, stopped: datetime.datetime | None) -> float | None:
    """Milliseconds from `started` to `stopped`; None while it runs."""
    return None if stopped is None else (stopped - started).total_seconds() * 1000


def epoch(millis: int | None) -> datetime.datetime | None:
    """A time stored as epoch milliseconds (a breaker's `opened_at`) as a UTC datetime."""
    return None if millis is None else datetime.datetime.fromtimestamp(millis / 1000, datetime.UTC)


def flatten(config: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested settings as dotted keys (`agent_pipeline.specialist_breaker.cooldown_seconds`), in file order."""
    flat: list[tuple[str, Any]] = []
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat += flatten(value, f"{name}.")
        else:
            flat.append((name, value))
    return flat
