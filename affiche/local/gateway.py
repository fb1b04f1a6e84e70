"""The local HTTP gateway: routes like the CloudFront behaviours and API Gateway.

Function paths become API Gateway HTTP API (payload v2) events handed to the real handlers;
every other path is read from the site bucket with the shared content-negotiation rule
(negotiation.py, the same vectors as the CloudFront function)."""

from __future__ import annotations

import base64
import importlib
import logging
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from affiche.aws import client
from affiche.local import request_state
from affiche.local.negotiation import AP_TYPE, resolve, route
from affiche.publish import tombstones
from affiche.web import error_pages

log = logging.getLogger("affiche.local")
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
NOT_FOUND_PAGE = "404.html"  # the static site's own 404 page (renderer.py; CloudFront uses it too)

FUNCTIONS = {
    "api": "functions.api.handler",
    "moderation": "functions.moderation.handler",
    "inbox": "functions.inbox.handler",
    "webfinger": "functions.webfinger.handler",
}


def load_handlers() -> dict[str, Handler]:
    """The functions' handlers, safe to call from the gateway's threads at once."""
    request_state.install()
    return {name: importlib.import_module(module).lambda_handler
            for name, module in FUNCTIONS.items()}


def api_event(method: str, target: str, headers: dict[str, str], body: bytes,
              source_ip: str) -> dict[str, Any]:
    """An API Gateway HTTP API v2 event, as AWS builds it."""
    parts = urlsplit(target)
    lowered = {k.lower(): v for k, v in headers.items()}
    cookies = [c.strip() for c in lowered.pop("cookie", "").split(";") if c.strip()]
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "$default", "rawPath": parts.path,
        "rawQueryString": parts.query, "headers": lowered,
        "requestContext": {
            "http": {"method": method, "path": parts.path, "protocol": "HTTP/1.1",
                     "sourceIp": source_ip, "userAgent": lowered.get("user-agent", "")},
            "requestId": "local", "routeKey": "$default", "stage": "$default",
            "domainName": lowered.get("host", "localhost"), "timeEpoch": 0,
        },
        "isBase64Encoded": bool(body),
        "body": base64.b64encode(body).decode() if body else None,
    }
    if query:
        event["queryStringParameters"] = query
    if cookies:
        event["cookies"] = cookies
    if parts.path.endswith("/inbox") and parts.path.startswith("/@"):
        event["pathParameters"] = {"name": parts.path.split("/")[1]}
    return event


def body_length(value: str | None) -> int | None:
    """The Content-Length as a number of bytes; None when it is not a non-negative integer
    (`abc` used to drop the connection, `-1` to block a thread reading until EOF)."""
    if value is None or not value.strip():
        return 0
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() else None


def latin1_header(value: str) -> str:
    """HTTP/1.1 header values are Latin-1: percent-encode anything else (a Location built from a
    `next=` holding non-Latin-1 text would otherwise make the server raise mid-answer)."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return quote(value, safe="".join(chr(c) for c in range(0x21, 0x7F)))
    return value


class Gateway(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: a burst of simultaneous connections (sixty
    # people pressing "Participate" at once) overflowed it on a busy machine and the kernel reset
    # the surplus. CloudFront in front of the functions never refuses a burst like that.
    request_queue_size = 128

    def __init__(self, port: int, bucket: str, handlers: dict[str, Handler]) -> None:
        super().__init__(("127.0.0.1", port), GatewayRequestHandler)
        self.bucket = bucket
        self.handlers = handlers


class GatewayRequestHandler(BaseHTTPRequestHandler):
    server: Gateway
    protocol_version = "HTTP/1.1"
    # Headers and body are two writes: on a kept-alive connection Nagle's algorithm would hold
    # the body until the client's delayed ACK (40 ms per answer). See emulator.KeepAliveHandler.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.info("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        length = body_length(self.headers.get("Content-Length"))
        if length is None:
            self.close_connection = True  # the body's end is unknown: the connection cannot go on
            self._send_error(400, "bad_request",
                             "Content-Length must be a non-negative whole number")
            return
        if length > MAX_BODY:
            self.close_connection = True
            self._send_error(413, "body_too_large", error_pages.too_large_message(MAX_BODY),
                             back=self._referer())
            return
        body = self.rfile.read(length) if length else b""
        backend = route(urlsplit(self.path).path)
        if backend == "site":
            self._serve_site()
            return
        handler = self.server.handlers[backend]
        event = api_event(self.command, self.path, self._forwarded_headers(), body,
                          self.client_address[0])
        try:
            response = handler(event, None)
        except Exception:  # as Lambda does: logged, answered 500, the server lives on
            log.exception("%s %s failed", self.command, self.path)
            self._send_error(500, "internal_error", "something went wrong on our side; please "
                             "try again in a moment")
            return
        self._send_lambda(response)

    def _send_error(self, status: int, code: str, message: str, back: str | None = None,
                    extra: dict[str, str] | None = None) -> None:
        """An error page in the site's layout for a browser, JSON for any other client."""
        path = urlsplit(self.path).path
        kind, body = error_pages.answer(path, dict(self.headers.items()), status, code, message)
        if back and kind.startswith("text/html"):
            from affiche.web.pages import render_html

            body = render_html("app/error.html", heading=error_pages.heading(status),
                               error={"message": message}, back=back)
        self._send(status, {"Content-Type": kind, "Cache-Control": "no-store", **(extra or {})},
                   body.encode())

    def _referer(self) -> str | None:
        """The page that sent the refused form, when it is one of ours (a path, no host)."""
        from affiche.web.pages import safe_next

        referer = urlsplit(self.headers.get("Referer", ""))
        if referer.netloc and referer.netloc != self.headers.get("Host", ""):
            return None
        target = referer.path + (f"?{referer.query}" if referer.query else "")
        return safe_next(target, default="") or None

    def _forwarded_headers(self) -> dict[str, str]:
        """The request's headers as CloudFront forwards them: whatever `CloudFront-Viewer-Address`
        the client sent is replaced by the address it really connects from, as CloudFront does,
        so rotating that header cannot dodge per-address rate limits."""
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() != "cloudfront-viewer-address"}
        host, port = self.client_address[:2]
        headers["CloudFront-Viewer-Address"] = f"{host}:{port}"
        return headers

    def _serve_site(self) -> None:
        if self.command not in {"GET", "HEAD"}:
            self._send_error(405, "method_not_allowed", "this address can only be read (GET)",
                             extra={"Allow": "GET, HEAD"})
            return
        key, forced_type = resolve(urlsplit(self.path).path, self.headers.get("Accept"))
        s3 = client("s3")
        try:
            obj = s3.get_object(Bucket=self.server.bucket, Key=key) if key else None
        except s3.exceptions.NoSuchKey:
            obj = None
        if obj is None:
            self._send_missing(key, forced_type)
            return
        content_type = forced_type or obj.get("ContentType", "application/octet-stream")
        headers = {"Content-Type": content_type,
                   "Cache-Control": obj.get("CacheControl", "no-cache"), "Vary": "Accept"}
        self._send(200, headers, obj["Body"].read())

    def _send_missing(self, key: str, forced_type: str | None) -> None:
        """404, or 410 Gone when the key's folder holds a deleted object's Tombstone marker:
        the Tombstone itself for ActivityStreams clients, a short page for people."""
        marker = tombstones.marker_for(key) if key else ""
        s3 = client("s3")
        try:
            gone = s3.get_object(Bucket=self.server.bucket, Key=marker)["Body"].read() \
                if marker else None
        except s3.exceptions.NoSuchKey:
            gone = None
        if gone is None:
            self._send_not_found(forced_type == AP_TYPE or key.endswith(".json"))
        elif forced_type == AP_TYPE or key.endswith(".json"):
            self._send(410, {"Content-Type": AP_TYPE, "Vary": "Accept"}, gone)
        else:
            self._send(410, {"Content-Type": "text/html; charset=utf-8", "Vary": "Accept"},
                       tombstones.HTML_PAGE)

    def _send_not_found(self, machine: bool) -> None:
        """The static site's 404 page, as CloudFront's custom error response serves it (JSON for
        ActivityStreams clients); a page rendered here until the site is first built."""
        if machine:
            self._send(404, {"Content-Type": "application/json", "Vary": "Accept"},
                       error_pages.json_body(404, "not_found", "no such object").encode())
            return
        s3 = client("s3")
        try:
            page = s3.get_object(Bucket=self.server.bucket, Key=NOT_FOUND_PAGE)["Body"].read()
        except s3.exceptions.NoSuchKey:
            page = error_pages.html(404, "There is nothing at this address.").encode()
        self._send(404, {"Content-Type": "text/html; charset=utf-8", "Vary": "Accept"}, page)

    def _send_lambda(self, response: dict[str, Any]) -> None:
        if "statusCode" not in response:  # payload v2 lets a handler return just a body
            response = {"statusCode": 200, "body": response, "headers": {}}
        raw = response.get("body") or ""
        body = base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode()
        headers: dict[str, Any] = dict(response.get("headers") or {})
        for name, values in (response.get("multiValueHeaders") or {}).items():
            headers[name] = values
        headers["Set-Cookie"] = list(response.get("cookies") or [])
        self._send(int(response["statusCode"]), headers, body)

    def _send(self, status: int, headers: dict[str, Any], body: bytes) -> None:
        self.send_response(status)
        # The managed security-headers policy adds this in front of CloudFront (infra/); the
        # functions already send it on their own answers (one header, not two).
        headers = {k: v for k, v in headers.items() if k.lower() != "x-content-type-options"}
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in headers.items():
            for one in value if isinstance(value, list) else [value]:
                self.send_header(name, latin1_header(str(one)))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
