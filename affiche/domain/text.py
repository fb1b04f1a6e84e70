"""Turning what people type into safe HTML: Markdown in, nh3's allow-list out.

Everything stored as `*_html` went through `sanitize`; templates mark only those fields `|safe`."""

from __future__ import annotations

import re
import unicodedata

import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "hr", "i",
    "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "u", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}


def sanitize(html: str) -> str:
    """Keep a small allow-list of tags; links get rel=nofollow noopener (nh3 adds it)."""
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"},
                     link_rel="nofollow noopener noreferrer")


def markdown_to_html(source: str) -> str:
    import markdown  # imported on first use: ~40 ms that most requests never need

    return sanitize(markdown.markdown(source, extensions=["sane_lists"], output_format="html"))


def plain_text(html: str) -> str:
    """Text of sanitised HTML, for summaries and iCalendar descriptions."""
    text = nh3.clean(re.sub(r"</(p|li|h\d|blockquote)>", "\n", html), tags=set())
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def slugify(text: str, max_length: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].strip("-") or "post"
