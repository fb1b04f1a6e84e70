"""Secrets kept in SSM Parameter Store SecureStrings, read once per container.

A SecureString is encrypted with the AWS-managed key `aws/ssm`: free, and a function whose role
may `ssm:GetParameter` the parameter may decrypt it through SSM without a grant of its own on the
key (the managed key's policy allows any principal of the account, via SSM). Standard
parameters cost nothing; reads are throttled (40 a second by default), hence the cache: a
container reads a secret on its first need and keeps it, and a new value takes effect with the
next cold start. What lives here: the origin secret (affiche/web/origin.py) and the instance
actor's private key (affiche/activitypub/instance_actor.py). Writing is for `make deploy`
(infra/deploy.py) and the local runner, never for the functions.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=8)
def read(name: str) -> str:
    """The decrypted value of parameter `name` (ParameterNotFound when it does not exist)."""
    from affiche.aws import client

    answer = client("ssm").get_parameter(Name=name, WithDecryption=True)
    return str(answer["Parameter"]["Value"])


def forget() -> None:
    """Drop what this process read (tests that change a parameter; a rotation needs a new
    cold start on AWS)."""
    read.cache_clear()


def put_if_absent(name: str, value: str, description: str) -> bool:
    """Store `value` as SecureString `name` unless the parameter exists; True when written.
    Never overwrites: a second deploy (or two at once) keeps the first value."""
    from affiche.aws import client

    ssm = client("ssm")
    try:
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=False,
                          Description=description)
    except ssm.exceptions.ParameterAlreadyExists:
        return False
    return True


def exists(name: str) -> bool:
    from affiche.aws import client

    ssm = client("ssm")
    try:
        ssm.get_parameter(Name=name)  # no decryption: only whether it is there
    except ssm.exceptions.ParameterNotFound:
        return False
    return True
