"""The console's HTTP server: the standard library's `ThreadingHTTPServer`, on 127.0.0.1 unless told otherwise.

GET of a page renders it (with `fragment=1`, only its live region); POST of `/actions/<name>` runs an action, after
a confirmation page for a destructive one, then redirects to the page to show next with its one-line answer. An
error of the control plane is the page (or the action's answer) with the error line the CLI prints, and the status
the control API gives that kind (`errors.http_status`: 400, 404, 409, 403, 502, 503).

What keeps a browser's other tabs out, since anything on the machine can reach a loopback port: every request must
name this server in its Host header (no DNS rebinding), every POST must come from one of its own pages (its Origin
or Referer), and every answer forbids framing and loading anything from elsewhere (Content-Security-Policy). The
console holds no credentials of its own: the control plane signs with the operator's boto3 session.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from orchestrator.console import actions, execution, pages
from orchestrator.console.html import Html, alert, escape, page, url
from orchestrator.console.view import Page, View
from orchestrator.control.errors import ControlError, http_status, shown

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8321
STATIC: Final = Path(__file__).parent / "static"
STATIC_TYPES: Final = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
MAX_FORM_BYTES: Final = 1_048_576  # an execution's input is at most 256 KiB; a form is no bigger than a few
NOTICES_KEPT: Final = 200
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
PAGES: Final[dict[str, Callable[[View], Page]]] = {
    "/": pages.workflows,
    "/executions": pages.executions,
    "/execution": execution.execution,
    "/process": pages.process,
    "/breakers": pages.breakers,
    "/queues": pages.queues,
}
FRAGMENTS: Final[dict[str, Callable[[View], tuple[Html, bool]]]] = {
    "/executions": pages.executions_fragment,
    "/execution": execution.fragment,
}

logger = logging.getLogger(__name__)


class Console:
    """The console over one control plane (`plane`: a `RedactedPlane`, so no page shows a task token)."""

    def __init__(
        self,
        plane: Any,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        allow_actions: bool = False,
        poll_seconds: float = 3.0,
    ) -> None:
        self.plane = plane
        self.host = host
        self.port = port
        self.read_only = not allow_actions
        self.poll_seconds = poll_seconds
        # The plane's boto3 session makes its clients lazily, and sessions are not thread-safe: one request at a time
        # uses it (a local console serves one operator).
        self.lock = threading.Lock()
        self._notices: dict[str, Html] = {}
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> str:
        """Listens (port 0: any free one) and serves on a thread of its own; returns the console's URL. An OSError
        (the port is taken) is the caller's to report."""
        console = self

        class Handler(_Handler):
            owner = console

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="console", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def allowed_hosts(self) -> set[str]:
        assert self._server is not None
        port = self._server.server_port
        names = {self.host, "127.0.0.1", "localhost"} if self.host == DEFAULT_HOST else {self.host}
        return {f"{name}:{port}" for name in names}

    def notice(self, message: Html) -> str:
        """Keeps an action's answer for the page it redirects to; returns its id (the page shows it once)."""
        key = str(next(self._ids))
        self._notices[key] = message
        while len(self._notices) > NOTICES_KEPT:
            self._notices.pop(next(iter(self._notices)))
        return key

    def take_notice(self, key: str) -> Html | None:
        return self._notices.pop(key, None)


class _Handler(BaseHTTPRequestHandler):
    owner: Console
    server_version = "orch-console"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class names it so
        logger.debug("console " + format, *args)

    # -- GET ---------------------------------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if not self._host_allowed():
            return
        parts = urlsplit(self.path)
        if parts.path.startswith("/static/"):
            self._static(parts.path.removeprefix("/static/"))
            return
        query = dict(parse_qsl(parts.query))
        view = View(self.owner.plane, query, self.owner.read_only, parts.path, self.owner.poll_seconds)
        if query.get("fragment") and parts.path in FRAGMENTS:
            self._fragment(view)
            return
        render = PAGES.get(parts.path)
        if render is None:
            self._page(HTTPStatus.NOT_FOUND, "Not found", alert(f"no page {parts.path}", error=True), parts.path)
            return
        notice = self.owner.take_notice(query.get("notice", ""))
        try:
            with self.owner.lock:
                found = render(view)
        except ControlError as error:
            self._page(http_status(error), "Error", alert(shown(error), error=True), parts.path, notice)
            return
        self._page(HTTPStatus.OK, found.title, found.body, parts.path, notice)

    def _fragment(self, view: View) -> None:
        try:
            with self.owner.lock:
                content, final = FRAGMENTS[view.path](view)
        except ControlError as error:
            content, final = alert(shown(error), error=True), False
        self._send(HTTPStatus.OK, content.encode(), "text/html; charset=utf-8", {"X-Final": "1"} if final else {})

    def _static(self, name: str) -> None:
        path = STATIC / name
        if "/" in name or path.suffix not in STATIC_TYPES or not path.is_file():
            self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain; charset=utf-8")
            return
        self._send(HTTPStatus.OK, path.read_bytes(), STATIC_TYPES[path.suffix])

    # -- POST --------------------------------------------------------------------------------------------------

    def do_POST(self) -> None:  # noqa: N802
        if not self._host_allowed() or not self._same_origin():
            return
        parts = urlsplit(self.path)
        name = parts.path.removeprefix("/actions/")
        action = actions.ACTIONS.get(name) if parts.path.startswith("/actions/") else None
        if action is None:
            self._page(HTTPStatus.NOT_FOUND, "Not found", alert(f"no action {parts.path}", error=True), parts.path)
            return
        if self.owner.read_only:
            message = "the console is read-only; start it with --allow-actions to act"
            self._page(HTTPStatus.FORBIDDEN, "Read-only", alert(message, error=True), parts.path)
            return
        data = self._form()
        if data is None:
            return
        question = action.confirm(data)
        if question and data.get("confirmed") != "yes":
            self._page(HTTPStatus.OK, "Confirm", actions.confirmation(name, question, data), parts.path)
            return
        try:
            with self.owner.lock:
                said, where = action.run(self.owner.plane, data)
        except ControlError as error:
            back = data.get("back") or "/"
            body = Html(alert(shown(error), error=True) + f'<p><a href="{escape(back)}">Back</a></p>')
            self._page(http_status(error), "The action failed", body, parts.path)
            return
        key = self.owner.notice(alert(said, error=False))
        target = urlsplit(where)
        query = dict(parse_qsl(target.query))
        self._redirect(url(target.path, **{**query, "notice": key}))

    def _form(self) -> dict[str, str] | None:
        """The posted form, or None once a refusal was answered (its Content-Length missing, not a number, negative
        or over MAX_FORM_BYTES: a read of a negative length would wait for the client to close)."""
        declared = self.headers.get("Content-Length")
        length = int(declared) if declared is not None and declared.strip().isdigit() else -1
        if length < 0:
            reason = f"Content-Length: {declared!r} is not a number of bytes" if declared else "Content-Length: missing"
            self._page(HTTPStatus.BAD_REQUEST, "Bad request", alert(reason, error=True), "")
            return None
        if length > MAX_FORM_BYTES:
            reason = f"Content-Length: {length} bytes, over the {MAX_FORM_BYTES} a form may have"
            self._page(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Too large", alert(reason, error=True), "")
            return None
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        return dict(parse_qsl(body, keep_blank_values=True))

    # -- checks ------------------------------------------------------------------------------------------------

    def _host_allowed(self) -> bool:
        if self.headers.get("Host", "") in self.owner.allowed_hosts():
            return True
        self._send(HTTPStatus.MISDIRECTED_REQUEST, b"not this console's host", "text/plain; charset=utf-8")
        return False

    def _same_origin(self) -> bool:
        """A POST from one of this console's pages: its Origin (or, without one, its Referer) is this server."""
        origin = self.headers.get("Origin") or self.headers.get("Referer") or ""
        if urlsplit(origin).netloc in self.owner.allowed_hosts():
            return True
        self._send(HTTPStatus.FORBIDDEN, b"a form of another site", "text/plain; charset=utf-8")
        return False

    # -- answering ---------------------------------------------------------------------------------------------

    def _page(self, code: HTTPStatus, title: str, body: Html, where: str, notice: Html | None = None) -> None:
        document = page(title, body, where=where, read_only=self.owner.read_only, notice=notice)
        self._send(code, document.encode(), "text/html; charset=utf-8")

    def _redirect(self, location: str) -> None:
        self._send(HTTPStatus.SEE_OTHER, b"", "text/plain; charset=utf-8", {"Location": location})

    def _send(self, code: HTTPStatus, body: bytes, content_type: str, extra: Mapping[str, str] | None = None) -> None:
        self.send_response(code)
        for name, value in {**SECURITY_HEADERS, **(extra or {}), "Content-Type": content_type}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
