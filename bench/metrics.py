"""Reading the services' Prometheus endpoints (cheap progress gates; no store queries)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.stack import Instance

__all__ = ["PROCESSED", "processed", "scrape", "wait_processed"]

PROCESSED = "faststream_received_processed_messages_total"
RECEIVED_HANDLER = "lapor.events.complaint.received"


async def scrape(
    client: httpx.AsyncClient, instance: Instance, name: str, labels: Mapping[str, str]
) -> float:
    """The sum of the samples of `name` whose labels include `labels` (0 if unreachable)."""
    try:
        response = await client.get(instance.url("/metrics"), timeout=5)
    except httpx.HTTPError:
        return 0.0
    total = 0.0
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


async def processed(client: httpx.AsyncClient, instances: Sequence[Instance]) -> int:
    """ComplaintReceived events these instances have handled and acknowledged."""
    labels = {"handler": RECEIVED_HANDLER, "status": "acked"}
    values = await asyncio.gather(*(scrape(client, i, PROCESSED, labels) for i in instances))
    return int(sum(values))


async def wait_processed(
    instances: Sequence[Instance], *, target: int, within: float, poll: float = 0.25
) -> int:
    """Poll /metrics until the instances together acknowledged `target` ComplaintReceived."""
    deadline = time.monotonic() + within
    async with httpx.AsyncClient() as client:
        while True:
            done = await processed(client, instances)
            if done >= target or time.monotonic() > deadline:
                return done
            await asyncio.sleep(poll)
