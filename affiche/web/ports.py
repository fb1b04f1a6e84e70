"""The real adapters behind the domain's ports, built once per warm Lambda."""

from __future__ import annotations

from functools import lru_cache

from affiche.activitypub.keys import RsaKeyFactory
from affiche.config import get_settings
from affiche.domain.context import Ports
from affiche.mail import mailer
from affiche.store.repository import DynamoRepository
from affiche.web.passwords import Argon2Hasher
from affiche.web.ratelimit import TableLimiter


@lru_cache(maxsize=1)
def _ports(settings_id: int) -> Ports:
    return Ports(repo=DynamoRepository(), hasher=Argon2Hasher(), keys=RsaKeyFactory(),
                 mailer=mailer(), limiter=TableLimiter())


def ports() -> Ports:
    # Keyed on the settings object so tests that change the environment get fresh adapters.
    return _ports(id(get_settings()))
