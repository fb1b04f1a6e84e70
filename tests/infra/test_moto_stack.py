"""The transformed stack deploys into moto's CloudFormation, as far as moto models AWS.

Given the CloudFormation SAM makes of infra/template.yaml, when the resource types moto's
CloudFormation implements are created there (references to the others become placeholders),
then the stack completes and what it made is what the code expects: the table with its stream
and TTL, the site bucket named after the account, the queues and their redrive, every function
on python3.13/arm64 with the dependency layer, log groups with their retention.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.cloudformation.parsing import get_model_map

from tests.infra.test_transformed import transformed

# What moto's CloudFormation does not implement; CloudFront and API Gateway v2 are checked by
# cfn-lint and by the assertions on the transformed template instead.
NOT_IN_MOTO = {
    "AWS::CloudFront::Distribution", "AWS::CloudFront::Function",
    "AWS::CloudFront::KeyValueStore", "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::OriginRequestPolicy", "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Stage", "AWS::Scheduler::Schedule", "AWS::S3::BucketPolicy",
    "AWS::CloudWatch::Alarm", "AWS::WAFv2::WebACL",
}
REGION = "eu-west-1"


def deployable() -> tuple[dict[str, Any], set[str]]:
    template = json.loads(json.dumps(transformed()))
    template.pop("Transform", None)
    supported = set(get_model_map())
    left_out = {n for n, r in template["Resources"].items() if r["Type"] not in supported}

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"Ref"} and value["Ref"] in left_out:
                return f"left-out-{value['Ref']}"
            if set(value) == {"Fn::GetAtt"} and value["Fn::GetAtt"][0] in left_out:
                return f"left-out-{value['Fn::GetAtt'][0]}"
            if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
                return {"Fn::Sub": re.sub(
                    r"\$\{(\w+)(\.[\w.]+)?\}",
                    lambda m: f"left-out-{m.group(1)}" if m.group(1) in left_out else m.group(0),
                    value["Fn::Sub"])}
            return {key: scrub(inner) for key, inner in value.items()}
        if isinstance(value, list):
            return [scrub(inner) for inner in value]
        return value

    template["Resources"] = {n: scrub(r) for n, r in template["Resources"].items()
                             if n not in left_out}
    template["Outputs"] = scrub(template.get("Outputs", {}))
    kinds = {transformed()["Resources"][n]["Type"] for n in left_out}
    return template, kinds


@pytest.fixture(scope="module")
def stack(monkey_env: None) -> Iterator[dict[str, Any]]:
    template, _ = deployable()
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="artifacts",
                         CreateBucketConfiguration={"LocationConstraint": REGION})
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("placeholder.py", "")
        for key in ("code.zip", "layer.zip"):
            s3.put_object(Bucket="artifacts", Key=key, Body=archive.getvalue())
        cfn = boto3.client("cloudformation", region_name=REGION)
        cfn.create_stack(
            StackName="affiche", TemplateBody=json.dumps(template),
            Parameters=[{"ParameterKey": "PublicUrl", "ParameterValue": "https://e.example"},
                        {"ParameterKey": "MailFrom", "ParameterValue": "noreply@e.example"}],
            Capabilities=["CAPABILITY_IAM"])
        yield cfn.describe_stacks(StackName="affiche")["Stacks"][0]


@pytest.fixture(scope="module")
def monkey_env() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_DEFAULT_REGION": REGION}.items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        yield


def test_only_what_moto_lacks_is_left_out() -> None:
    _, kinds = deployable()
    assert kinds <= NOT_IN_MOTO, sorted(kinds - NOT_IN_MOTO)


def test_the_stack_completes(stack: dict[str, Any]) -> None:
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")


def test_data_resources_are_what_the_code_expects(stack: dict[str, Any]) -> None:
    table = boto3.client("dynamodb", region_name=REGION).describe_table(TableName="affiche")
    assert table["Table"]["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    account = boto3.client("sts", region_name=REGION).get_caller_identity()["Account"]
    buckets = {b["Name"] for b in boto3.client("s3", region_name=REGION).list_buckets()["Buckets"]}
    assert f"affiche-site-{account}-{REGION}" in buckets
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName="affiche-delivery")["QueueUrl"]
    redrive = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
                         ["Attributes"]["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(":affiche-delivery-dlq")


def test_functions_run_python313_on_arm64_with_the_layer(stack: dict[str, Any]) -> None:
    client = boto3.client("lambda", region_name=REGION)
    functions = client.list_functions()["Functions"]
    assert len(functions) >= 7
    for function in functions:
        assert function["Runtime"] == "python3.13", function["FunctionName"]
    # moto's CloudFormation drops Architectures and Layers: read them where SAM wrote them
    for name, resource in transformed()["Resources"].items():
        if resource["Type"] == "AWS::Lambda::Function":
            assert resource["Properties"]["Architectures"] == ["arm64"], name
            assert resource["Properties"]["Layers"] == [{"Ref": "DependenciesLayer"}] or \
                resource["Properties"]["Layers"][0]["Ref"].startswith("DependenciesLayer"), name


def test_log_groups_keep_logs_a_bounded_time(stack: dict[str, Any]) -> None:
    groups = boto3.client("logs", region_name=REGION).describe_log_groups(
        logGroupNamePrefix="/aws/lambda/")["logGroups"]
    assert len(groups) >= 7
    assert {g.get("retentionInDays") for g in groups} == {30}
