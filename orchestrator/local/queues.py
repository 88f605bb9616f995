"""SQS queues named by ARN, as the local runtime's adapters meet them.

Why: templates, rule targets, dead-letter configs and event-source mappings name a queue by its ARN, while the SQS
API addresses it by URL. Every adapter that sends to or polls such a queue turns the one into the other the same
way: GetQueueUrl with the queue's name and its owner's account, both taken from the ARN, once per client and queue:
a queue's URL is its endpoint, account and name, so it stays the same while the queue is deleted and made again,
and a call to the URL of a queue that is gone fails with QueueDoesNotExist, as GetQueueUrl would have. (Every event
a rule delivered to a queue made that call again: 4 of the ~48 calls of an order saga on the local runtime.)
"""

from __future__ import annotations

from typing import Any, Final

_KNOWN: Final = "_local_runtime_queue_urls"  # on the client: queue ARN -> URL


def queue_url(sqs: Any, queue_arn: str) -> str:
    """The URL of the queue `queue_arn` names (`arn:aws:sqs:<region>:<account>:<name>`), from the SQS client `sqs`
    (which must be of the queue's region). Raises the client's QueueDoesNotExist when there is no such queue and its
    URL is not known yet; a known one is returned, and the call made with it raises the same error."""
    _, _, service, _, account, name = queue_arn.split(":", 5)
    if service != "sqs":
        raise ValueError(f"not an SQS queue ARN: {queue_arn}")
    known: dict[str, str] = sqs.__dict__.setdefault(_KNOWN, {})  # one dict per client, whichever thread sets it
    url = known.get(queue_arn)
    if url is None:
        url = known[queue_arn] = str(sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"])
    return url


def queue_name(url: str) -> str:
    """The name of the queue at `url` (its last path segment): how moto keys its queues, and the pollers theirs."""
    return url.rsplit("/", 1)[-1]
