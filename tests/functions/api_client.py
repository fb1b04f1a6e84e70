"""A tiny client calling the API handler in-process with API Gateway v2 events (moto behind)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from affiche.mail import read_maildir
from tests.apigw import http_event
from tests.functions.stream_support import send_outgoing_mail


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]
    cookies: list[str]


@dataclass
class ApiClient:
    handler: Any
    cookies: dict[str, str] = field(default_factory=dict)
    # After each write, send the account mails it wrote, as the change stream would
    # (stream_support.send_outgoing_mail); False leaves them to the test's own stream.
    sends_mail: bool = True

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> Answer:
        cookies = [f"{k}={v}" for k, v in self.cookies.items()]
        res = self.handler(http_event(method, path, body=body, cookies=cookies or None, **kw), None)
        if self.sends_mail and method != "GET":
            send_outgoing_mail()
        for cookie in res.get("cookies") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in cookie or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        raw = res.get("body") or ""
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw
        return Answer(res["statusCode"], parsed, res.get("headers") or {}, res.get("cookies") or [])

    def post(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("POST", path, body, **kw)

    def get(self, path: str, **kw: Any) -> Answer:
        return self.call("GET", path, **kw)


def last_mail_link(maildir: Path, to: str, pattern: str = r"token=([\w-]+)") -> str:
    """The token in the newest message sent to `to` (account mails still in the table are sent
    first, as the stream would)."""
    send_outgoing_mail()
    for _, message in read_maildir(str(maildir)):
        if message["To"] == to:
            match = re.search(pattern, message.get_content())
            assert match, message.get_content()
            return match.group(1)
    raise AssertionError(f"no mail to {to}")


def signed_up(client: ApiClient, maildir: Path, email: str, username: str,
              password: str = "correct horse battery") -> Answer:
    """Sign up, confirm from the mail, log in: the client then carries the session cookie."""
    answer = client.post("/api/accounts", {"email": email, "password": password,
                                           "username": username})
    assert answer.status == 201, answer.body
    token = last_mail_link(maildir, email)
    assert client.post("/api/accounts/confirm", {"token": token}).status == 200
    login = client.post("/api/session", {"email": email, "password": password})
    assert login.status == 200, login.body
    return login
