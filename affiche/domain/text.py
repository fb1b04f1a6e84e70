"""Turning what people type into safe HTML: Markdown in, nh3's allow-list out.

Everything stored as `*_html` went through `sanitize`; templates mark only those fields `|safe`."""

from __future__ import annotations

import re
import unicodedata
from html import unescape

import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "hr", "i",
    "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "u", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}


# What no output can carry as typed: C0 controls but tab and line breaks, DEL, C1 controls,
# lone surrogates (JSON can smuggle them in; UTF-8 cannot encode them) and the two
# non-characters XML 1.0 excludes. A single line refuses line breaks (and U+2028/U+2029) too:
# they would end a header, an ICS property or a title element's one line.
NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
NOT_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
# XML 1.0 (section 2.2) allows tab, CR, LF, U+0020-U+D7FF, U+E000-U+FFFD, U+10000 and above.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def is_text(value: str) -> bool:
    """Whether multi-line text holds only characters every output format can carry."""
    return NOT_TEXT.search(value) is None


def is_line(value: str) -> bool:
    """Whether single-line text (a title, a name, a place) holds no line break nor control."""
    return NOT_LINE.search(value) is None


def xml_text(value: str) -> str:
    """`value` without the characters XML 1.0 cannot hold, even escaped. Input refuses them
    (rules.text); this guards what arrived before that rule or from another server."""
    return NOT_XML.sub("", value)


def sanitize(html: str) -> str:
    """Keep a small allow-list of tags; links get rel=nofollow noopener (nh3 adds it)."""
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"},
                     link_rel="nofollow noopener noreferrer")


def markdown_to_html(source: str) -> str:
    import markdown  # imported on first use: ~40 ms that most requests never need

    return sanitize(markdown.markdown(source, extensions=["sane_lists"], output_format="html"))


def plain_text(html: str) -> str:
    """Text of sanitised HTML with its entities kept (`&amp;`): still HTML-safe, for summaries
    in ActivityStreams (whose `summary` is HTML)."""
    text = nh3.clean(re.sub(r"</(p|li|h\d|blockquote)>", "\n", html), tags=set())
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def text_of(html: str) -> str:
    """The words of sanitised HTML as plain text, entities decoded (`&` not `&amp;`): for
    iCalendar descriptions, JSON-LD, Atom text, meta tags (each output escapes it its own way)."""
    return unescape(plain_text(html))


def slugify(text: str, max_length: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].strip("-") or "post"
