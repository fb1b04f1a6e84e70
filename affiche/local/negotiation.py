"""Which backend serves a request, and which bucket object a public URL names.

This is the one content-negotiation rule of DESIGN.md §3. It runs in two places that must agree:
the local gateway (this module) and the CloudFront viewer-request function
(`infra/cloudfront/negotiate.js`, a line-by-line port). Both are checked against the same table of
vectors, `infra/negotiation-vectors.json`; change the three together.

`route(path)` mirrors the CloudFront cache behaviours (and the HTTP API routes behind them).
`resolve(path, accept)` mirrors what the default (S3) behaviour serves:

- `/x/` is `x/index.html`, or `x/index.json` served as `application/activity+json` when the
  client asks for ActivityPub and does not prefer HTML;
- `/x` whose last segment has no dot is the directory `/x/`;
- `/x/file.ext` is the object `x/file.ext`;
- a few fixed documents (nodeinfo, host-meta, outbox, followers, the instance actor) have fixed
  keys and content types.

Keys have no leading slash and are percent-decoded (S3 decodes the URI the same way).
A path that could escape its folder (a `.` or `..` segment), has a broken percent-escape or a
control character resolves to `("", None)`: the empty key never names an object, so the gateway
answers 404 (the CloudFront function answers 404 itself rather than ask S3 for the bucket root).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

AP_TYPE = "application/activity+json"
AS_PROFILE = "https://www.w3.org/ns/activitystreams"
NODEINFO_TYPE = 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"'

REJECTED: tuple[str, str | None] = ("", None)

# Fixed documents: path -> (key, content type). Their URLs are ids other servers dereference
# verbatim, so they cannot carry an extension or a trailing slash.
_FIXED: dict[str, tuple[str, str]] = {
    "/.well-known/nodeinfo": (".well-known/nodeinfo.json", "application/json"),
    "/.well-known/host-meta": (".well-known/host-meta.xml", "application/xrd+xml"),
    "/nodeinfo/2.1": ("nodeinfo/2.1.json", NODEINFO_TYPE),
    "/actor": ("actor.json", AP_TYPE),
}
_ACTOR_COLLECTION = re.compile(r"/@([^/]+)/(outbox|followers|following|events|posts)")
_ACTOR_INBOX = re.compile(r"/@[^/]+/inbox")

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TOKEN = r"[a-z0-9!#$%&'*+.^_`|~-]+"  # RFC 9110 tchar, after lower-casing
_MEDIA_TYPE = re.compile(_TOKEN + "/" + _TOKEN)
# RFC 9110 qvalue, without its three-digit cap (a client sending q=0.8000 still means 0.8).
_QVALUE = re.compile(r"0(\.[0-9]*)?|1(\.0*)?")
# Only the first ranges of an Accept header count: the CloudFront Function has about a
# millisecond of compute, and a header of hundreds of ranges would take it far past that
# (infra/cloudfront/negotiate.js MAX_RANGES; browsers send fewer than ten).
MAX_RANGES = 16
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_OWS = " \t"


def _decode(path: str) -> str | None:
    """Percent-decode like JavaScript's decodeURIComponent: None where that would throw."""
    if _BAD_ESCAPE.search(path):
        return None
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        return None
    if _CONTROL.search(decoded):
        return None
    return decoded


def _clean_path(path: str) -> str | None:
    """The decoded path without its query, or None when it must not reach the bucket."""
    decoded = _decode(path.split("?", 1)[0])
    if decoded is None or not decoded.startswith("/"):
        return None
    if any(segment in {".", ".."} for segment in decoded.split("/")):
        return None
    return decoded


def route(path: str) -> str:
    """Backend for a request path: "api", "moderation", "inbox", "webfinger" or "site".

    Same order as the CloudFront behaviours; `/api/mod/*` is the more specific HTTP API route.
    `/dev/*` only exists in the local gateway and is served by the api function.
    """
    decoded = _decode(path.split("?", 1)[0]) or path
    if decoded.startswith("/api/mod/"):
        return "moderation"
    if decoded.startswith(("/api/", "/app/", "/dev/")):
        return "api"
    if decoded == "/inbox" or _ACTOR_INBOX.fullmatch(decoded):
        return "inbox"
    if decoded == "/.well-known/webfinger":
        return "webfinger"
    return "site"


def resolve(path: str, accept: str | None) -> tuple[str, str | None]:
    """(key in the site bucket, content type to force or None) for a public GET.

    None as content type means "whatever the object was stored with".
    """
    clean = _clean_path(path)
    if clean is None:
        return REJECTED
    if clean in _FIXED:
        return _FIXED[clean]
    collection = _ACTOR_COLLECTION.fullmatch(clean)
    if collection:
        return f"@{collection.group(1)}/{collection.group(2)}.json", AP_TYPE
    last = clean.rsplit("/", 1)[1]
    if last and "." in last:
        return clean[1:], None
    folder = clean if clean.endswith("/") else clean + "/"
    if wants_activitypub(accept):
        return folder[1:] + "index.json", AP_TYPE
    return folder[1:] + "index.html", None


# --- Accept header -------------------------------------------------------------------------


def _split_unquoted(text: str, sep: str) -> list[str]:
    """Split on `sep` outside double-quoted strings (a profile URI list may hold , or ;)."""
    parts: list[str] = []
    buf: list[str] = []
    quoted = escaped = False
    for ch in text:
        if quoted:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == sep:
            parts.append("".join(buf))
            buf = []
            continue
        buf.append(ch)
    parts.append("".join(buf))
    return parts


def _unquote_value(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1], flags=re.DOTALL)
    return value


def _parse_range(text: str) -> tuple[str, dict[str, str], float] | None:
    """(lower-cased media range, parameters, q) or None for a malformed range, which is ignored."""
    pieces = _split_unquoted(text, ";")
    media = pieces[0].strip(_OWS).lower()
    if not _MEDIA_TYPE.fullmatch(media):
        return None
    params: dict[str, str] = {}
    for piece in pieces[1:]:
        if "=" not in piece:
            continue
        name, value = piece.split("=", 1)
        params[name.strip(_OWS).lower()] = _unquote_value(value.strip(_OWS))
    q = params.pop("q", "1")
    if not _QVALUE.fullmatch(q):
        return None
    return media, params, float(q)


def _parse_accept(accept: str) -> list[tuple[str, dict[str, str], float]]:
    ranges = (_parse_range(part) for part in _split_unquoted(accept, ",")[:MAX_RANGES])
    return [r for r in ranges if r is not None]


def _quality(ranges: list[tuple[str, dict[str, str], float]], media: str) -> float:
    """q the client gives `media`: the most specific matching range wins (RFC 9110 §12.5.1)."""
    major = media.split("/", 1)[0] + "/*"
    best_rank, best_q = -1, 0.0
    for candidate, _params, q in ranges:
        rank = {media: 2, major: 1, "*/*": 0}.get(candidate, -1)
        if rank > best_rank:
            best_rank, best_q = rank, q
        elif rank == best_rank and rank >= 0:
            best_q = max(best_q, q)
    return best_q


def _is_activitypub(media: str, params: dict[str, str]) -> bool:
    if media == AP_TYPE:
        return True
    # The profile parameter is a space-separated list of URIs (JSON-LD 1.1 §9).
    profiles = re.split(r"[ \t]+", params.get("profile", "").lower())
    return media == "application/ld+json" and AS_PROFILE in profiles


def wants_activitypub(accept: str | None) -> bool:
    """True when the client names ActivityPub explicitly and does not prefer HTML to it.

    Wildcards never select JSON (browsers send `*/*`); on a tie JSON wins, because only
    fediverse software names an ActivityPub type at all.
    """
    if not accept:
        return False
    ranges = _parse_accept(accept)
    q_ap = max((q for media, params, q in ranges if _is_activitypub(media, params)), default=0.0)
    q_html = max(_quality(ranges, media) for media in _HTML_TYPES)
    return q_ap > 0 and q_ap >= q_html
