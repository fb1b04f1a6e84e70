"""RSA-2048 key pairs for actors (what Mastodon and Mobilizon expect for rsa-sha256)."""

from __future__ import annotations


class RsaKeyFactory:
    def generate(self) -> tuple[str, str]:
        # Imported here: only signups and new groups pay for it, not every cold start.
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        return public_pem, private_pem
