"""Group settings and images through the API: who may change them, what is refused and why,
and optimistic locking when someone else writes the group at the same time."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from affiche.aws import client
from affiche.config import get_settings
from affiche.domain import groups, image_variants, membership, retry
from affiche.domain.errors import Conflict
from affiche.domain.model import Account, Activity, Actor
from affiche.domain.ports import ChangeSet
from affiche.web.ports import ports
from functions.api.handler import lambda_handler as api
from tests import imagebytes
from tests.functions.api_client import Answer, ApiClient, signed_up

MIB = 1024 * 1024


@pytest.fixture
def ann(aws: Path, cheap_crypto: None) -> ApiClient:
    """The creator of the open group @club."""
    person = ApiClient(api)
    signed_up(person, aws / "mail", "ann@example.org", "ann")
    answer = person.post("/api/groups", {"name": "club", "display_name": "Club",
                                         "openness": "open"})
    assert answer.status == 201, answer.body
    return person


@pytest.fixture
def bob(aws: Path, ann: ApiClient) -> ApiClient:
    """A plain member of @club."""
    person = ApiClient(api)
    signed_up(person, aws / "mail", "bob@example.org", "bob")
    context = ports()
    account = context.repo.get(Account, person.get("/api/me").body["id"])
    assert account is not None
    membership.request_to_join(context, account, "club")
    return person


def upload(person: ApiClient, slot: str, body: bytes, content_type: str,
           group: str = "club") -> Answer:
    return person.post(f"/api/groups/{group}/{slot}", body, headers={"content-type": content_type})


def media_keys() -> list[str]:
    listing = client("s3").list_objects_v2(Bucket=get_settings().site_bucket, Prefix="media/")
    return [obj["Key"] for obj in listing.get("Contents", [])]


def group() -> Actor:
    found = ports().repo.get(Actor, "club")
    assert found is not None
    return found


def updates() -> list[Activity]:
    return [a for a in ports().repo.outbox("club") if a.type == "Update"]


# --- settings -----------------------------------------------------------------------------------

def test_administrator_changes_settings_with_an_update_activity(ann: ApiClient) -> None:
    answer = ann.call("PUT", "/api/groups/club", {"display_name": " Le Club ",
                                                  "summary": "Hello *you*",
                                                  "openness": "moderated"})
    assert answer.status == 200, answer.body
    assert answer.body["display_name"] == "Le Club"
    assert answer.body["summary"] == "<p>Hello <em>you</em></p>"
    assert (answer.body["openness"], answer.body["visibility"]) == ("moderated", "public")
    [update] = updates()
    assert update.object["display_name"] == "Le Club" and update.audience == "public"
    # The same values again change nothing: no new activity to publish or federate
    again = ann.call("PUT", "/api/groups/club", {"display_name": "Le Club"})
    assert again.status == 200 and len(updates()) == 1
    # An empty summary clears it
    cleared = ann.call("PUT", "/api/groups/club", {"summary": ""})
    assert cleared.body["summary"] == "" and group().summary_source == ""


def test_going_unlisted_publishes_an_unlisted_update(ann: ApiClient) -> None:
    assert ann.call("PUT", "/api/groups/club", {"visibility": "unlisted"}).status == 200
    assert updates()[0].audience == "unlisted"
    assert ports().repo.listed_groups() == []


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"visibility": "secret"}, 400, "visibility must be one of"),
    ({"openness": "closed"}, 400, "openness must be one of"),
    ({"display_name": "  "}, 400, "display_name must not be empty"),
    ({"display_name": "x" * 101}, 400, "at most 100"),
    ({"summary": "x" * 20001}, 400, "at most 20000"),
    ({"name": "renamed"}, 422, "unknown field"),
    ({"display_name": 42}, 422, "display_name"),
])
def test_invalid_settings_are_refused_and_change_nothing(ann: ApiClient, body: dict[str, Any],
                                                         status: int, message: str) -> None:
    before = group()
    answer = ann.call("PUT", "/api/groups/club", body)
    assert (answer.status, message in answer.body["message"]) == (status, True), answer.body
    assert group() == before and updates() == []


def test_only_administrators_change_settings(ann: ApiClient, bob: ApiClient) -> None:
    member = bob.call("PUT", "/api/groups/club", {"display_name": "Bob's club"})
    assert member.status == 403 and "administrator" in member.body["message"]
    anonymous = ApiClient(api).call("PUT", "/api/groups/club", {"display_name": "Anyone's"})
    assert anonymous.status == 401
    missing = ann.call("PUT", "/api/groups/nope", {"display_name": "Nope"})
    assert missing.status == 404
    assert group().display_name == "Club"


# --- optimistic locking -------------------------------------------------------------------------

@dataclasses.dataclass
class RacingRepository:
    """The real repository, except that before each of the first `races` commits someone else
    writes the group (another administrator adds a line to its summary), so that commit's
    version is stale. A join would not: it tallies the count without bumping the version."""

    inner: Any
    races: int
    commits: int = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def commit(self, changes: ChangeSet) -> None:
        self.commits += 1
        if self.races:
            self.races -= 1
            current = self.inner.get(Actor, "club")
            edited = current.evolve(summary_source=current.summary_source + "+")
            self.inner.commit(ChangeSet().put(edited))
        self.inner.commit(changes)


def test_a_concurrent_write_is_retried_on_a_fresh_read_and_both_changes_survive(
        ann: ApiClient) -> None:
    context = ports()
    account = context.repo.get(Account, ann.get("/api/me").body["id"])
    assert account is not None
    racing = RacingRepository(context.repo, races=(retry.ATTEMPTS - 1))
    updated = groups.update_group(dataclasses.replace(context, repo=racing), account, "club",
                                  display_name="Renamed")
    assert racing.commits == retry.ATTEMPTS
    saved = group()
    assert (saved.display_name, saved.summary_source) == ("Renamed", "+" * (retry.ATTEMPTS - 1))
    assert updated.version == saved.version
    assert len(updates()) == 1  # the failed attempts left no activity behind


def test_a_write_that_keeps_losing_the_race_gets_a_conflict(ann: ApiClient) -> None:
    context = ports()
    account = context.repo.get(Account, ann.get("/api/me").body["id"])
    assert account is not None
    racing = RacingRepository(context.repo, races=retry.ATTEMPTS)
    with pytest.raises(Conflict, match="changed by someone else"):
        groups.update_group(dataclasses.replace(context, repo=racing), account, "club",
                            display_name="Renamed")
    assert group().display_name == "Club" and updates() == []


# --- images -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("slot", "body", "content_type", "extension"), [
    ("avatar", imagebytes.png(16, 16), "image/png", "png"),
    ("avatar", imagebytes.photo("JPEG", 400, 400), "image/jpeg", "jpg"),
    ("banner", imagebytes.photo("WEBP", 1500, 500), "image/webp", "webp"),
    ("banner", imagebytes.gif(1500, 500), "image/gif", "gif"),
])
def test_administrator_uploads_images(ann: ApiClient, slot: str, body: bytes, content_type: str,
                                      extension: str) -> None:
    answer = upload(ann, slot, body, content_type)
    assert answer.status == 200, answer.body
    key = answer.body[slot]
    assert key.startswith("media/club/") and key.endswith("." + extension)
    # The image once, and the resized variants pages show (test_image_variants.py)
    assert sorted(media_keys()) == sorted([key, *image_variants.variant_keys(key)])
    assert getattr(group(), slot) == key
    assert updates()[0].object[slot] == key
    # The same bytes again: same key, nothing new to publish
    assert upload(ann, slot, body, content_type).body[slot] == key
    assert len(updates()) == 1


def test_size_limits_are_per_slot(ann: ApiClient) -> None:
    padded = imagebytes.png(4, 4) + b"\x00" * (MIB + 1)  # bytes after IEND: still a PNG header
    too_big = upload(ann, "avatar", padded, "image/png")
    assert too_big.status == 413 and "at most 1 MiB" in too_big.body["message"]
    assert upload(ann, "banner", padded, "image/png").status == 200
    huge = upload(ann, "banner", imagebytes.png(4, 4) + b"\x00" * 4 * MIB, "image/png")
    assert huge.status == 413 and "at most 4 MiB" in huge.body["message"]
    assert group().avatar is None


@pytest.mark.parametrize(("body", "content_type", "status", "message"), [
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml", 415, "image/png"),
    (imagebytes.png(), "application/octet-stream", 415, "image/png"),
    (imagebytes.png(), "", 415, "Content-Type"),
    (b'{"avatar": "x"}', "application/json", 415, "image/png"),
    (imagebytes.png(), "image/jpeg", 400, "is a PNG image but was sent as image/jpeg"),
    (b"GIF89a", "image/gif", 400, "truncated"),
    (b"not an image at all", "image/png", 400, "not a PNG, JPEG, WebP or GIF"),
    (imagebytes.gif(9000, 10), "image/gif", 400, "at most 8192x8192"),
    (imagebytes.gif(8000, 8000), "image/gif", 400, "(64.0 megapixels); images may have at most"),
    (imagebytes.jpeg(640, 480), "image/jpeg", 400, "cannot be decoded"),
    (b"", "image/png", 400, "send the image"),
])
def test_bad_images_are_refused_and_nothing_is_stored(ann: ApiClient, body: bytes,
                                                      content_type: str, status: int,
                                                      message: str) -> None:
    headers = {"content-type": content_type} if content_type else {}
    answer = ann.post("/api/groups/club/avatar", body, headers=headers)
    assert (answer.status, message in answer.body["message"]) == (status, True), answer.body
    assert media_keys() == [] and group().avatar is None


def test_only_administrators_upload_or_remove_images(ann: ApiClient, bob: ApiClient) -> None:
    assert upload(bob, "avatar", imagebytes.png(), "image/png").status == 403
    assert upload(ApiClient(api), "banner", imagebytes.png(), "image/png").status == 401
    assert upload(ann, "avatar", imagebytes.png(), "image/png", group="nope").status == 404
    assert media_keys() == []  # a refused upload never reaches the bucket
    assert upload(ann, "avatar", imagebytes.png(), "image/png").status == 200
    assert bob.call("DELETE", "/api/groups/club/avatar").status == 403
    assert group().avatar is not None


def test_removing_images(ann: ApiClient) -> None:
    key = upload(ann, "banner", imagebytes.png(), "image/png").body["banner"]
    removed = ann.call("DELETE", "/api/groups/club/banner")
    assert removed.status == 200 and removed.body["banner"] is None
    assert group().banner is None and updates()[0].object["banner"] is None
    # The file stays: federated activities and cached pages may still point at it
    assert media_keys() == [key]
    assert ann.call("DELETE", "/api/groups/club/avatar").status == 200  # nothing to remove: fine
