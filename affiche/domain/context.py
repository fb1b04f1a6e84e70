"""The ports a domain service works with, bundled so handlers pass one object."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from affiche.domain.ports import Clock, Repository, SystemClock


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


class KeyFactory(Protocol):
    def generate(self) -> tuple[str, str]:
        """A new key pair as (public PEM, private PEM)."""
        ...


class Mailer(Protocol):
    def send(self, to: str, template: str, context: dict[str, Any]) -> None: ...


class RateLimiter(Protocol):
    def hit(self, action: str, subject: str) -> None:
        """Count one `action` by `subject`; raise RateLimited past the action's limit."""
        ...


class NoLimits:
    """For flows without abuse limits (demo seeding, domain tests)."""

    def hit(self, action: str, subject: str) -> None:
        return None


class NoMail:
    """For flows that must not send mail (demo seeding, imports)."""

    def send(self, to: str, template: str, context: dict[str, Any]) -> None:
        return None


@dataclass
class Ports:
    repo: Repository
    hasher: PasswordHasher
    keys: KeyFactory
    mailer: Mailer = field(default_factory=NoMail)
    clock: Clock = field(default_factory=SystemClock)
    limiter: RateLimiter = field(default_factory=NoLimits)
