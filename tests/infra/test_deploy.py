"""`make deploy` is one unattended command: build, deploy with parameters, first full build.

Given an operator's domain, certificate and sender address, when infra/deploy.py runs (AWS and
sam replaced by a recorder), then sam builds natively and deploys with the committed samconfig,
never guided, with those parameters; without a domain the stack is updated once more with the
distribution's own name as the public URL; then the whole site is built into the stack's bucket
and invalidated once, with the stack's resource names.
"""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra"))
import deploy  # noqa: E402  (infra/deploy.py)

OUTPUTS = {"DistributionDomainName": "d1234.cloudfront.net", "TableName": "affiche",
           "SiteBucketName": "affiche-site-123456789012-eu-west-1",
           "DeliveryQueueUrl": "https://sqs.eu-west-1.amazonaws.com/1/affiche-delivery",
           "DistributionId": "E1234", "ModerationFunctionName": "affiche-Moderation-1"}


def recorded(argv: list[str]) -> list[tuple[list[str], dict[str, str] | None]]:
    commands: list[tuple[list[str], dict[str, str] | None]] = []
    keys: list[str] = []

    def run(command: Sequence[str], env: dict[str, str] | None) -> None:
        commands.append((list(command), env))

    args = build_args(argv)
    deploy.deploy(args, run=run, outputs=lambda stack, region: OUTPUTS,
                  secret=lambda stack, region: f"secret-of-{stack}",
                  key=lambda stack, region: keys.append(stack) or f"/affiche/{stack}/instance-key")
    assert keys == [args.stack]  # the key parameter is made before the functions that read it
    return commands


def build_args(argv: list[str]) -> object:
    """The arguments main() would deploy with, validation included."""
    captured: dict[str, object] = {}

    def fake_deploy(args: object, **_: object) -> dict[str, str]:
        captured["args"] = args
        return {}

    original = deploy.deploy
    deploy.deploy = fake_deploy  # type: ignore[assignment]
    try:
        deploy.main(argv)
    finally:
        deploy.deploy = original  # type: ignore[assignment]
    return captured["args"]


def overrides(command: list[str]) -> dict[str, str]:
    values = command[command.index("--parameter-overrides") + 1:]
    return dict(value.split("=", 1) for value in values)


def test_with_a_domain_one_unattended_deploy_then_the_first_build() -> None:
    commands = recorded(["--domain", "events.example.org", "--certificate",
                         "arn:aws:acm:us-east-1:1:certificate/x", "--mail-from",
                         "affiche <noreply@example.org>", "--region", "eu-west-1"])
    build, deploy_, site, invalidate = (c for c, _ in commands)
    assert build[1:3] == ["build", "--build-in-source"]
    assert deploy_[1] == "deploy" and "--guided" not in deploy_
    assert "--no-confirm-changeset" in deploy_
    assert overrides(deploy_) == {"PublicUrl": "https://events.example.org",
                                  "DomainName": "events.example.org",
                                  "CertificateArn": "arn:aws:acm:us-east-1:1:certificate/x",
                                  "MailFrom": "affiche <noreply@example.org>",
                                  "OriginSecret": "secret-of-affiche"}
    assert site[-4:] == ["build", "--output", site[-2], "--sync"]
    environment = commands[2][1] or {}
    assert environment["AFFICHE_SITE_BUCKET"] == OUTPUTS["SiteBucketName"]
    assert environment["AFFICHE_PUBLIC_URL"] == "https://events.example.org"
    assert "create_invalidation" in invalidate[-1]
    assert (commands[3][1] or {})["AFFICHE_DISTRIBUTION_ID"] == "E1234"


def test_without_a_domain_the_distribution_name_becomes_the_public_url() -> None:
    commands = recorded(["--mail-from", "noreply@example.org", "--region", "eu-west-1"])
    deploys = [c for c, _ in commands if c[1] == "deploy"]
    assert [overrides(c)["PublicUrl"] for c in deploys] == [
        deploy.PENDING_URL, "https://d1234.cloudfront.net"]
    assert "DomainName" not in overrides(deploys[1])


@pytest.mark.parametrize("argv", [
    ["--domain", "events.example.org", "--mail-from", "a@b.c", "--region", "eu-west-1"],
    ["--domain", "e.org", "--certificate", "arn:aws:acm:eu-west-1:1:certificate/x",
     "--mail-from", "a@b.c", "--region", "eu-west-1"],
])
def test_a_domain_needs_its_us_east_1_certificate(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        deploy.main(argv)


def test_committed_samconfig_never_asks() -> None:
    config = tomllib.loads((ROOT / "infra" / "samconfig.toml").read_text("utf-8"))
    deploy_defaults = config["default"]["deploy"]["parameters"]
    assert deploy_defaults["confirm_changeset"] is False
    assert deploy_defaults["resolve_s3"] is True
    assert "CAPABILITY_IAM" in deploy_defaults["capabilities"]
    assert config["default"]["build"]["parameters"]["build_in_source"] is True


def test_the_instance_key_parameter_moves_the_stacks_key(aws: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    from affiche.activitypub import instance_actor
    from affiche.config import get_settings
    from affiche.store.repository import DynamoRepository
    from tests.keys import CannedKeys

    # Given a stack deployed before the key moved to SSM (its key in the table)
    before = instance_actor.table_key(DynamoRepository(), CannedKeys())
    table = get_settings().table_name
    monkeypatch.setattr(deploy, "stack_outputs", lambda stack, region: {"TableName": table})
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AFFICHE_TABLE"):  # deploy sets them
        monkeypatch.setenv(name, os.environ.get(name, "eu-west-1" if "REGION" in name else table))
    # When make deploy runs, then the stack's SecureString holds that key
    name = deploy.instance_key("affiche", "eu-west-1")
    assert name == "/affiche/affiche/instance-key"
    value = boto3.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert value["Type"] == "SecureString" and value["Value"] == before
