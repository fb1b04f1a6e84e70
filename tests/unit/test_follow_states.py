"""The follow flow as a declared graph (affiche/domain/follows.py TRANSITIONS): checked as a graph
(one initial state, every state reachable, every state can end) and stepped where the domain
decides alone (no network: refused transitions raise and change nothing)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from affiche.domain import follows
from affiche.domain.errors import Conflict
from affiche.domain.follows import TRANSITIONS, next_state
from affiche.domain.model import Follow


def test_the_graph_has_one_start_and_every_state_is_reachable_and_can_end() -> None:
    starts = {after for (before, _), after in TRANSITIONS.items() if before is None}
    states = {s for pair in TRANSITIONS for s in (pair[0], TRANSITIONS[pair])} - {None}
    reachable: set[str | None] = {None}
    while True:
        grown = reachable | {after for (before, _), after in TRANSITIONS.items()
                             if before in reachable}
        if grown == reachable:
            break
        reachable = grown
    assert states <= reachable
    assert starts == {"accepted", "pending"}  # ours auto-accept; remote groups answer
    for state in states:  # whoever follows can always stop
        assert TRANSITIONS.get((state, "unfollow"), "missing") is None


def _follow(state: str) -> Follow:
    return Follow(follower="ann", followed="https://remote.example/c/garden",
                  created_at=datetime.now(UTC), state=state)


@pytest.mark.parametrize(("state", "action", "after"), [
    ("pending", "accepted", "accepted"), ("pending", "rejected", None),
    ("accepted", "rejected", None), ("accepted", "unfollow", None),
])
def test_allowed_steps(state: str, action: str, after: str | None) -> None:
    assert next_state(_follow(state), action) == after


@pytest.mark.parametrize(("state", "action"), [
    ("accepted", "follow"), ("pending", "follow_remote"), (None, "accepted"), (None, "unfollow"),
])
def test_refused_steps(state: str | None, action: str) -> None:
    with pytest.raises(Conflict):
        next_state(_follow(state) if state else None, action)


def test_accepting_twice_is_not_a_step_of_the_graph() -> None:
    # A second Accept (at-least-once delivery) is absorbed by follows.answer_from_group, which
    # returns the follow unchanged instead of asking the graph (see test_group_federation.py)
    assert ("accepted", "accepted") not in follows.TRANSITIONS
