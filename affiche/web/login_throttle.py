"""Logging in, throttled so that guessing is slow and the owner is never locked out.

A fixed "N failures, then locked for 15 minutes" lets anyone lock the owner out by typing wrong
passwords. Instead (OWASP's "device cookies"):
- failures are counted per (client address, account) pair and per account, and past a few free
  ones each further attempt must wait twice as long as the last (capped): an attacker from one
  address soon waits an hour between guesses, and from many addresses together gets a handful of
  guesses per hour for one account;
- a successful login leaves a device cookie (a random token the table knows, bound to the
  account's email). Attempts that carry a valid one skip the counters above and are counted on
  their own: the owner logs in from their usual browser at once, whatever an attacker does;
- the account-wide wait is capped at a few minutes: the owner on a new device waits that at most.
A throttled attempt is refused before the password is checked (429 with Retry-After), so waiting
is the only way on. Counters live in the table like the other rate limits (ratelimit.py), under
digests of their subjects, and are forgotten a day after the last failure."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from aws_lambda_powertools.shared.cookies import Cookie, SameSite
from pynamodb.exceptions import DoesNotExist

from affiche.domain import accounts, rules
from affiche.domain.errors import DomainError, InvalidInput, NotAuthenticated, RateLimited
from affiche.store.table import Counter, bind
from affiche.web import ratelimit
from affiche.web.ratelimit import subject_digest

if TYPE_CHECKING:
    from affiche.config import Settings
    from affiche.domain.context import Ports
    from affiche.domain.model import Account

FORGET = timedelta(days=1)  # a day without failures and a counter starts again from nothing
DEVICE_LIFETIME = timedelta(days=180)
DEVICE_COOKIE = "affiche_device"


@dataclass(frozen=True)
class Backoff:
    """`free` failures cost nothing; the next attempt after failure n waits 2**(n - free)
    seconds, at most `cap_seconds`."""

    action: str
    free: int
    cap_seconds: int

    def delay(self, failures: int) -> int:
        if failures < self.free:
            return 0
        return min(self.cap_seconds, 2 ** min(failures - self.free, 30))


# One address guessing one account: soon an hour between guesses.
PER_PAIR = Backoff("login-pair", 5, 3600)
# Everyone without a device cookie, guessing one account from anywhere. The cap is the longest
# the owner waits on a new device while someone keeps guessing.
PER_ACCOUNT = Backoff("login-account", 10, 300)
# A browser that logged in before (its device cookie): its own counter, so a stolen cookie is
# slowed too, yet the owner's other devices and the account stay open.
PER_DEVICE = Backoff("login-device", 5, 3600)


def log_in(ports: Ports, *, email: str, password: str, address: str,
           device: str | None) -> tuple[Account, str]:
    """The account for these credentials and the device token to (re)set in the browser.

    RateLimited when this attempt must wait; NotAuthenticated (and one more failure counted)
    when the credentials are wrong."""
    now = time.time()
    subject = _subject(email)
    trusted = device is not None and _known_device(subject, device, now)
    counted = ([(PER_DEVICE, f"{subject} {device}")] if trusted
               else [(PER_PAIR, f"{address} {subject}"), (PER_ACCOUNT, subject)])
    if not trusted:  # one address trying many accounts (password spraying): a plain window
        ratelimit.hit(ratelimit.LOGIN_PER_ADDRESS, address)
    states = [(backoff, key, _failures(_counter(backoff, key), now)) for backoff, key in counted]
    wait = max(_wait(backoff, state, now) for backoff, _, state in states)
    if wait:
        raise RateLimited(_throttled_message(wait, trusted), retry_after=wait)
    # Each attempt is counted as a failure before the password is checked, and given back if
    # it was right: of many attempts sent at the same instant, only those the counters allow
    # are checked (see _claim), instead of all that read the counters before any was counted.
    claimed = []
    try:
        for backoff, key, (failures, _) in states:
            claimed.append((backoff, key))
            _claim(backoff, key, failures, now, trusted)
        account = accounts.login(ports, email=email, password=password)
    except NotAuthenticated:
        raise  # counted already
    except RateLimited:  # too early after all: not checked, so not counted
        for backoff, key in claimed:
            _give_back(backoff, key, forget=False)
        raise
    except DomainError:  # the right password, for an unconfirmed or suspended account
        for backoff, key in claimed:
            _give_back(backoff, key, forget=True)
        raise
    for backoff, key in claimed:
        _give_back(backoff, key, forget=True)
    token = device if trusted and device is not None else rules.new_secret()
    _remember_device(subject, token, now)
    return account, token


def _subject(email: str) -> str:
    try:
        return rules.email(email)
    except InvalidInput:
        return email.strip().lower()[:320]


def _throttled_message(wait: int, trusted: bool) -> str:
    span = f"{wait} seconds" if wait < 120 else f"{math.ceil(wait / 60)} minutes"
    if trusted:
        return (f"too many wrong passwords from this browser: wait {span} before trying again, "
                "or reset your password")
    return (f"too many wrong passwords for this account: wait {span} before trying again, or "
            "reset your password. A browser you logged in with before is not slowed down")


# --- counters ---------------------------------------------------------------------------------

def _counter(backoff: Backoff, key: str) -> Counter:
    bind()
    return Counter(f"RATE#{backoff.action}#{subject_digest(key)}", "B")


def _failures(counter: Counter, now: float) -> tuple[int, float]:
    """(failures, time of the last one) of a stored counter; (0, 0) once forgotten."""
    try:
        counter.refresh(consistent_read=True)
    except DoesNotExist:
        return 0, 0.0
    expires = counter.expires
    if expires is None or expires.timestamp() <= now:  # moto never runs TTL: checked here
        counter.delete()  # forgotten: the next failure starts again at one, not at its old total
        return 0, 0.0
    return int(counter.total), expires.timestamp() - FORGET.total_seconds()


def _wait(backoff: Backoff, state: tuple[int, float], now: float) -> int:
    failures, last = state
    remaining = last + backoff.delay(failures) - now
    return math.ceil(remaining) if failures and remaining > 0 else 0


def _claim(backoff: Backoff, key: str, failures: int, now: float, trusted: bool) -> None:
    """Count this attempt as failure number `failures + 1`. When other attempts were counted
    since `failures` was read, and the counter then wanted a wait, this one came too early:
    RateLimited (it stays counted, which only slows a burst down further)."""
    counter = _counter(backoff, key)
    # ADD: concurrent attempts each get their own number, none overwrites another's count.
    counter.update(actions=[Counter.total.add(1),
                            Counter.expires.set(datetime.fromtimestamp(now, UTC) + FORGET)])
    before = int(counter.total) - 1
    if before > failures and backoff.delay(before):
        wait = backoff.delay(before)
        raise RateLimited(_throttled_message(wait, trusted), retry_after=wait)


def _give_back(backoff: Backoff, key: str, *, forget: bool) -> None:
    """The attempt was no wrong password: the counter loses it again. After the right password
    (`forget`), an address's or a device's counter is forgotten altogether; the account's keeps
    the others' guesses."""
    counter = _counter(backoff, key)
    if forget and backoff is not PER_ACCOUNT:
        counter.delete()
    else:
        counter.update(actions=[Counter.total.add(-1)])


# --- device cookies ----------------------------------------------------------------------------

def _device_item(subject: str, token: str) -> Counter:
    bind()
    return Counter(f"DEVICE#{subject_digest(f'{subject} {token}')}", "D")


def _known_device(subject: str, token: str, now: float) -> bool:
    item = _device_item(subject, token)
    try:
        item.refresh(consistent_read=True)
    except DoesNotExist:
        return False
    return item.expires is not None and item.expires.timestamp() > now


def _remember_device(subject: str, token: str, now: float) -> None:
    _device_item(subject, token).update(actions=[
        Counter.expires.set(datetime.fromtimestamp(now, UTC) + DEVICE_LIFETIME)])


def device_cookie_name(settings: Settings) -> str:
    return "__Host-" + DEVICE_COOKIE if settings.secure else DEVICE_COOKIE


def device_cookie(settings: Settings, token: str, *, max_age: int | None = None) -> Cookie:
    """Strict: sent only with this site's own requests, which is all a login form needs. An
    empty token with max_age=0 clears it (a deleted account leaves nothing in the browser)."""
    return Cookie(name=device_cookie_name(settings), value=token, path="/", http_only=True,
                  secure=settings.secure, same_site=SameSite.STRICT_MODE,
                  max_age=int(DEVICE_LIFETIME.total_seconds()) if max_age is None else max_age)


def read_device(settings: Settings, cookies: list[str] | None, header: str | None) -> str | None:
    """The device token from API Gateway v2's `cookies` list (or a raw Cookie header)."""
    wanted = device_cookie_name(settings)
    for cookie in [*(cookies or []), *((header or "").split(";"))]:
        name, _, value = cookie.strip().partition("=")
        if name == wanted and value:
            return value[:200]
    return None
