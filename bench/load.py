"""HTTP load on intake: closed-loop clients (saturation) and an open-loop steady rate."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx

__all__ = ["Submitted", "saturate", "steady"]

_PATH = "/api/v1/complaints"
_RETRIES = 3
_serial = itertools.count(1)
_RUN = uuid.uuid4().hex[:8]


@dataclass
class Submitted:
    """What a load phase sent, and how intake answered."""

    tracking_ids: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    http_seconds: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    late_seconds: float = 0.0  # open loop: the worst lag behind the schedule
    not_sent: int = 0  # open loop: left unsent when the schedule slipped past its deadline
    elapsed: float = 0.0


def _body(text: str) -> tuple[dict[str, str], dict[str, str]]:
    n = next(_serial)
    body = {"text": text, "name": f"Pelapor Bench {n}", "email": f"bench-{n}@lapor.test"}
    # A retried POST must not make a second complaint: intake keys on Idempotency-Key.
    return body, {"Idempotency-Key": f"bench-{_RUN}-{n}"}


async def _submit(client: httpx.AsyncClient, text: str, result: Submitted) -> None:
    body, headers = _body(text)
    for attempt in range(_RETRIES):
        start = time.perf_counter()
        try:
            response = await client.post(_PATH, json=body, headers=headers)
        except httpx.HTTPError as exc:
            result.errors[type(exc).__name__] += 1
        else:
            if response.status_code in (200, 201):
                result.http_seconds.append(time.perf_counter() - start)
                tracking_id = str(response.json()["tracking_id"])
                if tracking_id not in result.seen:
                    result.seen.add(tracking_id)
                    result.tracking_ids.append(tracking_id)
                return
            result.errors[f"HTTP {response.status_code}"] += 1
        await asyncio.sleep(0.2 * (attempt + 1))


def _client(base_url: str, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits)


async def saturate(base_url: str, texts: list[str], *, clients: int) -> Submitted:
    """`clients` concurrent reporters, each posting its next complaint when answered."""
    result = Submitted()
    work = iter(texts)

    async def reporter(client: httpx.AsyncClient) -> None:
        for text in work:  # shared iterator: each text is posted once
            await _submit(client, text, result)

    async with _client(base_url, clients) as client:
        start = time.perf_counter()
        await asyncio.gather(*(reporter(client) for _ in range(clients)))
        result.elapsed = time.perf_counter() - start
    return result


async def steady(base_url: str, texts: list[str], *, rate: float, max_in_flight: int) -> Submitted:
    """Post `texts` at `rate` per second on a fixed schedule (open loop, bounded in flight).

    When intake cannot keep up, the schedule slips (at most `max_in_flight` requests wait);
    past 1.5 times the planned duration the rest is not sent, and counted.
    """
    result = Submitted()
    gate = asyncio.Semaphore(max_in_flight)

    async def one(client: httpx.AsyncClient, text: str) -> None:
        try:
            await _submit(client, text, result)
        finally:
            gate.release()

    async with _client(base_url, max_in_flight) as client:
        tasks: list[asyncio.Task[None]] = []
        start = time.perf_counter()
        stop_at = start + 1.5 * len(texts) / rate + 1.0
        for i, text in enumerate(texts):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                await asyncio.wait_for(gate.acquire(), max(0.001, stop_at - time.perf_counter()))
            except TimeoutError:
                result.not_sent = len(texts) - i
                break
            if time.perf_counter() > stop_at:
                gate.release()
                result.not_sent = len(texts) - i
                break
            result.late_seconds = max(result.late_seconds, time.perf_counter() - (start + i / rate))
            tasks.append(asyncio.create_task(one(client, text)))
        await asyncio.gather(*tasks)
        result.elapsed = time.perf_counter() - start
    return result
