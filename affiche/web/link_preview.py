"""The `Previewer` of affiche/domain/resources.py: fetch a page through the guarded client
(affiche/activitypub/fetch.py: public addresses only, bounded size and time) and read what it says
of itself: its OpenGraph title or <title>, its og:description or meta description, and og:image.

Everything read is plain text (tags dropped, entities decoded by the parser); the pages that show
it escape it. The image is a URL only: our pages show it as a link, never as an <img> a member's
browser would load from a stranger's host. Any failure (blocked address, timeout, too large, not
HTML, error status) is no preview: the link is stored plain.
"""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser
from urllib.parse import urljoin

from affiche.activitypub.fetch import Fetcher, FetchError
from affiche.domain.resources import LinkPreview

# Short: the member waits for this before their link is stored (see resources.py).
CONNECT_TIMEOUT = 2.0
TOTAL_TIMEOUT = 4.0
MAX_BYTES = 1024 * 1024
ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
log = logging.getLogger(__name__)


def fetch_preview(url: str) -> LinkPreview | None:
    """What the page at `url` says about itself, or None when it cannot be read."""
    fetcher = Fetcher(connect_timeout=CONNECT_TIMEOUT, total_timeout=TOTAL_TIMEOUT,
                      max_bytes=MAX_BYTES)
    try:
        answer = fetcher.get(url, accept=ACCEPT)
    except FetchError as error:
        log.info("link preview of %s: %s", url, error.reason)
        return None
    kind = answer.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind not in {"text/html", "application/xhtml+xml"}:
        return None
    return read_preview(decode(answer.content, answer.headers.get("content-type", "")),
                        answer.url)


def decode(content: bytes, content_type: str) -> str:
    """The page's text in the charset its header or its <meta charset> names (UTF-8 else)."""
    declared = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.I) or re.search(
        rb"<meta[^>]+charset=[\"']?([\w.:-]+)", content[:4096], re.I)
    charset = declared.group(1) if declared else "utf-8"
    name = charset.decode("ascii", "replace") if isinstance(charset, bytes) else charset
    try:
        return content.decode(name, errors="replace")
    except LookupError:
        return content.decode("utf-8", errors="replace")


def read_preview(html: str, base_url: str) -> LinkPreview:
    reader = _HeadReader()
    reader.feed(html)
    reader.close()
    meta = reader.meta
    title = meta.get("og:title") or reader.title
    summary = meta.get("og:description") or meta.get("description") or ""
    image = meta.get("og:image") or meta.get("og:image:url") or meta.get("og:image:secure_url")
    return LinkPreview(title=title.strip(), summary=summary.strip(),
                       image_url=urljoin(base_url, image.strip()) if image else None)


class _HeadReader(HTMLParser):
    """Collects <title> and <meta property|name=... content=...>, first value wins."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False
        self._title_done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and not self._title_done:
            self._in_title = True
        elif tag == "meta":
            found = {k.lower(): v or "" for k, v in attrs}
            name = (found.get("property") or found.get("name") or "").strip().lower()
            if name and "content" in found:
                self.meta.setdefault(name, found["content"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title = False
            self._title_done = True

    def handle_data(self, data: str) -> None:
        if self._in_title and len(self.title) < 2000:
            self.title += data
