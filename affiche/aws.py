"""Lazily built, cached boto3 clients. Never created at import: a client made before moto's
mock or server is up would talk to the real endpoint (DESIGN.md §7)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from affiche.config import get_settings


@lru_cache(maxsize=16)
def _client(service: str, endpoint: str | None, region: str) -> Any:
    import boto3

    session: Any = boto3.session.Session()  # `Any`: the stubs only type literal service names
    return session.client(service, endpoint_url=endpoint, region_name=region)


def client(service: str) -> Any:
    settings = get_settings()
    return _client(service, settings.aws_endpoint_url, settings.aws_region)


def reset_clients() -> None:
    _client.cache_clear()
