"""The CloudFormation that SAM makes of the template: what AWS will really create.

Given infra/template.yaml transformed by SAM's own translator (offline, as `sam deploy` would),
then each function's role allows every AWS call its code can make (read from the code by
tests/infra/aws_calls.py, never listed by hand: moto does not enforce IAM), every function has a
log group with a retention, the alarms exist and watch the right things, and the outbox's stream
filter lets through exactly the records the outbox handler acts on.
"""

from __future__ import annotations

import copy
import fnmatch
import importlib
import json
import os
from functools import cache
from typing import Any

import pytest

from affiche.activitypub.inbox import KIND as INBOUND_KIND
from affiche.domain.model import Activity, OutgoingMail
from functions.outbox.handler import STREAM_KINDS
from tests.infra import aws_calls
from tests.infra.test_template import template

translator = importlib.import_module("samtranslator.translator.transform")
PARAMETERS = {"PublicUrl": "https://events.example.org", "MailFrom": "noreply@example.org"}


class NoManagedPolicies:
    """The translator asks IAM for AWS managed policy ARNs; the template names none."""

    def load(self) -> dict[str, str]:
        return {}


@cache
def transformed() -> dict[str, Any]:
    sam = copy.deepcopy(json.loads(json.dumps(template(), default=str)))
    # `sam deploy` uploads the built packages first; the translator wants their S3 locations.
    sam["Globals"]["Function"]["CodeUri"] = "s3://artifacts/code.zip"
    for resource in sam["Resources"].values():
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = "s3://artifacts/layer.zip"
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    result: dict[str, Any] = translator.transform(sam, PARAMETERS, NoManagedPolicies())
    return result


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r["Properties"] for name, r in transformed()["Resources"].items()
            if r["Type"] == kind}


def lambda_functions() -> dict[str, dict[str, Any]]:
    return resources("AWS::Lambda::Function")


def allowed_actions(function: str) -> list[str]:
    role_name = lambda_functions()[function]["Role"]["Fn::GetAtt"][0]
    role = transformed()["Resources"][role_name]["Properties"]
    actions: list[str] = []
    for policy in role.get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Allow":
                action = statement["Action"]
                actions += [action] if isinstance(action, str) else action
    return actions


def allows(granted: list[str], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in granted)


SAM_FUNCTIONS = sorted(name for name, r in template()["Resources"].items()
                       if r["Type"] == "AWS::Serverless::Function")


@pytest.mark.parametrize("function", SAM_FUNCTIONS)
def test_each_role_allows_every_aws_call_the_code_makes(function: str) -> None:
    handler = lambda_functions()[function]["Handler"].rsplit(".", 1)[0]
    granted = allowed_actions(function)
    needed = aws_calls.actions_of(handler)
    missing = {action: sorted(modules) for action, modules in needed.items()
               if not allows(granted, action)}
    assert not missing, f"{function} may call these without permission: {missing}"
    if aws_calls.uses_table(handler):  # pynamodb: reads at least (writes: see the role)
        assert allows(granted, "dynamodb:GetItem") and allows(granted, "dynamodb:Query")


def test_the_scan_sees_what_the_code_calls() -> None:
    # Guard against a scan that finds nothing and so passes everything.
    assert "ses:SendEmail" in aws_calls.actions_of("functions.reminders.handler")
    outbox = aws_calls.actions_of("functions.outbox.handler")
    assert {"cloudfront:CreateInvalidation", "s3:PutObject", "sqs:SendMessage"} <= set(outbox)
    # The local runner's table creation is imported with its module, but is not Lambda code.
    assert "dynamodb:CreateTable" not in aws_calls.actions_of("functions.api.handler")


def test_every_function_logs_with_a_retention() -> None:
    groups = resources("AWS::Logs::LogGroup")
    named = {json.dumps(g["LogGroupName"]): g for g in groups.values()}
    for function in lambda_functions():
        name = json.dumps({"Fn::Sub": f"/aws/lambda/${{{function}}}"})
        assert name in named, f"{function} has no log group of its own (logs would never expire)"
        assert named[name]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert template()["Parameters"]["LogRetentionDays"]["Default"] == 30


def watched() -> dict[str, tuple[str, str, str]]:
    """alarm name -> (namespace, metric, the resource of its dimension or "account")."""
    found = {}
    for name, alarm in resources("AWS::CloudWatch::Alarm").items():
        dimensions = alarm.get("Dimensions", [])
        target = json.dumps(dimensions[0]["Value"]) if dimensions else "account"
        found[name] = (alarm["Namespace"], alarm["MetricName"], target)
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
    return found


def test_alarms_watch_failures_the_operator_must_act_on() -> None:
    alarms = set(watched().values())
    dlq = json.dumps({"Fn::GetAtt": ["DeliveryDlq", "QueueName"]})
    failures = json.dumps({"Fn::GetAtt": ["StreamFailureQueue", "QueueName"]})
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", dlq) in alarms
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", failures) in alarms
    assert ("AWS/Lambda", "IteratorAge", json.dumps({"Ref": "OutboxFunction"})) in alarms
    assert ("AWS/Lambda", "Errors", "account") in alarms
    assert ("AWS/Lambda", "Throttles", "account") in alarms
    assert ("AWS/ApiGateway", "5xx", json.dumps({"Ref": "HttpApi"})) in alarms
    # Inside CloudWatch's free tier of ten alarm metrics.
    assert len(alarms) <= 10


def test_the_stream_filter_passes_exactly_what_the_outbox_acts_on() -> None:
    mappings = resources("AWS::Lambda::EventSourceMapping")
    stream = next(m for m in mappings.values() if "StartingPosition" in m)
    pattern = json.loads(stream["FilterCriteria"]["Filters"][0]["Pattern"])
    assert pattern["eventName"] == ["INSERT"]  # activities are immutable (handler.handle_change)
    kinds = set(pattern["dynamodb"]["NewImage"]["kind"]["S"])
    assert kinds == STREAM_KINDS
    assert {Activity.kind, INBOUND_KIND, OutgoingMail.kind} <= kinds
    queue = next(m for m in mappings.values() if "StartingPosition" not in m)
    assert "FilterCriteria" not in queue  # every delivery message is work


def statements(function: str) -> list[dict[str, Any]]:
    role_name = lambda_functions()[function]["Role"]["Fn::GetAtt"][0]
    role = transformed()["Resources"][role_name]["Properties"]
    return [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]


def test_locked_down_without_breaking_the_budget() -> None:
    resources_ = transformed()["Resources"]
    # The data cannot be dropped by a stack operation; uploads survive an overwrite
    assert resources_["Table"]["Properties"]["DeletionProtectionEnabled"] is True
    bucket = resources_["SiteBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["LifecycleConfiguration"]["Rules"][0]["NoncurrentVersionExpiration"]
    # The API function writes uploads (and drops their old variants) only, never pages
    s3_grants = [s for s in statements("ApiFunction") if "s3:" in json.dumps(s["Action"])]
    assert s3_grants == [{"Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"],
                          "Resource": {"Fn::Sub": "${SiteBucket.Arn}/media/*"}}]
    # TLS 1.2 at least, to viewers (custom domain) and to the API origin
    config = resources_["Distribution"]["Properties"]["DistributionConfig"]
    assert "TLSv1.2" in json.dumps(config["ViewerCertificate"])
    api = next(o for o in config["Origins"] if o["Id"] == "api")
    assert api["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]
    # WAF is opt-in (its cost is stated with the parameter)
    waf = template()["Parameters"]["WebAclArn"]
    assert waf["Default"] == "" and "$5" in waf["Description"]


def readable_parameters(function: str) -> set[str]:
    """The SSM parameter names (after /affiche/${AWS::StackName}/) a function may read."""
    role_name = lambda_functions()[function]["Role"]["Fn::GetAtt"][0]
    names = set()
    for policy in transformed()["Resources"][role_name]["Properties"].get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            if "ssm:GetParameter" in ([actions] if isinstance(actions, str) else actions):
                arn = json.dumps(statement["Resource"])
                assert "parameter/affiche/${AWS::StackName}/" in arn, arn  # never a wildcard
                names.add(arn.rsplit("/", 1)[1].strip('"}'))
    return names


def needs_instance_key(handler: str) -> bool:
    """Whether a handler's live code signs as the instance actor, or renders with the publisher
    (which derives /actor's public key from the private one)."""
    reachable = aws_calls.reachable(handler)
    live = aws_calls.live_code(reachable, handler)
    signs = "InstanceSigner" in aws_calls.names_in([s for code in live.values() for s in code])
    return signs or "affiche.publish.renderer" in reachable


@pytest.mark.parametrize("function", SAM_FUNCTIONS)
def test_only_the_functions_that_sign_may_read_the_instance_key(function: str) -> None:
    handler = lambda_functions()[function]["Handler"].rsplit(".", 1)[0]
    assert ("instance-key" in readable_parameters(function)) == needs_instance_key(handler)
    assert readable_parameters(function) <= {"instance-key", "origin-secret"}


def test_the_instance_key_is_out_of_reach_of_functions_that_do_not_sign() -> None:
    readers = {f for f in SAM_FUNCTIONS if "instance-key" in readable_parameters(f)}
    assert readers == {"ApiFunction", "ModerationFunction", "InboxFunction", "OutboxFunction",
                       "ClockFunction"}
