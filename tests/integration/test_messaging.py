"""Topology, outbox and dead-lettering on the real RabbitMQ and the real store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from faststream.middlewares import AckPolicy
from faststream.rabbit import RabbitBroker
from faststream.rabbit.annotations import RabbitMessage

from services.intake.adapters.mongo_store import MongoComplaintStore
from shared.contracts.events import ComplaintReceived
from shared.contracts.types import Channel
from shared.locks import KeyedLock
from shared.messaging.retry import RetryPolicy, attempt_of, declare_retry_topology, schedule_retry
from shared.messaging.topology import EVENTS, Queues, declare_topology, opd_queue
from shared.mongo import COMPLAINTS, Database, ensure_indexes
from shared.outbox import OutboxRelay, outbox_entry
from shared.store.complaints import ComplaintDocument
from tests.conftest import queue_depth, rabbit_queue_info, take_one

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


def complaint(tid: str) -> tuple[ComplaintDocument, ComplaintReceived]:
    doc = ComplaintDocument(
        tracking_id=tid,
        source_key=f"test:{tid}",
        channel=Channel.WEB,
        text="Jalan rusak parah",
        received_at=NOW,
    )
    event = ComplaintReceived(
        correlation_id=tid,
        tracking_id=tid,
        channel=Channel.WEB,
        text="Jalan rusak parah",
        received_at=NOW,
    )
    return doc, event


async def test_topology_declares_quorum_queues_with_dead_lettering(
    amqp_url: str, vhost: str
) -> None:
    async with RabbitBroker(amqp_url) as broker:
        await declare_topology(broker, delivery_limit=3, opd_codes=["DPUPR"])
    info = rabbit_queue_info(vhost, "lapor.routing.complaint-received")
    assert info["type"] == "quorum" and info["durable"] is True
    args = info["arguments"]
    assert isinstance(args, dict)
    assert args["x-delivery-limit"] == 3 and args["x-dead-letter-exchange"] == "lapor.dlx"
    assert rabbit_queue_info(vhost, "lapor.routing.complaint-received.dlq")["type"] == "quorum"
    assert rabbit_queue_info(vhost, opd_queue("DPUPR").name)["durable"] is True


async def test_the_outbox_publishes_persistently_and_then_forgets(
    amqp_url: str, db: Database
) -> None:
    await ensure_indexes(db)
    store = MongoComplaintStore(db)
    doc, event = complaint("LPR-261128-OUTBX")
    await store.insert(doc, outbox=[outbox_entry(publisher="intake", exchange=EVENTS, event=event)])
    async with RabbitBroker(amqp_url) as broker:
        await declare_topology(broker, delivery_limit=5)
        relay = OutboxRelay(
            collection=db[COMPLAINTS], broker=broker, publisher="intake", lock=KeyedLock()
        )
        assert await relay.flush("LPR-261128-OUTBX") == 1
        assert await relay.flush("LPR-261128-OUTBX") == 0
    body = await take_one(amqp_url, Queues.ROUTING_RECEIVED.name)
    assert body is not None
    assert ComplaintReceived.model_validate_json(body).tracking_id == "LPR-261128-OUTBX"
    stored = await db[COMPLAINTS].find_one({"_id": "LPR-261128-OUTBX"})
    assert stored is not None and stored["outbox"] == []


async def test_the_relay_publishes_what_a_crashed_writer_left_behind(
    amqp_url: str, db: Database
) -> None:
    await ensure_indexes(db)
    store = MongoComplaintStore(db)
    old, fresh = complaint("LPR-261128-OLD00"), complaint("LPR-261128-NEW00")
    stale_entry = outbox_entry(publisher="intake", exchange=EVENTS, event=old[1])
    stale_entry["created_at"] = datetime.now(UTC) - timedelta(minutes=1)
    await store.insert(old[0], outbox=[stale_entry])
    await store.insert(
        fresh[0], outbox=[outbox_entry(publisher="intake", exchange=EVENTS, event=fresh[1])]
    )
    async with RabbitBroker(amqp_url) as broker:
        await declare_topology(broker, delivery_limit=5)
        relay = OutboxRelay(
            collection=db[COMPLAINTS],
            broker=broker,
            publisher="intake",
            lock=KeyedLock(),
            grace=5.0,
        )
        assert await relay.relay_pending() == 1  # the fresh one is still its writer's job
        other = OutboxRelay(
            collection=db[COMPLAINTS], broker=broker, publisher="routing", lock=KeyedLock()
        )
        assert await other.relay_pending() == 0  # never another service's entries
    body = await take_one(amqp_url, Queues.ROUTING_RECEIVED.name)
    assert body is not None and b"LPR-261128-OLD00" in body
    assert await queue_depth(amqp_url, Queues.ROUTING_RECEIVED.name) == 0


async def test_a_message_that_keeps_failing_lands_in_the_dead_letter_queue(
    amqp_url: str, vhost: str
) -> None:
    attempts = 0
    broker = RabbitBroker(amqp_url)

    @broker.subscriber(
        Queues.ROUTING_RECEIVED.queue(delivery_limit=2), EVENTS, ack_policy=AckPolicy.NACK_ON_ERROR
    )
    async def always_fails(event: ComplaintReceived) -> None:
        nonlocal attempts
        attempts += 1
        raise RuntimeError("boom")

    _, event = complaint("LPR-261128-POISN")
    async with broker:
        await declare_topology(broker, delivery_limit=2)
        await broker.start()
        await broker.publish(
            event.model_dump(mode="json"),
            exchange=EVENTS,
            routing_key=event.event_type,
            persist=True,
        )
        body = await take_one(amqp_url, Queues.ROUTING_RECEIVED.dead_letter_queue.name)
    assert body is not None and b"LPR-261128-POISN" in body
    assert attempts >= 2


async def test_shutdown_lets_a_handler_in_flight_finish_and_ack(amqp_url: str) -> None:
    started, finished = asyncio.Event(), asyncio.Event()
    broker = RabbitBroker(amqp_url, graceful_timeout=10)

    @broker.subscriber(
        Queues.SLA_RECEIVED.queue(delivery_limit=5), EVENTS, ack_policy=AckPolicy.NACK_ON_ERROR
    )
    async def slow(event: ComplaintReceived) -> None:
        started.set()
        await asyncio.sleep(1.0)
        finished.set()

    _, event = complaint("LPR-261128-SLOW0")
    await broker.start()
    await declare_topology(broker, delivery_limit=5)
    await broker.publish(
        event.model_dump(mode="json"), exchange=EVENTS, routing_key=event.event_type, persist=True
    )
    await asyncio.wait_for(started.wait(), 10)
    await broker.stop()  # what the services' lifespan does on SIGTERM
    assert finished.is_set()
    # Acknowledged, not requeued: nothing left for the next consumer.
    assert await queue_depth(amqp_url, Queues.SLA_RECEIVED.name) == 0


async def test_a_retry_comes_back_to_its_own_queue_only_after_its_delay(amqp_url: str) -> None:
    targets = [Queues.NOTIFY_RECEIVED, Queues.NOTIFY_ASSIGNED]
    seen: list[int] = []
    broker = RabbitBroker(amqp_url)

    @broker.subscriber(Queues.NOTIFY_ASSIGNED.queue(delivery_limit=5), EVENTS)
    async def flaky(event: ComplaintReceived, message: RabbitMessage) -> None:
        seen.append(attempt_of(message))
        if len(seen) == 1:
            assert await schedule_retry(
                broker,
                message=message,
                target=Queues.NOTIFY_ASSIGNED.name,
                policy=RetryPolicy(base_seconds=0.2, max_attempts=2),
            )
        elif len(seen) == 2:  # at the last attempt, a look again that uses up no attempt
            assert await schedule_retry(
                broker,
                message=message,
                target=Queues.NOTIFY_ASSIGNED.name,
                policy=RetryPolicy(base_seconds=0.2, max_attempts=2),
                counted=False,
            )

    _, event = complaint("LPR-261128-RETRY")
    async with broker:
        await declare_topology(broker, delivery_limit=5)
        await declare_retry_topology(broker, targets=[q.queue(delivery_limit=5) for q in targets])
        await broker.start()
        await broker.publish(
            event.model_dump(mode="json"),
            exchange=EVENTS,
            routing_key="complaint.assigned",
            persist=True,
        )
        for _ in range(100):
            if len(seen) == 3:
                break
            await asyncio.sleep(0.1)
    assert seen == [1, 2, 2]
    # The other notify queue never saw the retried copy.
    assert await queue_depth(amqp_url, Queues.NOTIFY_RECEIVED.name) == 0
