"""Through the local gateway, every error is a page in the site's layout for a browser (the
static site's 404 page for a missing path, a 413 page for an oversized form) and JSON for
clients that read JSON."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx

from affiche.local.gateway import MAX_BODY
from affiche.local.runner import Instance

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def _raw(instance: Instance, request: bytes) -> bytes:
    parts = urlsplit(instance.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as conn:
        conn.sendall(request)
        chunks = []
        try:
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
    return b"".join(chunks)


def test_error_pages_through_the_gateway(instance: Instance) -> None:
    with httpx.Client(base_url=instance.url, timeout=30) as client:
        # A missing static path: the site's own 404 page, with its navigation
        missing = client.get("/no/such/page/", headers=BROWSER)
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("text/html")
        assert "Page not found" in missing.text and 'class="site-header"' in missing.text
        assert 'href="/events/"' in missing.text
        assert missing.headers["x-content-type-options"] == "nosniff"
        # An ActivityStreams client gets JSON
        fetched = client.get("/@nobody/", headers={"Accept": "application/activity+json"})
        assert fetched.status_code == 404 and fetched.json()["error"] == "not_found"
        # An unknown members' page: the functions' 404 page; the API's: JSON
        assert "Page not found" in client.get("/app/nowhere", headers=BROWSER).text
        assert client.get("/api/nowhere").json()["error"] == "not_found"
    # A form whose upload is larger than anything accepted: a page that says so, with a way back
    host = urlsplit(instance.url).netloc.encode()
    request = (b"POST /app/groups/club/images HTTP/1.1\r\nHost: " + host + b"\r\n"
               b"Accept: text/html\r\nReferer: " + instance.url.encode() + b"/app/groups/club/\r\n"
               b"Content-Type: multipart/form-data; boundary=x\r\n"
               b"Content-Length: " + str(MAX_BODY + 1).encode() + b"\r\n\r\n")
    answer = _raw(instance, request)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    page = answer.decode("utf-8", "replace")
    assert "That is too large" in page and "choose a smaller file" in page
    assert 'href="/app/groups/club/"' in page and 'class="site-header"' in page
    # The API's clients get JSON for the same refusal
    api = _raw(instance, request.replace(b"/app/groups/club/images", b"/api/groups/club/avatar")
               .replace(b"Accept: text/html", b"Accept: application/json"))
    assert api.startswith(b"HTTP/1.1 413") and b'"error": "body_too_large"' in api
