"""Atom feeds (RFC 4287) of events and posts, built with the standard library's XML writer.

ElementTree escapes markup but writes any character it is given, and one control character
(U+0001) makes the whole feed invalid XML: every text goes through `xml_text` first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree as ET

from affiche.domain.text import xml_text

ATOM = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    url: str
    updated: datetime
    summary: str
    content_html: str


def _text(parent: ET.Element, tag: str, value: str, **attributes: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    node.text = xml_text(value)
    return node


def atom(feed_id: str, title: str, self_url: str, entries: Sequence[Entry],
         fallback_updated: datetime) -> bytes:
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    _text(root, "id", feed_id)
    _text(root, "title", title)
    ET.SubElement(root, f"{{{ATOM}}}link", rel="self", href=self_url)
    ET.SubElement(root, f"{{{ATOM}}}link", rel="alternate", href=feed_id)
    updated = max((e.updated for e in entries), default=fallback_updated)
    ET.SubElement(root, f"{{{ATOM}}}updated").text = updated.isoformat()
    for entry in entries:
        node = ET.SubElement(root, f"{{{ATOM}}}entry")
        _text(node, "id", entry.id)
        _text(node, "title", entry.title)
        ET.SubElement(node, f"{{{ATOM}}}link", rel="alternate", href=entry.url)
        ET.SubElement(node, f"{{{ATOM}}}updated").text = entry.updated.isoformat()
        ET.SubElement(node, f"{{{ATOM}}}author").append(_name(title))
        _text(node, "summary", entry.summary)
        _text(node, "content", entry.content_html, type="html")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8")


def _name(text: str) -> ET.Element:
    node = ET.Element(f"{{{ATOM}}}name")
    node.text = xml_text(text)
    return node
