"""The local gateway answers malformed requests instead of hanging or dropping them, and does not
let a client choose the address per-address rate limits count (as CloudFront would not)."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx

from affiche.local.gateway import body_length, latin1_header
from affiche.local.runner import Instance


def _raw(instance: Instance, request: bytes) -> bytes:
    """Send `request` as bytes on a fresh connection and read the answer (5 s at most)."""
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


def test_bad_content_length_is_answered_400(instance: Instance) -> None:
    for value in (b"abc", b"-1", b"1e3", b"\xc2\xb2"):
        # Given a POST whose Content-Length is not a non-negative whole number
        request = (b"POST /api/accounts HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                   b"application/json\r\nContent-Length: " + value + b"\r\n\r\n{}")
        # When it reaches the gateway
        answer = _raw(instance, request)
        # Then it gets a 400 saying why, instead of a dropped connection or a hung thread
        assert answer.startswith(b"HTTP/1.1 400"), (value, answer[:200])
        assert b"Content-Length" in answer


def test_client_cannot_choose_its_viewer_address(instance: Instance) -> None:
    # Given someone who rotates CloudFront-Viewer-Address on every sign-up attempt
    answers = []
    with httpx.Client(base_url=instance.url, timeout=30) as client:
        for i in range(12):  # the limit is 10 sign-ups an hour per address
            answers.append(client.post(
                "/api/accounts", json={"email": f"p{i}@example.org", "password": "x",
                                       "username": f"p{i}"},
                headers={"CloudFront-Viewer-Address": f"198.51.100.{i}:443"}).status_code)
    # Then the per-address limit still counts them as one visitor
    assert answers[:10] == [400] * 10 and answers[10:] == [429, 429], answers


def test_non_latin1_next_does_not_crash_the_answer(instance: Instance) -> None:
    # Given a login link whose next= holds text outside Latin-1
    with httpx.Client(base_url=instance.url, timeout=30) as client:
        page = client.get("/app/login", params={"next": "/app/€vents/日本"})
        # Then the page answers, and any redirect it builds is escaped
        assert page.status_code == 200
        home = client.get("/app/", params={"x": "€"}, follow_redirects=False)
        assert home.status_code in {200, 303}
        assert home.headers["location"].isascii() if "location" in home.headers else True


def test_every_answer_says_nosniff(instance: Instance) -> None:
    with httpx.Client(base_url=instance.url, timeout=30) as client:
        for path in ("/", "/api/openapi.json", "/no/such/page", "/app/login"):
            assert client.get(path).headers["x-content-type-options"] == "nosniff", path


def test_header_helpers() -> None:
    assert body_length(None) == 0 and body_length("12") == 12 and body_length(" 7 ") == 7
    assert body_length("-1") is None and body_length("abc") is None and body_length("²") is None
    assert latin1_header("/app/€") == "/app/%E2%82%AC"
    assert latin1_header("text/html; charset=utf-8") == "text/html; charset=utf-8"
