"""The embedded AWS emulator: moto's application on a loopback port.

Every AWS client of this process (and of handlers it calls) reaches it through AWS_ENDPOINT_URL,
exactly as they would reach AWS without it (DESIGN.md §6)."""

from __future__ import annotations

import io
import logging
import os
import socket
import threading
from dataclasses import dataclass
from typing import Any, cast

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, DechunkedInput, make_server

from affiche.local.journal import Recorder

log = logging.getLogger("affiche.local")
# Answers that carry no body, whatever their headers say (RFC 9110 §6.4.1).
_BODYLESS = {204, 304}
_HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive"}


class ParallelMotoServer(ThreadedMotoServer):
    """moto's server answering many connections at once, moto itself one call at a time.

    moto's DynamoDB is not thread-safe: a failed transaction restores a copy of the table, which
    can undo a write another thread made meanwhile. DynamoDB itself applies each item's writes
    atomically, so moto's work (the request's dispatch, the backend call and the answer it
    builds) runs under one lock: that is what keeps "local is production" true under concurrent
    requests, and it gives the runner's journal (journal.py) the order of the writes. Reading a
    request off its socket and writing the answer back happen outside the lock, on a thread per
    connection, and connections are kept alive: boto3 no longer reconnects for every call, and a
    slow client holds up only itself."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recorder = Recorder(DomainDispatcherApplication(create_backend_app))
        self.lock = threading.Lock()

    def _server_entry(self) -> None:
        server = make_server(self._ip_address, self._port, self.recorder, threaded=True,
                             request_handler=KeepAliveHandler)
        server.moto_lock = self.lock  # type: ignore[attr-defined]
        server.request_queue_size = 128  # bursts of connections, as in gateway.Gateway
        self._server = server
        self._server_ready_event.set()
        server.serve_forever()

    def stop(self) -> None:
        super().stop()
        if self._server is not None:
            self._server.server_close()  # moto's stop leaves the port listening


class KeepAliveHandler(MotoRequestHandler):
    """werkzeug's request handler, with HTTP/1.1 keep-alive and moto under the server's lock.

    werkzeug's own `run_wsgi` closes every connection, and after each answer waits up to 10 ms
    for the client to hang up (to drain a body it did not read): on a busy runner that wait and
    boto3's reconnect were paid by every AWS call, one after the other. Here the request body is
    read whole first, the answer is built whole under the lock, then sent with its length."""

    protocol_version = "HTTP/1.1"
    # The headers and the body leave in two writes. On a kept-alive connection Nagle's algorithm
    # holds the second until the first is acknowledged, and the client delays that ACK by 40 ms:
    # every AWS call of the runner paid 40 ms (a publish, with ~60 calls, took seconds).
    disable_nagle_algorithm = True

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        body = _read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("wsgi.input_terminated", None)
        server = cast(BaseWSGIServer, self.server)
        with server.moto_lock:  # type: ignore[attr-defined]
            status, headers, answer = _call(server.app, environ)
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP or (
                    self.command == "HEAD" and name.lower() == "content-length"):
                self.send_header(name, value)
        if int(code) not in _BODYLESS and self.command != "HEAD":
            self.send_header("Content-Length", str(len(answer)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if int(code) not in _BODYLESS and self.command != "HEAD":
            self.wfile.write(answer)


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):  # chunked: werkzeug's DechunkedInput ends it
        return cast(DechunkedInput, stream).read()
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return stream.read(length) if length > 0 else b""


def _call(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """moto's answer to one request, whole; a 500 (logged) if moto itself raises."""
    answered: list[Any] = []
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]],
                       exc_info: Any = None) -> Any:
        answered[:] = [status, headers]
        return written.append

    try:
        result = app(environ, start_response)
        try:
            written.extend(result)
        finally:
            if hasattr(result, "close"):
                result.close()
    except Exception:
        log.exception("the AWS emulator failed on %s %s", environ.get("REQUEST_METHOD"),
                      environ.get("PATH_INFO"))
        return "500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain")], b"emulator error"
    return answered[0], answered[1], b"".join(written)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Emulator:
    port: int
    server: ParallelMotoServer

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
    server = ParallelMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    # moto accepts any credentials; real ones must never be sent to it by accident.
    os.environ["AWS_ACCESS_KEY_ID"] = "local"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "local"
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    return Emulator(port, server)
