"""The SAM template lints clean and agrees with the code that runs against it.

The local emulator creates its resources from `affiche/config.py` defaults, so the template's
names, key schema, stream and TTL settings must match them; the CloudFront Function inlined in
the template must be `infra/cloudfront/negotiate.js`; the CloudFront behaviours must send to the
functions exactly what `affiche.local.negotiation.route` does locally.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from affiche import config
from affiche.local.negotiation import route

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"
NEGOTIATE_JS = ROOT / "infra" / "cloudfront" / "negotiate.js"
MODULE_GUARD = "if (typeof module !== 'undefined')"

# cfn-lint ships no type information; importing it dynamically keeps mypy quiet without an
# ignore comment that would depend on the project's mypy settings.
cfn_yaml = importlib.import_module("cfnlint.decode.cfn_yaml")


@lru_cache(maxsize=1)
def template() -> dict[str, Any]:
    """The template as plain data; cfn-lint's loader turns !Ref/!Sub/!GetAtt into Fn:: maps."""
    loaded: dict[str, Any] = cfn_yaml.load(str(TEMPLATE))
    return loaded


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template()["Resources"].items() if r["Type"] == kind}


def props(name: str) -> dict[str, Any]:
    properties: dict[str, Any] = template()["Resources"][name]["Properties"]
    return properties


def parameter_default(ref: Any) -> Any:
    """Resolve a {"Ref": parameter} to the parameter's default."""
    assert isinstance(ref, dict) and set(ref) == {"Ref"}, ref
    return template()["Parameters"][ref["Ref"]]["Default"]


def test_cfn_lint_is_clean() -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    # No check is ignored: the template lints clean with cfn-lint's default rules (E and W).
    done = subprocess.run(
        [str(cfn_lint), str(TEMPLATE)], check=False, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_resource_names_match_the_local_emulator() -> None:
    assert parameter_default(props("Table")["TableName"]) == config.DEFAULT_TABLE
    # Bucket names are global: the stack names its bucket after the account and region unless
    # told otherwise (affiche-site, the local default, is taken on AWS).
    assert template()["Parameters"]["SiteBucketName"]["Default"] == ""
    named = props("SiteBucket")["BucketName"]["Fn::If"]
    assert named[0] == "HasBucketName" and named[1] == {"Ref": "SiteBucketName"}
    assert named[2] == {"Fn::Sub": "affiche-site-${AWS::AccountId}-${AWS::Region}"}
    assert parameter_default(props("DeliveryQueue")["QueueName"]) == config.DEFAULT_DELIVERY_QUEUE
    assert parameter_default(props("DeliveryDlq")["QueueName"]) == config.DEFAULT_DELIVERY_DLQ


def test_a_failed_first_deploy_leaves_nothing_that_blocks_a_retry() -> None:
    # Retained with the stack's deletion (they hold the data), but a first create that rolls
    # back deletes its new, empty table and bucket: a retry finds their names free.
    for name in ("Table", "SiteBucket"):
        assert template()["Resources"][name]["DeletionPolicy"] == "RetainExceptOnCreate", name


def test_table_shape() -> None:
    table = props("Table")
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    indexes = {i["IndexName"]: i for i in table["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"gsi1", "gsi2", "gsi3"}
    for name, index in indexes.items():
        assert index["KeySchema"] == [
            {"AttributeName": f"{name}pk", "KeyType": "HASH"},
            {"AttributeName": f"{name}sk", "KeyType": "RANGE"},
        ]
        assert index["Projection"] == {"ProjectionType": "ALL"}
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    assert types == dict.fromkeys(["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk",
                                   "gsi3sk"], "S")
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_inline_cloudfront_function_is_negotiate_js() -> None:
    source = NEGOTIATE_JS.read_text("utf-8")
    assert MODULE_GUARD in source
    expected = source[: source.index(MODULE_GUARD)].rstrip() + "\n"
    inline = str(props("NegotiateFunction")["FunctionCode"]).rstrip() + "\n"
    assert inline == expected, (
        "infra/template.yaml NegotiateFunction.FunctionCode differs from "
        "infra/cloudfront/negotiate.js: paste the file (without its module.exports guard) back in"
    )
    assert props("NegotiateFunction")["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    # CloudFront Functions reject code over 10 KB.
    assert len(inline.encode("utf-8")) < 10 * 1024


def test_environment_names_are_the_ones_config_reads() -> None:
    read = set(re.findall(r'env\.get\("(AFFICHE_\w+)"', Path(config.__file__).read_text("utf-8")))
    variables = template()["Globals"]["Function"]["Environment"]["Variables"]
    assert set(variables) <= read
    assert {
        "AFFICHE_TABLE",
        "AFFICHE_SITE_BUCKET",
        "AFFICHE_DELIVERY_QUEUE_URL",
        "AFFICHE_PUBLIC_URL",
        "AFFICHE_MAIL_MODE",
        "AFFICHE_MAIL_FROM",
    } <= set(variables)
    assert variables["AFFICHE_MAIL_MODE"] == "ses"


def test_functions_and_their_routes() -> None:
    functions = resources("AWS::Serverless::Function")
    handlers = {f["Properties"]["Handler"] for f in functions.values()}
    assert handlers == {
        f"functions.{name}.handler.lambda_handler"
        for name in ("api", "inbox", "outbox", "webfinger", "moderation", "reminders")
    } | {"functions.outbox.clock.lambda_handler"}  # scheduled: pages time makes stale
    assert template()["Globals"]["Function"]["Runtime"] == "python3.13"
    assert template()["Globals"]["Function"]["Architectures"] == ["arm64"]
    assert template()["Globals"]["Function"]["CodeUri"] == ".."
    routes = {
        (e["Properties"]["Method"], e["Properties"]["Path"]): f["Properties"]["Handler"]
        for f in functions.values()
        for e in f["Properties"].get("Events", {}).values()
        if e["Type"] == "HttpApi"
    }
    assert routes[("ANY", "/api/{proxy+}")] == "functions.api.handler.lambda_handler"
    assert routes[("ANY", "/app/{proxy+}")] == "functions.api.handler.lambda_handler"
    assert routes[("ANY", "/api/mod/{proxy+}")] == "functions.moderation.handler.lambda_handler"
    assert routes[("POST", "/inbox")] == "functions.inbox.handler.lambda_handler"
    assert routes[("POST", "/{name}/inbox")] == "functions.inbox.handler.lambda_handler"
    assert routes[("GET", "/.well-known/webfinger")] == "functions.webfinger.handler.lambda_handler"


def test_outbox_event_sources() -> None:
    outbox = props("OutboxFunction")
    events = {e["Type"]: e["Properties"] for e in outbox["Events"].values()}
    stream = events["DynamoDB"]
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert stream["BisectBatchOnFunctionError"] is True
    assert stream["MaximumRetryAttempts"] > 0
    assert "OnFailure" in stream["DestinationConfig"]
    assert events["SQS"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert events["SQS"]["Queue"] == {"Fn::GetAtt": ["DeliveryQueue", "Arn"]}


def test_delivery_queue_redrive_and_visibility() -> None:
    queue = props("DeliveryQueue")
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 8
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["DeliveryDlq", "Arn"]}
    assert queue["VisibilityTimeout"] > props("OutboxFunction")["Timeout"]


def test_cloudfront_behaviours_route_like_the_local_gateway() -> None:
    distribution = props("Distribution")["DistributionConfig"]
    default = distribution["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "site"
    assert [a["EventType"] for a in default["FunctionAssociations"]] == ["viewer-request"]
    behaviours = {b["PathPattern"]: b for b in distribution["CacheBehaviors"]}
    assert set(behaviours) == {"/api/*", "/app/*", "/inbox", "/@*/inbox", "/.well-known/webfinger"}
    samples = {
        "/api/*": "/api/events",
        "/app/*": "/app/login",
        "/inbox": "/inbox",
        "/@*/inbox": "/@demo/inbox",
        "/.well-known/webfinger": "/.well-known/webfinger",
    }
    for pattern, behaviour in behaviours.items():
        assert behaviour["TargetOriginId"] == "api"
        assert "POST" in behaviour["AllowedMethods"]
        assert route(samples[pattern]) != "site"
    assert route("/@demo/") == "site"


def test_site_bucket_is_private() -> None:
    bucket = props("SiteBucket")
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    statements = props("SiteBucketPolicy")["PolicyDocument"]["Statement"]
    allowed = [s for s in statements if s["Effect"] == "Allow"]
    assert allowed
    for statement in allowed:
        assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert "AWS:SourceArn" in statement["Condition"]["StringEquals"]
    oac = props("SiteOriginAccessControl")["OriginAccessControlConfig"]
    assert oac["SigningProtocol"] == "sigv4"


def test_reminders_run_on_a_schedule_as_the_local_runner_runs_them() -> None:
    from affiche.local.runner import REMINDER_INTERVAL

    events = props("ReminderFunction")["Events"]
    (schedule,) = events.values()
    assert schedule["Type"] in {"Schedule", "ScheduleV2"}
    minutes = int(re.fullmatch(r"rate\((\d+) minutes\)",
                               schedule["Properties"]["ScheduleExpression"]).group(1))
    assert minutes * 60 == REMINDER_INTERVAL
