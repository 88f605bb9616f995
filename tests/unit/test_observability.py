"""functions/observability.py: each service's Logger, Tracer and Metrics, built once and read from the environment
of the function that asks (tests/integration/test_local_lambdas.py runs two services' functions in one process)."""

from __future__ import annotations

import pytest

from functions.observability import NAMESPACE_VARIABLE, SERVICE_VARIABLE, observability


def test_a_service_gets_its_own_tools_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAMESPACE_VARIABLE, "Orchestrator/unit")
    monkeypatch.setenv(SERVICE_VARIABLE, "unit-orders")
    orders = observability()
    monkeypatch.setenv(SERVICE_VARIABLE, "unit-payments")
    payments = observability()
    monkeypatch.setenv(SERVICE_VARIABLE, "unit-orders")

    again = observability()
    assert (again.logger, again.tracer) == (orders.logger, orders.tracer), "built once per service"
    assert (orders.logger.service, payments.logger.service) == ("unit-orders", "unit-payments")
    assert (orders.metrics.service, orders.metrics.namespace) == ("unit-orders", "Orchestrator/unit")
    assert payments.logger is not orders.logger


def test_another_namespace_gets_other_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SERVICE_VARIABLE, "unit-namespaces")
    monkeypatch.setenv(NAMESPACE_VARIABLE, "Orchestrator/one")
    one = observability()
    monkeypatch.setenv(NAMESPACE_VARIABLE, "Orchestrator/two")

    assert (one.metrics.namespace, observability().metrics.namespace) == ("Orchestrator/one", "Orchestrator/two")


def test_each_call_gets_a_metric_set_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    # One call per handler module instance, so per execution environment: what one adds, another never flushes.
    monkeypatch.setenv(SERVICE_VARIABLE, "unit-metrics")
    one, other = observability().metrics, observability().metrics
    one.add_metric(name="Counted", unit="Count", value=1)

    assert "Counted" in one.provider.metric_set
    assert other.provider.metric_set == {}, "not the process's one set"
    one.clear_metrics()
