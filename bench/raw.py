"""(a) The raw hop baseline on the same broker: aio-pika, persistent, publisher confirms.

Publish N persistent messages (pipelined, each confirmed) to a durable quorum queue, then
consume the N with an ack each. No framework, no store: what the broker and one Python
client can do on this machine, the ceiling a pipeline stage is compared with.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass

import aio_pika
import aio_pika.abc

__all__ = ["RawHop", "raw_hop"]

BODY = json.dumps({"text": "x" * 300, "tracking_id": "LPR-261128-BENCH"}).encode()


@dataclass(frozen=True)
class RawHop:
    """Messages per second of one run."""

    publish_per_s: float
    consume_per_s: float

    @property
    def hop_per_s(self) -> float:
        """Publish then consume, end to end: N over the sum of both times."""
        return 1.0 / (1.0 / self.publish_per_s + 1.0 / self.consume_per_s)


async def raw_hop(amqp_url: str, n: int, *, within: float = 120.0) -> RawHop:
    """Publish n persistent messages with confirms (pipelined), then consume n."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(
            f"bench.{uuid.uuid4().hex[:8]}", durable=True, arguments={"x-queue-type": "quorum"}
        )
        start = time.perf_counter()
        await asyncio.wait_for(
            asyncio.gather(
                *(
                    channel.default_exchange.publish(
                        aio_pika.Message(BODY, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                        routing_key=queue.name,
                    )
                    for _ in range(n)
                )
            ),
            within,
        )
        publish_rate = n / (time.perf_counter() - start)
        await channel.set_qos(prefetch_count=200)
        done = asyncio.Event()
        received = 0

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal received
            await message.ack()
            received += 1
            if received == n:
                done.set()

        start = time.perf_counter()
        tag = await queue.consume(on_message)
        await asyncio.wait_for(done.wait(), within)
        consume_rate = n / (time.perf_counter() - start)
        await queue.cancel(tag)
        await queue.delete(if_unused=False, if_empty=False)
    return RawHop(publish_per_s=publish_rate, consume_per_s=consume_rate)
