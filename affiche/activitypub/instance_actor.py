"""The instance actor: `/actor`, type Application (FEP-2677), which signs every GET we make.

Servers in "authorized fetch" / secure mode (Mastodon's AUTHORIZED_FETCH, GoToSocial, Misskey
with signed fetch) answer 401 to an unsigned GET, including the GET of a key we need to verify
*their* signature. So every fetch of a remote document (keys, actors, objects) is signed, by an
actor that belongs to no person: the instance itself, as Mastodon does with its own `/actor`
(https://github.com/mastodon/mastodon/pull/14556, FEP-2677:
https://codeberg.org/fediverse/fep/src/branch/main/fep/2677/fep-2677.md).

Its private key is a secret of the instance, not of an actor row: on AWS it lives in an SSM
SecureString (`/affiche/<stack>/instance-key`, affiche/secure_parameters.py) that only the
functions that sign may read; `make deploy` creates it, moving the key of an instance deployed
before into it so its key id keeps verifying (provision_key_parameter). The local runner does
the same against moto. Where no parameter is configured (unit tests on the in-memory
repository) it is stored like any actor's private key (an `ActorKey`, here named `~instance`, a
name no handle can take) and created on first use, whoever comes first: the publisher writing
`actor.json`, or the first signed fetch. The public half is derived from the private one.
People's and groups' keys stay in the table: one per actor, and SSM's standard tier holds
10,000 parameters per account and region and throttles reads (infra/README.md).
The document is a static file (`actor.json`, served for `/actor` with
application/activity+json by the CDN's content negotiation) and NodeInfo's discovery document
links it with rel `https://www.w3.org/ns/activitystreams#Application`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from affiche.activitypub.fetch import Fetcher

KEY_NAME = "~instance"  # `~` is never part of a handle: no profile or group can take this key
KEY_PARAMETER_DESCRIPTION = "affiche: the instance actor's private key (signs fetches)"
PATH = "/actor"
NODEINFO_REL = "https://www.w3.org/ns/activitystreams#Application"


def actor_id(public_url: str) -> str:
    return public_url.rstrip("/") + PATH


def key_id(public_url: str) -> str:
    return actor_id(public_url) + "#main-key"


def private_key_pem(repo: Any = None, keys: Any = None) -> str:
    """The instance actor's private key: the SSM parameter's value when one is configured (read
    once per container), else the table's, created (and stored) on first use.

    Two processes creating it at once: the second commit fails its "must not exist" condition
    and that process reads the key the first one stored."""
    from affiche.config import get_settings

    parameter = get_settings().instance_key_parameter
    if parameter:
        from affiche import secure_parameters

        return secure_parameters.read(parameter)
    return table_key(repo, keys)


def table_key(repo: Any = None, keys: Any = None) -> str:
    from affiche.domain.errors import Conflict
    from affiche.domain.model import ActorKey
    from affiche.domain.ports import ChangeSet

    if repo is None:
        from affiche.store.repository import DynamoRepository

        repo = DynamoRepository()
    found = repo.get(ActorKey, KEY_NAME)
    if found is not None:
        return str(found.private_key_pem)
    if keys is None:
        from affiche.activitypub.keys import RsaKeyFactory

        keys = RsaKeyFactory()
    _public, private = keys.generate()
    try:
        repo.commit(ChangeSet().put(ActorKey(name=KEY_NAME, private_key_pem=private)))
    except Conflict:
        found = repo.get(ActorKey, KEY_NAME)
        if found is None:
            raise
        return str(found.private_key_pem)
    return str(private)


def provision_key_parameter(parameter: str, repo: Any = None, keys: Any = None) -> bool:
    """Make SSM SecureString `parameter` hold the instance actor's private key, unless it does
    already; True when it was written. The key comes from the table when the instance has one
    there (deployed before the key moved to SSM: remote servers have its public half cached
    under the same key id), else it is new. The table's copy is left: a rollback still signs."""
    from affiche import secure_parameters
    from affiche.domain.model import ActorKey

    if secure_parameters.exists(parameter):
        return False
    found = repo.get(ActorKey, KEY_NAME) if repo is not None else None
    if found is not None:
        private = str(found.private_key_pem)
    else:
        if keys is None:
            from affiche.activitypub.keys import RsaKeyFactory

            keys = RsaKeyFactory()
        _public, private = keys.generate()
    return secure_parameters.put_if_absent(parameter, private, KEY_PARAMETER_DESCRIPTION)


def public_key_pem(private_pem: str) -> str:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def document(public_url: str, public_pem: str, name: str) -> dict[str, Any]:
    """The actor document served at /actor."""
    base = public_url.rstrip("/")
    me = actor_id(base)
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": me,
        "type": "Application",
        # Mastodon names its instance actor after its domain; a port has no place in a username.
        "preferredUsername": urlsplit(base).hostname or "instance",
        "name": name,
        "summary": "The instance itself: it signs this server's requests.",
        "url": f"{base}/",
        "inbox": f"{base}/inbox",
        "endpoints": {"sharedInbox": f"{base}/inbox"},
        "manuallyApprovesFollowers": True,
        "discoverable": False,
        "publicKey": {"id": key_id(base), "owner": me, "publicKeyPem": public_pem},
    }


def webfinger(resource: str | None, public_url: str) -> dict[str, Any] | None:
    """The JRD for the instance actor when `resource` names it (`acct:{host}@{host}`, as
    Mastodon names its own, or the actor's URL); None for any other resource."""
    if not resource:
        return None
    base = public_url.rstrip("/")
    parts = urlsplit(base)
    host, netloc = parts.hostname or "", parts.netloc.lower()
    value = resource.strip()
    names = {f"acct:{host}@{netloc}", f"{host}@{netloc}", actor_id(base)}
    if value.lower() not in {n.lower() for n in names}:
        return None
    return {"subject": f"acct:{host}@{netloc}", "aliases": [actor_id(base)],
            "links": [{"rel": "self", "type": "application/activity+json",
                       "href": actor_id(base)}]}


class InstanceSigner:
    """The `signer` of the guarded Fetcher: signs as the instance actor (key read on first use)."""

    def __init__(self, public_url: str | None = None, repo: Any = None) -> None:
        self._public_url = public_url
        self._repo = repo
        self._pem: str | None = None

    def __call__(self, method: str, url: str, headers: Mapping[str, str],
                 body: bytes | None) -> dict[str, str]:
        from affiche.activitypub.signatures import sign_request

        if self._pem is None:
            self._pem = private_key_pem(self._repo)
        public_url = self._public_url
        if public_url is None:
            from affiche.config import get_settings

            public_url = get_settings().public_url
        return sign_request(method, url, headers, body, key_id(public_url), self._pem)

    def __repr__(self) -> str:  # never let a private key reach a log line
        return "InstanceSigner()"


def signed_fetcher(**options: Any) -> Fetcher:
    """A guarded Fetcher whose GETs are signed by the instance actor: what every fetch of a
    remote document (key, actor, object) should use."""
    return Fetcher(signer=InstanceSigner(), **options)
