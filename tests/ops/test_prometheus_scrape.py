"""A real Prometheus (Debian's) scrapes the four services, RabbitMQ and FerretDB.

The scrape configuration is the production one (`deploy/prometheus/prometheus.yml`) with the
targets moved to this machine, and the production rule files are loaded. Complaints flow
through the services, and every metric of INTERFACES.md must then have moved.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
import yaml

from shared.contracts.events import ComplaintReceived
from shared.contracts.types import Channel
from shared.messaging.topology import Queues
from tests.conftest import AMQP_BASE
from tests.e2e.harness import SERVICES, ServiceStack, service_env
from tests.ops.support import (
    PROMETHEUS_DIR,
    RULE_FILES,
    dashboard_expressions,
    free_ports,
    load_yaml,
    metric_names,
    rule_expressions,
    tool,
)

pytestmark = pytest.mark.e2e

RABBIT_PROMETHEUS = os.environ.get("LAPOR_TEST_RABBIT_PROMETHEUS", "127.0.0.1:15692")
FERRETDB_METRICS = os.environ.get("LAPOR_TEST_FERRETDB_METRICS", "127.0.0.1:8088")
WAIT_SECONDS = 90.0
# Labels Prometheus or the scrape config add; the rest are the metric's own.
TARGET_LABELS = {"__name__", "job", "instance", "service", "le"}
# What must never be a label value: a tracking ID or a phone number.
PERSONAL = re.compile(r"LPR-\d{6}-[0-9A-Z]{4,8}|\+?\d[\d \-]{7,}\d")


@dataclass(frozen=True)
class InterfaceMetric:
    """A metric INTERFACES.md promises: who serves it, its type, labels, and how it moves."""

    name: str
    service: str
    type: str
    labels: frozenset[str]
    moved: str  # PromQL that is >= 1 once complaints flowed


INTERFACES = [
    InterfaceMetric(
        "lapor_complaints_received_total",
        "intake",
        "counter",
        frozenset({"channel"}),
        'sum(lapor_complaints_received_total{channel="web"})',
    ),
    InterfaceMetric(
        "lapor_complaints_routed_total",
        "routing",
        "counter",
        frozenset({"opd", "method"}),
        'sum(lapor_complaints_routed_total{method="classifier"})',
    ),
    InterfaceMetric(
        "lapor_routing_confidence",
        "routing",
        "histogram",
        frozenset(),
        "sum(lapor_routing_confidence_count)",
    ),
    InterfaceMetric(
        "lapor_sla_breaches_total",
        "sla",
        "counter",
        frozenset({"stage", "opd"}),
        'sum(lapor_sla_breaches_total{stage="verification", opd="none"})',
    ),
    InterfaceMetric(
        "lapor_complaints_open",
        "sla",
        "gauge",
        frozenset({"stage"}),
        "sum(lapor_complaints_open)",
    ),
    InterfaceMetric(
        "lapor_notifications_sent_total",
        "notify",
        "counter",
        frozenset({"channel", "result"}),
        'sum(lapor_notifications_sent_total{channel="email", result="sent"})',
    ),
    InterfaceMetric(
        "lapor_pipeline_latency_seconds",
        "routing",
        "histogram",
        frozenset(),
        "sum(lapor_pipeline_latency_seconds_count)",
    ),
]

# FastStream's own message metrics, per service: consumers ack, intake publishes.
FASTSTREAM_MOVED = {
    **{
        service: f'sum(faststream_received_processed_messages_total{{service="{service}", '
        'status="acked"})'
        for service in ("routing", "sla", "notify")
    },
    "intake": 'sum(faststream_published_messages_total{service="intake", status="success"})',
}


# --- the scrape configuration -------------------------------------------------------------
def local_config(
    *, ports: dict[str, int], prometheus_port: int, vhost: str, rules: list[Path]
) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with every target on this machine."""
    config: dict[str, Any] = load_yaml(PROMETHEUS_DIR / "prometheus.yml")
    config["global"].update({"scrape_interval": "1s", "evaluation_interval": "1s"})
    config.pop("alerting", None)
    config["rule_files"] = [str(path) for path in rules]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {
        "lapor",
        "rabbitmq",
        "rabbitmq-queues",
        "mongodb",
        "prometheus",
        "alertmanager",
    }, "a scrape job was added to prometheus.yml: teach this test where it runs locally"
    for group in jobs["lapor"]["static_configs"]:
        group["targets"] = [f"127.0.0.1:{ports[group['labels']['service']]}"]
    jobs["rabbitmq"]["static_configs"] = [{"targets": [RABBIT_PROMETHEUS]}]
    jobs["rabbitmq-queues"]["static_configs"] = [{"targets": [RABBIT_PROMETHEUS]}]
    jobs["rabbitmq-queues"]["params"]["vhost"] = [vhost]  # this test's queues only
    # Locally the store is FerretDB, which serves its own metrics.
    jobs["mongodb"].update(
        metrics_path="/debug/metrics", static_configs=[{"targets": [FERRETDB_METRICS]}]
    )
    jobs["prometheus"]["static_configs"] = [{"targets": [f"127.0.0.1:{prometheus_port}"]}]
    del jobs["alertmanager"]
    config["scrape_configs"] = list(jobs.values())
    return config


# --- running Prometheus -------------------------------------------------------------------
@dataclass
class Prometheus:
    """A Prometheus process and its HTTP API."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    async def query(self, client: httpx.AsyncClient, expr: str) -> list[dict[str, Any]]:
        data = await self.api(client, "/api/v1/query", params={"query": expr})
        result: list[dict[str, Any]] = data["result"]
        return result

    async def value(self, client: httpx.AsyncClient, expr: str) -> float:
        """The single value of a scalar-like query (0 when it has no result)."""
        result = await self.query(client, expr)
        return float(result[0]["value"][1]) if result else 0.0

    async def api(
        self, client: httpx.AsyncClient, path: str, params: dict[str, str] | None = None
    ) -> Any:
        response = await client.get(f"{self.url}{path}", params=params)
        body = response.json()
        assert body.get("status") == "success", f"{path} {params}: {body}"
        return body["data"]


@pytest.fixture
def prometheus_factory(tmp_path: Path) -> Iterator[Callable[[dict[str, Any], int], Prometheus]]:
    """Starts Debian's Prometheus with a given configuration; stops it afterwards."""
    started: list[Prometheus] = []

    def start(config: dict[str, Any], port: int) -> Prometheus:
        config_file = tmp_path / "prometheus.yml"
        config_file.write_text(yaml.safe_dump(config, sort_keys=False))
        log = tmp_path / "prometheus.log"
        process = subprocess.Popen(
            [
                tool("prometheus"),
                f"--config.file={config_file}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        prometheus = Prometheus(url=f"http://127.0.0.1:{port}", process=process, log=log)
        started.append(prometheus)
        return prometheus

    yield start
    for prometheus in started:
        if prometheus.process.poll() is None:
            prometheus.process.send_signal(signal.SIGTERM)
            try:
                prometheus.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                prometheus.process.kill()


async def wait_ready(prometheus: Prometheus) -> None:
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if prometheus.process.poll() is not None:
                raise AssertionError(f"prometheus exited:\n{prometheus.log.read_text()[-3000:]}")
            try:
                if (await client.get(f"{prometheus.url}/-/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"prometheus not ready:\n{prometheus.log.read_text()[-3000:]}")


async def eventually(
    check: Callable[[], Awaitable[list[str]]], *, within: float = WAIT_SECONDS
) -> None:
    """Repeat `check` (which returns what is still wrong) until it returns nothing."""
    deadline = time.monotonic() + within
    problems = await check()
    while problems and time.monotonic() < deadline:
        await asyncio.sleep(1)
        problems = await check()
    assert not problems, "\n".join(problems)


# --- complaints flowing -------------------------------------------------------------------
async def post_complaint(stack: ServiceStack) -> str:
    """A web complaint through intake's JSON API; returns its tracking ID once assigned."""
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            stack.url("intake", "/api/v1/complaints"),
            json={
                "text": "Lampu jalan di depan SD Negeri 1 Daik mati sejak sebulan, jalan gelap",
                "name": "Siti",
                "email": f"ops-{uuid.uuid4().hex[:8]}@lapor.test",
            },
        )
        assert response.status_code == 201, response.text
        tracking_id: str = response.json()["tracking_id"]
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            status = await client.get(stack.url("intake", f"/api/v1/complaints/{tracking_id}"))
            if status.status_code == 200 and "didisposisikan" in status.text:
                return tracking_id
            await asyncio.sleep(0.3)
    raise AssertionError(f"{tracking_id} was not assigned:\n{stack.log_of('routing')[-3000:]}")


async def send_overdue_complaint(vhost: str) -> None:
    """A complaint received 30 days ago, straight into the SLA service's queue.

    Its verification deadline (3 working days) has long passed, so the SLA scanner records
    a breach at once: the only way to see `lapor_sla_breaches_total` move within a test.
    """
    suffix = uuid.uuid4().hex[:5].upper()
    event = ComplaintReceived(
        correlation_id=f"LPR-261001-O{suffix}",
        tracking_id=f"LPR-261001-O{suffix}",
        channel=Channel.WEB,
        text="Jembatan kayu di Desa Resang lapuk",
        received_at=datetime.now(UTC) - timedelta(days=30),
    )
    connection = await aio_pika.connect(f"{AMQP_BASE}/{vhost}")
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await channel.default_exchange.publish(
            aio_pika.Message(
                event.model_dump_json().encode(),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=event.message_id,
            ),
            routing_key=Queues.SLA_RECEIVED.name,
        )


# --- the test -------------------------------------------------------------------------------
async def test_prometheus_scrapes_every_target_and_the_interface_metrics_move(
    vhost: str,
    db_name: str,
    tmp_path: Path,
    prometheus_factory: Callable[[dict[str, Any], int], Prometheus],
) -> None:
    *service_ports, prometheus_port = free_ports(len(SERVICES) + 1)
    ports = dict(zip(SERVICES, service_ports, strict=True))
    stack = ServiceStack(ports=ports, vhost=vhost, logs=tmp_path)
    env = service_env(
        vhost=vhost,
        db_name=db_name,
        ports=ports,
        extra={
            # Every complaint is routed automatically, so routing's metrics move.
            "LAPOR_ROUTING_CONFIDENCE_THRESHOLD": "0.01",
            "LAPOR_OPEN_GAUGE_INTERVAL_SECONDS": "1",
            "LAPOR_SLA_SCAN_INTERVAL_SECONDS": "1",
        },
    )
    stack.start(env)
    try:
        await stack.wait_healthy()
        config = local_config(
            ports=ports, prometheus_port=prometheus_port, vhost=vhost, rules=RULE_FILES
        )
        prometheus = prometheus_factory(config, prometheus_port)
        await wait_ready(prometheus)
        await post_complaint(stack)
        await send_overdue_complaint(vhost)
        async with httpx.AsyncClient(timeout=5) as client:
            await eventually(lambda: targets_down(prometheus, client))
            await eventually(lambda: interface_metrics_not_moved(prometheus, client))
            await eventually(lambda: queue_metrics_missing(prometheus, client, vhost))
            await eventually(lambda: rules_not_healthy(prometheus, client))
            assert await personal_label_values(prometheus, client) == []
            assert await broken_queries(prometheus, client) == []
    finally:
        stack.stop()


async def targets_down(prometheus: Prometheus, client: httpx.AsyncClient) -> list[str]:
    data = await prometheus.api(client, "/api/v1/targets", params={"state": "active"})
    targets = data["activeTargets"]
    jobs = {t["labels"]["job"] for t in targets}
    problems = [f"no target for job {job}" for job in {"lapor", "rabbitmq", "mongodb"} - jobs]
    services = {t["labels"].get("service") for t in targets if t["labels"]["job"] == "lapor"}
    problems += [f"no target for service {s}" for s in set(SERVICES) - services]
    problems += [
        f"{t['labels']['job']} {t['scrapeUrl']}: {t['health']} {t['lastError']}"
        for t in targets
        if t["health"] != "up"
    ]
    return problems


async def interface_metrics_not_moved(
    prometheus: Prometheus, client: httpx.AsyncClient
) -> list[str]:
    problems = []
    metadata = await prometheus.api(client, "/api/v1/metadata")
    for metric in INTERFACES:
        types = {entry["type"] for entry in metadata.get(metric.name, [])}
        if types != {metric.type}:
            problems.append(f"{metric.name}: type {types or 'unknown'}, expected {metric.type}")
        series = await prometheus.api(
            client, "/api/v1/series", params={"match[]": _series_selector(metric)}
        )
        for labels in series:
            own = set(labels) - TARGET_LABELS
            if own != metric.labels or labels.get("service") != metric.service:
                problems.append(f"{metric.name}: series {labels}, expected labels {metric.labels}")
        if await prometheus.value(client, metric.moved) < 1:
            problems.append(f"{metric.name} did not move: {metric.moved} < 1")
    for service, expr in FASTSTREAM_MOVED.items():
        if await prometheus.value(client, expr) < 1:
            problems.append(f"FastStream metrics of {service} did not move: {expr} < 1")
    return problems


def _series_selector(metric: InterfaceMetric) -> str:
    suffix = "_count" if metric.type == "histogram" else ""
    return metric.name + suffix


async def queue_metrics_missing(
    prometheus: Prometheus, client: httpx.AsyncClient, vhost: str
) -> list[str]:
    """RabbitMQ's per-queue depth, dead-letter depth and consumers of this test's vhost."""
    problems = []
    consumers = await prometheus.query(
        client, f'rabbitmq_detailed_queue_consumers{{vhost="{vhost}"}}'
    )
    by_queue = {s["metric"]["queue"]: float(s["value"][1]) for s in consumers}
    for queue in Queues.all():
        if by_queue.get(queue.name, 0) < 1:
            problems.append(f"queue {queue.name}: consumers {by_queue.get(queue.name)}")
    depths = await prometheus.query(client, f'rabbitmq_detailed_queue_messages{{vhost="{vhost}"}}')
    dead_letter_queues = {
        s["metric"]["queue"] for s in depths if s["metric"]["queue"][-4:] == ".dlq"
    }
    expected = {queue.dead_letter_queue.name for queue in Queues.all()}
    if missing := expected - dead_letter_queues:
        problems.append(f"no depth for dead-letter queues {sorted(missing)}")
    return problems


async def rules_not_healthy(prometheus: Prometheus, client: httpx.AsyncClient) -> list[str]:
    """Every rule of deploy/prometheus/rules loaded and evaluated without error."""
    data = await prometheus.api(client, "/api/v1/rules")
    loaded = {rule["name"]: rule for group in data["groups"] for rule in group["rules"]}
    problems = []
    for name, _ in rule_expressions():
        rule = loaded.get(name)
        if rule is None:
            problems.append(f"rule {name} not loaded")
        elif rule["health"] != "ok" or rule["lastEvaluation"].startswith("0001-"):
            problems.append(f"rule {name}: {rule['health']} {rule.get('lastError', '')}")
    return problems


async def personal_label_values(prometheus: Prometheus, client: httpx.AsyncClient) -> list[str]:
    """Label values of Lapor's and FastStream's series that look like personal data."""
    series = await prometheus.api(
        client, "/api/v1/series", params={"match[]": '{__name__=~"lapor_.+|faststream_.+"}'}
    )
    return [
        f"{labels['__name__']}: {key}={value}"
        for labels in series
        for key, value in labels.items()
        if key not in {"instance", "le"} and PERSONAL.search(value)
    ]


async def broken_queries(prometheus: Prometheus, client: httpx.AsyncClient) -> list[str]:
    """Rule and dashboard queries that fail, or read a metric nothing exports."""
    names = set(await prometheus.api(client, "/api/v1/label/__name__/values"))
    names |= set(await prometheus.api(client, "/api/v1/metadata"))
    problems = []
    for where, expr in [*rule_expressions(), *dashboard_expressions()]:
        response = await client.get(f"{prometheus.url}/api/v1/query", params={"query": expr})
        if response.json().get("status") != "success":
            problems.append(f"{where}: {expr}: {response.json().get('error')}")
        problems += [f"{where}: unknown metric {name}" for name in metric_names(expr) - names]
    return problems
