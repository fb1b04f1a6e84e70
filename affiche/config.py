"""Typed settings, read from the environment the first time they are needed (never at import).

The same names are used by the SAM template (infra/template.yaml), by the local runner
(affiche/local) and by the tests, so one instance can be pointed anywhere by environment alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

# Resource names shared by the SAM template and the local emulator.
DEFAULT_TABLE = "affiche"
DEFAULT_SITE_BUCKET = "affiche-site"
DEFAULT_DELIVERY_QUEUE = "affiche-delivery"
DEFAULT_DELIVERY_DLQ = "affiche-delivery-dlq"


@dataclass(frozen=True)
class Settings:
    public_url: str  # https://events.example.org, no trailing slash: ids and signatures use it
    table_name: str
    site_bucket: str
    delivery_queue_url: str
    aws_endpoint_url: str | None  # set in local mode and tests (moto); None in AWS
    aws_region: str
    mail_mode: str  # "ses" in AWS, "maildir" locally
    mail_dir: str | None
    mail_from: str
    dev_pages: bool  # the dev-only mail listing page; never on in AWS
    allow_private_fetch: bool  # lets the guarded client reach loopback, for federation tests
    instance_name: str
    # SSM SecureString holding the header CloudFront adds to requests to the functions; None
    # where there is no CloudFront in front (local runner, tests): affiche/web/origin.py.
    origin_secret_parameter: str | None = None
    # SSM SecureString holding the instance actor's private key (what signs our fetches and
    # deliveries); None where there is no SSM (unit tests): the key is then kept in the table.
    instance_key_parameter: str | None = None

    @property
    def host(self) -> str:
        """Host (with port when not default) of the public URL: the `host` in acct: handles."""
        return urlsplit(self.public_url).netloc

    @property
    def secure(self) -> bool:
        return self.public_url.startswith("https://")


def _flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in {"1", "true", "yes", "on"}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for this process; tests call `reset_settings()` after changing the environment."""
    env = os.environ
    return Settings(
        public_url=env.get("AFFICHE_PUBLIC_URL", "http://localhost:8000").rstrip("/"),
        table_name=env.get("AFFICHE_TABLE", DEFAULT_TABLE),
        site_bucket=env.get("AFFICHE_SITE_BUCKET", DEFAULT_SITE_BUCKET),
        delivery_queue_url=env.get("AFFICHE_DELIVERY_QUEUE_URL", ""),
        aws_endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
        aws_region=env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION") or "eu-west-1",
        mail_mode=env.get("AFFICHE_MAIL_MODE", "ses"),
        mail_dir=env.get("AFFICHE_MAIL_DIR") or None,
        mail_from=env.get("AFFICHE_MAIL_FROM", "affiche <noreply@localhost>"),
        dev_pages=_flag("AFFICHE_DEV_PAGES"),
        allow_private_fetch=_flag("AFFICHE_ALLOW_PRIVATE_FETCH"),
        instance_name=env.get("AFFICHE_INSTANCE_NAME", "affiche"),
        origin_secret_parameter=env.get("AFFICHE_ORIGIN_SECRET_PARAMETER") or None,
        instance_key_parameter=env.get("AFFICHE_INSTANCE_KEY_PARAMETER") or None,
    )


def reset_settings() -> None:
    get_settings.cache_clear()
