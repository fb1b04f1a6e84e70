"""What search engines read: robots.txt, the sitemap index and its sitemaps (sitemaps.org 0.9).

The index (`/sitemap.xml`) lists one sitemap of the instance's own pages (`/sitemap-site.xml`:
home, events, tags) and, for each listed group, the group's sitemap (`/@{group}/sitemap.xml`:
its page, its listed events, public posts and yearly archives). A sitemap holds at most
`PER_FILE` URLs; beyond that a group's list continues in `/@{group}/sitemap-2.xml`, and so on,
each listed in the index. Only what anyone may see is listed: the same `listed` rules as the
pages' `noindex`. The XML writer escapes markup and `xml_text` drops what XML 1.0 cannot hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree as ET

from affiche.domain.text import xml_text

SITEMAPS = "http://www.sitemaps.org/schemas/sitemap/0.9"
PER_FILE = 10_000  # the protocol allows 50,000; smaller files re-render faster
CONTENT_TYPE = "application/xml"


@dataclass(frozen=True)
class Url:
    loc: str
    lastmod: datetime | None = None


def chunk_names(prefix: str, count: int) -> list[str]:
    """Keys of the files a list of `count` URLs takes: `{prefix}sitemap.xml`, then
    `{prefix}sitemap-2.xml`... (at least one file, so the index never points at nothing)."""
    files = max(1, -(-count // PER_FILE))
    return [f"{prefix}sitemap.xml" if n == 1 else f"{prefix}sitemap-{n}.xml"
            for n in range(1, files + 1)]


def _date(when: datetime) -> str:
    return when.date().isoformat()  # a day is all crawlers use, and it keeps re-renders quiet


def urlset(urls: Sequence[Url]) -> bytes:
    ET.register_namespace("", SITEMAPS)
    root = ET.Element(f"{{{SITEMAPS}}}urlset")
    for url in urls:
        node = ET.SubElement(root, f"{{{SITEMAPS}}}url")
        ET.SubElement(node, f"{{{SITEMAPS}}}loc").text = xml_text(url.loc)
        if url.lastmod is not None:
            ET.SubElement(node, f"{{{SITEMAPS}}}lastmod").text = _date(url.lastmod)
    return _document(root)


def chunks(prefix: str, urls: Sequence[Url]) -> list[tuple[str, bytes]]:
    """(key, body) of each file holding `urls`, PER_FILE a file."""
    names = chunk_names(prefix, len(urls))
    return [(name, urlset(urls[i * PER_FILE:(i + 1) * PER_FILE]))
            for i, name in enumerate(names)]


def index(locations: Sequence[str]) -> bytes:
    ET.register_namespace("", SITEMAPS)
    root = ET.Element(f"{{{SITEMAPS}}}sitemapindex")
    for location in locations:
        node = ET.SubElement(root, f"{{{SITEMAPS}}}sitemap")
        ET.SubElement(node, f"{{{SITEMAPS}}}loc").text = xml_text(location)
    return _document(root)


def robots(base: str) -> bytes:
    """Crawl the published pages, not the members' space nor the API; where the sitemap is."""
    return (f"User-agent: *\nDisallow: /app/\nDisallow: /api/\n\n"
            f"Sitemap: {base}/sitemap.xml\n").encode()


def _document(root: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")
