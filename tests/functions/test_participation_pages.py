"""Taking part through the members' pages, as a browser without JavaScript: the participate page
the public event page links to, the organisers' participants page (checkboxes, CSV link), my
events with the private calendar link, each form POSTed with its CSRF token and answered 303."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions.api.handler import lambda_handler
from tests.functions.test_pages import Browser, create_group, signed_up_in_browser, text

EVENT = {"title": "Picnic", "begins_on": "2031-06-01T12:00", "ends_on": "2031-06-01T15:00",
         "timezone": "Europe/Paris"}


@pytest.fixture
def ann(aws: Path, cheap_crypto: None) -> Browser:
    browser = signed_up_in_browser(aws / "mail", "ann@example.org", "ann")
    create_group(browser, openness="open")
    return browser


@pytest.fixture
def bob(aws: Path, ann: Browser) -> Browser:
    return signed_up_in_browser(aws / "mail", "bob@example.org", "bob")


def event(ann: Browser, **fields: object) -> str:
    answer = ann.post("/api/groups/club/events", {**EVENT, **fields})
    assert answer.status == 201, answer.body
    uuid: str = answer.body["uuid"]
    return uuid


def test_join_then_leave_from_the_participate_page(ann: Browser, bob: Browser) -> None:
    uuid = event(ann, capacity=3)
    # Given the page the public "Participate" link opens
    form = bob.get(f"/app/events/{uuid}/participate")
    assert "3 of 3 places left" in text(form) and "Take part" in text(form)
    # When bob takes part
    joined = bob.submit(f"/app/events/{uuid}/participate", {"action": "join", "profile": "bob"})
    # Then he comes back to the page, which says so and offers to leave
    shown = bob.follow(joined)
    assert "You take part in this event." in text(shown)
    assert "@bob: You take part" in text(shown) and "2 of 3 places left" in text(shown)
    # When he leaves
    left = bob.follow(bob.submit(f"/app/events/{uuid}/participate", {"action": "leave",
                                                                      "profile": "bob"}))
    assert "You no longer take part in this event." in text(left)
    # A form without its CSRF token changes nothing
    refused = bob.submit(f"/app/events/{uuid}/participate", {"action": "join"}, csrf="forged")
    assert refused.status == 403
    assert bob.get(f"/api/events/{uuid}").body["participant_count"] == 0


def test_refusals_are_explained_on_the_page(ann: Browser, bob: Browser) -> None:
    full = event(ann, capacity=1)
    assert ann.post(f"/api/events/{full}/participation").status == 201
    page = bob.get(f"/app/events/{full}/participate")
    assert "“Picnic” is full (1 places)" in text(page) and "Take part</button>" not in page.body
    # A hand-made POST gets the same answer next to the form, with its status
    forced = bob.submit(f"/app/events/{full}/participate", {"action": "join"})
    assert forced.status == 409 and "is full" in text(forced)
    cancelled = event(ann, status="cancelled")
    assert "“Picnic” is cancelled" in text(bob.get(f"/app/events/{cancelled}/participate"))
    external = event(ann, join_mode="external", external_url="https://tickets.example/x")
    assert "happens elsewhere" in text(bob.get(f"/app/events/{external}/participate"))
    leaving = bob.submit(f"/app/events/{cancelled}/participate", {"action": "leave"})
    assert leaving.status == 404 and "@bob does not take part" in text(leaving)


def test_visitors_are_sent_to_log_in_when_events_need_an_account(ann: Browser) -> None:
    uuid = event(ann)
    visitor = Browser(lambda_handler)
    answer = visitor.get(f"/app/events/{uuid}/participate")
    assert answer.status == 303 and answer.headers["Location"].startswith("/app/login?next=")


def test_organisers_approve_several_requests_with_checkboxes(ann: Browser, bob: Browser,
                                                             aws: Path) -> None:
    uuid = event(ann, join_mode="restricted")
    carol = signed_up_in_browser(aws / "mail", "carol@example.org", "carol")
    for person in (bob, carol):
        person.get(f"/app/events/{uuid}/participate")
        asked = person.follow(person.submit(f"/app/events/{uuid}/participate",
                                            {"action": "join", "message": "Hello <b>there</b>"}))
        assert "Your request is sent to the organisers." in text(asked)
        assert "Waiting for the organisers" in text(asked)
    # The organiser finds the page from the group's dashboard
    dashboard = ann.get("/app/groups/club/")
    assert f'href="/app/events/{uuid}/participants"' in dashboard.body
    listing = ann.get(f"/app/events/{uuid}/participants")
    assert listing.status == 200 and "Asks to take part" in text(listing)
    assert "Hello &lt;b&gt;there&lt;/b&gt;" in listing.body  # escaped
    assert f'href="/api/events/{uuid}/participants.csv?profile=ann"' in listing.body
    # When both are chosen and approved with a message
    from urllib.parse import urlencode

    body = urlencode([("participants", "bob"), ("participants", "carol"),
                      ("decision", "approve"), ("message", "Welcome"), ("csrf", ann.csrf)])
    answered = ann.post(f"/app/events/{uuid}/participants", body,
                        headers={"content-type": "application/x-www-form-urlencoded"})
    assert "2 participation(s) approved." in text(ann.follow(answered))
    assert ann.get(f"/api/events/{uuid}").body["participant_count"] == 2
    # Nobody chosen: the form comes back with the message
    empty = ann.submit(f"/app/events/{uuid}/participants", {"decision": "reject"})
    assert empty.status == 400 and "choose at least one participant" in text(empty)
    # And people who are not organisers cannot open the page
    assert bob.get(f"/app/events/{uuid}/participants").status == 403


def test_my_events_and_the_private_calendar_link(ann: Browser, bob: Browser) -> None:
    uuid = event(ann)
    assert bob.post(f"/api/events/{uuid}/participation").status == 201
    home = bob.get("/app/")
    assert 'href="/app/participations"' in home.body
    mine = bob.get("/app/participations")
    assert "Picnic" in text(mine) and "no link yet" in text(mine)
    made = bob.follow(bob.submit("/app/participations/calendar", {"profile": "bob",
                                                                  "action": "new"}))
    link = text(made).split("stopped working): ")[1].split()[0]
    path = link.split("affiche.test", 1)[1] if "affiche.test" in link else link
    assert Browser(lambda_handler).get(path).status == 200
    revoked = bob.follow(bob.submit("/app/participations/calendar", {"profile": "bob",
                                                                     "action": "revoke"}))
    assert "no longer works" in text(revoked)
    assert Browser(lambda_handler).get(path).status == 404


def test_an_organiser_invites_to_an_invite_only_event(ann: Browser, bob: Browser,
                                                      aws: Path) -> None:
    from tests.functions.stream_support import OutboxStream

    outbox_stream = OutboxStream()
    uuid = event(ann, join_mode="invite")
    closed = bob.get(f"/app/events/{uuid}/participate")
    assert "is by invitation" in text(closed)
    # When the organiser invites bob from the participants page
    ann.get(f"/app/events/{uuid}/participants")
    invited = ann.follow(ann.submit(f"/app/events/{uuid}/participants/invite",
                                    {"handle": "@bob"}))
    assert "@bob is invited." in text(invited) and "Invited" in text(invited)
    unknown = ann.submit(f"/app/events/{uuid}/participants/invite", {"handle": "nobody"})
    assert unknown.status == 404 and "no profile @nobody" in text(unknown)
    # Then bob is told by mail and accepts from the participate page
    from tests.functions.account_support import mails_to

    outbox_stream.drain()  # the invitation is mailed from the change stream
    assert "You are invited to Picnic" in mails_to(aws / "mail", "bob@example.org")[0]["Subject"]
    page = bob.get(f"/app/events/{uuid}/participate")
    assert "Invited by the organisers" in text(page) and "Accept the invitation" in text(page)
    joined = bob.follow(bob.submit(f"/app/events/{uuid}/participate", {"action": "join"}))
    assert "@bob: You take part" in text(joined)


def test_the_organisers_page_follows_the_roles(ann: Browser, bob: Browser, aws: Path) -> None:
    # Pages walk the roles like routes: visitors log in, members and outsiders are refused,
    # moderators and above see the participants.
    uuid = event(ann)
    path = f"/app/events/{uuid}/participants"
    assert Browser(lambda_handler).get(path).status == 303
    assert bob.get(path).status == 403  # not a member
    assert bob.post("/api/groups/club/join").status == 201
    assert bob.get(path).status == 403  # a plain member
    assert ann.call("PUT", "/api/groups/club/members/bob", {"role": "moderator"}).status == 200
    assert bob.get(path).status == 200  # a moderator
