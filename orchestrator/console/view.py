"""What a page is given (the plane, the query, the mode) and what it answers (a title and a body), and the forms
of acting the pages share: which are shown depends on the mode, never on what the operator may do on AWS (AWS's
own answer says that, as an error, like the CLI's)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from orchestrator.console.html import Html, field, form, hidden, join, url

# The time windows the pages offer, by the name the query carries; None: no bound.
WINDOWS: Final[dict[str, datetime.timedelta | None]] = {
    "15m": datetime.timedelta(minutes=15),
    "1h": datetime.timedelta(hours=1),
    "24h": datetime.timedelta(hours=24),
    "7d": datetime.timedelta(days=7),
    "30d": datetime.timedelta(days=30),
    "all": None,
}
DEFAULT_WINDOW: Final = "24h"


@dataclass(frozen=True)
class Page:
    title: str
    body: Html


@dataclass(frozen=True)
class View:
    """One request as a page sees it. `plane`: the control plane, every result redacted (RedactedPlane)."""

    plane: Any
    query: Mapping[str, str]
    read_only: bool
    path: str = "/"
    poll_seconds: float = 3.0

    def get(self, name: str, default: str = "") -> str:
        return self.query.get(name, default).strip()

    def since(self) -> datetime.datetime | None:
        """The start of the window the query names (`since=1h`), from now; None for `all`."""
        span = WINDOWS.get(self.get("since", DEFAULT_WINDOW), WINDOWS[DEFAULT_WINDOW])
        return None if span is None else datetime.datetime.now(datetime.UTC) - span

    def back(self) -> str:
        """This page's own address, where an action's form comes back to."""
        return url(self.path, **{k: v for k, v in self.query.items() if k not in ("fragment", "notice")})


def window_field(view: View) -> Html:
    options = [(name, "all time" if name == "all" else f"the last {name}") for name in WINDOWS]
    return field("Started within", "since", value=view.get("since", DEFAULT_WINDOW), kind="select", options=options)


def action_form(view: View, action: str, fields: Mapping[str, Any], content: Any, button: str) -> Html:
    """A form that POSTs an action (orchestrator/console/actions.py) and comes back to this page; nothing in
    read-only mode."""
    if view.read_only:
        return Html("")
    return form(f"/actions/{action}", join([hidden({**fields, "back": view.back()}), content]), button)
