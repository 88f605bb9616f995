"""Orders completed and cancelled as CloudWatch metrics, written by the saga itself (a direct putMetricData task,
no Lambda) in the stage's namespace: one data point per order, on the path it took."""

from __future__ import annotations

import pytest

from orchestrator.local.cloud import LocalCloud
from tests.workflows.conftest import Tap
from tests.workflows.test_order_saga import Saga

NAMESPACE = "Orchestrator/dev"  # config/stages.json, dev: StageConfig.metrics_namespace


@pytest.fixture
def bus_tap(cloud: LocalCloud) -> Tap:
    return Tap(cloud, cloud.bus_name, {"source": ["shop.orders"]}, "test-orders-tap")


@pytest.mark.parametrize(
    ("order", "metric", "state"),
    [
        ({}, "OrdersCompleted", "CountCompleted"),
        ({"shipping_option": "no-carrier"}, "OrdersCancelled", "CountCancelled"),
    ],
    ids=["completed", "cancelled"],
)
def test_each_order_counts_once_under_its_outcome(
    cloud: LocalCloud, bus_tap: Tap, order: dict[str, str], metric: str, state: str
) -> None:
    saga = Saga(cloud, bus_tap, **order)

    assert saga.outcome(state) == ["succeeded"]
    cloudwatch = cloud.client("cloudwatch")
    (listed,) = cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]
    assert (listed["MetricName"], listed["Dimensions"]) == (metric, [{"Name": "service", "Value": "order-saga"}])
    statistics = cloudwatch.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=metric,
        Dimensions=listed["Dimensions"],
        StartTime="2000-01-01T00:00:00Z",
        EndTime="2100-01-01T00:00:00Z",
        Period=86_400 * 365 * 100,
        Statistics=["Sum", "SampleCount"],
    )["Datapoints"]
    assert [(p["Sum"], p["SampleCount"], p["Unit"]) for p in statistics] == [(1.0, 1.0, "Count")]
