"""Routing's subscribers: parse, call one use case. Errors nack; the delivery limit dead-letters."""

from __future__ import annotations

from faststream.middlewares import AckPolicy
from faststream.rabbit import Channel, RabbitRouter

from services.routing.service import RoutingService
from shared.contracts.events import ComplaintReceived
from shared.messaging.topology import EVENTS, Queues

__all__ = ["build_router"]


def build_router(service: RoutingService, *, prefetch: int, delivery_limit: int) -> RabbitRouter:
    """Subscribers bound to routing's use cases."""
    router = RabbitRouter()
    channel = Channel(prefetch_count=prefetch)

    @router.subscriber(
        Queues.ROUTING_RECEIVED.queue(delivery_limit=delivery_limit),
        EVENTS,
        channel=channel,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="routing.on_complaint_received",
    )
    async def on_complaint_received(event: ComplaintReceived) -> None:
        """Route each newly received complaint."""
        await service.route_complaint(event=event)

    return router
