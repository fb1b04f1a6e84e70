"""Wrong passwords slow guessing down without locking the owner out (affiche/web/login_throttle.py):
failures per (address, account) and per account wait twice as long each time, and a browser that
logged in before (its device cookie) is counted on its own."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest

from affiche.domain.errors import RateLimited
from affiche.web import login_throttle
from functions.api.handler import lambda_handler
from tests.functions.account_support import PASSWORD, logged_in, new_client
from tests.functions.api_client import Answer, ApiClient

START = 1_900_000_000.0
DEVICE = "__Host-affiche_device"  # the tests' public URL is https


class Clock:
    def __init__(self) -> None:
        self.now = START

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(login_throttle, "time", SimpleNamespace(time=clock.time))
    return clock


@pytest.fixture
def owner(aws: Path, cheap_crypto: None, monkeypatch: pytest.MonkeyPatch,
          clock: Clock) -> ApiClient:
    """Ann, who logged in from this browser before: it holds her device cookie."""
    browser = logged_in(aws / "mail", monkeypatch)
    assert DEVICE in browser.cookies
    browser.cookies.pop("__Host-affiche_session")
    return browser


def attempt(client: ApiClient, address: str, password: str = "wrong guess") -> Answer:
    return client.post("/api/session", {"email": "ann@example.org", "password": password},
                       headers={"CloudFront-Viewer-Address": f"{address}:443"})


def test_an_attacker_from_many_addresses_cannot_guess_fast_but_the_owner_logs_in_at_once(
        owner: ApiClient, clock: Clock) -> None:
    # Given someone trying a password every 5 seconds for ten minutes, each from a new address
    answers = []
    for n in range(120):
        answers.append(attempt(new_client(), f"198.51.100.{n}"))
        clock.now += 5
    # Then only a handful of the guesses were even checked: the rest waited
    guessed = sum(a.status == 401 for a in answers)
    assert 10 <= guessed <= 22, guessed
    assert {a.status for a in answers} == {401, 429}
    refused = next(a for a in answers if a.status == 429)
    assert int(refused.headers["Retry-After"]) >= 1
    assert "wait" in refused.body["message"] and refused.body["error"] == "rate_limited"
    # And when the owner logs in from her usual browser, she is in at once
    mine = attempt(owner, "203.0.113.7", PASSWORD)
    assert mine.status == 200, mine.body


def test_the_owner_on_a_new_device_waits_a_bounded_time_and_a_throttled_guess_is_not_checked(
        owner: ApiClient, clock: Clock) -> None:
    # Given an attacker who keeps the account's counter high
    for n in range(40):
        attempt(new_client(), f"198.51.100.{n}")
        clock.now += 30
    # When the owner tries from a new browser, with the right password
    newcomer = new_client()
    first = attempt(newcomer, "203.0.113.9", PASSWORD)
    # Then she is told how long to wait (never longer than the cap), and why
    assert first.status == 429
    wait = int(first.headers["Retry-After"])
    assert 0 < wait <= login_throttle.PER_ACCOUNT.cap_seconds
    assert "browser you logged in with before" in first.body["message"]
    # and once that time has passed, she is in (and that browser is now one of hers)
    clock.now += wait
    second = attempt(newcomer, "203.0.113.9", PASSWORD)
    assert second.status == 200, second.body
    assert DEVICE in newcomer.cookies


def test_one_address_guessing_one_account_waits_twice_as_long_each_time(
        owner: ApiClient, clock: Clock) -> None:
    guesser = new_client()
    # Given five free wrong guesses from one address
    assert [attempt(guesser, "192.0.2.1").status for _ in range(5)] == [401] * 5
    waits = []
    for _ in range(5):
        # Then each next guess has to wait, twice as long as the one before
        refused = attempt(guesser, "192.0.2.1")
        assert refused.status == 429
        waits.append(int(refused.headers["Retry-After"]))
        clock.now += waits[-1]
        assert attempt(guesser, "192.0.2.1").status == 401
    assert waits == [1, 2, 4, 8, 16]


def test_a_stolen_device_cookie_is_slowed_on_its_own(owner: ApiClient, clock: Clock) -> None:
    # Given a thief guessing with a copy of ann's device cookie
    thief = new_client()
    thief.cookies[DEVICE] = owner.cookies[DEVICE]
    statuses = [attempt(thief, f"192.0.2.{n}").status for n in range(7)]
    # Then the device is slowed down like an address would be
    assert statuses == [401] * 5 + [429, 429]
    # while ann, from another browser, is not: the account itself was not slowed
    other = new_client()
    assert attempt(other, "203.0.113.1", PASSWORD).status == 200
    clock.now += 3600
    assert attempt(other, "203.0.113.1", PASSWORD).status == 200


def test_the_login_page_says_how_long_to_wait(owner: ApiClient, clock: Clock) -> None:
    for n in range(12):
        attempt(new_client(), f"198.51.100.{n}")
    browser = ApiClient(lambda_handler)
    form = browser.get("/app/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.body)
    assert csrf is not None
    answer = browser.post("/app/login", urlencode({"email": "ann@example.org",
                                                   "password": PASSWORD, "csrf": csrf.group(1)}),
                          headers={"content-type": "application/x-www-form-urlencoded",
                                   "CloudFront-Viewer-Address": "203.0.113.5:443"})
    assert answer.status == 429 and int(answer.headers["Retry-After"]) > 0
    assert "too many wrong passwords for this account: wait" in answer.body
    assert 'value="ann@example.org"' in answer.body


def test_guesses_sent_at_the_same_instant_are_checked_one_at_a_time(
        owner: ApiClient, clock: Clock) -> None:
    # Given ten wrong guesses at ann's account, and the wait after them over
    for n in range(10):
        assert attempt(new_client(), f"198.51.100.{n}").status == 401
    clock.now += 1
    # When two guesses arrive together, both having read the counter before either was counted
    read = login_throttle._failures(login_throttle._counter(
        login_throttle.PER_ACCOUNT, "ann@example.org"), clock.now)
    assert read[0] == 10
    login_throttle._claim(login_throttle.PER_ACCOUNT, "ann@example.org", read[0], clock.now,
                          False)
    # Then only the first is let through to the password check
    with pytest.raises(RateLimited):
        login_throttle._claim(login_throttle.PER_ACCOUNT, "ann@example.org", read[0],
                              clock.now, False)


def test_failures_are_forgotten_after_a_quiet_day(owner: ApiClient, clock: Clock) -> None:
    guesser = new_client()
    assert [attempt(guesser, "192.0.2.1").status for _ in range(6)] == [401] * 5 + [429]
    # When a day passes without a failure
    clock.now += login_throttle.FORGET.total_seconds() + 1
    # Then the address starts again with its free guesses
    assert [attempt(guesser, "192.0.2.1").status for _ in range(6)] == [401] * 5 + [429]
