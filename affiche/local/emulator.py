"""The embedded AWS emulator: moto's threaded server on a loopback port.

Every AWS client of this process (and of handlers it calls) reaches it through AWS_ENDPOINT_URL,
exactly as they would reach AWS without it (DESIGN.md §6)."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from affiche.local.journal import Recorder


class SerialMotoServer(ThreadedMotoServer):
    """moto's server answering one request at a time.

    moto's DynamoDB is not thread-safe: a failed transaction restores a copy of the table, which
    can undo a write another thread made meanwhile. DynamoDB itself applies each item's writes
    atomically, so serialising the emulator is what keeps "local is production" true under
    concurrent requests (the gateway and pollers still run in parallel; only AWS calls queue).
    Serving one at a time also gives the runner's journal (journal.py) the order of the writes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recorder = Recorder(DomainDispatcherApplication(create_backend_app))

    def _server_entry(self) -> None:
        self._server = make_server(self._ip_address, self._port, self.recorder, threaded=False,
                                   request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Emulator:
    port: int
    server: SerialMotoServer

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        # moto keeps its state in process-wide backends: clear them, or a second emulator started
        # in this process (tests) would find the first one's tables and buckets.
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(
            f"{self.endpoint}/moto-api/reset", method="POST"), timeout=5).close()
        self.server.stop()


def start_emulator(port: int | None = None) -> Emulator:
    """Start moto and point this process's AWS configuration at it."""
    from affiche.local import moto_fixes

    moto_fixes.apply()
    port = port or free_port()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log
    server = SerialMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    # moto accepts any credentials; real ones must never be sent to it by accident.
    os.environ["AWS_ACCESS_KEY_ID"] = "local"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "local"
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    return Emulator(port, server)
