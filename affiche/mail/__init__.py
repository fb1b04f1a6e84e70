"""Outgoing mail: templates rendered once, sent through SES in AWS or into a local maildir.

`mailer()` picks the sender from settings (AFFICHE_MAIL_MODE)."""

from __future__ import annotations

import email
import email.policy
import mailbox
import re
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from affiche.config import Settings, get_settings

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2  # only when a mail is sent

    # Plain-text mail: no HTML escaping, but undefined variables must fail loudly.
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                              undefined=jinja2.StrictUndefined, autoescape=False,
                              keep_trailing_newline=True)


_HEADER_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")


def header_value(value: str) -> str:
    """One line for a mail header: any CR, LF or other control character (a group's display
    name with a carriage return...) becomes a space; the mail library would raise otherwise,
    after the change was committed."""
    return " ".join(_HEADER_BREAKS.sub(" ", value).split())


def compose(settings: Settings, to: str, template: str, context: dict[str, Any]) -> EmailMessage:
    """Subject is the template's first line; the rest is the body. The two are rendered apart,
    so a value with a line break cannot push part of the subject into the body."""
    environment = _environment()
    loader = environment.loader
    assert loader is not None
    source, _, _ = loader.get_source(environment, f"{template}.txt")
    first, _, rest = source.partition("\n")
    values = {"public_url": settings.public_url, "instance": settings.instance_name, **context}
    subject = environment.from_string(first).render(**values)
    body = environment.from_string(rest).render(**values)
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = header_value(to)
    message["Subject"] = header_value(subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.host.split(":")[0] or "localhost")
    message.set_content(body.lstrip("\n"))
    return message


def _maildir(path: str) -> mailbox.Maildir:
    # mailbox only creates cur/new/tmp when the folder itself is missing; make them in any case.
    for sub in ("cur", "new", "tmp"):
        Path(path, sub).mkdir(parents=True, exist_ok=True)
    return mailbox.Maildir(path, create=False)


class MaildirMailer:
    """Local development: messages land in a maildir that the dev mail page lists."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        assert settings.mail_dir, "AFFICHE_MAIL_DIR must be set for maildir mail"
        self.box = _maildir(settings.mail_dir)

    def send(self, to: str, template: str, context: dict[str, Any]) -> None:
        self.box.add(compose(self.settings, to, template, context))


class SesMailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, to: str, template: str, context: dict[str, Any]) -> None:
        from affiche.aws import client

        message = compose(self.settings, to, template, context)
        client("sesv2").send_email(
            FromEmailAddress=self.settings.mail_from,
            Destination={"ToAddresses": [to]},
            Content={"Raw": {"Data": message.as_bytes()}},
        )


def mailer(settings: Settings | None = None) -> MaildirMailer | SesMailer:
    settings = settings or get_settings()
    if settings.mail_mode == "maildir":
        return MaildirMailer(settings)
    return SesMailer(settings)


def read_maildir(path: str) -> list[tuple[str, EmailMessage]]:
    """(key, message) pairs of a maildir, newest first (the dev mail page and tests)."""
    box = _maildir(path)
    found = []
    for key in box.iterkeys():
        message = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append((key, message))
    return sorted(found, key=lambda pair: _delivery_time(pair[0]), reverse=True)


def _delivery_time(key: str) -> tuple[int, int]:
    """Maildir keys read `{seconds}.M{microseconds}P{pid}...`: order by both numbers."""
    seconds, _, rest = key.partition(".")
    micro = re.match(r"M(\d+)", rest)
    return int(seconds), int(micro.group(1)) if micro else 0
