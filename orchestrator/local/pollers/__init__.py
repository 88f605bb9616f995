"""SQS event source mappings run as pollers, the way the Lambda service runs them.

moto 5.2.5 runs a mapping inside `send_message` itself, on the sender's thread, one message per invoke, with no
batching window and no partial batch response. Through one seam declared in orchestrator/local/seams:

- `mappings`: a mapping created in moto (listed by its Lambda backend) and taken off its queue there;
- `adapter`: `Pollers`, a poller thread per enabled mapping that gathers a batch (BatchSize, batching window on the
  runtime clock), invokes the function once and settles the batch;
- `batches`: the SQS event Lambda builds, and which messages a function's answer (ReportBatchItemFailures) keeps;
- `visibility`: a message kept becomes visible again when its visibility timeout has passed on the runtime clock.

Not modelled: ScalingConfig (each mapping runs one batch at a time, so its order is deterministic), the 6 MB payload
limit, Lambda's polling back-off after errors, and DelaySeconds (moto delays in real time). A mapping with
FilterCriteria is refused rather than run unfiltered; one from a stream or Kafka is named in the start-up notice.
"""

from __future__ import annotations

from orchestrator.local.pollers.adapter import IDLE_SECONDS, Pollers
from orchestrator.local.pollers.batches import BatchRecord, batch_failures, sqs_record
from orchestrator.local.pollers.mappings import (
    RECEIVE_LIMIT,
    REPORT_BATCH_ITEM_FAILURES,
    SqsMapping,
    UnsupportedMapping,
)

__all__ = [
    "IDLE_SECONDS",
    "RECEIVE_LIMIT",
    "REPORT_BATCH_ITEM_FAILURES",
    "BatchRecord",
    "Pollers",
    "SqsMapping",
    "UnsupportedMapping",
    "batch_failures",
    "sqs_record",
]
