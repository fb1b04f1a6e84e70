"""Pages of a listing, Mobilizon-style (`page` from 1, a fixed page size): member lists and
resource folders. The whole (small, bounded per group) listing is read, then sliced; listings
that grow without bound (a group's activity) page with a cursor in the store instead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from affiche.domain.errors import InvalidInput

T = TypeVar("T")
MAX_PAGE = 100_000


@dataclass(frozen=True)
class Paged(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def page_number(raw: str | int | None) -> int:
    """`?page=` as typed: absent is 1; anything but a positive whole number is refused."""
    if raw is None or raw == "":
        return 1
    text = str(raw)
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise InvalidInput("page must be a whole number from 1", field="page")
    return int(text)


def page_of(items: Sequence[T], page: int, per_page: int) -> Paged[T]:
    start = (page - 1) * per_page
    return Paged(items=list(items[start:start + per_page]), page=page, per_page=per_page,
                 total=len(items))
