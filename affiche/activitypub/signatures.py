"""HTTP Signatures: draft-cavage (sign and verify) and RFC 9421 (verify).

What the fediverse actually speaks (DESIGN.md §4):
- Outgoing requests are signed with draft-cavage-http-signatures-12, `rsa-sha256`, over
  `(request-target) host date digest content-type` for POSTs and `(request-target) host date`
  for GETs, with `Digest: SHA-256=<base64>` of the raw body. Mastodon, Mobilizon, Gancio, Lemmy
  and Pleroma all verify this (https://docs.joinmastodon.org/spec/security/#http).
- Incoming requests may carry draft-cavage or RFC 9421 (`Signature-Input` + `Signature`).
  Mastodon accepts RFC 9421 since 4.4 and sends it from 4.5 (with `created`, `@method`,
  `@target-uri` and `Content-Digest`, rsa-v1_5-sha256:
  https://github.com/mastodon/mastodon/pull/34814). Both are checked here.

The signing string is always rebuilt from the *public* request: callers pass the path and query
of the public URL and the public host (configuration), never the Host header or path the origin
saw. Behind CloudFront and API Gateway both differ from what the sender signed.

Verification returns a `VerificationResult` instead of raising, so that one separate step (the
inbox) decides the HTTP answer and whether to re-fetch a rotated key. Cheap checks (covered
headers, digest, date) run before the key lookup, so a malformed request never costs a fetch.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from affiche.activitypub import sfv

#: key id -> (owner actor id, public key PEM), or None when the key cannot be found.
KeyLookup = Callable[[str], tuple[str, str] | None]
PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
DEFAULT_CONTENT_TYPE = "application/activity+json"


class Reason(StrEnum):
    OK = "ok"
    UNSIGNED = "unsigned"
    MALFORMED = "malformed"
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    MISSING_COMPONENT = "missing_component"  # a required header is not covered by the signature
    MISSING_DIGEST = "missing_digest"
    DIGEST_MISMATCH = "digest_mismatch"
    STALE = "date_out_of_window"
    UNKNOWN_KEY = "unknown_key"
    BAD_KEY = "bad_key"
    BAD_SIGNATURE = "bad_signature"


#: Failures a freshly fetched key could cure (the sender rotated its key).
KEY_FAILURES = frozenset({Reason.UNKNOWN_KEY, Reason.BAD_KEY, Reason.BAD_SIGNATURE})


@dataclass(frozen=True)
class VerificationResult:
    ok: bool
    reason: Reason
    detail: str = ""
    key_id: str | None = None
    signer: str | None = None  # owner of the key: the actor who signed
    scheme: str | None = None  # "draft-cavage" | "rfc9421"

    @property
    def key_may_be_stale(self) -> bool:
        """True when re-fetching the key once might turn this failure into a success."""
        return not self.ok and self.reason in KEY_FAILURES


@dataclass(frozen=True)
class Policy:
    """What a signature must cover to be accepted (DESIGN.md §4)."""

    max_skew: timedelta = timedelta(hours=1)
    require_digest: bool = True  # POST/PUT/PATCH must sign a digest of the body


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class _Request:
    """The public view of the request being verified."""

    method: str
    target: str  # path with query, as in the public URL
    host: str
    scheme: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    now: datetime
    policy: Policy
    lookup: KeyLookup = field(repr=False)

    @property
    def has_body_method(self) -> bool:
        return self.method in BODY_METHODS


# --- keys ------------------------------------------------------------------------------------

@lru_cache(maxsize=256)
def load_public_key(pem: str) -> PublicKey:
    """An RSA (SPKI or PKCS#1 `BEGIN RSA PUBLIC KEY`, as Mobilizon publishes) or Ed25519 key.

    Raises ValueError for anything else."""
    try:
        key = serialization.load_pem_public_key(pem.strip().encode())
    except (ValueError, UnsupportedAlgorithm) as error:
        raise ValueError(f"unreadable public key: {error}") from error
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise ValueError(f"unsupported key type {type(key).__name__}")
    return key


@lru_cache(maxsize=64)
def _load_private_key(pem: str) -> rsa.RSAPrivateKey:
    # Loading an RSA private key checks it, which costs milliseconds: keep loaded keys.
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("only RSA private keys sign draft-cavage rsa-sha256")
    return key


def _verify_bytes(key: PublicKey, algorithm: str, signature: bytes, data: bytes) -> bool:
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            if algorithm not in ("ed25519", "hs2019"):
                return False
            key.verify(signature, data)
        elif algorithm == "ed25519":
            return False
        elif algorithm == "rsa-pss-sha512":
            key.verify(signature, data, padding.PSS(mgf=padding.MGF1(hashes.SHA512()),
                                                    salt_length=64), hashes.SHA512())
        else:
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


# --- signing (draft-cavage) ------------------------------------------------------------------

def digest_header(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def http_date(now: datetime | None = None) -> str:
    return format_datetime((now or datetime.now(UTC)).astimezone(UTC), usegmt=True)


def sign_request(method: str, url: str, headers: Mapping[str, str], body: bytes | None,
                 key_id: str, private_pem: str, *, now: datetime | None = None
                 ) -> dict[str, str]:
    """The headers to add to a request so that Mastodon & co accept it (draft-cavage, rsa-sha256).

    POSTs get `Digest` and sign `content-type` too; the content type defaults to
    application/activity+json (and is then returned as well)."""
    method = method.upper()
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    existing = {k.lower(): v for k, v in headers.items()}
    added = {"Host": parts.netloc, "Date": http_date(now)}
    lines = [f"(request-target): {method.lower()} {target}", f"host: {added['Host']}",
             f"date: {added['Date']}"]
    covered = ["(request-target)", "host", "date"]
    if method in BODY_METHODS:
        added["Digest"] = digest_header(body or b"")
        content_type = existing.get("content-type")
        if content_type is None:
            content_type = added["Content-Type"] = DEFAULT_CONTENT_TYPE
        lines += [f"digest: {added['Digest']}", f"content-type: {content_type}"]
        covered += ["digest", "content-type"]
    key = _load_private_key(private_pem)
    signature = key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    added["Signature"] = (f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(covered)}",'
                          f'signature="{base64.b64encode(signature).decode()}"')
    return added


class RequestSigner:
    """Signs requests as one actor: the `signer` the guarded fetcher accepts for signed GETs."""

    def __init__(self, key_id: str, private_pem: str) -> None:
        self.key_id = key_id
        self._private_pem = private_pem

    def __call__(self, method: str, url: str, headers: Mapping[str, str],
                 body: bytes | None) -> dict[str, str]:
        return sign_request(method, url, headers, body, self.key_id, self._private_pem)

    def __repr__(self) -> str:  # never let a private key reach a log line
        return f"RequestSigner(key_id={self.key_id!r})"


# --- verification ------------------------------------------------------------------------------

def verify_request(method: str, path_with_query: str, headers: Mapping[str, str], body: bytes,
                   public_pem_lookup: KeyLookup, now: datetime, *, host: str | None = None,
                   scheme: str = "https", policy: Policy = DEFAULT_POLICY) -> VerificationResult:
    """Check the request's HTTP signature (RFC 9421 if `Signature-Input` is present, else
    draft-cavage).

    `path_with_query` and `host` must be those of the *public* URL the sender addressed; `host`
    replaces the Host header when given. `now` is injectable to check old recorded requests."""
    lowered = {k.lower(): v.strip() for k, v in headers.items()}
    if host is not None:
        lowered["host"] = host
    request = _Request(method=method.upper(), target=path_with_query or "/",
                       host=lowered.get("host", ""), scheme=scheme, headers=lowered, body=body,
                       now=now if now.tzinfo else now.replace(tzinfo=UTC), policy=policy,
                       lookup=public_pem_lookup)
    if "signature-input" in lowered:
        return _verify_rfc9421(request)
    raw = _cavage_header(lowered)
    if raw is None:
        return VerificationResult(False, Reason.UNSIGNED, "no Signature header")
    return _verify_cavage(request, raw)


def signature_key_id(headers: Mapping[str, str]) -> str | None:
    """The key id a request claims to be signed with, without verifying anything."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if "signature-input" in lowered:
        try:
            members = sfv.parse_dictionary(lowered["signature-input"])
        except sfv.ParseError:
            return None
        first = next(iter(members.values()), None)  # the label verification checks
        key_id = first.params.get("keyid") if first is not None else None
        return key_id if isinstance(key_id, str) else None
    raw = _cavage_header(lowered)
    return _cavage_params(raw).get("keyid") if raw else None


def _failure(reason: Reason, detail: str, **kw: Any) -> VerificationResult:
    return VerificationResult(False, reason, detail, **kw)


def _check_date(request: _Request, value: str | None, **kw: Any) -> VerificationResult | None:
    if not value:
        return _failure(Reason.STALE, "no Date header", **kw)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return _failure(Reason.MALFORMED, f"unreadable Date {value!r}", **kw)
    return _check_time(request, when if when.tzinfo else when.replace(tzinfo=UTC), "Date", **kw)


def _check_time(request: _Request, when: datetime, what: str,
                **kw: Any) -> VerificationResult | None:
    skew = abs(request.now - when)
    if skew > request.policy.max_skew:
        return _failure(Reason.STALE, f"{what} is {int(skew.total_seconds())} s away from now",
                        **kw)
    return None


#: 9999-12-31T23:59:59Z: beyond it datetime cannot represent a time (a huge `created` would crash)
MAX_TIMESTAMP = 253402300799


def _timestamp(value: Any, what: str, **kw: Any) -> datetime | VerificationResult | None:
    """A signature's `created`/`expires` (integer seconds since the epoch), None when absent,
    or a failure for anything else (a string, a decimal, a boolean, negative or out of range)."""
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        value = int(value)  # draft-cavage parameters are strings
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TIMESTAMP:
        return _failure(Reason.MALFORMED, f"{what} is not a valid timestamp", **kw)
    return datetime.fromtimestamp(value, UTC)


def _cavage_times(request: _Request, params: dict[str, str],
                  **kw: Any) -> VerificationResult | None:
    """draft-cavage's optional `created`/`expires` parameters, when a sender gives them."""
    created = _timestamp(params.get("created"), "created", **kw)
    expires = _timestamp(params.get("expires"), "expires", **kw)
    for checked in (created, expires):
        if isinstance(checked, VerificationResult):
            return checked
    if isinstance(expires, datetime) and expires < request.now:
        return _failure(Reason.STALE, "signature has expired", **kw)
    if isinstance(created, datetime) and created - request.now > request.policy.max_skew:
        return _failure(Reason.STALE, "signature created in the future", **kw)
    return None


def _check_legacy_digest(request: _Request, **kw: Any) -> VerificationResult | None:
    """`Digest: SHA-256=<base64>` (RFC 3230), as draft-cavage senders use."""
    header = request.headers.get("digest")
    if header is None:
        return None
    known = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        algorithm = known.get(name.lower())
        if algorithm is None:
            continue
        expected = base64.b64encode(algorithm(request.body).digest()).decode()
        if hmac.compare_digest(expected, value.strip()):
            return None
        return _failure(Reason.DIGEST_MISMATCH, f"{name} digest does not match the body", **kw)
    return _failure(Reason.DIGEST_MISMATCH, "no SHA-256 or SHA-512 digest", **kw)


def _check_content_digest(request: _Request, **kw: Any) -> VerificationResult | None:
    """`Content-Digest: sha-256=:<base64>:` (RFC 9530), as RFC 9421 senders use."""
    header = request.headers.get("content-digest")
    if header is None:
        return None
    try:
        members = sfv.parse_dictionary(header)
    except sfv.ParseError:
        return _failure(Reason.MALFORMED, "unreadable Content-Digest", **kw)
    known = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
    for name, member in members.items():
        if name in known and isinstance(member, sfv.Item) and isinstance(member.value, bytes):
            if hmac.compare_digest(known[name](request.body).digest(), member.value):
                return None
            return _failure(Reason.DIGEST_MISMATCH, f"{name} digest does not match the body", **kw)
    return _failure(Reason.DIGEST_MISMATCH, "no sha-256 or sha-512 content digest", **kw)


def _resolve_key(request: _Request, **kw: Any) -> tuple[str, PublicKey] | VerificationResult:
    key_id = kw["key_id"]
    found = request.lookup(key_id)
    if found is None:
        return _failure(Reason.UNKNOWN_KEY, f"no public key found for {key_id}", **kw)
    owner, pem = found
    try:
        return owner, load_public_key(pem)
    except ValueError as error:
        return _failure(Reason.BAD_KEY, str(error), signer=owner, **kw)


# --- draft-cavage ----------------------------------------------------------------------------

_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))\s*(?:,|$)')


def _cavage_header(headers: Mapping[str, str]) -> str | None:
    if headers.get("signature"):
        return headers["signature"]
    auth = headers.get("authorization", "")
    if auth[:10].lower() == "signature ":
        return auth[10:]
    return None


def _cavage_params(raw: str) -> dict[str, str]:
    return {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
            for m in _PARAM.finditer(raw)}


def _verify_cavage(request: _Request, raw: str) -> VerificationResult:
    params = _cavage_params(raw)
    key_id, encoded = params.get("keyid"), params.get("signature")
    kw: dict[str, Any] = {"key_id": key_id, "scheme": "draft-cavage"}
    if not key_id or not encoded:
        return _failure(Reason.MALFORMED, "Signature lacks keyId or signature", **kw)
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in ("rsa-sha256", "hs2019", "ed25519"):
        return _failure(Reason.UNSUPPORTED_ALGORITHM, f"algorithm {algorithm}", **kw)
    covered = params.get("headers", "date").lower().split()
    problem = (_cavage_coverage(request, covered, **kw)
               or _cavage_times(request, params, **kw)
               or _check_legacy_digest(request, **kw)
               or _check_date(request, request.headers.get("date"), **kw))
    if problem:
        return problem
    signing_string = _cavage_signing_string(request, covered, params)
    if signing_string is None:
        return _failure(Reason.MALFORMED, "a signed header is missing from the request", **kw)
    try:
        signature = base64.b64decode(encoded, validate=True)
    except ValueError:
        return _failure(Reason.MALFORMED, "signature is not base64", **kw)
    return _check_signature(request, algorithm, signature, signing_string.encode(), **kw)


def _cavage_coverage(request: _Request, covered: list[str],
                     **kw: Any) -> VerificationResult | None:
    required = ["(request-target)", "host", "date"]
    missing = [name for name in required if name not in covered]
    if missing:
        return _failure(Reason.MISSING_COMPONENT, f"not signed: {', '.join(missing)}", **kw)
    needs_digest = request.has_body_method and request.policy.require_digest
    if needs_digest and ("digest" not in covered or "digest" not in request.headers):
        return _failure(Reason.MISSING_DIGEST, "a POST must sign a Digest of its body", **kw)
    return None


def _cavage_signing_string(request: _Request, covered: list[str],
                           params: dict[str, str]) -> str | None:
    lines = []
    for name in covered:
        if name == "(request-target)":
            value: str | None = f"{request.method.lower()} {request.target}"
        elif name in ("(created)", "(expires)"):
            value = params.get(name[1:-1])
        else:
            value = request.headers.get(name)
        if value is None:
            return None
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _check_signature(request: _Request, algorithm: str, signature: bytes, data: bytes,
                     **kw: Any) -> VerificationResult:
    """Look the key up (only now: every cheaper check has passed) and check the signature."""
    resolved = _resolve_key(request, **kw)
    if isinstance(resolved, VerificationResult):
        return resolved
    owner, key = resolved
    if not _verify_bytes(key, algorithm, signature, data):
        return _failure(Reason.BAD_SIGNATURE, "signature does not match", signer=owner, **kw)
    return VerificationResult(True, Reason.OK, "", signer=owner, **kw)


# --- RFC 9421 --------------------------------------------------------------------------------

RFC9421_ALGORITHMS = frozenset({"rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519"})


def _verify_rfc9421(request: _Request) -> VerificationResult:
    kw: dict[str, Any] = {"scheme": "rfc9421"}
    try:
        inputs = sfv.parse_dictionary(request.headers["signature-input"])
        signatures = sfv.parse_dictionary(request.headers.get("signature", ""))
    except sfv.ParseError as error:
        return _failure(Reason.MALFORMED, f"unreadable signature fields: {error}", **kw)
    # Fediverse senders attach one signature; we check the first label only.
    label = next(iter(inputs), None)
    if label is None:
        return _failure(Reason.UNSIGNED, "empty Signature-Input", **kw)
    components, signature = inputs[label], signatures.get(label)
    if not isinstance(components, sfv.InnerList):
        return _failure(Reason.MALFORMED, f"Signature-Input {label} is not a list", **kw)
    if not isinstance(signature, sfv.Item) or not isinstance(signature.value, bytes):
        return _failure(Reason.MALFORMED, f"no Signature for label {label}", **kw)
    key_id = components.params.get("keyid")
    if not isinstance(key_id, str):
        return _failure(Reason.MALFORMED, "Signature-Input lacks keyid", **kw)
    kw["key_id"] = key_id
    algorithm = components.params.get("alg", "")
    if not isinstance(algorithm, str) or (algorithm and algorithm not in RFC9421_ALGORITHMS):
        return _failure(Reason.UNSUPPORTED_ALGORITHM, f"algorithm {algorithm!r}", **kw)
    names = [str(item.value) for item in components.items]
    problem = (_rfc9421_coverage(request, names, **kw)
               or _check_content_digest(request, **kw)
               or _check_legacy_digest(request, **kw)
               or _rfc9421_freshness(request, components, names, **kw))
    if problem:
        return problem
    base = _rfc9421_base(request, components)
    if base is None:
        return _failure(Reason.MALFORMED, "a covered component is missing or unsupported", **kw)
    return _check_signature(request, algorithm or "hs2019", signature.value, base.encode(),
                            **kw)


def _rfc9421_coverage(request: _Request, names: list[str],
                      **kw: Any) -> VerificationResult | None:
    has_target = "@target-uri" in names or (
        "@authority" in names and ("@path" in names or "@request-target" in names))
    if "@method" not in names or not has_target:
        return _failure(Reason.MISSING_COMPONENT,
                        "must cover @method and @target-uri (or @authority and @path)", **kw)
    needs_digest = request.has_body_method and request.policy.require_digest
    if needs_digest and not ({"content-digest", "digest"} & set(names)):
        return _failure(Reason.MISSING_DIGEST, "a POST must sign a digest of its body", **kw)
    return None


def _rfc9421_freshness(request: _Request, components: sfv.InnerList, names: list[str],
                       **kw: Any) -> VerificationResult | None:
    created = _timestamp(components.params.get("created"), "created", **kw)
    expires = _timestamp(components.params.get("expires"), "expires", **kw)
    for checked in (created, expires):
        if isinstance(checked, VerificationResult):
            return checked
    if isinstance(expires, datetime) and expires < request.now:
        return _failure(Reason.STALE, "signature has expired", **kw)
    if isinstance(created, datetime):
        return _check_time(request, created, "created", **kw)
    if "date" in names:
        return _check_date(request, request.headers.get("date"), **kw)
    return _failure(Reason.STALE, "signature has neither created nor a signed Date", **kw)


def _derived(request: _Request, name: str) -> str | None:
    path, _, query = request.target.partition("?")
    values = {
        "@method": request.method,
        "@target-uri": f"{request.scheme}://{request.host}{request.target}",
        "@authority": request.host.lower(),
        "@scheme": request.scheme,
        "@request-target": request.target,
        "@path": path or "/",
        "@query": f"?{query}",
    }
    return values.get(name)


def _rfc9421_base(request: _Request, components: sfv.InnerList) -> str | None:
    lines = []
    for item in components.items:
        name = str(item.value)
        if item.params:  # ;sf ;key ;bs ;req: not sent by fediverse software, not supported
            return None
        value = _derived(request, name) if name.startswith("@") else request.headers.get(name)
        if value is None:
            return None
        lines.append(f"{sfv.serialize_item(item)}: {value}")
    lines.append(f'"@signature-params": {sfv.serialize_inner_list(components)}')
    return "\n".join(lines)
