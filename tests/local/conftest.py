"""A whole local instance (`affiche dev` in-process) on a free loopback port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from affiche.config import reset_settings
from affiche.local.emulator import free_port
from affiche.local.runner import Instance, start

ENV_KEYS = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
            "AFFICHE_PUBLIC_URL", "AFFICHE_MAIL_MODE", "AFFICHE_MAIL_DIR", "AFFICHE_DEV_PAGES",
            "AFFICHE_DELIVERY_QUEUE_URL")


@pytest.fixture
def restore_env() -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ENV_KEYS}
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    reset_settings()
    from affiche.aws import reset_clients

    reset_clients()


def running(data: Path, *, empty: bool = False, port: int | None = None) -> Instance:
    """`port`: the same one as a previous run restarts as `make run` does (the public URL, in
    every page, stays the same: the site saved at stop can be restored)."""
    instance = start(port or free_port(), data, empty=empty)
    instance.start_background()
    return instance


@pytest.fixture
def instance(tmp_path: Path, restore_env: None, cheap_crypto: None) -> Iterator[Instance]:
    started = running(tmp_path / "data", empty=True)
    yield started
    started.stop()
