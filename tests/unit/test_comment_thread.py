"""Threads of comments as pages show them (affiche/domain/comments.thread)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from affiche.domain.comments import thread
from affiche.domain.model import Comment

T0 = datetime(2031, 1, 1, tzinfo=UTC)


def c(id_: str, minute: int, reply_to: str | None = None, deleted: bool = False) -> Comment:
    at = T0 + timedelta(minutes=minute)
    return Comment(id=id_, event="e", author="ann", text_source=id_, text_html=id_,
                   created_at=at, updated_at=at, in_reply_to=reply_to, deleted=deleted)


def shape(comments: list[Comment]) -> list[tuple[str, int, bool]]:
    return [(e.comment.id, e.depth, e.placeholder) for e in thread(comments)]


def test_replies_follow_what_they_answer_oldest_first() -> None:
    comments = [c("a", 0), c("b", 1), c("a1", 2, "a"), c("a1x", 3, "a1"), c("a2", 4, "a")]
    assert shape(comments) == [("a", 0, False), ("a1", 1, False), ("a1x", 2, False),
                               ("a2", 1, False), ("b", 0, False)]


def test_deleted_comments_vanish_unless_live_replies_hang_below() -> None:
    comments = [c("a", 0, deleted=True), c("a1", 1, "a", deleted=True), c("a1x", 2, "a1"),
                c("b", 3, deleted=True), c("b1", 4, "b", deleted=True)]
    assert shape(comments) == [("a", 0, True), ("a1", 1, True), ("a1x", 2, False)]


def test_a_reply_to_an_unknown_comment_is_shown_at_the_top_level() -> None:
    assert shape([c("x", 0, "gone")]) == [("x", 0, False)]


def test_a_very_long_chain_of_replies_renders() -> None:
    chain = [c("0", 0)] + [c(str(n), n, str(n - 1)) for n in range(1, 5000)]
    entries = thread(chain)
    assert len(entries) == 5000 and max(e.depth for e in entries) == 5
