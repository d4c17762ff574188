"""Shared fixtures: unit tests need nothing; integration and e2e use the real local stack."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import aio_pika
import httpx
import pytest
from pymongo import AsyncMongoClient, MongoClient

from shared.mongo import Database

AMQP_BASE = os.environ.get("LAPOR_TEST_AMQP_BASE", "amqp://guest:guest@127.0.0.1:5672")
RABBIT_API = os.environ.get("LAPOR_TEST_RABBIT_API", "http://127.0.0.1:15672/api")
MONGODB_BASE = os.environ.get("LAPOR_TEST_MONGODB_BASE", "mongodb://127.0.0.1:27017")
SMTP_PORT = int(os.environ.get("LAPOR_TEST_SMTP_PORT", "2525"))
IMAP_PORT = int(os.environ.get("LAPOR_TEST_IMAP_PORT", "1143"))


@pytest.fixture
def vhost() -> Iterator[str]:
    """A fresh RabbitMQ virtual host (isolated from a running `make up`), removed afterwards."""
    name = f"lapor-test-{uuid.uuid4().hex[:10]}"
    auth = ("guest", "guest")
    with httpx.Client(base_url=RABBIT_API, auth=auth, timeout=10) as api:
        api.put(f"/vhosts/{name}").raise_for_status()
        api.put(
            f"/permissions/{name}/guest", json={"configure": ".*", "write": ".*", "read": ".*"}
        ).raise_for_status()
        yield name
        api.delete(f"/vhosts/{name}")


@pytest.fixture
def amqp_url(vhost: str) -> str:
    """AMQP URL of the fresh vhost."""
    return f"{AMQP_BASE}/{vhost}"


@pytest.fixture
def db_name() -> Iterator[str]:
    """A fresh database name on the real store, dropped afterwards."""
    name = f"lapor_test_{uuid.uuid4().hex[:10]}"
    yield name
    client: MongoClient[dict[str, object]] = MongoClient(
        MONGODB_BASE, serverSelectionTimeoutMS=5000
    )
    with client:
        client.drop_database(name)


@pytest.fixture
async def db(db_name: str) -> AsyncIterator[Database]:
    """An async handle on the fresh database."""
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        MONGODB_BASE, tz_aware=True, serverSelectionTimeoutMS=5000
    )
    yield client[db_name]
    await client.close()


def rabbit_queue_info(vhost: str, queue: str) -> dict[str, object]:
    """The management API's view of a queue (messages, consumers, arguments)."""
    with httpx.Client(base_url=RABBIT_API, auth=("guest", "guest"), timeout=10) as api:
        response = api.get(f"/queues/{vhost}/{queue}")
        response.raise_for_status()
        info: dict[str, object] = response.json()
        return info


async def queue_depth(amqp_url: str, queue: str) -> int:
    """Ready messages in a queue right now (passive declare, not the delayed stats)."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        count = declared.declaration_result.message_count
        return int(count or 0)


async def take_one(amqp_url: str, queue: str, wait_seconds: float = 10) -> bytes | None:
    """Consume (and ack) one message from a queue, waiting up to `wait_seconds`."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        q = await channel.declare_queue(queue, passive=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while loop.time() < deadline:
            message = await q.get(fail=False)
            if message is not None:
                await message.ack()
                return message.body
            await asyncio.sleep(0.1)
    return None
