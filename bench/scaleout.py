"""Scale-out: one vs two instances of a consumer sharing its queue (same vhost and db).

N complaints are stored as intake would store them and N ComplaintReceived events are
published before any consumer starts; then k instances of one stage (routing, or notify:
the acknowledgement of receipt) start together and drain their queue. The rate is taken
from the store's timestamps (routing decisions, acknowledgements sent) over the last 90%
(so start-up skew between instances does not count), each instance's share from its own
/metrics. Only that stage runs in this phase: it is the stage's own rate.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aio_pika
import httpx
from faststream.rabbit import RabbitBroker

from bench import metrics, procs, store
from bench.config import BenchConfig
from bench.stack import ServiceSet, isolated
from bench.texts import complaint_texts
from shared.contracts.events import ComplaintReceived
from shared.contracts.types import Channel
from shared.directory import load_directory
from shared.messaging.topology import EVENTS, declare_topology
from shared.mongo import COMPLAINTS, Database
from shared.settings import CommonSettings
from shared.store.complaints import ComplaintDocument, Reporter

__all__ = ["STAGES", "ScaleOut", "scale_out"]

_BATCH = 200


@dataclass
class ScaleOut:
    """A stage's rate with k instances."""

    stage: str
    instances: int
    complaints: int
    routed: int
    per_s: float
    shares: list[int]
    cpu_ms_per_complaint: dict[str, float]


async def _preload(services: ServiceSet, db: Database, n: int, seed: int) -> set[str]:
    """Topology, n stored complaints and their n ComplaintReceived events, no consumer yet."""
    broker = RabbitBroker(services.amqp_url)
    await broker.connect()
    try:
        delivery_limit = CommonSettings.model_fields["delivery_limit"].default
        await declare_topology(
            broker, delivery_limit=delivery_limit, opd_codes=load_directory().codes
        )
    finally:
        await broker.stop()
    tag = uuid.uuid4().hex[:5].upper()
    now = datetime.now(UTC)
    events = []
    docs = []
    for i, text in enumerate(complaint_texts(n, seed=seed)):
        tracking_id = f"LPR-BENCH-{tag}{i:05d}"
        reporter = Reporter(name=f"Pelapor {i}", email=f"bench-s{i}@lapor.test")
        complaint = ComplaintDocument(
            tracking_id=tracking_id,
            channel=Channel.WEB,
            text=text,
            reporter=reporter,
            source_key=f"bench:{tag}:{i}",
            received_at=now,
        )
        docs.append(complaint.to_mongo(outbox=[]))
        events.append(
            ComplaintReceived(
                correlation_id=tracking_id,
                tracking_id=tracking_id,
                channel=Channel.WEB,
                text=text,
                received_at=now,
            )
        )
    for start in range(0, n, _BATCH):
        await db[COMPLAINTS].insert_many(docs[start : start + _BATCH])
    connection = await aio_pika.connect(services.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(EVENTS.name)
        for start in range(0, n, _BATCH):
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(
                            event.model_dump_json().encode(),
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                            content_type="application/json",
                            message_id=event.message_id,
                            correlation_id=event.correlation_id,
                            type=event.event_type,
                        ),
                        routing_key=event.event_type,
                    )
                    for event in events[start : start + _BATCH]
                )
            )
    return {e.tracking_id for e in events}


async def scale_out_once(
    config: BenchConfig, stage: str, k: int, *, run: int, logs: Path, tree: Path
) -> ScaleOut:
    """Preload, start k instances of `stage` (routing or notify) together, time the drain."""
    base = config.base_port + 10
    ports = {"intake": base + 5, "routing": base, "sla": base + 6, "notify": base}
    async with isolated(
        config,
        label=f"s{stage[0]}{k}r{run}",
        ports=ports,
        logs=logs / f"scaleout-{stage}-{k}-{run}",
        tree=tree,
    ) as (services, db):
        n = config.scaleout_complaints
        since = datetime.now(UTC) - timedelta(seconds=1)
        ids = await _preload(services, db, n, seed=300 + run)
        prefetch = (
            {"LAPOR_PREFETCH": str(config.scaleout_prefetch)} if config.scaleout_prefetch else {}
        )
        instances = [
            services.start(stage, port=base + i, name=f"{stage}{i + 1}", settings=prefetch)
            for i in range(k)
        ]
        await services.wait_healthy(instances)
        cpu = procs.CpuMeter(
            {i.name: i.pid for i in instances} | procs.infra_pids(config.infra_ports())
        )
        cpu.start()
        await metrics.wait_processed(instances, target=n, within=config.drain_timeout)
        cpu.stop()
        async with httpx.AsyncClient() as client:
            shares = [await metrics.processed(client, [i]) for i in instances]
        if stage == "routing":
            found = await store.settled_timelines(db, since, ids, acked=False, within=10)
            done = sorted(t.decided_at for t in found.values() if t.decided_at)
        else:  # notify: the acknowledgements sent
            found = await store.timelines(db, since, ids)
            done = sorted(t.acked_at for t in found.values() if t.acked_at)
        per_s = math.nan
        if len(done) >= 10:  # the last 90%: start-up skew between instances does not count
            first = done[len(done) // 10]
            window = (done[-1] - first).total_seconds()
            per_s = (len(done) - len(done) // 10) / window if window > 0 else math.nan
        return ScaleOut(
            stage=stage,
            instances=k,
            complaints=n,
            routed=len(done),
            per_s=per_s,
            shares=shares,
            cpu_ms_per_complaint={
                name: used * 1000 / max(1, len(done)) for name, used in cpu.used.items()
            },
        )


STAGES = ("routing", "notify")


async def scale_out(
    config: BenchConfig, logs: Path, *, run: int, tree: Path
) -> dict[tuple[str, int], ScaleOut]:
    """Each stage with one instance, then with two."""
    return {
        (stage, k): await scale_out_once(config, stage, k, run=run, logs=logs, tree=tree)
        for stage in STAGES
        for k in (1, 2)
    }
