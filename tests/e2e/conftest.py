"""Browser tests run against a whole local instance: the fixture of tests/local is reused."""

from tests.local.conftest import instance, restore_env

__all__ = ["instance", "restore_env"]
