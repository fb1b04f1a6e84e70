"""Every link our mails carry leads to a page that exists (a dead link in a mail cannot be fixed
once it is sent)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from affiche.mail import TEMPLATES
from functions.api.handler import lambda_handler
from tests.apigw import http_event

LINK = re.compile(r"\{\{ public_url \}\}(/[^?\n]*)")
LINKS = sorted({(path.name, match) for path in TEMPLATES.glob("*.txt")
                for match in LINK.findall(path.read_text())})


@pytest.mark.parametrize(("template", "link"), LINKS, ids=[f"{t}:{p}" for t, p in LINKS])
def test_mail_links_lead_to_a_page(aws: Path, template: str, link: str) -> None:
    if link == "/events/{{ event_uuid }}/":
        # A static event page (publish/renderer.py writes events/{uuid}/index.html), not a
        # function's route; tests/functions/test_comments.py reads such a page.
        return
    path = link.replace("{{ group }}", "somegroup")
    response = lambda_handler(http_event("GET", path), None)
    # Anonymous visitors may be sent to log in (303) or told a group is unknown (404 page with
    # our layout); a route that does not exist answers Powertools' bare 404 "Not found".
    assert response["statusCode"] in {200, 303, 400, 404}, response
    assert "Not found" not in (response.get("body") or "") or "<html" in response["body"]


def test_mails_have_links() -> None:
    assert len(LINKS) >= 5
