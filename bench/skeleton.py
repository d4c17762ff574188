"""(a') The pipeline's message skeleton: a complaint's messages and nothing else.

On the broker a complaint is three persistent messages published with confirms and five
deliveries: intake publishes `complaint.received`; routing, notify and sla each consume it;
routing publishes `complaint.assigned` and the OPD's assignment (which waits in the OPD's
queue); notify and sla consume `complaint.assigned`. Four processes play the four services
with FastStream as they use it (the product's topology: quorum queues with a delivery limit,
a channel with the services' prefetch, confirms, JSON bodies of a real event's size), and do
no work: no store, no HTTP, no parsing into contracts, no templates, no mail.

Complaints a second through this skeleton is what this machine allows with this framework
before the pipeline does anything, the fair ceiling to hold the pipeline against; the raw
hop (one message, no framework) is the broker's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import multiprocessing.connection
import time
from dataclasses import dataclass
from typing import Any

from faststream.rabbit import Channel, RabbitBroker

from shared.messaging.topology import (
    EVENTS,
    OPD_EXCHANGE,
    ConsumerQueue,
    Queues,
    RoutingKey,
    declare_topology,
    opd_routing_key,
)

__all__ = ["Skeleton", "skeleton"]

DELIVERY_LIMIT = 5
OPD = "dinkes"
# The size of a real ComplaintReceived (a few hundred characters of text, reporter, times).
BODY: dict[str, Any] = {
    "event_type": "complaint.received",
    "tracking_id": "LPR-261128-SKEL01",
    "channel": "web",
    "text": "Jalan di depan puskesmas Daik rusak parah dan berlubang sejak bulan lalu. " * 6,
    "reporter": {"name": "Warga", "phone": "+6281234567890", "email": "warga@example.org"},
    "privacy": {"anonim": False, "rahasia": False},
    "received_at": "2026-11-28T09:30:00+00:00",
}
# role -> (queues it consumes, publishes on `complaint.received` deliveries)
_CONSUMES: dict[str, tuple[ConsumerQueue, ...]] = {
    "routing": (Queues.ROUTING_RECEIVED,),
    "notify": (Queues.NOTIFY_RECEIVED, Queues.NOTIFY_ASSIGNED),
    "sla": (Queues.SLA_RECEIVED, Queues.SLA_ASSIGNED),
}


@dataclass(frozen=True)
class Skeleton:
    """One run: complaints through the skeleton, first publish to last delivery."""

    complaints: int
    seconds: float

    @property
    def per_s(self) -> float:
        """Complaints a second."""
        return self.complaints / self.seconds


async def _consume(
    url: str, role: str, n: int, prefetch: int, ready: multiprocessing.connection.Connection
) -> None:
    broker = RabbitBroker(url, log_level=logging.DEBUG)
    expected = n * len(_CONSUMES[role])
    seen = 0
    done = asyncio.Event()
    channel = Channel(prefetch_count=prefetch)

    def count() -> None:
        nonlocal seen
        seen += 1
        if seen == expected:
            done.set()

    for consumer in _CONSUMES[role]:
        queue = consumer.queue(delivery_limit=DELIVERY_LIMIT)
        if role == "routing":

            @broker.subscriber(queue, EVENTS, channel=channel)
            async def route(body: dict[str, Any]) -> None:
                assigned = {**body, "event_type": "complaint.assigned", "opd": OPD}
                await broker.publish(
                    assigned, exchange=EVENTS, routing_key=RoutingKey.COMPLAINT_ASSIGNED.value
                )
                await broker.publish(
                    assigned, exchange=OPD_EXCHANGE, routing_key=opd_routing_key(OPD)
                )
                count()

        else:

            @broker.subscriber(queue, EVENTS, channel=channel)
            async def take(body: dict[str, Any]) -> None:
                count()

    async with broker:
        await broker.start()
        ready.send("ready")
        await asyncio.wait_for(done.wait(), 600)
    ready.send(time.time())


async def _publish(url: str, n: int, concurrency: int) -> float:
    """Intake's part: n `complaint.received`, `concurrency` at a time; returns the start."""
    broker = RabbitBroker(url, log_level=logging.DEBUG)
    async with broker:
        await broker.start()
        started = time.time()
        todo = iter(range(n))

        async def worker() -> None:
            for i in todo:
                await broker.publish(
                    {**BODY, "tracking_id": f"LPR-261128-{i:06d}"},
                    exchange=EVENTS,
                    routing_key=RoutingKey.COMPLAINT_RECEIVED.value,
                )

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return started


def _role(url: str, role: str, n: int, prefetch: int, conn: Any) -> None:
    asyncio.run(_consume(url, role, n, prefetch, conn))


async def _declare(url: str) -> None:
    broker = RabbitBroker(url, log_level=logging.DEBUG)
    async with broker:
        await broker.start()
        await declare_topology(broker, delivery_limit=DELIVERY_LIMIT, opd_codes=[OPD])


async def skeleton(url: str, n: int, *, prefetch: int = 16, concurrency: int = 16) -> Skeleton:
    """Run n complaints through four processes playing the services; time it."""
    await _declare(url)
    ctx = multiprocessing.get_context("spawn")
    pipes = {role: ctx.Pipe() for role in _CONSUMES}
    processes = [
        ctx.Process(target=_role, args=(url, role, n, prefetch, pipes[role][1]), daemon=True)
        for role in _CONSUMES
    ]
    for process in processes:
        process.start()
    try:
        for parent, _ in pipes.values():
            if not await asyncio.to_thread(parent.poll, 60) or parent.recv() != "ready":
                raise RuntimeError("a skeleton process did not start")
        started = await _publish(url, n, concurrency)
        finished = []
        for parent, _ in pipes.values():
            if not await asyncio.to_thread(parent.poll, 600):
                raise RuntimeError("the skeleton did not finish")
            finished.append(float(parent.recv()))
        return Skeleton(complaints=n, seconds=max(finished) - started)
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()


if __name__ == "__main__":  # a quick look: python -m bench.skeleton AMQP_URL_WITH_VHOST N
    import sys

    result = asyncio.run(skeleton(sys.argv[1], int(sys.argv[2])))
    print(json.dumps({"complaints": result.complaints, "per_s": round(result.per_s, 1)}))
