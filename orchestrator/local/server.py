"""Server mode: the local cloud's moto backends served on one HTTP endpoint on localhost, for the AWS CLI and any
SDK.

moto's server app is built here rather than with moto's `ThreadedMotoServer`, which binds on its own thread and waits
forever when the port is taken; here that is a `PortInUseError`.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

SERVER_HOST = "127.0.0.1"  # server mode listens on loopback only


class PortInUseError(OSError):
    """Server mode cannot listen on the port asked for."""


class LocalServer:
    """moto's server app over the backends of the running mock, on a thread of its own."""

    def __init__(self) -> None:
        self._server: Any = None
        self._thread: threading.Thread | None = None

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
        app = DomainDispatcherApplication(create_backend_app)
        server = make_server(SERVER_HOST, port, app, threaded=True, request_handler=MotoRequestHandler)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="local-server", daemon=True)
        self._thread.start()
        return f"http://{SERVER_HOST}:{server.server_port}"

    def stop(self) -> None:
        """Stops taking requests and closes the socket (idempotent)."""
        if self._server is not None:
            self._server.shutdown()
            if self._thread is not None:
                self._thread.join()
            self._server.server_close()
            self._server = None
