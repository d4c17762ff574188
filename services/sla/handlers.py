"""The SLA service's subscribers. Errors nack; the delivery limit dead-letters."""

from __future__ import annotations

from faststream.middlewares import AckPolicy
from faststream.rabbit import Channel, RabbitRouter

from services.sla.service import SlaService
from shared.contracts.events import ComplaintAssigned, ComplaintReceived
from shared.messaging.topology import EVENTS, Queues

__all__ = ["build_router"]


def build_router(service: SlaService, *, prefetch: int, delivery_limit: int) -> RabbitRouter:
    """Subscribers bound to the SLA use cases."""
    router = RabbitRouter()
    channel = Channel(prefetch_count=prefetch)

    @router.subscriber(
        Queues.SLA_RECEIVED.queue(delivery_limit=delivery_limit),
        EVENTS,
        channel=channel,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="sla.on_complaint_received",
    )
    async def on_complaint_received(event: ComplaintReceived) -> None:
        """Start the verification clock."""
        await service.start_verification(event=event)

    @router.subscriber(
        Queues.SLA_ASSIGNED.queue(delivery_limit=delivery_limit),
        EVENTS,
        channel=channel,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="sla.on_complaint_assigned",
    )
    async def on_complaint_assigned(event: ComplaintAssigned) -> None:
        """Stop verification, start follow-up."""
        await service.start_follow_up(event=event)

    return router
