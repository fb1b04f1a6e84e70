"""The registry of inbound activity handlers: the hand-off point after the inbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from affiche.activitypub import handlers
from affiche.activitypub.handlers import ANY, InboundContext, Outcome, dispatch, register
from tests.conftest import load_fixture

CONTEXT = InboundContext(activity_id="https://remote.example/1", signer="https://remote.example/a")


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[tuple[str, str], Any]]:
    """An empty registry for the test, restored afterwards."""
    empty: dict[tuple[str, str], Any] = {}
    monkeypatch.setattr(handlers, "_registry", empty)
    yield empty


def test_every_supported_pair_has_a_handler() -> None:
    assert handlers.SUPPORTED.issubset(handlers.registered())


@pytest.mark.parametrize("fixture", ["mastodon/follow-group.json", "mastodon/flag.json",
                                     "lemmy/announce-create-page.json",
                                     "mobilizon/mobilizon-join-activity.json"])
def test_unknown_pair_is_explicitly_ignored(registry: dict[Any, Any], fixture: str) -> None:
    outcome = dispatch(load_fixture(fixture), CONTEXT)
    assert outcome.ignored
    assert outcome.status == "ignored" and "no handler for" in outcome.detail


def test_registered_handler_receives_the_activity(registry: dict[Any, Any]) -> None:
    calls: list[tuple[str, str]] = []

    @register("Undo", "Follow")
    def undo_follow(activity: dict[str, Any], context: InboundContext) -> Outcome:
        calls.append((activity["type"], context.activity_id))
        return Outcome("handled")

    undo = load_fixture("mastodon/undo-follow.json")
    assert undo["object"]["type"] == "Follow"
    assert dispatch(undo, CONTEXT) == Outcome("handled")
    assert calls == [("Undo", CONTEXT.activity_id)]
    # an Undo of something else is still ignored
    assert dispatch({**undo, "object": {"type": "Announce"}}, CONTEXT).ignored


def test_object_given_by_uri_matches_the_wildcard(registry: dict[Any, Any]) -> None:
    @register("Follow", ANY)
    def follow(activity: dict[str, Any], context: InboundContext) -> Outcome:
        return Outcome("handled", "follow")

    follow_uri = load_fixture("mastodon/follow-group.json")
    assert isinstance(follow_uri["object"], str)
    assert handlers.object_type(follow_uri) == ANY
    assert dispatch(follow_uri, CONTEXT).detail == "follow"
    # a wildcard also catches object types without a handler of their own
    assert dispatch({**follow_uri, "object": {"type": "Group"}}, CONTEXT).detail == "follow"


def test_a_pair_cannot_be_registered_twice(registry: dict[Any, Any]) -> None:
    def one(activity: dict[str, Any], context: InboundContext) -> Outcome:
        return Outcome("handled")

    def two(activity: dict[str, Any], context: InboundContext) -> Outcome:
        return Outcome("handled")

    register("Like")(one)
    register("Like")(one)  # importing a module twice is harmless
    with pytest.raises(ValueError, match="already has a handler"):
        register("Like")(two)
