"""Resource policies: the template's queue policies and Lambda permissions, put on the resources in moto as
CloudFormation puts them (SetQueueAttributes `Policy`, AddPermission), and read back, live, when a service delivers
to the resource: EventBridge sending to a queue or invoking a function is allowed only by the resource's policy
(the service acts as `events.amazonaws.com`, with `aws:SourceArn` the rule's ARN and `aws:SourceAccount`).

Read from moto at each delivery rather than from the template: a queue made at run time (a test's tap) has the
policy its maker gave it, and none if it was given none, as on AWS. A queue's policy is read off moto's queue, not
through GetQueueAttributes: moto answers that call by computing every attribute, the message counts included (a scan
of the queue's messages), and this is asked at every delivery to a queue. A function's policy is read off moto's
Lambda backend likewise, by the method moto's GetPolicy answers with (the function's statements, or those of the
version or alias a qualified ARN names), without the request GetPolicy made at every delivery to a function.
Parsed documents are kept by their text (`_statements`): a policy changes rarely, and parsing it again costs more
than reading it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from orchestrator.local.iam.evaluation import Statement, parse_policy
from orchestrator.local.provision import Provisioned, Provisioner


def create_queue_policy(p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
    """Creator of `AWS::SQS::QueuePolicy`: the document on each of its queues (given by URL)."""
    document = json.dumps(props["PolicyDocument"])
    sqs = p.client("sqs")
    for url in props.get("Queues", []):
        sqs.set_queue_attributes(QueueUrl=str(url), Attributes={"Policy": document})
    return Provisioned(logical_id, {"Id": logical_id})


def create_permission(p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
    """Creator of `AWS::Lambda::Permission`: a statement of the function's resource policy (AddPermission)."""
    arguments = {
        "FunctionName": str(props["FunctionName"]),
        "StatementId": logical_id,
        "Action": str(props["Action"]),
        "Principal": str(props["Principal"]),
    }
    for optional in ("SourceArn", "SourceAccount"):
        if optional in props:
            arguments[optional] = str(props[optional])
    p.client("lambda").add_permission(**arguments)
    return Provisioned(logical_id, {"Id": logical_id})


def queue_policy(queue_arn: str) -> tuple[Statement, ...]:
    """The statements of the queue's policy now (none: no policy, or no such queue), read off moto's queue."""
    from moto.sqs.models import sqs_backends

    _, _, _, region, account, name = queue_arn.split(":", 5)
    queue = sqs_backends[account][region].queues.get(name)
    policy = queue.policy if queue is not None else None
    return _statements(policy, f"queue policy of {queue_arn}") if policy else ()


def function_policy(function_arn: str) -> tuple[Statement, ...]:
    """The statements of the function's resource policy now (none: no permission, or no such function), read off
    moto's Lambda backend as its GetPolicy reads them. Another error (a malformed ARN) is raised, as the call's."""
    from moto.awslambda.exceptions import LambdaClientError
    from moto.awslambda.utils import get_backend  # the backend moto's responses use (lambda_simple without Docker)

    _, _, _, region, account, _ = function_arn.split(":", 5)
    try:
        answer = get_backend(account, region).get_policy(function_arn)
    except LambdaClientError as error:
        if error.error_type != "ResourceNotFoundException":
            raise
        return ()
    return _statements(json.loads(answer)["Policy"], f"resource policy of {function_arn}")


@lru_cache(maxsize=256)
def _statements(document: str, source: str) -> tuple[Statement, ...]:
    return tuple(parse_policy(document, source=source))


def allow_rule_to_send(sqs: Any, queue_url: str, queue_arn: str, rule_arn: str) -> None:
    """Gives a queue made at run time (a tap a test or a bench reads events from) the policy a CDK `SqsQueue` target
    gives its queue: EventBridge may send to it for that rule. Without it no event reaches the queue, as on AWS."""
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
    }
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})
