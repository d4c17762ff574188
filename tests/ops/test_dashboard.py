"""The Grafana dashboard and its provisioning are well formed and show what operators need.

That every query runs and reads metrics that exist is checked against a real Prometheus in
test_prometheus_scrape.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.ops.support import DASHBOARDS, DEPLOY, load_yaml, metric_names

PROVISIONING = DEPLOY / "grafana" / "provisioning"

# What the dashboard must show (issue "Operations") and a metric each view reads.
VIEWS = {
    "complaints by channel": "lapor_complaints_received_total",
    "routing confidence": "lapor_routing_confidence_bucket",
    "share sent to verification": "lapor_complaints_held_for_verification_total",
    "open cases by stage": "lapor_complaints_open",
    "breaches by OPD": "lapor_sla_breaches_total",
    "notification results": "lapor_notifications_sent_total",
    "pipeline latency": "lapor_pipeline_latency_seconds_bucket",
    "queue depths": "rabbitmq_detailed_queue_messages_ready",
}


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    (path,) = DASHBOARDS
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def test_dashboard_is_well_formed(dashboard: dict[str, Any]) -> None:
    assert dashboard["uid"] and dashboard["title"]
    panels = dashboard["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        for target in panel.get("targets", []):
            assert target["expr"].strip() and target["refId"]
            assert target["datasource"]["uid"] == "${datasource}"


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_dashboard_shows(dashboard: dict[str, Any], view: str) -> None:
    read = {
        name
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        for name in metric_names(target["expr"])
    }
    assert VIEWS[view] in read


def test_provisioning_points_at_prometheus_and_the_dashboards(dashboard: dict[str, Any]) -> None:
    (source,) = load_yaml(PROVISIONING / "datasources" / "prometheus.yml")["datasources"]
    variable = next(v for v in dashboard["templating"]["list"] if v["name"] == "datasource")
    assert variable["current"]["value"] == source["uid"]
    assert source["type"] == variable["query"] == "prometheus"
    (provider,) = load_yaml(PROVISIONING / "dashboards" / "lapor.yml")["providers"]
    compose = load_yaml(DEPLOY / "compose.yaml")["services"]["grafana"]["volumes"]
    assert f"./grafana/dashboards:{provider['options']['path']}:ro" in compose
