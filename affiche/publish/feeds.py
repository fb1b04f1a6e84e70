"""Atom feeds (RFC 4287) of events and posts, built with the standard library's XML writer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree as ET

ATOM = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    url: str
    updated: datetime
    summary: str
    content_html: str


def atom(feed_id: str, title: str, self_url: str, entries: Sequence[Entry],
         fallback_updated: datetime) -> bytes:
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(root, f"{{{ATOM}}}id").text = feed_id
    ET.SubElement(root, f"{{{ATOM}}}title").text = title
    ET.SubElement(root, f"{{{ATOM}}}link", rel="self", href=self_url)
    ET.SubElement(root, f"{{{ATOM}}}link", rel="alternate", href=feed_id)
    updated = max((e.updated for e in entries), default=fallback_updated)
    ET.SubElement(root, f"{{{ATOM}}}updated").text = updated.isoformat()
    for entry in entries:
        node = ET.SubElement(root, f"{{{ATOM}}}entry")
        ET.SubElement(node, f"{{{ATOM}}}id").text = entry.id
        ET.SubElement(node, f"{{{ATOM}}}title").text = entry.title
        ET.SubElement(node, f"{{{ATOM}}}link", rel="alternate", href=entry.url)
        ET.SubElement(node, f"{{{ATOM}}}updated").text = entry.updated.isoformat()
        ET.SubElement(node, f"{{{ATOM}}}author").append(_name(title))
        ET.SubElement(node, f"{{{ATOM}}}summary").text = entry.summary
        ET.SubElement(node, f"{{{ATOM}}}content", type="html").text = entry.content_html
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8")


def _name(text: str) -> ET.Element:
    node = ET.Element(f"{{{ATOM}}}name")
    node.text = text
    return node
