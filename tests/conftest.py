"""Shared fixtures: an isolated AWS (moto, in-process) with our table, bucket and queues, and
helpers to call the real handlers with API Gateway v2 events."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from affiche.config import reset_settings

# ../shared beside the checkout; AFFICHE_SHARED points elsewhere (a git worktree lives deeper).
SHARED = Path(os.environ.get("AFFICHE_SHARED") or Path(__file__).resolve().parents[2] / "shared")
FIXTURES = SHARED / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    """Every moto in this test run gets the transaction fix the local runner uses."""
    from affiche.local import moto_fixes

    moto_fixes.apply()


def load_fixture(name: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    data.update(overrides)
    return data


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Environment of one test instance: fake credentials, a maildir, the public URL."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    # botocore >= 1.40 sends DynamoDB Streams calls to {account}.streams-ddb.{region}, a host
    # moto's in-process mock does not recognise ("Not yet implemented"); the classic endpoint
    # keeps StreamPoller usable inside the `aws` fixture.
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    monkeypatch.setenv("AFFICHE_PUBLIC_URL", "https://affiche.test")
    monkeypatch.setenv("AFFICHE_MAIL_MODE", "maildir")
    monkeypatch.setenv("AFFICHE_MAIL_DIR", str(tmp_path / "mail"))
    # The local runner points this process at moto's SSM for the instance key; a test that
    # wants SSM sets it itself (tests/functions/test_instance_actor.py).
    monkeypatch.delenv("AFFICHE_INSTANCE_KEY_PARAMETER", raising=False)
    reset_settings()
    from affiche import secure_parameters
    from affiche.activitypub.blocklist import forget_cache
    from affiche.aws import reset_clients

    # Process-wide caches of what a table holds must not outlive the test's table (a blocked
    # domain or an allow-list mode of one test would refuse another's deliveries).
    reset_clients()
    forget_cache()
    secure_parameters.forget()
    yield tmp_path
    reset_settings()
    reset_clients()
    forget_cache()
    secure_parameters.forget()


@pytest.fixture
def aws(env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """moto's in-process mock with the instance's resources created as the SAM template does."""
    from moto import mock_aws

    with mock_aws():
        from affiche.local.resources import create_resources

        queues = create_resources()
        monkeypatch.setenv("AFFICHE_DELIVERY_QUEUE_URL", queues["queue"])
        reset_settings()
        yield env


@pytest.fixture
def cheap_crypto(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fast password hashing for tests that sign up many accounts (argon2's cost is per hash)."""
    from argon2 import PasswordHasher

    import affiche.web.passwords as passwords

    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", lambda: fast)


os.environ.setdefault("AFFICHE_TEST", "1")
