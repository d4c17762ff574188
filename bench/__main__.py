"""`python -m bench`: measures the raw broker hop on the local RabbitMQ.

Prints a table and, as the last line, one JSON object with the figures (medians of runs).
The pipeline figures of issue 9 will be measured against this baseline in the same run.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
import uuid

import aio_pika
import httpx

AMQP_BASE = os.environ.get("LAPOR_BENCH_AMQP_BASE", "amqp://guest:guest@127.0.0.1:5672")
RABBIT_API = os.environ.get("LAPOR_BENCH_RABBIT_API", "http://127.0.0.1:15672/api")
MESSAGES = int(os.environ.get("LAPOR_BENCH_MESSAGES", "5000"))
RUNS = int(os.environ.get("LAPOR_BENCH_RUNS", "3"))
BODY = json.dumps({"text": "x" * 300, "tracking_id": "LPR-261128-BENCH"}).encode()


async def raw_hop(amqp_url: str, n: int) -> tuple[float, float]:
    """Publish n persistent messages with confirms (pipelined), then consume n; msgs/s each."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(
            f"bench.{uuid.uuid4().hex[:8]}", durable=True, arguments={"x-queue-type": "quorum"}
        )
        start = time.perf_counter()
        await asyncio.gather(
            *(
                channel.default_exchange.publish(
                    aio_pika.Message(BODY, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                    routing_key=queue.name,
                )
                for _ in range(n)
            )
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
        await done.wait()
        consume_rate = n / (time.perf_counter() - start)
        await queue.cancel(tag)
        await queue.delete(if_unused=False, if_empty=False)
    return publish_rate, consume_rate


async def main() -> None:
    """Run the benchmark in a throw-away vhost."""
    vhost = f"lapor-bench-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=RABBIT_API, auth=("guest", "guest")) as api:
        (await api.put(f"/vhosts/{vhost}")).raise_for_status()
        perms = {"configure": ".*", "write": ".*", "read": ".*"}
        (await api.put(f"/permissions/{vhost}/guest", json=perms)).raise_for_status()
        try:
            runs = [await raw_hop(f"{AMQP_BASE}/{vhost}", MESSAGES) for _ in range(RUNS)]
        finally:
            await api.delete(f"/vhosts/{vhost}")
    publish = statistics.median(r[0] for r in runs)
    consume = statistics.median(r[1] for r in runs)
    print(f"{'measure':<40}{'median msg/s':>14}")
    print(f"{'raw hop publish (persistent, confirms)':<40}{publish:>14.0f}")
    print(f"{'raw hop consume (ack each)':<40}{consume:>14.0f}")
    summary = {
        "messages": MESSAGES,
        "runs": RUNS,
        "raw_publish_per_s": round(publish),
        "raw_consume_per_s": round(consume),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(main())
