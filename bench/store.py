"""What the store says about a batch of complaints: routed, acknowledged, and when.

On FerretDB v1 (SQLite) only a filter that is exactly `{_id: ...}` is pushed down: every
other query decodes the whole collection. So the benchmark never polls the store while
it measures; it waits on the services' /metrics and reads the store once at the end.
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aio_pika
import httpx
from pymongo.errors import PyMongoError

from bench.config import BenchConfig
from shared.mongo import CASES, COMPLAINTS, NOTIFICATIONS, Database

__all__ = ["Timeline", "consumer_queues", "queues_idle", "settled_timelines", "timelines"]

_ASSIGNED = ["didisposisikan", "diteruskan"]
# Consumer queues: lapor.<service>.<event>; not dead-letter, retry-wait or OPD queues.
_CONSUMER_QUEUE = re.compile(r"lapor\.(?:intake|routing|sla|notify)\.[a-z_-]+")
_SCAN_LIMIT = 90.0  # seconds; a FerretDB whose connection pool deadlocked never answers


def routed_filter(since: datetime) -> dict[str, Any]:
    """Cases received since `since` that are assigned, or held with a routing decision."""
    return {
        "received_at": {"$gte": since},
        "$or": [
            {"status": {"$in": _ASSIGNED}},
            {"status": "belum_terverifikasi", "routing": {"$ne": None}},
        ],
    }


def acked_filter(since: datetime) -> dict[str, Any]:
    """Acknowledgements of receipt sent since `since`."""
    return {"kind": "diterima", "status": "sent", "created_at": {"$gte": since}}


async def consumer_queues(config: BenchConfig, vhost: str) -> list[str]:
    """The consumer queues that exist in the vhost (as the services under test declared them).

    Asked of the broker, not of `shared.messaging.topology`: the services may run from
    another tree (`LAPOR_BENCH_SERVICES_DIR`) with a different set of queues.
    """
    async with httpx.AsyncClient(
        base_url=config.rabbit_api, auth=("guest", "guest"), timeout=10
    ) as api:
        response = await api.get(f"/queues/{vhost}", params={"columns": "name"})
        response.raise_for_status()
        names = [str(q["name"]) for q in response.json()]
    return sorted(n for n in names if _CONSUMER_QUEUE.fullmatch(n))


async def queues_idle(
    config: BenchConfig, vhost: str, *, within: float, settle: float = 1.0
) -> bool:
    """Until no consumer queue has a ready message for `settle` seconds (or `within` seconds)."""
    deadline = time.monotonic() + within
    names = await consumer_queues(config, vhost)
    connection = await aio_pika.connect(f"{config.amqp_base}/{vhost}")
    async with connection:
        channel = await connection.channel()
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            ready = 0
            for name in names:
                declared = await channel.declare_queue(name, passive=True)
                ready += int(declared.declaration_result.message_count or 0)
            now = time.monotonic()
            if ready:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since >= settle:
                return True
            await asyncio.sleep(0.25)
    return False


@dataclass(frozen=True)
class Timeline:
    """One complaint: receipt, routing decision, acknowledgement sent (None if not yet)."""

    received_at: datetime
    decided_at: datetime | None
    acked_at: datetime | None


async def timelines(db: Database, since: datetime, ids: set[str]) -> dict[str, Timeline]:
    """Timestamps of the complaints `ids` (received since `since`) from the store."""
    received: dict[str, datetime] = {}
    async for doc in db[COMPLAINTS].find({"received_at": {"$gte": since}}, {"received_at": 1}):
        if doc["_id"] in ids:
            received[doc["_id"]] = doc["received_at"]
    decided: dict[str, datetime] = {}
    async for doc in db[CASES].find(routed_filter(since), {"routing": 1}):
        if doc["_id"] in ids and doc.get("routing"):
            decided[doc["_id"]] = doc["routing"]["decided_at"]
    acked: dict[str, datetime] = {}
    async for doc in db[NOTIFICATIONS].find(acked_filter(since), {"tracking_id": 1, "sent_at": 1}):
        if doc["tracking_id"] in ids and doc.get("sent_at"):
            acked[doc["tracking_id"]] = doc["sent_at"]
    return {
        tid: Timeline(received_at=at, decided_at=decided.get(tid), acked_at=acked.get(tid))
        for tid, at in received.items()
    }


async def settled_timelines(
    db: Database, since: datetime, ids: set[str], *, acked: bool, within: float
) -> dict[str, Timeline]:
    """Timelines of `ids`, re-read (every 2 s, up to `within` s) until all are complete."""
    deadline = time.monotonic() + within
    while True:
        try:
            found = await asyncio.wait_for(timelines(db, since, ids), _SCAN_LIMIT)
        except (TimeoutError, PyMongoError) as exc:
            print(f"store did not answer the final scan: {type(exc).__name__}", file=sys.stderr)
            return {}
        complete = len(found) == len(ids) and all(
            t.decided_at is not None and (t.acked_at is not None or not acked)
            for t in found.values()
        )
        if complete or time.monotonic() > deadline:
            return found
        await asyncio.sleep(2.0)
