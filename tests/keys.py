"""One real RSA key pair shared by every actor a test creates: generating 2048-bit keys is the
slow part of setting up a world, and which key an actor has is not what those tests check."""

from __future__ import annotations

from functools import lru_cache

from affiche.activitypub.keys import RsaKeyFactory


@lru_cache(maxsize=1)
def _keypair() -> tuple[str, str]:
    return RsaKeyFactory().generate()


class CannedKeys:
    def generate(self) -> tuple[str, str]:
        return _keypair()
