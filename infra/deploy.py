"""One command from a checkout to a live instance (`make deploy`, infra/README.md).

1. `sam build` natively (the Makefile's build targets, infra/package.py): no Docker.
   Before it, the SSM SecureStrings: the origin secret, and the instance actor's private key
   (moved there from the table of an existing stack, so it keeps its key id).
2. `sam deploy` with the committed defaults of infra/samconfig.toml and the parameters given here,
   never guided (the guided mode asks one question per unauthenticated route and stops).
   Without a domain the public URL is the distribution's own name, known only once it exists:
   the stack is deployed, then updated with it.
3. The first full build of the site into the bucket, then one invalidation of everything.
4. How to create the first administrator is printed (affiche admin create, or a one-off invoke).

`--dry-run` prints the commands instead of running them.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = "infra/template.yaml"
PENDING_URL = "https://pending.invalid"  # replaced by the distribution's name on the second pass

Run = Callable[[Sequence[str], dict[str, str] | None], None]
Outputs = Callable[[str, str], dict[str, str]]
Secret = Callable[[str, str], str]
InstanceKey = Callable[[str, str], str]


def sam() -> str:
    beside = Path(sys.executable).parent / "sam"
    return str(beside) if beside.exists() else (shutil.which("sam") or "sam")


def run_command(command: Sequence[str], env: dict[str, str] | None) -> None:
    print("+", shlex.join(command), flush=True)
    subprocess.run(command, cwd=ROOT, env={**os.environ, **(env or {})}, check=True)


def stack_outputs(stack: str, region: str) -> dict[str, str]:
    import boto3

    described = boto3.client("cloudformation", region_name=region).describe_stacks(
        StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def origin_secret(stack: str, region: str) -> str:
    """The value CloudFront sends the functions (affiche/web/origin.py), kept in an SSM
    SecureString (AWS-managed key: free) made on the first deploy and reused afterwards."""
    import secrets

    import boto3

    ssm = boto3.client("ssm", region_name=region)
    name = f"/affiche/{stack}/origin-secret"
    try:
        return str(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        value = secrets.token_urlsafe(32)
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=False,
                          Description="affiche: header CloudFront adds to function requests")
        return value


def instance_key(stack: str, region: str) -> str:
    """The SSM SecureString holding the instance actor's private key, made before the functions
    that read it are deployed: the key already in the stack's table when there is one (an
    instance deployed before keys moved to SSM keeps its key id), else a new one. Its name."""
    from botocore.exceptions import ClientError

    from affiche.activitypub import instance_actor
    from affiche.config import reset_settings

    name = f"/affiche/{stack}/instance-key"
    os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = region
    repo = None
    try:
        table = stack_outputs(stack, region).get("TableName")
    except ClientError:
        table = None  # no stack yet: a first deploy
    if table:
        from affiche.store.repository import DynamoRepository

        os.environ["AFFICHE_TABLE"] = table
        repo = DynamoRepository()
    reset_settings()
    if instance_actor.provision_key_parameter(name, repo):
        print(f"instance key stored in {name}" + (" (moved from the table)" if repo else ""))
    return name


def parameters(args: argparse.Namespace, public_url: str) -> list[str]:
    values = {"PublicUrl": public_url, "MailFrom": args.mail_from,
              "OriginSecret": args.origin_secret,
              "DomainName": args.domain or "", "CertificateArn": args.certificate or "",
              "AlarmEmail": args.alarm_email or ""}
    # Empty ones are left out: the template's defaults apply (not a previous deploy's values).
    return [f"{name}={value}" for name, value in values.items() if value]


def deploy_command(args: argparse.Namespace, public_url: str) -> list[str]:
    return [sam(), "deploy", "--template-file", ".aws-sam/build/template.yaml",
            "--config-file", str(ROOT / "infra" / "samconfig.toml"),
            "--stack-name", args.stack, "--region", args.region,
            "--no-confirm-changeset", "--no-fail-on-empty-changeset",
            "--parameter-overrides", *parameters(args, public_url)]


def deploy(args: argparse.Namespace, run: Run = run_command,
           outputs: Outputs = stack_outputs, secret: Secret = origin_secret,
           key: InstanceKey = instance_key) -> dict[str, str]:
    args.origin_secret = secret(args.stack, args.region)
    key_parameter = key(args.stack, args.region)
    run([sam(), "build", "--build-in-source", "--template-file", TEMPLATE,
         "--build-dir", ".aws-sam/build"], {"BUILD_PYTHON": sys.executable})
    public_url = f"https://{args.domain}" if args.domain else PENDING_URL
    run(deploy_command(args, public_url), None)
    made = outputs(args.stack, args.region)
    if not args.domain:
        public_url = f"https://{made['DistributionDomainName']}"
        run(deploy_command(args, public_url), None)
        made = outputs(args.stack, args.region)
    environment = {"AWS_REGION": args.region, "AFFICHE_PUBLIC_URL": public_url,
                   "AFFICHE_TABLE": made["TableName"],
                   "AFFICHE_SITE_BUCKET": made["SiteBucketName"],
                   "AFFICHE_DELIVERY_QUEUE_URL": made["DeliveryQueueUrl"],
                   "AFFICHE_DISTRIBUTION_ID": made["DistributionId"],
                   # the full build publishes /actor with the key the functions sign with
                   "AFFICHE_INSTANCE_KEY_PARAMETER": key_parameter}
    with tempfile.TemporaryDirectory(prefix="affiche-site-") as folder:
        run([sys.executable, "-m", "affiche.cli", "build", "--output", folder, "--sync"],
            environment)
    run([sys.executable, "-c", INVALIDATE_ALL], environment)
    print(NEXT_STEPS.format(url=public_url, function=made.get("ModerationFunctionName", "?"),
                            region=args.region, env=" ".join(
                                f"{k}={shlex.quote(v)}" for k, v in environment.items())))
    return environment


# Once after the first build: later changes are invalidated path by path by the outbox.
INVALIDATE_ALL = (
    "import os, time, boto3; boto3.client('cloudfront').create_invalidation("
    "DistributionId=os.environ['AFFICHE_DISTRIBUTION_ID'], InvalidationBatch={'Paths': "
    "{'Quantity': 1, 'Items': ['/*']}, 'CallerReference': str(time.time())})"
)

NEXT_STEPS = """
Deployed: {url}
Create the first administrator (the password is printed once), either here:
  {env} affiche admin create you@example.org
or as a one-off invocation of the moderation function:
  aws lambda invoke --region {region} --function-name {function} \\
    --cli-binary-format raw-in-base64-out \\
    --payload '{{"affiche_command": "create-admin", "email": "you@example.org"}}' admin.json
  cat admin.json && rm admin.json
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--domain", default="", help="custom host name, e.g. events.example.org")
    parser.add_argument("--certificate", default="",
                        help="ACM certificate ARN in us-east-1 covering --domain")
    parser.add_argument("--mail-from", required=True,
                        help='SES-verified sender, e.g. "affiche <noreply@example.org>"')
    parser.add_argument("--alarm-email", default="", help="address that receives the alarms")
    parser.add_argument("--stack", default="affiche")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION")
                        or os.environ.get("AWS_DEFAULT_REGION") or "")
    parser.add_argument("--dry-run", action="store_true", help="print the commands only")
    args = parser.parse_args(argv)
    if bool(args.domain) != bool(args.certificate):
        parser.error("--domain and --certificate go together (the certificate must cover it)")
    if args.certificate and ":us-east-1:" not in args.certificate:
        parser.error("CloudFront only takes certificates from us-east-1")
    if not args.region:
        parser.error("--region (or AWS_REGION) is required")
    if args.dry_run:
        fake: dict[str, Any] = {"DistributionDomainName": "dxxxx.cloudfront.net",
                                "TableName": "affiche", "SiteBucketName": "affiche-site-…",
                                "DeliveryQueueUrl": "https://sqs…", "DistributionId": "E…",
                                "ModerationFunctionName": "affiche-ModerationFunction-…"}
        deploy(args, run=lambda command, env: print("+", shlex.join(command)),
               outputs=lambda stack, region: fake, secret=lambda stack, region: "…",
               key=lambda stack, region: f"/affiche/{stack}/instance-key")
        return 0
    print(json.dumps(deploy(args), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
