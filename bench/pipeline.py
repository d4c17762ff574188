"""(b) throughput at saturation, (c) receipt-to-assignment latency at a steady rate,
(d) resident memory under that load: the four services as processes on the local stack.

One cycle = a fresh vhost and database, the four services started, a short warm-up, a
saturation batch, then the steady phase. Each cycle starts from an empty store, so the
runs are comparable (on FerretDB the cost of a non-`_id` query grows with the collection).
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench import load, metrics, procs, store
from bench.config import BenchConfig
from bench.profile import ProfileReport, profile_services
from bench.stack import SERVICES, ServiceSet, consumer_prefetch, isolated
from bench.stats import percentile
from bench.texts import complaint_texts
from shared.mongo import Database

__all__ = ["CycleResult", "Saturation", "Steady", "run_cycle"]


@dataclass
class Saturation:
    """A batch posted by concurrent clients, until every complaint is routed and acked."""

    submitted: int
    completed: int
    seconds: float
    per_s: float
    http_per_s: float
    routed_per_s: float
    acked_per_s: float
    http_p50_ms: float
    http_p99_ms: float
    errors: dict[str, int]
    cpu_ms_per_complaint: dict[str, float]
    machine_cpu_share: float
    # LAPOR_BENCH_STOREOPS=1: per service, "command collection filter" -> count and ms
    store_ops: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)


@dataclass
class Steady:
    """A fixed arrival rate: latency from receipt to assignment, and memory."""

    offered: int
    accepted: int
    offered_per_s: float
    routed: int
    assign_p50_ms: float
    assign_p99_ms: float
    ack_p50_ms: float
    ack_p99_ms: float
    http_p50_ms: float
    http_p99_ms: float
    max_lag_ms: float
    not_sent: int
    errors: dict[str, int]
    peak_rss_mib: dict[str, float]
    hwm_mib: dict[str, float]
    store_complaints_before: int


@dataclass
class CycleResult:
    """One cycle's figures."""

    saturation: Saturation
    steady: Steady
    light: Steady | None  # at LIGHT_SHARE of the saturation rate
    startup_s: float
    logs: Path
    complaints: int  # every complaint of the cycle (warm-up, saturation, steady, profiled)
    prefetch: dict[str, int] = field(default_factory=dict)
    profile: list[ProfileReport] = field(default_factory=list)


def _ms(seconds: float) -> float:
    return seconds * 1000.0


async def _warm_up(services: ServiceSet, config: BenchConfig) -> None:
    """A few complaints through everything (model, connections, first-use imports)."""
    texts = complaint_texts(config.warmup, seed=1)
    sub = await load.saturate(services.first("intake").url(""), texts, clients=4)
    n = len(sub.tracking_ids)
    await metrics.wait_processed(services.of("routing"), target=n, within=config.drain_timeout)
    await metrics.wait_processed(services.of("notify"), target=n, within=config.drain_timeout)
    await store.queues_idle(config, services.vhost, within=config.drain_timeout)


async def _processed(services: ServiceSet) -> tuple[int, int]:
    async with httpx.AsyncClient() as client:
        return (
            await metrics.processed(client, services.of("routing")),
            await metrics.processed(client, services.of("notify")),
        )


async def saturation(
    services: ServiceSet, db: Database, config: BenchConfig, n: int, *, seed: int
) -> Saturation:
    """Post n complaints from `config.clients` concurrent clients; time until all are done."""
    pids = {i.name: i.pid for i in services.instances} | procs.infra_pids(config.infra_ports())
    routed0, notified0 = await _processed(services)
    since = datetime.now(UTC) - timedelta(milliseconds=1)
    cpu = procs.CpuMeter(pids)
    ops_before = services.store_ops()
    cpu.start()
    sub = await load.saturate(
        services.first("intake").url(""), complaint_texts(n, seed=seed), clients=config.clients
    )
    ids = set(sub.tracking_ids)
    await asyncio.gather(
        metrics.wait_processed(
            services.of("routing"), target=routed0 + len(ids), within=config.drain_timeout
        ),
        metrics.wait_processed(
            services.of("notify"), target=notified0 + len(ids), within=config.drain_timeout
        ),
    )
    cpu.stop()
    store_ops = {}
    if config.storeops:
        await asyncio.sleep(1.5)  # the services rewrite their counts every second
        store_ops = _difference(services.store_ops(), ops_before)
    found = await store.settled_timelines(db, since, ids, acked=True, within=4)
    done = [t for t in found.values() if t.decided_at and t.acked_at]
    decided = [t.decided_at for t in found.values() if t.decided_at]
    acked = [t.acked_at for t in found.values() if t.acked_at]

    def rate(count: int, last: datetime | None) -> float:
        return count / (last - since).total_seconds() if last and count else 0.0

    end = max(
        (max(t.decided_at, t.acked_at) for t in done if t.decided_at and t.acked_at), default=None
    )
    seconds = (end - since).total_seconds() if end else math.nan
    return Saturation(
        submitted=n,
        completed=len(done),
        seconds=seconds,
        per_s=rate(len(done), end),
        http_per_s=len(ids) / sub.elapsed if sub.elapsed else 0.0,
        routed_per_s=rate(len(decided), max(decided, default=None)),
        acked_per_s=rate(len(acked), max(acked, default=None)),
        http_p50_ms=_ms(percentile(sub.http_seconds, 50)),
        http_p99_ms=_ms(percentile(sub.http_seconds, 99)),
        errors=dict(sub.errors),
        cpu_ms_per_complaint={
            name: _ms(used / max(1, len(done))) for name, used in cpu.used.items()
        },
        machine_cpu_share=cpu.machine_busy / cpu.machine_total if cpu.machine_total else 0.0,
        store_ops=store_ops,
    )


def _difference(
    after: dict[str, dict[str, dict[str, float]]], before: dict[str, dict[str, dict[str, float]]]
) -> dict[str, dict[str, dict[str, float]]]:
    """Commands between two readings, per service."""
    result: dict[str, dict[str, dict[str, float]]] = {}
    for service, ops in after.items():
        earlier = before.get(service, {})
        result[service] = {
            label: {
                "count": v["count"] - earlier.get(label, {}).get("count", 0),
                "ms": v["ms"] - earlier.get(label, {}).get("ms", 0.0),
            }
            for label, v in ops.items()
            if v["count"] > earlier.get(label, {}).get("count", 0)
        }
    return result


async def steady(
    services: ServiceSet,
    db: Database,
    config: BenchConfig,
    *,
    seed: int,
    before: int,
    rate: float,
) -> Steady:
    """Post at `rate` per second; receipt-to-assignment latency and memory."""
    n = max(1, round(rate * config.steady_seconds))
    routed0, notified0 = await _processed(services)
    since = datetime.now(UTC) - timedelta(milliseconds=1)
    memory = procs.MemorySampler({i.name: i.pid for i in services.instances})
    async with memory.running():
        sub = await load.steady(
            services.first("intake").url(""),
            complaint_texts(n, seed=seed),
            rate=rate,
            max_in_flight=config.steady_max_in_flight,
        )
        ids = set(sub.tracking_ids)
        await asyncio.gather(
            metrics.wait_processed(
                services.of("routing"), target=routed0 + len(ids), within=config.steady_drain
            ),
            metrics.wait_processed(
                services.of("notify"), target=notified0 + len(ids), within=config.steady_drain
            ),
        )
    found = await store.settled_timelines(db, since, ids, acked=True, within=2)
    to_assignment = [
        (t.decided_at - t.received_at).total_seconds() if t.decided_at else math.inf
        for t in found.values()
    ]
    to_ack = [
        (t.acked_at - t.received_at).total_seconds() if t.acked_at else math.inf
        for t in found.values()
    ]
    mib = 1 / 1024
    return Steady(
        offered=n,
        accepted=len(ids),
        offered_per_s=len(ids) / sub.elapsed if sub.elapsed else 0.0,
        routed=sum(1 for v in to_assignment if math.isfinite(v)),
        assign_p50_ms=_ms(percentile(to_assignment, 50)),
        assign_p99_ms=_ms(percentile(to_assignment, 99)),
        ack_p50_ms=_ms(percentile(to_ack, 50)),
        ack_p99_ms=_ms(percentile(to_ack, 99)),
        http_p50_ms=_ms(percentile(sub.http_seconds, 50)),
        http_p99_ms=_ms(percentile(sub.http_seconds, 99)),
        max_lag_ms=_ms(sub.late_seconds),
        not_sent=sub.not_sent,
        errors=dict(sub.errors),
        peak_rss_mib={k: v * mib for k, v in memory.peak_rss_kib.items()},
        hwm_mib={k: v * mib for k, v in memory.hwm_kib.items()},
        store_complaints_before=before,
    )


async def run_cycle(
    config: BenchConfig, index: int, logs: Path, *, tree: Path, profile_dir: Path | None
) -> CycleResult:
    """Fresh stack; warm-up; saturation batch; steady phase; optionally a profiled batch."""
    ports = {name: config.base_port + i for i, name in enumerate(SERVICES)}
    async with isolated(config, label=f"p{index}", ports=ports, logs=logs, tree=tree) as (
        services,
        db,
    ):
        loop = asyncio.get_running_loop()
        started = loop.time()
        instances = [services.start(name) for name in SERVICES]
        await services.wait_healthy(instances)
        startup = loop.time() - started
        await _warm_up(services, config)
        prefetch = await consumer_prefetch(config, services.vhost)
        sat = await saturation(services, db, config, config.saturation_complaints, seed=index)
        await store.queues_idle(config, services.vhost, within=config.drain_timeout)
        before = config.warmup + config.saturation_complaints
        std = await steady(
            services, db, config, seed=100 + index, before=before, rate=config.steady_rate
        )
        light: Steady | None = None
        if config.light_share > 0 and math.isfinite(sat.per_s) and sat.per_s > 0:
            # The same at a rate the pipeline sustains: its own latency, not a queue's.
            await store.queues_idle(config, services.vhost, within=config.drain_timeout)
            rate = max(0.5, config.light_share * sat.per_s)
            light = await steady(
                services, db, config, seed=150 + index, before=before + std.accepted, rate=rate
            )
        reports: list[ProfileReport] = []
        if profile_dir is not None:
            await store.queues_idle(config, services.vhost, within=config.drain_timeout)
            reports = await profile_services(
                services,
                config,
                out=profile_dir,
                batch=lambda n: saturation(services, db, config, n, seed=200 + index),
                rate_hint=sat.per_s,
            )
        profiled = reports[0].complaints if reports else 0
        return CycleResult(
            saturation=sat,
            steady=std,
            light=light,
            startup_s=startup,
            logs=logs,
            complaints=config.warmup + sat.submitted + std.accepted + profiled,
            prefetch=prefetch,
            profile=reports,
        )
