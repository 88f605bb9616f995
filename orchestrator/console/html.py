"""Server-rendered HTML: the page shell and the few pieces every page is made of (tables, forms, alerts).

Every text that comes from the stage (an execution's input, an event, a quarantined body) goes through `escape`;
nothing here builds HTML from unescaped data. Markup is `Html` (a str subclass) so that a value already made safe
is not escaped twice.
"""

from __future__ import annotations

import datetime
import html
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlencode

from orchestrator.control.render import cell_text, to_jsonable

NAV: Final = (
    ("/", "Workflows"),
    ("/executions", "Executions"),
    ("/process", "Business processes"),
    ("/breakers", "Breakers"),
    ("/queues", "Quarantine and dead letters"),
)


VOID: Final = frozenset({"input", "meta", "link", "br"})  # elements without content or end tag


class Html(str):
    """Markup already safe to put in a page."""

    __slots__ = ()


def escape(value: Any) -> Html:
    if isinstance(value, Html):
        return value
    return Html(html.escape(cell_text(value), quote=True))


def join(parts: Iterable[Any]) -> Html:
    return Html("".join(escape(part) for part in parts))


def tag(element: str, content: Any = "", /, **attributes: Any) -> Html:
    """`<name attributes>content</name>`; an attribute named with a trailing underscore (`class_`) loses it, one
    with an underscore inside is dashed (`aria_live`), True is a bare attribute and None or False leaves it out."""
    rendered = ""
    for key, value in attributes.items():
        if value is None or value is False:
            continue
        attribute = key.rstrip("_").replace("_", "-")
        rendered += f" {attribute}" if value is True else f' {attribute}="{escape(str(value))}"'
    if element in VOID:
        return Html(f"<{element}{rendered}>")
    return Html(f"<{element}{rendered}>{escape(content)}</{element}>")


def link(href: str, text: Any, **attributes: Any) -> Html:
    return tag("a", text, href=href, **attributes)


def url(path: str, **query: Any) -> str:
    """`path?query` with the empty values left out."""
    kept = {key: value for key, value in query.items() if value not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


def table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], *, empty: str = "None.") -> Html:
    """A data table with its caption and column headers (screen readers announce both)."""
    if not rows:
        return tag("p", empty, class_="empty")
    head = tag("tr", join(tag("th", h, scope="col") for h in headers))
    body = join(tag("tr", join(tag("td", cell) for cell in row)) for row in rows)
    return tag("table", join([tag("caption", caption), tag("thead", head), tag("tbody", body)]))


def pairs(caption: str, rows: Sequence[tuple[str, Any]]) -> Html:
    """One record as a two-column table: the names are row headers."""
    body = join(tag("tr", join([tag("th", name, scope="row"), tag("td", value)])) for name, value in rows)
    return tag("table", join([tag("caption", caption), tag("tbody", body)]), class_="pairs")


def code(value: Any) -> Html:
    """A JSON value, indented, in a scrollable block."""
    text = value if isinstance(value, str) else json.dumps(to_jsonable(value), indent=2, ensure_ascii=False)
    return tag("pre", tag("code", text), tabindex="0")


def status(word: str) -> Html:
    """An execution or breaker status, coloured by a class and readable as a word (colour is never the only cue)."""
    return tag("span", word, class_=f"status status-{word.lower().replace('_', '-')}")


def alert(message: str, *, error: bool) -> Html:
    """The answer to an action: an error is announced at once (role alert), a success politely (role status)."""
    return tag("div", message, role="alert" if error else "status", class_="alert error" if error else "alert ok")


def hidden(fields: Mapping[str, Any]) -> Html:
    return join(tag("input", type="hidden", name=key, value=value) for key, value in fields.items())


def field(
    label: str, name: str, *, value: Any = "", kind: str = "text", required: bool = False, key: str = "", **extra: Any
) -> Html:
    """A labelled input; `kind="textarea"` for several lines, `kind="select"` with `options` (value, text). `key`
    tells apart the forms of one page that have a field of the same name (its label's `for` must be unique)."""
    identifier = f"f-{key}-{name}" if key else f"f-{name}"
    if kind == "textarea":
        control = tag("textarea", value, id=identifier, name=name, required=required, rows=extra.get("rows", 6))
    elif kind == "select":
        options = join(
            tag("option", text, value=option, selected=str(option) == str(value))
            for option, text in extra.get("options", ())
        )
        control = tag("select", options, id=identifier, name=name)
    else:
        control = tag("input", id=identifier, name=name, type=kind, value=value, required=required)
    return tag("div", join([tag("label", label, for_=identifier), control]), class_="field")


def form(action: str, content: Any, button: str, **attributes: Any) -> Html:
    return tag(
        "form",
        join([content, tag("button", button, type="submit")]),
        method=attributes.pop("method", "post"),
        action=action,
        **attributes,
    )


def moment(value: datetime.datetime | None) -> str:
    return "-" if value is None else f"{cell_text(value)} UTC"


def page(title: str, body: Any, *, where: str, read_only: bool, notice: Html | None = None) -> str:
    """The whole document: a skip link, the navigation (the current page marked), the notice, the body."""
    items = join(tag("li", link(href, text, aria_current="page" if href == where else None)) for href, text in NAV)
    mode = "read-only (start with --allow-actions to act)" if read_only else "actions allowed"
    header = tag(
        "header",
        join([tag("p", link("/", "orch console"), class_="brand"), tag("nav", tag("ul", items), aria_label="Pages")]),
    )
    main = tag("main", join([tag("h1", title), notice or "", body]), id="main", tabindex="-1")
    footer = tag("footer", tag("p", f"Mode: {mode}."))
    skip = link("#main", "Skip to the content", class_="skip")
    head = join(
        [
            Html('<meta charset="utf-8">'),
            Html('<meta name="viewport" content="width=device-width, initial-scale=1">'),
            tag("title", f"{title} · orch console"),
            Html('<link rel="stylesheet" href="/static/console.css">'),
            Html('<script src="/static/console.js" defer></script>'),
        ]
    )
    return f'<!doctype html>\n<html lang="en"><head>{head}</head><body>{skip}{header}{main}{footer}</body></html>\n'
