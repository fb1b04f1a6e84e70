"""The embedded AWS emulator: moto's threaded server on a loopback port.

Every AWS client of this process (and of handlers it calls) reaches it through AWS_ENDPOINT_URL,
exactly as they would reach AWS without it (DESIGN.md §6)."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass

from moto.server import ThreadedMotoServer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Emulator:
    port: int
    server: ThreadedMotoServer

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
    port = port or free_port()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    # moto accepts any credentials; real ones must never be sent to it by accident.
    os.environ["AWS_ACCESS_KEY_ID"] = "local"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "local"
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    return Emulator(port, server)
