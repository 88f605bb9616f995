"""Each function's Logger, Tracer and Metrics, built once per service: a handler's module takes them with

    logger, tracer, metrics = observability()

Why a factory and not three module-level instances here: on AWS each function is a process of its own, but the local
runtime runs many functions in one process. Each function gets its own instance of its handler module, while the
`functions.*` modules the handlers import are imported once and shared (orchestrator/local/lambdas/handlers.py). A
Logger built here at import would carry the `service` of whichever function imported this module first, on every
other function's lines. `observability()` is called when the handler's module is imported, which the runtime does
under that function's environment (its POWERTOOLS_SERVICE_NAME, set per function by
infra/constructs/lambda_function.py), and returns the tools of that service.

Logger and Tracer are cached per service, because that is Powertools' own unit of sharing: Loggers of one service
share one `logging.Logger`, its handler and its formatter (so their keys) whichever instance holds them; Tracer is a
borg. So two functions of one service (the correlator's two) share them as they shared them before, and functions of
different services never do. Per-record keys (the correlation id) are context-local and so never shared between
invocations either (functions/log_context.py).

Metrics are not cached: each call builds a Metrics with a metric set of its own. Powertools' `Metrics()` keeps one
metric set per process (class attributes), which on Lambda is one per execution environment; in the local runtime,
invocations of different functions (and of one function in its several execution environments) run at the same time
in one process, where one shared set would let one handler's `log_metrics` flush, under its own service and namespace,
what another is still adding. Each handler module instance calls this once, at its import: one set per environment.
"""

from __future__ import annotations

import os
from functools import cache
from typing import NamedTuple

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

SERVICE_VARIABLE = "POWERTOOLS_SERVICE_NAME"
# What the Tracer patches: every AWS call of a handler goes through botocore (boto3 included), and no handler makes
# any other HTTP call. Left to its default, Tracer patches every library the X-Ray SDK knows, which imports
# `requests` (and httplib, sqlite3...) only to patch it: ~30 ms of each cold start (bench/imports.py) for nothing.
TRACED_MODULES = ("botocore",)
NAMESPACE_VARIABLE = "POWERTOOLS_METRICS_NAMESPACE"


class Observability(NamedTuple):
    logger: Logger
    tracer: Tracer
    metrics: Metrics


def observability() -> Observability:
    """The Logger, Tracer and Metrics of the function whose environment this runs in (call it at module level)."""
    service, namespace = os.environ.get(SERVICE_VARIABLE) or None, os.environ.get(NAMESPACE_VARIABLE) or None
    logger, tracer = _shared(service)
    return Observability(logger, tracer, _metrics(service, namespace))


@cache
def _shared(service: str | None) -> tuple[Logger, Tracer]:
    # None leaves each tool to its own default, as a bare Logger() / Tracer() would.
    return Logger(service=service), Tracer(service=service, patch_modules=TRACED_MODULES)


def _metrics(service: str | None, namespace: str | None) -> Metrics:
    """Metrics whose metric, dimension and metadata sets are their own (not the process's: see the module docstring)."""
    provider = AmazonCloudWatchEMFProvider(service=service, namespace=namespace)
    return Metrics(service=service, namespace=namespace, provider=provider)
