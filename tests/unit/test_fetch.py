"""The guarded fetcher, against fake servers (httpx.MockTransport) and a fake resolver: no
network, no DNS."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
import pytest

from affiche.activitypub import fetch
from affiche.activitypub.fetch import (
    ACCEPT,
    BlockedUrl,
    Fetcher,
    HttpStatusError,
    InvalidDocument,
    ResolutionFailed,
    TimedOut,
    TooLarge,
    TooManyRedirects,
    TransportFailed,
)

PUBLIC_IP = "93.184.215.14"
DNS = {"remote.example": [PUBLIC_IP], "other.example": ["2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
       "inside.example": ["10.0.0.7"], "sneaky.example": [PUBLIC_IP, "127.0.0.1"]}
ACTOR = {"id": "https://remote.example/users/ann", "type": "Person"}


def resolver(host: str, port: int) -> list[str]:
    if host not in DNS:
        raise ResolutionFailed(f"unknown host {host}", url=host)
    return DNS[host]


class FakeServer:
    """Routes by URL; remembers every request it saw."""

    def __init__(self, routes: dict[str, Callable[[httpx.Request], httpx.Response]]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        handler = self.routes.get(str(request.url))
        return handler(request) if handler else httpx.Response(404)

    def fetcher(self, **kw: Any) -> Fetcher:
        kw.setdefault("resolver", resolver)
        kw.setdefault("allow_private", False)
        return Fetcher(transport=httpx.MockTransport(self), **kw)


def json_answer(doc: dict[str, Any]) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(200, json=doc,
                                          headers={"Content-Type": "application/activity+json"})


def redirect(to: str, status: int = 302) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, headers={"Location": to})


def test_fetches_json_with_activitypub_accept_header() -> None:
    # Given a remote server serving an actor
    server = FakeServer({ACTOR["id"]: json_answer(ACTOR)})
    # When we fetch it
    doc = server.fetcher().get_json(ACTOR["id"])
    # Then we get the document, having asked for ActivityStreams
    assert doc == ACTOR
    assert server.requests[0].headers["accept"] == ACCEPT
    assert 'profile="https://www.w3.org/ns/activitystreams"' in ACCEPT
    assert server.requests[0].headers["user-agent"].startswith("affiche/")


@pytest.mark.parametrize("url", [
    "https://inside.example/actor",  # resolves to 10/8
    "https://sneaky.example/actor",  # one public address and one loopback
    "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next",  # the Lambda runtime API
    "http://169.254.169.254/latest/meta-data/",  # link-local: cloud metadata
    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://224.0.0.1/", "http://100.64.0.1/",
    "http://0.0.0.0/",
])
def test_refuses_private_addresses_after_resolution(url: str) -> None:
    server = FakeServer({url: json_answer(ACTOR)})
    with pytest.raises(BlockedUrl) as caught:
        server.fetcher().get_json(url)
    assert caught.value.reason == "blocked"
    assert server.requests == []  # refused before any connection


def test_private_addresses_allowed_when_configured() -> None:
    # allow_private_fetch is for federation tests that run two instances on one machine
    url = "http://127.0.0.1:8001/@club/"
    server = FakeServer({url: json_answer(ACTOR)})
    assert server.fetcher(allow_private=True).get_json(url) == ACTOR


def test_setting_decides_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from affiche.config import reset_settings

    monkeypatch.setenv("AFFICHE_ALLOW_PRIVATE_FETCH", "1")
    reset_settings()
    try:
        assert Fetcher().allow_private is True
    finally:
        monkeypatch.delenv("AFFICHE_ALLOW_PRIVATE_FETCH")
        reset_settings()
    assert Fetcher().allow_private is False


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://remote.example/x",
                                 "gopher://remote.example/", "https://user:pw@remote.example/",
                                 "https:///nohost", "https://remote.example:99999/"])
def test_only_plain_http_and_https_urls(url: str) -> None:
    with pytest.raises(BlockedUrl):
        FakeServer({}).fetcher().get(url)


def test_unknown_host_fails_resolution() -> None:
    with pytest.raises(ResolutionFailed):
        FakeServer({}).fetcher().get("https://nowhere.example/")


def test_follows_relative_redirects() -> None:
    server = FakeServer({
        "https://remote.example/@ann": redirect("/users/ann", 301),
        ACTOR["id"]: json_answer(ACTOR),
    })
    response = server.fetcher().get("https://remote.example/@ann")
    assert response.url == ACTOR["id"]
    assert response.json() == ACTOR


def test_each_redirect_hop_is_checked_again() -> None:
    # Given a public server redirecting into private space
    server = FakeServer({"https://remote.example/x": redirect("http://inside.example/admin")})
    with pytest.raises(BlockedUrl):
        server.fetcher().get("https://remote.example/x")
    assert [str(r.url) for r in server.requests] == ["https://remote.example/x"]


def test_at_most_three_redirects() -> None:
    chain = {f"https://remote.example/{i}": redirect(f"/{i + 1}") for i in range(4)}
    server = FakeServer({**chain, "https://remote.example/4": json_answer(ACTOR)})
    with pytest.raises(TooManyRedirects):
        server.fetcher().get("https://remote.example/0")
    assert len(server.requests) == 4
    # while three are fine
    assert server.fetcher().get_json("https://remote.example/1") == ACTOR


def test_declared_oversized_answer_is_refused() -> None:
    big = lambda request: httpx.Response(200, headers={"Content-Length": str(2 * 1024 * 1024)},  # noqa: E731
                                         content=b"")
    with pytest.raises(TooLarge):
        FakeServer({"https://remote.example/big": big}).fetcher().get("https://remote.example/big")


def test_streamed_oversized_answer_is_cut_off() -> None:
    served: list[int] = []

    def chunks() -> Iterator[bytes]:
        for i in range(100):  # 100 x 64 KiB = 6.25 MiB, without Content-Length
            served.append(i)
            yield b"x" * 65536

    answer = lambda request: httpx.Response(200, content=chunks())  # noqa: E731
    with pytest.raises(TooLarge):
        FakeServer({"https://remote.example/s": answer}).fetcher().get("https://remote.example/s")
    assert len(served) <= 17  # stopped just past 1 MiB, not read to the end


def test_size_limit_is_configurable() -> None:
    server = FakeServer({ACTOR["id"]: json_answer(ACTOR)})
    with pytest.raises(TooLarge):
        server.fetcher(max_bytes=10).get(ACTOR["id"])


def test_slow_answer_times_out_against_the_total_deadline() -> None:
    # Given a clock that advances 4 s with every chunk the server sends
    now = [0.0]

    def slow() -> Iterator[bytes]:
        for _ in range(5):
            now[0] += 4.0
            yield b"{}"

    answer = lambda request: httpx.Response(200, content=slow())  # noqa: E731
    server = FakeServer({"https://remote.example/slow": answer})
    with pytest.raises(TimedOut):
        server.fetcher(clock=lambda: now[0]).get("https://remote.example/slow")


def test_transport_timeouts_and_errors_become_fetch_errors() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("too slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    server = FakeServer({"https://remote.example/t": timeout, "https://remote.example/r": refused})
    with pytest.raises(TimedOut):
        server.fetcher().get("https://remote.example/t")
    with pytest.raises(TransportFailed) as caught:
        server.fetcher().get("https://remote.example/r")
    assert caught.value.reason == "connection"


def test_timeouts_are_five_seconds_to_connect_ten_in_all() -> None:
    seen: list[dict[str, Any]] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json={})

    FakeServer({"https://remote.example/": record}).fetcher().get("https://remote.example/")
    assert seen[0]["connect"] == 5.0
    assert 9.0 < seen[0]["read"] <= 10.0


def test_error_status_keeps_the_code() -> None:
    gone = lambda request: httpx.Response(410, json={"type": "Tombstone"})  # noqa: E731
    with pytest.raises(HttpStatusError) as caught:
        FakeServer({ACTOR["id"]: gone}).fetcher().get(ACTOR["id"])
    assert caught.value.status == 410


@pytest.mark.parametrize("content", [b"<html>hello</html>", b"[1, 2]", b"\xff\xfe"])
def test_not_a_json_object(content: bytes) -> None:
    answer = lambda request: httpx.Response(200, content=content)  # noqa: E731
    with pytest.raises(InvalidDocument):
        FakeServer({ACTOR["id"]: answer}).fetcher().get_json(ACTOR["id"])


def test_signed_get_signs_every_hop() -> None:
    # Given a signer (like RequestSigner) and a redirecting server
    signed: list[str] = []

    def signer(method: str, url: str, headers: Mapping[str, str],
               body: bytes | None) -> dict[str, str]:
        signed.append(f"{method} {url}")
        return {"Signature": f'keyId="k",url="{url}"'}

    server = FakeServer({"https://remote.example/a": redirect("https://other.example/b"),
                         "https://other.example/b": json_answer(ACTOR)})
    server.fetcher(signer=signer).get("https://remote.example/a")
    assert signed == ["GET https://remote.example/a", "GET https://other.example/b"]
    assert [r.headers["signature"] for r in server.requests] == [
        'keyId="k",url="https://remote.example/a"', 'keyId="k",url="https://other.example/b"']


def test_real_transport_connects_to_the_checked_address(monkeypatch: pytest.MonkeyPatch) -> None:
    # With the real transport the connection is pinned to the address we checked (no second DNS
    # lookup that a rebinding attacker could answer differently); name kept in Host and SNI.
    server = FakeServer({f"https://{PUBLIC_IP}/users/ann": json_answer(ACTOR)})
    client = httpx.Client(transport=httpx.MockTransport(server))
    monkeypatch.setattr(fetch, "_shared_client", lambda: client)
    assert Fetcher(resolver=resolver, allow_private=False).get_json(ACTOR["id"]) == ACTOR
    request = server.requests[0]
    assert request.url.host == PUBLIC_IP
    assert request.headers["host"] == "remote.example"
    assert request.extensions["sni_hostname"] == "remote.example"


def test_process_wide_hooks_route_default_fetchers(aws: object) -> None:
    server = FakeServer({ACTOR["id"]: json_answer(ACTOR)})
    fetch.set_transport_factory(lambda: httpx.MockTransport(server))
    fetch.set_resolver(resolver)
    try:
        assert fetch.fetch_json(ACTOR["id"]) == ACTOR
    finally:
        fetch.set_transport_factory(None)
        fetch.set_resolver(None)
    assert len(server.requests) == 1
    # and the GET was signed by the instance actor (authorized-fetch servers require it)
    signature = server.requests[0].headers["Signature"]
    assert 'keyId="https://affiche.test/actor#main-key"' in signature


@pytest.mark.parametrize("address", [
    "64:ff9b::10.0.0.1",  # NAT64 (RFC 6052) of a private address
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b:1::a9fe:a9fe",  # local-use NAT64 of 169.254.169.254 (cloud metadata)
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "::10.0.0.1",  # IPv4-compatible
    "::127.0.0.1",
    "::ffff:192.168.1.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo whose client is 10.0.0.1
    "::1", "::",
])
def test_ipv6_forms_of_private_ipv4_are_refused(address: str) -> None:
    assert fetch.is_public_address(address) is False
    # and a host resolving to it is refused, without the address in the error
    fetcher = Fetcher(allow_private=False, resolver=lambda host, port: [address],
                      transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    with pytest.raises(fetch.BlockedUrl) as refused:
        fetcher.get("https://sneaky.example/actor")
    assert address not in str(refused.value)


@pytest.mark.parametrize("address", ["64:ff9b::5db8:d70e", "2002:5db8:d70e::1",
                                     "2606:4700:4700::1111", "93.184.215.14"])
def test_public_addresses_in_any_form_are_allowed(address: str) -> None:
    assert fetch.is_public_address(address) is True


def test_post_is_signed_with_a_digest_and_not_redirected() -> None:
    from affiche.activitypub.signatures import RequestSigner
    from tests.functions.test_inbox import pems

    seen: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    fetcher = Fetcher(allow_private=False, transport=httpx.MockTransport(server),
                      resolver=resolver, signer=RequestSigner("https://a.test/actor#main-key",
                                                              pems("poster")[1]))
    fetcher.post("https://remote.example/inbox", b'{"type": "Follow"}')
    (request,) = seen
    assert request.method == "POST" and request.content == b'{"type": "Follow"}'
    assert request.headers["Digest"].startswith("SHA-256=")
    assert 'headers="(request-target) host date digest content-type"' in request.headers[
        "Signature"]
    redirecting = Fetcher(allow_private=False, resolver=resolver, transport=httpx.MockTransport(
        lambda r: httpx.Response(301, headers={"Location": "https://elsewhere.example/"})))
    with pytest.raises(fetch.HttpStatusError):
        redirecting.post("https://remote.example/inbox", b"{}")
