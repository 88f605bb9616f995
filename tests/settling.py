"""Waiting in tests for work that runs on other threads, without polling a condition.

- On a local runtime (even one of single adapters, as the integration tests build): `quiet(runtime)` returns the
  moment the runtime's ledger shows nothing in flight (orchestrator/local/quiet.py); the test then asserts what it
  expects, once. Nothing is looked at again: if the runtime is quiet and the expected thing did not happen, it never
  will without the test's next action, so the assertion fails at once, naming what each execution waits for.
- On plain moto (tests/integration/test_upstream_repros.py, no runtime, no ledger): `moto_executions_ended()` joins
  the threads moto's Step Functions interpreter started, and SQS long polling waits for a message to arrive.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from orchestrator.local.ledger import Ledger
from orchestrator.local.pollers import Pollers
from orchestrator.local.quiet import QuietDetector, Stillness
from orchestrator.local.runtime import Runtime

CAP_SECONDS = 10.0  # real time: only a defect (work that never ends) reaches it


def quiet(
    runtime: Runtime,
    pollers: Pollers | None = None,
    *,
    advance_clock: bool = False,
    failures_raise: bool = True,
    cap: float = CAP_SECONDS,
) -> Stillness:
    """Returns once nothing is in flight in `runtime` (with `advance_clock`, after jumping the clock to each next
    deadline until nothing waits on it); raises `NotQuietError` naming what still works after `cap` seconds, and
    `LocalCloudError` when background work failed (unless not `failures_raise`)."""
    return QuietDetector(runtime, pollers).wait(cap, advance_clock=advance_clock, failures_raise=failures_raise)


def moto_executions_ended(cap: float = CAP_SECONDS) -> None:
    """Joins every thread of moto's Step Functions interpreter (on plain moto, where its modules share the one list
    `moto.stepfunctions.parser.utils.TMP_THREADS`), those started while joining included; fails after `cap`."""
    from moto.stepfunctions.parser.utils import TMP_THREADS

    deadline = time.monotonic() + cap
    while alive := [t for t in list(TMP_THREADS) if t.is_alive() and t is not threading.current_thread()]:
        if time.monotonic() >= deadline:
            raise AssertionError(f"moto's interpreter threads still running after {cap} s: {alive}")
        for thread in alive:
            thread.join(max(deadline - time.monotonic(), 0.0))


def received(sqs: Any, queue_url: str, cap: float = CAP_SECONDS) -> dict[str, Any]:
    """The next message of the queue, waited for by SQS long polling (moto blocks until one arrives), deleted."""
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=int(cap))
    assert messages.get("Messages"), f"no message arrived on {queue_url} within {cap} s"
    message: dict[str, Any] = messages["Messages"][0]
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return message


def ended(runtime: Runtime | None, sfn: Any, execution_arn: str, cap: float = CAP_SECONDS) -> dict[str, Any]:
    """The execution described once `runtime` is quiet (None: plain moto, once its interpreter's threads ended): it
    must have ended by then (`sfn`: a Step Functions client). The runtime's clock is not moved: an execution waiting
    on it fails the assertion, naming its wait."""
    if runtime is None:
        moto_executions_ended(cap)
        waits: list[str] = []
    else:
        waits = quiet(runtime, cap=cap).waits
    execution: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
    assert execution["status"] != "RUNNING", f"{execution_arn} has not ended; waiting: {waits}"
    return execution


def until_a_wait(ledger: Ledger, cap: float = CAP_SECONDS) -> None:
    """Returns once some thread is in a wait the ledger knows (for unit tests of the ledger and the clock, which
    have no runtime): woken by each change of the ledger, never by a timer."""
    deadline = time.monotonic() + cap
    while True:
        epoch = ledger.epoch  # read before looking: a change after the look moves it, so no wake-up is missed
        if ledger.waits_entered():
            return
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no thread entered a wait within {cap} s"
        ledger.wait_for_change(epoch, remaining)
