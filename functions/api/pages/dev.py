"""`/dev/mail`: the mail the instance sent, read from the local maildir, links clickable.

Development only. It is answered when Settings.dev_pages is on (the local runner sets
AFFICHE_DEV_PAGES=1; the SAM template never does) and is a plain 404 otherwise, so a deployed
instance cannot show anybody's confirmation or reset links. The local gateway routes /dev/* to
the api function; CloudFront has no such behaviour at all."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from markupsafe import Markup, escape

from affiche.config import get_settings
from affiche.mail import read_maildir
from affiche.web import pages

router = APIGatewayHttpRouter()
URL = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class Mail:
    key: str
    to: str
    sender: str
    subject: str
    date: str
    body: Markup


def linkify(text: str) -> Markup:
    """Escaped text whose http(s) URLs are links (escaped once, as text and as href)."""
    parts: list[str] = []
    last = 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(".,;:)")
        parts.append(escape(text[last:match.start()]))
        parts.append(Markup('<a href="{0}">{0}</a>').format(url))
        last = match.start() + len(url)
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def _mail(key: str, message: EmailMessage) -> Mail:
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    return Mail(key=key, to=str(message["To"] or ""), sender=str(message["From"] or ""),
                subject=str(message["Subject"] or "(no subject)"),
                date=str(message["Date"] or ""), body=linkify(text))


def _messages() -> list[Mail] | None:
    """Every message, newest first; None when dev pages are off (the page then does not exist)."""
    settings = get_settings()
    if not settings.dev_pages or not settings.mail_dir:
        return None
    return [_mail(key, message) for key, message in read_maildir(settings.mail_dir)]


@router.get("/dev/mail", include_in_schema=False)
def mail_list() -> Response[str]:
    messages = _messages()
    if messages is None:
        return pages.not_found()
    return pages.render("app/dev_mail.html", messages=messages)


@router.get("/dev/mail/<key>", include_in_schema=False)
def mail_message(key: str) -> Response[str]:
    # Looked up among the listed keys, never joined to a path: a key cannot name another file.
    found = [m for m in _messages() or [] if m.key == key]
    if not found:
        return pages.not_found()
    return pages.render("app/dev_message.html", m=found[0])
