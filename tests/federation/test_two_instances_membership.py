"""Two instances on 127.0.0.1 (the runners of test_two_instances.py), shared by the tests of this
module (starting a pair is the slow part): group membership across instances, and a deleted
event withdrawn from the other side."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from tests.federation.test_two_instances import eventually, instance, logged_in


class Pair:
    def __init__(self, a: tuple[str, str, str], b: tuple[str, str, str]) -> None:
        self.a_url, self.b_url = a[0], b[0]
        self.a, self.b = logged_in(*a), logged_in(*b)
        self.b_name = self.b.get("/api/me").json()["profiles"][0]["name"]
        self.b_host = self.b_url.removeprefix("http://")


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    data = tmp_path_factory.mktemp("pair")
    with ExitStack() as stack:
        a = stack.enter_context(instance(data / "a"))
        b = stack.enter_context(instance(data / "b", "--empty"))
        yield Pair(a, b)


def submit(client: httpx.Client, page: str, path: str, fields: dict[str, str]) -> httpx.Response:
    """Post a form the way a browser does: with the CSRF token the page showed."""
    token = re.search(r'name="csrf" value="([^"]+)"', client.get(page).text)
    assert token, "the page has a form"
    return client.post(path, data={**fields, "csrf": token.group(1)})


def test_an_invitation_across_instances_is_accepted(pair: Pair) -> None:
    # When A's administrator invites the person of B by their handle
    invited = pair.a.post("/api/groups/demo/invitations",
                          json={"handle": f"@{pair.b_name}@{pair.b_host}"})
    assert invited.status_code == 201, invited.text
    person = f"{pair.b_url}/@{pair.b_name}/"
    assert invited.json()["member"] == person  # WebFinger gave the actor id: one key
    # Then the invitation reaches B, in the person's space
    group = f"{pair.a_url}/@demo/"
    eventually(lambda: [i for i in pair.b.get("/api/invitations").json()["invitations"]
                        if i["group"] == group], "B shows the invitation")
    assert "Accept the invitation to" in pair.b.get("/app/").text
    # When they accept it on B's page
    accepted = submit(pair.b, "/app/", "/app/invitations/-/accept",
                      {"profile": pair.b_name, "group": group})
    assert accepted.status_code == 303, accepted.text

    # Then they are a member on A, listed with the others
    def member() -> list[dict[str, Any]]:
        listed = pair.a.get("/api/groups/demo/members").json()["members"]
        return [m for m in listed if m["member"] == person and m["role"] == "member"]

    eventually(member, "A lists the person of B as a member")


def test_a_deleted_event_answers_410_and_leaves_the_other_side(pair: Pair) -> None:
    # Given the person on B follows A's group and sees its new event
    followed = pair.b.post("/api/me/following",
                           json={"handle": f"@demo@{pair.a_url.removeprefix('http://')}"})
    assert followed.status_code == 201, followed.text
    eventually(lambda: [f["state"] for f in pair.b.get("/api/me/following").json()[
        "following"]] == ["accepted"], "A's group accepts the follow")
    created = pair.a.post("/api/groups/demo/events", json={
        "title": "Soon withdrawn", "begins_on": "2031-07-01T12:00",
        "ends_on": "2031-07-01T15:00", "timezone": "Europe/Paris"})
    assert created.status_code == 201, created.text
    uuid = created.json()["uuid"]
    eventually(lambda: "Soon withdrawn" in pair.b.get("/app/").text, "B shows the event")
    # When A deletes it
    deleted = pair.a.request("DELETE", f"/api/events/{uuid}", json={})
    assert deleted.status_code in (200, 204), deleted.text
    # Then A answers 410 Gone for it, and B's copy is removed on the Delete
    eventually(lambda: httpx.get(f"{pair.a_url}/events/{uuid}/", headers={
        "Accept": "application/activity+json"}).status_code == 410, "A answers 410")
    eventually(lambda: "Soon withdrawn" not in pair.b.get("/app/").text,
               "B no longer shows the event")


def test_a_report_on_b_about_content_of_a_is_forwarded_to_a_as_a_flag(pair: Pair) -> None:
    # Given the person on B follows A's group and sees its new event
    a_host = pair.a_url.removeprefix("http://")
    if not pair.b.get("/api/me/following").json()["following"]:
        followed = pair.b.post("/api/me/following", json={"handle": f"@demo@{a_host}"})
        assert followed.status_code == 201, followed.text
    eventually(lambda: [f["state"] for f in pair.b.get("/api/me/following").json()[
        "following"]] == ["accepted"], "A's group accepts the follow")
    created = pair.a.post("/api/groups/demo/events", json={
        "title": "Reported elsewhere", "begins_on": "2031-08-01T12:00",
        "ends_on": "2031-08-01T15:00", "timezone": "Europe/Paris"})
    assert created.status_code == 201, created.text
    uuid = created.json()["uuid"]
    eventually(lambda: "Reported elsewhere" in pair.b.get("/app/").text, "B shows the event")
    # When the person on B reports it, and B's moderator forwards the report to A
    reported = pair.b.post("/api/reports", json={
        "target_kind": "event", "target_key": f"{pair.a_url}/events/{uuid}/",
        "reason": "spam", "comment": "Selling fake tickets"})
    assert reported.status_code == 201, reported.text
    forwarded = pair.b.post(f"/api/mod/reports/{reported.json()['id']}/forward", json={})
    assert forwarded.status_code == 202, forwarded.text

    # Then A's moderators find an open report about A's own event, with the complaint
    def on_a() -> list[dict[str, Any]]:
        listed = pair.a.get("/api/mod/reports").json()["reports"]
        return [r for r in listed if r["target_kind"] == "event" and r["target_key"] == uuid]

    report = eventually(on_a, "A lists the forwarded report")[0]
    assert report["state"] == "open"
    assert "Selling fake tickets" in report["comment"]
    # and the reporter on B is not named: the report comes from B's instance actor
    assert pair.b_name not in report["reporter"]


def test_a_person_of_b_takes_part_in_an_event_of_a(pair: Pair) -> None:
    # Given the person on B follows A's group (maybe already, from the test above)
    following = pair.b.get("/api/me/following").json()["following"]
    if not following:
        followed = pair.b.post("/api/me/following",
                               json={"handle": f"@demo@{pair.a_url.removeprefix('http://')}"})
        assert followed.status_code == 201, followed.text
    eventually(lambda: [f["state"] for f in pair.b.get("/api/me/following").json()[
        "following"]] == ["accepted"], "A's group accepts the follow")
    # And A's group publishes a free event, which B's agenda shows with "Take part"
    created = pair.a.post("/api/groups/demo/events", json={
        "title": "Joined from afar", "begins_on": "2031-08-01T12:00",
        "ends_on": "2031-08-01T15:00", "timezone": "Europe/Paris"})
    assert created.status_code == 201, created.text
    eventually(lambda: "Joined from afar" in pair.b.get("/app/").text, "B shows the event")
    link = re.search(r'href="(/app/remote-events\?uri=[^"]+)"', pair.b.get("/app/").text)
    assert link, "the agenda links the remote event's page"
    page = link.group(1).replace("&amp;", "&")
    event_id = httpx.URL(page).params["uri"]
    # When the person of B presses Participate
    answer = submit(pair.b, page, "/app/remote-events/participate",
                    {"uri": event_id, "profile": pair.b_name})
    assert answer.status_code == 303, answer.text
    # Then A accepts their Join (a free event) and B's page says they are going
    eventually(lambda: "You are going" in pair.b.get(page).text, "B shows the participation "
                                                                  "accepted by A")


def test_a_discussion_reply_reaches_a_remote_member_and_theirs_comes_back(pair: Pair) -> None:
    # Given an open group on A, which the person of B asks to join by its address (from the
    # page where they follow groups), and A accepts at once
    a_host = pair.a_url.removeprefix("http://")
    created = pair.a.post("/api/groups", json={"name": "garden", "display_name": "Garden club",
                                               "openness": "open"})
    assert created.status_code == 201, created.text
    # (its actor document is published from A's change stream, a moment later)
    eventually(lambda: httpx.get(f"{pair.a_url}/@garden/", headers={
        "Accept": "application/activity+json"}).status_code == 200, "A publishes the group")
    asked = submit(pair.b, "/app/following", "/app/remote-groups/join",
                   {"handle": f"@garden@{a_host}", "profile": pair.b_name})
    assert asked.status_code == 303, asked.text
    group = f"{pair.a_url}/@garden/"
    eventually(lambda: [m for m in pair.b.get("/api/me/groups").json()["memberships"]
                        if m["group"] == group and m["role"] == "member"],
               "B's person is a member of A's group once A accepts")
    # When A's administrator starts a discussion there, and replies in it
    started = pair.a.post("/api/groups/garden/discussions",
                          json={"title": "Seed swap plans", "text": "Who brings seeds?"})
    assert started.status_code == 201, started.text
    thread_id = started.json()["id"]
    replied = pair.a.post(f"/api/discussions/{thread_id}/replies",
                          json={"text": "I bring **tomatoes**"})
    assert replied.status_code == 201, replied.text
    # Then the person of B finds the thread in their space, with both messages
    home = eventually(lambda: (lambda page: page if "Seed swap plans" in page else "")(
        pair.b.get("/app/").text), "B shows A's discussion")
    link = re.search(r'href="(/app/remote-discussions/[^"?]+)', home)
    assert link, home
    thread = link.group(1)
    eventually(lambda: "tomatoes" in pair.b.get(thread + "?page=last").text,
               "B shows A's reply")
    assert "Who brings seeds?" in pair.b.get(thread).text
    # When they answer there
    answered = submit(pair.b, thread, thread + "/replies",
                      {"text": "I bring pots", "profile": pair.b_name})
    assert answered.status_code == 303, answered.text

    # Then A's discussion shows their reply, by the person of B
    def on_a() -> list[dict[str, Any]]:
        listed = pair.a.get(f"/api/discussions/{thread_id}").json()["replies"]
        return [r for r in listed if "I bring pots" in r["text_html"]]

    (reply,) = eventually(on_a, "A shows the reply written on B")
    assert reply["author"] == f"{pair.b_url}/@{pair.b_name}/"
