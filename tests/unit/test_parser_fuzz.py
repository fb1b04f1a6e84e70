"""Any bytes at the three doors that parse what strangers send get a 4xx or a clean result,
never an exception: the inbox (bounded JSON parse, activity shape checks, signature headers),
the multipart parser of uploads, and the urlencoded forms of the members' pages.

Hypothesis examples are bounded (and derandomised) so the file runs in seconds."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from affiche import bounded_json
from affiche.activitypub import blocklist, fetch
from affiche.activitypub.inbox import Answer, InboundRequest, Inbox, parse_activity
from affiche.activitypub.remote_keys import RemoteKey
from affiche.activitypub.signatures import sign_request
from affiche.config import Settings
from affiche.domain.errors import InvalidInput
from affiche.web import forms
from affiche.web.forms import Form, parse_form
from affiche.web.guard import refuse_unreadable_json
from functions.inbox.handler import lambda_handler as inbox_handler
from functions.inbox.handler import request_from_event

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
ACTOR = "https://remote.example/users/alice"
KEY_ID = f"{ACTOR}#main-key"
PUBLIC = "https://affiche.test"

# --- the inbox ---------------------------------------------------------------------------------


@cache
def _pems() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return public.decode(), private.decode()


class Keys:
    """Every key id resolves to alice's key: a forged or garbled header still reaches the
    verifier instead of stopping at the fetch."""

    def get(self, key_id: str, *, refresh: bool) -> RemoteKey:
        return RemoteKey(key_id, ACTOR, _pems()[0], NOW, NOW + timedelta(days=1))

    def seen(self, key_id: str) -> bool:
        return True


class Store:
    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}

    def local_actor_exists(self, name: str) -> bool:
        return name == "club"

    def record(self, activity_id: str, record: dict[str, Any], expires: datetime) -> bool:
        json.dumps(record)  # what DynamoDB would be handed must serialise
        return self.records.setdefault(activity_id, record) is record


def _inbox() -> Inbox:
    config = Settings(public_url=PUBLIC, table_name="t", site_bucket="b", delivery_queue_url="",
                      aws_endpoint_url=None, aws_region="eu-west-1", mail_mode="maildir",
                      mail_dir=None, mail_from="x@affiche.test", dev_pages=False,
                      allow_private_fetch=False, instance_name="test")
    return Inbox(keys=Keys(), store=Store(), clock=lambda: NOW, settings=config,
                 blocked=lambda: frozenset({"blocked.example"}),
                 policy=lambda: blocklist.Policy(blocked=frozenset({"blocked.example"})))


def _is_clean_answer(answer: Answer) -> None:
    assert isinstance(answer, Answer)
    assert 200 <= answer.status < 500, answer
    json.dumps(answer.body)
    for name, value in answer.headers.items():
        assert isinstance(name, str) and isinstance(value, str)


JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
URLS = st.sampled_from([ACTOR, KEY_ID, "https://blocked.example/u", "http://x:99999/", "", "::",
                        "https://[::1/", f"{PUBLIC}/@club", "https://remote.example:0/a"])
# Activities that look nearly right: the shape checks, not the JSON parser, have to answer.
ACTIVITIES = st.fixed_dictionaries(
    {"type": st.one_of(st.sampled_from(["Follow", "Create", "Delete", "Update", "Undo", "Join"]),
                       st.lists(st.text(max_size=5), max_size=12), JSON_VALUES)},
    optional={"actor": st.one_of(URLS, st.fixed_dictionaries({"id": URLS}), JSON_VALUES),
              "id": st.one_of(URLS, JSON_VALUES), "object": st.one_of(URLS, JSON_VALUES),
              "@context": JSON_VALUES, "to": JSON_VALUES})
BODIES = st.one_of(st.binary(max_size=300), JSON_VALUES.map(lambda v: json.dumps(v).encode()),
                   ACTIVITIES.map(lambda v: json.dumps(v).encode()),
                   st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
                   st.integers(1, 3000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n))
HEADER_VALUES = st.one_of(st.text(max_size=80), st.sampled_from([
    f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="(request-target) host date",'
    'signature="AAAA"', 'keyId="x",headers="(created) (expires)",created=9999999999999,'
    'expires=-1,signature="=="', 'sig1=("@method" "@path");created=1;keyid="k"',
    'sig1=:AAAA:', "Sun, 06 Nov 1994 08:49:37 GMT", "SHA-256=xyz", "sha-256=:AA==:"]))
HEADERS = st.dictionaries(st.sampled_from(["signature", "signature-input", "date", "digest",
                                           "host", "content-type", "content-digest", "x-other"]),
                          HEADER_VALUES, max_size=6)


@FUZZ
@given(body=BODIES)
def test_any_body_is_parsed_or_refused_with_400(body: bytes) -> None:
    parsed = parse_activity(body)
    if isinstance(parsed, Answer):
        assert parsed.status == 400
    else:
        assert isinstance(parsed, dict) and "actor" in parsed


@FUZZ
@given(body=BODIES, headers=HEADERS, path=st.sampled_from(["/inbox", "/@club/inbox",
                                                              "/@nobody/inbox", "/@/inbox",
                                                              "/%ff/inbox", "/inbox/x"]),
       method=st.sampled_from(["POST", "GET", "post", "PUT"]))
def test_any_request_to_the_inbox_gets_a_clean_answer(body: bytes, headers: dict[str, str],
                                                       path: str, method: str) -> None:
    _is_clean_answer(_inbox().receive(InboundRequest(method=method, path=path, headers=headers,
                                                     body=body, query="")))


@FUZZ
@given(activity=ACTIVITIES, tamper=HEADERS)
def test_signed_activities_with_tampered_headers_get_a_clean_answer(
        activity: dict[str, Any], tamper: dict[str, str]) -> None:
    # Given a correctly signed request (so the checks after the signature run too)...
    body = json.dumps(activity).encode()
    headers = sign_request("POST", f"{PUBLIC}/inbox", {"host": "affiche.test"}, body, KEY_ID,
                           _pems()[1], now=NOW)
    headers = {k.lower(): v for k, v in headers.items()}
    # ...and the same with some headers garbled
    for signed in (headers, {**headers, **tamper}):
        _is_clean_answer(_inbox().receive(InboundRequest("POST", "/inbox", signed, body, "")))


@FUZZ
@given(body=st.text(max_size=200), encoded=st.booleans(),
       headers=st.one_of(st.none(), st.dictionaries(st.text(max_size=10), st.text(max_size=20))))
def test_the_inbox_function_answers_any_event(body: str, encoded: bool,
                                              headers: dict[str, str] | None) -> None:
    event = {"rawPath": "/nowhere", "body": body, "isBase64Encoded": encoded, "headers": headers,
             "requestContext": {"http": {"method": "POST"}}}
    request = request_from_event(event)
    if isinstance(request, Answer):
        assert request.status == 400
    answer = inbox_handler(event, None)  # /nowhere: answered before any store is touched
    assert answer["statusCode"] == 404 or answer["statusCode"] == 400
    json.loads(answer["body"])


# --- forms and uploads --------------------------------------------------------------------------

def _event(content_type: str, body: bytes, *, encoded: bool = True) -> dict[str, Any]:
    return {"headers": {"Content-Type": content_type},
            "body": base64.b64encode(body).decode() if encoded else body.decode("latin-1"),
            "isBase64Encoded": encoded}


def _parsed_or_refused(event: dict[str, Any]) -> Form | None:
    try:
        form = parse_form(event)
    except InvalidInput as error:
        assert error.message
        return None
    assert isinstance(form, Form)
    for name, values in form.fields.items():
        assert isinstance(name, str) and all(isinstance(v, str) for v in values)
    for name, upload in form.files.items():
        assert isinstance(name, str) and isinstance(upload.data, bytes)
        assert isinstance(upload.filename, str) and isinstance(upload.content_type, str)
    form.values()
    return form


CONTENT_TYPES = st.one_of(
    st.sampled_from(["application/x-www-form-urlencoded", "multipart/form-data",
                     "multipart/form-data; boundary=b", 'multipart/form-data; boundary="b"',
                     "multipart/form-data; boundary=", "multipart/form-data; boundary=€",
                     "multipart/form-data; boundary=b; charset=nope", "text/plain", ""]),
    st.text(max_size=60))


@FUZZ
@given(content_type=CONTENT_TYPES, body=st.binary(max_size=400), encoded=st.booleans())
def test_any_bytes_as_a_form_are_read_or_refused(content_type: str, body: bytes,
                                                 encoded: bool) -> None:
    _parsed_or_refused(_event(content_type, body, encoded=encoded))


def test_a_body_that_is_not_base64_is_refused() -> None:
    event = {"headers": {"Content-Type": "application/x-www-form-urlencoded"},
             "body": "not base64!", "isBase64Encoded": True}
    assert _parsed_or_refused(event) is None


URLENCODED = st.lists(st.tuples(st.text(max_size=10), st.text(max_size=20)), max_size=8).map(
    lambda pairs: "&".join(f"{k}={v}" for k, v in pairs).encode("utf-8", "surrogatepass"))


@FUZZ
@given(body=st.one_of(URLENCODED, st.binary(max_size=200)))
def test_any_urlencoded_form_is_read_or_refused(body: bytes) -> None:
    _parsed_or_refused(_event("application/x-www-form-urlencoded", body))


PART_HEADERS = st.lists(st.one_of(
    st.sampled_from([
        'Content-Disposition: form-data; name="title"',
        'Content-Disposition: form-data; name="picture"; filename="a.png"',
        'Content-Disposition: form-data; name="picture"; filename*=nope\'\'%ff%fe',
        "Content-Disposition: form-data; name*=utf-8''%E2%82%AC",
        "Content-Disposition: form-data; name*=bogus''%ff",
        "Content-Disposition: form-data",
        "Content-Disposition: form-data; name=",
        "Content-Type: text/plain; charset=nope",
        "Content-Type: text/plain; charset=utf-16",
        "Content-Type: image/png",
        "Content-Type: multipart/mixed; boundary=inner",
        "Content-Transfer-Encoding: base64",
        "Content-Transfer-Encoding: quoted-printable",
        "Content-Transfer-Encoding: x-uuencode",
    ]),
    st.text(max_size=40).map(lambda t: f"Content-Disposition: {t}")), max_size=4)
PARTS = st.lists(st.tuples(PART_HEADERS, st.binary(max_size=60)), max_size=6)


def _multipart(parts: list[tuple[list[str], bytes]], closing: bool) -> bytes:
    chunks = []
    for headers, data in parts:
        head = "\r\n".join(headers).encode("utf-8", "surrogatepass")
        chunks.append(b"--b\r\n" + head + b"\r\n\r\n" + data + b"\r\n")
    return b"".join(chunks) + (b"--b--\r\n" if closing else b"")


@FUZZ
@given(parts=PARTS, closing=st.booleans())
def test_any_multipart_upload_is_read_or_refused(parts: list[tuple[list[str], bytes]],
                                                 closing: bool) -> None:
    _parsed_or_refused(_event("multipart/form-data; boundary=b", _multipart(parts, closing)))


def test_many_tiny_parts_are_refused_before_they_are_parsed() -> None:
    # Given 6 MB of tiny parts (parsing them all took the email parser minutes)
    part = b'--b\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n'
    body = part * (forms.MAX_MULTIPART // len(part)) + b"--b--\r\n"
    started = time.perf_counter()
    # Then they are refused at once
    assert _parsed_or_refused(_event("multipart/form-data; boundary=b", body)) is None
    assert time.perf_counter() - started < 1


def test_multipart_at_the_field_limit_is_still_read() -> None:
    part = b'--b\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n'
    form = _parsed_or_refused(_event("multipart/form-data; boundary=b",
                                     part * forms.MAX_FIELDS + b"--b--\r\n"))
    assert form is not None and len(form.getlist("f")) == forms.MAX_FIELDS


# --- JSON bodies of the API, and remote documents ----------------------------------------------

def _api_write(body: bytes) -> dict[str, Any]:
    return {"rawPath": "/api/accounts", "requestContext": {"http": {"method": "POST"}},
            "headers": {"content-type": "application/json"},
            "body": base64.b64encode(body).decode(), "isBase64Encoded": True}


@FUZZ
@given(body=BODIES)
def test_any_api_write_body_passes_the_guard_or_gets_a_4xx(body: bytes) -> None:
    answer = refuse_unreadable_json(_api_write(body))
    if answer is not None:
        assert 400 <= answer["statusCode"] < 500 and json.loads(answer["body"])["message"]
    else:
        json.loads(body or b"null")  # what passes is JSON the routes can read


def test_deeply_nested_json_is_a_400_everywhere_strangers_send_it() -> None:
    # Given 2,000 levels of nesting (4 KB), which made Python's json raise RecursionError
    deep = b'{"email":' * 2000 + b"1" + b"}" * 2000
    # Then the API answers 400 instead of crashing
    answer = refuse_unreadable_json(_api_write(deep))
    assert answer is not None and answer["statusCode"] == 400
    # and a remote server's document that deep is an unreadable document, not a crash
    with pytest.raises(fetch.InvalidDocument):
        fetch.Response("https://remote.example/x", 200, httpx.Headers(), deep).json()
    with pytest.raises(ValueError):
        bounded_json.loads(b"[" * 100 + b"]" * 100)
    assert bounded_json.loads(b'[[["[[[[[["]]]') == [[["[[[[[["]]]
