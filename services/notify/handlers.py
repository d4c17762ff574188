"""Notify's subscribers. Errors nack; the delivery limit dead-letters."""

from __future__ import annotations

from faststream.middlewares import AckPolicy
from faststream.rabbit import Channel, RabbitRouter

from services.notify.service import NotifyService
from shared.contracts.events import ComplaintAssigned, ComplaintReceived
from shared.messaging.topology import EVENTS, Queues

__all__ = ["build_router"]


def build_router(service: NotifyService, *, prefetch: int, delivery_limit: int) -> RabbitRouter:
    """Subscribers bound to notify's use cases."""
    router = RabbitRouter()
    channel = Channel(prefetch_count=prefetch)

    @router.subscriber(
        Queues.NOTIFY_RECEIVED.queue(delivery_limit=delivery_limit),
        EVENTS,
        channel=channel,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="notify.on_complaint_received",
    )
    async def on_complaint_received(event: ComplaintReceived) -> None:
        """Acknowledge receipt to the reporter."""
        await service.acknowledge_receipt(event=event)

    @router.subscriber(
        Queues.NOTIFY_ASSIGNED.queue(delivery_limit=delivery_limit),
        EVENTS,
        channel=channel,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="notify.on_complaint_assigned",
    )
    async def on_complaint_assigned(event: ComplaintAssigned) -> None:
        """Tell the reporter where the case went."""
        await service.announce_assignment(event=event)

    return router
