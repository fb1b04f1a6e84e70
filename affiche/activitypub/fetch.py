"""The guarded HTTP client: every fetch of a remote document goes through here (DESIGN.md §1.6).

A URL comes from a stranger (a keyId, an actor id, a redirect), so before each request, and again
at each redirect hop, we check that the scheme is http(s) and that *every* address the host
resolves to is public: no loopback (the Lambda runtime API listens there), private, link-local
(cloud metadata), multicast or reserved space, unless `Settings.allow_private_fetch` is on for
federation tests on one machine. With the real transport the connection is then pinned to the
address we checked (Host header and TLS SNI keep the name), so a DNS answer that changes between
our check and the connection (DNS rebinding) cannot steer us inside.

IPv6 addresses that carry an IPv4 address (IPv4-mapped and -compatible, 6to4, Teredo, NAT64) are
judged by that IPv4 address too, so `64:ff9b::10.0.0.1` is as private as 10.0.0.1. An error never
says what a name resolved to: its text may reach a stranger (the inbox's 401), and would map our
private network for them; the address goes to our log only.

Limits: connect 5 s, 10 s for the whole fetch including redirects, at most 3 redirects, 1 MiB of
(decompressed) body, read as a stream so a huge answer is cut off instead of buffered.

GETs are signed by the `signer` given (fetch_json and remote keys: the instance actor, see
instance_actor.py); `post` sends a delivery (signed with a Digest, redirects not followed).

Tests inject a transport (`httpx.MockTransport`) and a resolver, either per `Fetcher` or
process-wide with `set_transport_factory` / `set_resolver`; nothing here touches the network or
DNS at import.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from affiche import __version__, bounded_json

if TYPE_CHECKING:  # httpx costs ~0.1 s to import: only requests that really fetch pay for it
    import httpx

ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
MAX_BYTES = 1024 * 1024
CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 10.0
MAX_REDIRECTS = 3
REDIRECTS = frozenset({301, 302, 303, 307, 308})

#: (host, port) -> the IP addresses it resolves to
Resolver = Callable[[str, int], Iterable[str]]
#: (method, url, headers, body) -> headers to add (affiche.activitypub.signatures.RequestSigner)
Signer = Callable[[str, str, Mapping[str, str], bytes | None], dict[str, str]]
TransportFactory = Callable[[], "httpx.BaseTransport"]
log = logging.getLogger(__name__)


# --- errors --------------------------------------------------------------------------------

class FetchError(Exception):
    """A remote document could not be fetched; `reason` is a stable machine-readable code."""

    reason = "fetch_failed"

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(f"{message} ({url})")
        self.message = message
        self.url = url


class BlockedUrl(FetchError):
    """Not http(s), or the host resolves to an address we refuse to reach."""

    reason = "blocked"


class ResolutionFailed(FetchError):
    reason = "dns"


class TransportFailed(FetchError):
    reason = "connection"


class TimedOut(FetchError):
    reason = "timeout"


class TooLarge(FetchError):
    reason = "too_large"


class TooManyRedirects(FetchError):
    reason = "too_many_redirects"


class HttpStatusError(FetchError):
    """The server answered 4xx/5xx; `status` lets callers tell 410 Gone from the rest."""

    reason = "http_status"

    def __init__(self, message: str, *, url: str, status: int,
                 retry_after: str | None = None) -> None:
        super().__init__(message, url=url)
        self.status = status
        self.retry_after = retry_after  # the Retry-After header of a 429/503, as sent


class InvalidDocument(FetchError):
    reason = "invalid_document"


# --- process-wide test hooks -----------------------------------------------------------------

_transport_factory: TransportFactory | None = None
_resolver: Resolver | None = None


def set_transport_factory(factory: TransportFactory | None) -> None:
    """Route every default Fetcher through `factory()` (tests: an httpx.MockTransport); None
    restores the real network."""
    global _transport_factory
    _transport_factory = factory


def set_resolver(resolver: Resolver | None) -> None:
    """Replace DNS for every default Fetcher (tests); None restores the system resolver."""
    global _resolver
    _resolver = resolver


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise ResolutionFailed(f"cannot resolve {host}: {error}", url=host) from error
    return sorted({str(info[4][0]) for info in infos})


#: NAT64 prefixes (RFC 6052 well-known, RFC 8215 local-use): the last 32 bits are an IPv4
#: address a NAT64 gateway would connect to.
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d (RFC 4291 2.5.5.1)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and may be routed to: IPv4-mapped, 6to4
    (2002::/16), Teredo, NAT64 and IPv4-compatible forms. Each is judged as that IPv4 address,
    otherwise `64:ff9b::10.0.0.1` or `2002:7f00:1::` would reach private space."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in net for net in _NAT64) or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address; IPv6 forms embedding an IPv4 address
    (mapped, compatible, 6to4, Teredo, NAT64) must be public both ways."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _IPV4_COMPATIBLE and int(ip) <= 1:
            return False  # :: and ::1
        inner = embedded_ipv4(ip)
        if inner is not None:
            return inner.is_global and not inner.is_multicast
    return ip.is_global and not ip.is_multicast


@lru_cache(maxsize=1)
def _shared_client() -> httpx.Client:
    # One pooled client per warm Lambda: building an SSL context costs tens of milliseconds.
    # trust_env=False: an HTTP(S)_PROXY in the environment must not bypass the address checks.
    import httpx

    return httpx.Client(follow_redirects=False, trust_env=False,
                        transport=httpx.HTTPTransport(retries=0))


# --- the fetcher -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Response:
    url: str  # the final URL, after redirects
    status: int
    headers: httpx.Headers
    content: bytes

    def json(self) -> dict[str, Any]:
        try:
            document = bounded_json.loads(self.content)  # a stranger's document: depth bounded
        except (ValueError, UnicodeDecodeError) as error:
            raise InvalidDocument("the answer is not JSON", url=self.url) from error
        if not isinstance(document, dict):
            raise InvalidDocument("the answer is not a JSON object", url=self.url)
        return document


@dataclass(frozen=True)
class _Target:
    url: str  # as requested (what signatures and redirects use)
    host: str
    port: int
    address: str | None  # the checked address to connect to, when pinning


class Fetcher:
    """GETs remote documents within the limits above. Build one per use; it is cheap."""

    def __init__(self, *, allow_private: bool | None = None,
                 transport: httpx.BaseTransport | None = None, resolver: Resolver | None = None,
                 signer: Signer | None = None, max_bytes: int = MAX_BYTES,
                 connect_timeout: float = CONNECT_TIMEOUT, total_timeout: float = TOTAL_TIMEOUT,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if allow_private is None:
            from affiche.config import get_settings

            allow_private = get_settings().allow_private_fetch
        self.allow_private = allow_private
        self.transport = transport or (_transport_factory() if _transport_factory else None)
        self.resolver = resolver or _resolver or system_resolver
        self.signer = signer
        self.max_bytes = max_bytes
        self.connect_timeout = connect_timeout
        self.total_timeout = total_timeout
        self.clock = clock

    def get_json(self, url: str, *, accept: str = ACCEPT) -> dict[str, Any]:
        """The JSON object at `url`; raises a FetchError subclass."""
        return self.get(url, accept=accept).json()

    def get(self, url: str, *, accept: str = ACCEPT) -> Response:
        """GET `url`, following at most MAX_REDIRECTS redirects, each one checked again."""
        deadline = self.clock() + self.total_timeout
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            target = self._check(current)
            answer = self._request(target, accept, deadline)
            if isinstance(answer, Response):
                return answer
            current = answer  # the next hop's URL
        raise TooManyRedirects(f"more than {MAX_REDIRECTS} redirects", url=url)

    def post(self, url: str, body: bytes, *, content_type: str = "application/activity+json",
             accept: str = ACCEPT) -> Response:
        """POST `body` to `url` (a delivery); the signer signs it with a Digest.

        Redirects are not followed: a redirected POST raises HttpStatusError with the 3xx status
        (the activity was not delivered where it was addressed). Raises a FetchError subclass."""
        target = self._check(url)
        answer = self._request(target, accept, self.clock() + self.total_timeout, method="POST",
                               body=body, content_type=content_type)
        if isinstance(answer, str):
            raise HttpStatusError("the server redirected the delivery", url=url, status=308)
        return answer

    # --- checks ------------------------------------------------------------------------------
    def _check(self, url: str) -> _Target:
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as error:
            raise BlockedUrl(f"invalid URL: {error}", url=url) from error
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BlockedUrl("only http and https URLs are fetched", url=url)
        if parts.username or parts.password:
            raise BlockedUrl("URLs with credentials are not fetched", url=url)
        host = parts.hostname
        if self.allow_private:
            return _Target(url, host, port, None)
        addresses = list(self._resolve(host, port, url))
        if not addresses:
            raise ResolutionFailed(f"{host} has no address", url=url)
        refused = [a for a in addresses if not is_public_address(a)]
        if refused:
            # The address stays in our log: an error a stranger can read must not tell what
            # a name resolves to inside (an oracle for internal names).
            log.info("fetch: %s resolves to non-public %s: refused", host, refused[0])
            raise BlockedUrl(f"{host} does not resolve to a public address", url=url)
        return _Target(url, host, port, addresses[0])

    def _resolve(self, host: str, port: int, url: str) -> Iterable[str]:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            return [host]  # an IP literal: nothing to resolve
        try:
            return self.resolver(host, port)
        except ResolutionFailed as error:
            raise ResolutionFailed(error.message, url=url) from error

    # --- one request ---------------------------------------------------------------------------
    def _request(self, target: _Target, accept: str, deadline: float, *, method: str = "GET",
                 body: bytes | None = None, content_type: str | None = None) -> Response | str:
        headers = {"Accept": accept, "User-Agent": f"affiche/{__version__}"}
        if content_type is not None:
            headers["Content-Type"] = content_type
        if self.signer is not None:
            headers.update(self.signer(method, target.url, headers, body))
        url, extensions = self._pinned(target, headers)
        remaining = deadline - self.clock()
        if remaining <= 0:
            raise TimedOut(f"no answer within {self.total_timeout} s", url=target.url)
        import httpx

        timeout = httpx.Timeout(remaining, connect=min(self.connect_timeout, remaining))
        try:
            with (self._client() as client,
                  client.stream(method, url, headers=headers, content=body, timeout=timeout,
                                extensions=extensions) as response):
                return self._read(target, response, deadline)
        except httpx.TimeoutException as error:
            raise TimedOut(f"timed out: {error}", url=target.url) from error
        except httpx.RequestError as error:
            raise TransportFailed(f"request failed: {error}", url=target.url) from error

    def _client(self) -> AbstractContextManager[httpx.Client]:
        if self.transport is None:
            return nullcontext(_shared_client())  # kept open for the next request
        import httpx

        return httpx.Client(transport=self.transport, follow_redirects=False, trust_env=False)

    def _pinned(self, target: _Target, headers: dict[str, str]) -> tuple[str, dict[str, Any]]:
        """Connect to the address we checked rather than resolving the name again.

        Only with the real transport: an injected one (tests) never connects anywhere."""
        if target.address is None or self.transport is not None:
            return target.url, {}
        parts = urlsplit(target.url)
        address = f"[{target.address}]" if ":" in target.address else target.address
        headers.setdefault("Host", parts.netloc.rsplit("@", 1)[-1])
        pinned = urlunsplit(parts._replace(netloc=f"{address}:{target.port}"))
        return pinned, {"sni_hostname": target.host}

    def _read(self, target: _Target, response: httpx.Response,
              deadline: float) -> Response | str:
        if response.status_code in REDIRECTS and "location" in response.headers:
            return urljoin(target.url, response.headers["location"])
        if response.status_code >= 400:
            raise HttpStatusError(f"the server answered {response.status_code}",
                                  url=target.url, status=response.status_code,
                                  retry_after=response.headers.get("retry-after"))
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise TooLarge(f"the answer is larger than {self.max_bytes} bytes", url=target.url)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise TooLarge(f"the answer is larger than {self.max_bytes} bytes",
                               url=target.url)
            if self.clock() > deadline:
                raise TimedOut(f"no complete answer within {self.total_timeout} s",
                               url=target.url)
            chunks.append(chunk)
        return Response(url=target.url, status=response.status_code,
                        headers=response.headers, content=b"".join(chunks))


def fetch_json(url: str, *, signer: Signer | None = None) -> dict[str, Any]:
    """The JSON object at `url` through a default Fetcher, signed by `signer` or else by the
    instance actor (servers in authorized-fetch mode answer 401 to unsigned GETs); raises a
    FetchError subclass."""
    if signer is None:
        from affiche.activitypub.instance_actor import InstanceSigner

        signer = InstanceSigner()
    return Fetcher(signer=signer).get_json(url)
