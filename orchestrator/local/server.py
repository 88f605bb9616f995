"""Server mode: the local cloud's moto backends served on one HTTP endpoint on localhost, for the AWS CLI and any
SDK.

moto's server app is built here rather than with moto's `ThreadedMotoServer`, which binds on its own thread and waits
forever when the port is taken; here that is a `PortInUseError`.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Mapping
from typing import Any

SERVER_HOST = "127.0.0.1"  # server mode listens on loopback only
# The local runtime's own pages, beside the AWS APIs: a prefix no AWS API path starts with.
OWN_PREFIX = "/_orch/"


class PortInUseError(OSError):
    """Server mode cannot listen on the port asked for."""


class LocalServer:
    """moto's server app over the backends of the running mock, on a thread of its own."""

    def __init__(self, pages: Mapping[str, Callable[[], Any]] | None = None) -> None:
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._pages = dict(pages or {})  # name under OWN_PREFIX -> what GET answers, as JSON

    def start(self, port: int) -> str:
        """Listens on `port` (0: any free one); returns the endpoint URL."""
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        with socket.socket() as probe:  # werkzeug answers a taken port with sys.exit(1): find out first
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((SERVER_HOST, port))
            except OSError as error:
                raise PortInUseError(error.errno, f"cannot listen on {SERVER_HOST}:{port}: {error.strerror}") from error
        app = self._with_own_pages(DomainDispatcherApplication(create_backend_app))
        server = make_server(SERVER_HOST, port, app, threaded=True, request_handler=MotoRequestHandler)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="local-server", daemon=True)
        self._thread.start()
        return f"http://{SERVER_HOST}:{server.server_port}"

    def _with_own_pages(self, moto_app: Any) -> Any:
        """The WSGI app: GET of `/_orch/<page>` answers the page as JSON, everything else is moto's."""

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            path = str(environ.get("PATH_INFO", ""))
            page = self._pages.get(path.removeprefix(OWN_PREFIX)) if path.startswith(OWN_PREFIX) else None
            if page is None or environ.get("REQUEST_METHOD") != "GET":
                return moto_app(environ, start_response)
            body = json.dumps(page(), indent=1).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]

        return app

    def stop(self) -> None:
        """Stops taking requests and closes the socket (idempotent)."""
        if self._server is not None:
            self._server.shutdown()
            if self._thread is not None:
                self._thread.join()
            self._server.server_close()
            self._server = None
