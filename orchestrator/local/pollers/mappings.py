"""Where an SQS event source mapping lives: created in moto, then taken off its queue so only the pollers run it.

`create_in_moto` creates a mapping in moto, so `list_event_source_mappings` and `get_event_source_mapping` answer
with its UUID (the CloudFormation `Ref`). moto attaches a mapping to its queue by putting it in
`Queue.lambda_event_source_mappings` (moto/awslambda/models.py:2138), the dict `Queue.add_message` walks to invoke the
function on the sender's thread. `polled_here` wraps `LambdaBackend.create_event_source_mapping` (a seam declared in
orchestrator/local/seams/services.py, applied by `Pollers.install()`): it takes a mapping `create_in_moto` creates out
of that dict as moto creates it, which leaves it listed by the Lambda backend while `send_message` no longer invokes
anything. moto requires the function to exist in its Lambda backend (the local Lambda runtime creates it there). A
mapping created through the API, not through this module (or before `install()`), keeps moto's behaviour.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import ClientError

from orchestrator.local.runtime import Runtime

RECEIVE_LIMIT: Final = 10  # the most messages one ReceiveMessage call returns
REPORT_BATCH_ITEM_FAILURES: Final = "ReportBatchItemFailures"
# Set while this thread creates a mapping for a `Pollers` (any of them: the seam one of them applied serves all).
_creating = threading.local()

CreateMapping = Callable[[Any, dict[str, Any]], Any]


class UnsupportedMapping(ValueError):
    """A mapping the local runtime refuses to run rather than run differently from AWS."""


@dataclass(frozen=True)
class SqsMapping:
    uuid: str
    queue_arn: str
    queue_url: str
    function: str
    batch_size: int = 10
    batching_window: float = 0.0
    report_batch_item_failures: bool = False
    enabled: bool = True


def polled_here(original: CreateMapping) -> CreateMapping:
    """The seam's wrapper: a mapping `create_in_moto` creates is detached from its queue in moto."""

    def create_event_source_mapping(backend: Any, spec: dict[str, Any]) -> Any:
        mapping = original(backend, spec)
        if getattr(_creating, "active", False):
            _detach_from_moto_queue(spec["EventSourceArn"], mapping.uuid)
        return mapping

    return create_event_source_mapping


def create_in_moto(runtime: Runtime, arguments: dict[str, Any]) -> str:
    """Creates a mapping in moto's Lambda backend (CreateEventSourceMapping `arguments`), detached from moto's own
    delivery once a `Pollers.install()` applied the seam; returns its UUID."""
    _creating.active = True  # moto creates it on this thread, through the seam a `Pollers.install()` applied
    try:
        created = runtime.client("lambda").create_event_source_mapping(**arguments)
    except ClientError as error:
        raise UnsupportedMapping(
            f"cannot map {arguments['EventSourceArn']} to {arguments['FunctionName']}: {error}; "
            "the function must exist in moto's Lambda backend"
        ) from error
    finally:
        _creating.active = False
    return str(created["UUID"])


def _detach_from_moto_queue(queue_arn: str, mapping_uuid: str) -> None:
    """Removes a mapping from moto's queue so `send_message` stops invoking it; the Lambda backend keeps it."""
    from moto.sqs.models import sqs_backends

    _, _, _, region, account, name = queue_arn.split(":", 5)
    queue = sqs_backends[account][region].queues.get(name)
    attached = getattr(queue, "lambda_event_source_mappings", None)
    if not isinstance(attached, dict):
        raise RuntimeError(
            "moto's SQS Queue has no `lambda_event_source_mappings` dict: the seam pollers/mappings.py detaches "
            "mappings from changed in this moto version (built against moto 5.2.5)"
        )
    keys = [key for key, esm in attached.items() if getattr(esm, "uuid", None) == mapping_uuid]
    if not keys:
        raise RuntimeError(
            f"moto did not attach mapping {mapping_uuid} to {queue_arn} where pollers/mappings.py expects it"
        )
    for key in keys:
        del attached[key]
