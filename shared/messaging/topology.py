"""Every exchange, queue, routing key and dead-letter path, declared once.

- `lapor.events` (topic): domain events, routing key = the event's `event_type`.
- `lapor.opd` (direct): one assignment per message, routing key = OPD code in lower case,
  bound to the durable quorum queue `lapor.opd.<code>` that the OPD's own tooling consumes.
- `lapor.dlx` (direct): dead letters; each consumer queue `Q` dead-letters into `Q.dlq`.

Consumer queues are quorum queues with `x-delivery-limit`: a message that keeps failing
is dead-lettered after that many deliveries, where it stays visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange, RabbitQueue
from faststream.rabbit.helpers.declarer import RabbitDeclarer
from faststream.rabbit.schemas.queue import QueueType
from faststream.rabbit.subscriber import RabbitSubscriber

if TYPE_CHECKING:
    from aio_pika import RobustQueue

__all__ = [
    "DLX",
    "EVENTS",
    "OPD_EXCHANGE",
    "ConsumerQueue",
    "Queues",
    "RoutingKey",
    "declare_queue",
    "declare_topology",
    "exchange_by_name",
    "opd_queue",
    "opd_routing_key",
]

EVENTS = RabbitExchange("lapor.events", type=ExchangeType.TOPIC, durable=True)
OPD_EXCHANGE = RabbitExchange("lapor.opd", type=ExchangeType.DIRECT, durable=True)
DLX = RabbitExchange("lapor.dlx", type=ExchangeType.DIRECT, durable=True)

_EXCHANGES = {ex.name: ex for ex in (EVENTS, OPD_EXCHANGE, DLX)}


class RoutingKey(StrEnum):
    """Routing keys on `lapor.events`; each equals the event class's `event_type`."""

    COMPLAINT_RECEIVED = "complaint.received"
    COMPLAINT_ASSIGNED = "complaint.assigned"
    COMPLAINT_HELD = "complaint.held_for_verification"
    COMPLAINT_RESPONDED = "complaint.responded"
    COMPLAINT_RESOLVED = "complaint.resolved"
    COMPLAINT_STATUS_CHANGED = "complaint.status_changed"
    COMPLAINT_FOLLOW_UP = "complaint.follow_up_received"
    COMPLAINT_RATED = "complaint.rated"
    STATUS_REQUESTED = "complaint.status_requested"
    SLA_REMINDER_DUE = "sla.reminder_due"
    SLA_BREACHED = "sla.breached"
    SLA_ESCALATED = "sla.escalated"
    CLOSE_COMPLAINT = "command.close_complaint"


@dataclass(frozen=True)
class ConsumerQueue:
    """A consumer's quorum queue on `lapor.events` and its dead-letter queue."""

    name: str
    routing_key: RoutingKey

    def queue(self, *, delivery_limit: int) -> RabbitQueue:
        """The queue as FastStream declares and consumes it."""
        return RabbitQueue(
            self.name,
            durable=True,
            queue_type=QueueType.QUORUM,
            routing_key=self.routing_key.value,
            arguments={
                "x-delivery-limit": delivery_limit,
                "x-dead-letter-exchange": DLX.name,
                "x-dead-letter-routing-key": self.name,
            },
        )

    @property
    def dead_letter_queue(self) -> RabbitQueue:
        """Where messages go after `x-delivery-limit` failed deliveries or a reject."""
        return RabbitQueue(
            f"{self.name}.dlq", durable=True, queue_type=QueueType.QUORUM, routing_key=self.name
        )


class Queues:
    """One queue per (service, event) consumer."""

    ROUTING_RECEIVED = ConsumerQueue(
        "lapor.routing.complaint-received", RoutingKey.COMPLAINT_RECEIVED
    )
    ROUTING_CLOSE = ConsumerQueue("lapor.routing.close-complaint", RoutingKey.CLOSE_COMPLAINT)
    ROUTING_FOLLOW_UP = ConsumerQueue(
        "lapor.routing.complaint-follow-up", RoutingKey.COMPLAINT_FOLLOW_UP
    )
    SLA_RECEIVED = ConsumerQueue("lapor.sla.complaint-received", RoutingKey.COMPLAINT_RECEIVED)
    SLA_ASSIGNED = ConsumerQueue("lapor.sla.complaint-assigned", RoutingKey.COMPLAINT_ASSIGNED)
    SLA_HELD = ConsumerQueue("lapor.sla.complaint-held", RoutingKey.COMPLAINT_HELD)
    SLA_RESPONDED = ConsumerQueue("lapor.sla.complaint-responded", RoutingKey.COMPLAINT_RESPONDED)
    SLA_RESOLVED = ConsumerQueue("lapor.sla.complaint-resolved", RoutingKey.COMPLAINT_RESOLVED)
    SLA_STATUS_CHANGED = ConsumerQueue(
        "lapor.sla.complaint-status-changed", RoutingKey.COMPLAINT_STATUS_CHANGED
    )
    SLA_FOLLOW_UP = ConsumerQueue("lapor.sla.complaint-follow-up", RoutingKey.COMPLAINT_FOLLOW_UP)
    SLA_RATED = ConsumerQueue("lapor.sla.complaint-rated", RoutingKey.COMPLAINT_RATED)
    NOTIFY_RECEIVED = ConsumerQueue(
        "lapor.notify.complaint-received", RoutingKey.COMPLAINT_RECEIVED
    )
    NOTIFY_ASSIGNED = ConsumerQueue(
        "lapor.notify.complaint-assigned", RoutingKey.COMPLAINT_ASSIGNED
    )
    NOTIFY_RESPONDED = ConsumerQueue(
        "lapor.notify.complaint-responded", RoutingKey.COMPLAINT_RESPONDED
    )
    NOTIFY_RESOLVED = ConsumerQueue(
        "lapor.notify.complaint-resolved", RoutingKey.COMPLAINT_RESOLVED
    )
    NOTIFY_STATUS_CHANGED = ConsumerQueue(
        "lapor.notify.complaint-status-changed", RoutingKey.COMPLAINT_STATUS_CHANGED
    )
    NOTIFY_FOLLOW_UP = ConsumerQueue(
        "lapor.notify.complaint-follow-up", RoutingKey.COMPLAINT_FOLLOW_UP
    )
    NOTIFY_STATUS_REQUESTED = ConsumerQueue(
        "lapor.notify.status-requested", RoutingKey.STATUS_REQUESTED
    )
    NOTIFY_REMINDER = ConsumerQueue("lapor.notify.sla-reminder", RoutingKey.SLA_REMINDER_DUE)
    NOTIFY_ESCALATED = ConsumerQueue("lapor.notify.sla-escalated", RoutingKey.SLA_ESCALATED)

    @classmethod
    def all(cls) -> list[ConsumerQueue]:
        """Every consumer queue of the system."""
        return [v for v in vars(cls).values() if isinstance(v, ConsumerQueue)]

    @classmethod
    def of(cls, service: str) -> list[ConsumerQueue]:
        """The consumer queues of one service."""
        return [q for q in cls.all() if q.name.startswith(f"lapor.{service}.")]


def opd_routing_key(code: str) -> str:
    """Routing key on `lapor.opd` for an agency code."""
    return code.lower()


def opd_queue(code: str) -> RabbitQueue:
    """The durable quorum queue `lapor.opd.<code>` an OPD's own tooling consumes."""
    return RabbitQueue(
        f"lapor.opd.{code.lower()}",
        durable=True,
        queue_type=QueueType.QUORUM,
        routing_key=opd_routing_key(code),
    )


def exchange_by_name(name: str) -> RabbitExchange:
    """The declared exchange with this name (outbox entries store names)."""
    return _EXCHANGES[name]


async def declare_topology(
    broker: RabbitBroker, *, delivery_limit: int, opd_codes: Sequence[str] = ()
) -> None:
    """Declare every exchange, consumer queue (bound), dead-letter queue and OPD queue.

    Every service declares the whole topology at start, so an event published before its
    consumer ever ran still waits in that consumer's queue instead of being dropped.
    `delivery_limit` must be the same for every service (it is a queue argument).
    """
    dlx = await broker.declare_exchange(DLX)
    events = await broker.declare_exchange(EVENTS)
    for consumer in Queues.all():
        queue = await declare_queue(broker, consumer.queue(delivery_limit=delivery_limit))
        await queue.bind(events, routing_key=consumer.routing_key.value)
        dlq = await broker.declare_queue(consumer.dead_letter_queue)
        await dlq.bind(dlx, routing_key=consumer.name)
    opd_exchange = await broker.declare_exchange(OPD_EXCHANGE)
    for code in opd_codes:
        queue = await broker.declare_queue(opd_queue(code))
        await queue.bind(opd_exchange, routing_key=opd_routing_key(code))


async def declare_queue(broker: RabbitBroker, queue: RabbitQueue) -> RobustQueue:
    """Declare a queue; one this broker consumes, on its subscriber's channel.

    FastStream remembers a declared queue with the channel it was declared on, and the
    queue's subscriber later consumes on that channel. Declared on the default channel, a
    subscriber would lose its `Channel(prefetch_count=...)` and take every ready message at
    once (unbounded work in flight, and no sharing with a second instance).
    """
    channel = next(
        (
            sub.channel
            for sub in broker.subscribers
            if isinstance(sub, RabbitSubscriber) and sub.queue.name == queue.name
        ),
        None,
    )
    declarer: RabbitDeclarer = broker.config.declarer
    return await declarer.declare_queue(queue, channel=channel)
