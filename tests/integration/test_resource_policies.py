"""A function's resource policy as the local runtime's IAM reads it at each delivery (orchestrator/local/iam/
resource_policies.py): off moto's Lambda backend, the statements moto's GetPolicy answers for the same ARN, whether
the function has permissions, the ARN names an alias or one that does not exist, or there is no such function."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orchestrator.local.iam.evaluation import Statement, parse_policy
from orchestrator.local.iam.resource_policies import function_policy
from orchestrator.local.runtime import MOTO_CONFIG
from tests.builders import create_function

RULE = "arn:aws:events:us-east-1:123456789012:rule/orchestrator-dev/to-worker"


@pytest.fixture
def lambdas(aws_credentials: None) -> Iterator[Any]:
    with mock_aws(config=MOTO_CONFIG):
        yield boto3.client("lambda", region_name="us-east-1")


def _through_the_api(lambdas: Any, arn: str) -> tuple[Statement, ...]:
    """The statements GetPolicy answers for `arn`, none when it answers ResourceNotFoundException."""
    try:
        document = lambdas.get_policy(FunctionName=arn)["Policy"]
    except lambdas.exceptions.ResourceNotFoundException:
        return ()
    return tuple(parse_policy(document))


def test_each_arn_gets_the_statements_get_policy_answers_for_it(lambdas: Any) -> None:
    create_function("worker")
    create_function("bare")
    arn = lambdas.get_function(FunctionName="worker")["Configuration"]["FunctionArn"]
    version = lambdas.publish_version(FunctionName="worker")["Version"]
    lambdas.create_alias(FunctionName="worker", Name="live", FunctionVersion=version)
    lambdas.add_permission(
        FunctionName="worker",
        StatementId="rule",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=RULE,
    )
    lambdas.add_permission(
        FunctionName="worker",
        Qualifier="live",
        StatementId="rule-live",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
    )
    bare, live = arn.replace(":worker", ":bare"), f"{arn}:live"
    arns = [arn, live, f"{arn}:no-such-alias", bare, arn.replace(":worker", ":never-made")]

    read = {a: tuple(replace(statement, source="") for statement in function_policy(a)) for a in arns}

    assert read == {a: _through_the_api(lambdas, a) for a in arns}
    # moto keeps one policy per function, its alias's permission among the function's (AWS keeps one per alias):
    # the runtime reads what moto answers, nothing more.
    assert [len(read[a]) for a in arns] == [2, 2, 0, 0, 0]
