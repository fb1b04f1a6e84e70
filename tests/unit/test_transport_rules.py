"""Small pure rules of the federation transport: blocked-domain matching, the inbound state
graph, back-off and Retry-After, JSON nesting depth."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from affiche.activitypub import blocklist, delivery_consumer, inbound
from affiche.activitypub.inbox import nesting_depth

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("host", "blocked"), [
    ("spam.example", True), ("a.b.spam.example", True), ("SPAM.example.", True),
    ("notspam.example", False), ("spam.example.org", False), ("spam.example:8443", True),
    ("bücher.example", False), ("xn--bcher-kva.spam.example", True),
])
def test_a_blocked_domain_blocks_its_subdomains_only(host: str, blocked: bool) -> None:
    assert blocklist.is_blocked(host, {blocklist.normalise("Spam.Example")}) is blocked


def test_idn_domains_are_compared_in_punycode() -> None:
    assert blocklist.is_blocked("bücher.example", {blocklist.normalise("BÜCHER.example")})


def test_the_inbound_state_graph() -> None:
    # one initial state; every state reachable from it; terminal states lead nowhere
    states = {s for pair in inbound.TRANSITIONS for s in (pair[0],)} | set(
        inbound.TRANSITIONS.values())
    assert states == {"received", "processed", "ignored", "failed"}
    assert {s for s, _ in inbound.TRANSITIONS} == {"received"}


@pytest.mark.parametrize(("value", "seconds"), [
    (None, 0), ("", 0), ("120", 120), ("  30 ", 30), ("soon", 0), ("-5", 0),
    ("99999999999999", 6 * 3600), ("Tue, 01 Jan 2030 01:00:00 GMT", 3600),
    ("Mon, 31 Dec 2029 00:00:00 GMT", 0),
])
def test_retry_after_is_read_and_bounded(value: str | None, seconds: int) -> None:
    assert delivery_consumer._retry_after(value, NOW) == seconds


def test_backoff_doubles_up_to_six_hours() -> None:
    assert [delivery_consumer.backoff_seconds(n, None, NOW) for n in (1, 2, 3)] == [60, 120, 240]
    assert delivery_consumer.backoff_seconds(30, None, NOW) == 6 * 3600
    assert delivery_consumer.backoff_seconds(1, "600", NOW) == 600


@pytest.mark.parametrize(("body", "depth"), [
    (b"{}", 1), (b"[[[]]]", 3), (b'{"a": "[[[[[[["}', 1), (b'{"a": "\\"[[["}', 1),
    (b"1", 0), (b'[{"a": [1, {"b": []}]}]', 5),
])
def test_nesting_depth_ignores_brackets_in_strings(body: bytes, depth: int) -> None:
    assert nesting_depth(body) == depth
