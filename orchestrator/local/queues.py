"""SQS queues named by ARN, as the local runtime's adapters meet them.

Why: templates, rule targets, dead-letter configs and event-source mappings name a queue by its ARN, while the SQS
API addresses it by URL. Every adapter that sends to or polls such a queue turns the one into the other the same
way: GetQueueUrl with the queue's name and its owner's account, both taken from the ARN.
"""

from __future__ import annotations

from typing import Any


def queue_url(sqs: Any, queue_arn: str) -> str:
    """The URL of the queue `queue_arn` names (`arn:aws:sqs:<region>:<account>:<name>`), from the SQS client `sqs`
    (which must be of the queue's region). Raises the client's QueueDoesNotExist when there is no such queue."""
    _, _, service, _, account, name = queue_arn.split(":", 5)
    if service != "sqs":
        raise ValueError(f"not an SQS queue ARN: {queue_arn}")
    return str(sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"])


def queue_name(url: str) -> str:
    """The name of the queue at `url` (its last path segment): how moto keys its queues, and the pollers theirs."""
    return url.rsplit("/", 1)[-1]
