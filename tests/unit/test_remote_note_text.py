"""A remote Note's HTML becomes a comment's Markdown source that renders exactly its text."""

from __future__ import annotations

import pytest

from affiche.activitypub.handlers.note import markdown_source
from affiche.domain.text import markdown_to_html


@pytest.mark.parametrize(("html", "shown"), [
    ("<p>Hello <b>world</b></p>", "<p>Hello world</p>"),
    ("<p>*not em* _nor this_ `code` [link](x) ![img](y)</p>",
     "<p>*not em* _nor this_ `code` [link](x) ![img](y)</p>"),
    ("<p># not a heading</p><p>&gt; not a quote</p>",
     "<p># not a heading</p>\n<p>&gt; not a quote</p>"),
    ("<p>- not a list</p><p>1. nor this</p>", "<p>- not a list</p>\n<p>1. nor this</p>"),
    ("<p>a &lt;b&gt; tag &amp; co</p>", "<p>a &lt;b&gt; tag &amp; co</p>"),
    ("<p>Title<br>===</p>", "<p>Title<br>\n===</p>"),  # a line, not a heading
    ("<p>one<br>two</p><p>three</p>", "<p>one<br>\ntwo</p>\n<p>three</p>"),
    ('<p>x<script>alert(1)</script><a href="javascript:alert(1)">y</a></p>', "<p>xy</p>"),
])
def test_remote_html_shows_its_text_and_nothing_else(html: str, shown: str) -> None:
    assert markdown_to_html(markdown_source(html)) == shown
