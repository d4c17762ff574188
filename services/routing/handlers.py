"""Routing's subscribers: parse, call one use case. Errors nack; the delivery limit dead-letters."""

from __future__ import annotations

from faststream.middlewares import AckPolicy
from faststream.rabbit import Channel, RabbitRouter

from services.routing.casework import CaseWork
from services.routing.service import RoutingService
from shared.contracts.events import CloseComplaint, ComplaintFollowUpReceived, ComplaintReceived
from shared.messaging.topology import EVENTS, Queues

__all__ = ["build_router"]


def build_router(
    service: RoutingService, work: CaseWork, *, prefetch: int, delivery_limit: int
) -> RabbitRouter:
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

    @router.subscriber(
        Queues.ROUTING_CLOSE.queue(delivery_limit=delivery_limit),
        EVENTS,
        channel=channel,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="routing.on_close_complaint",
    )
    async def on_close_complaint(command: CloseComplaint) -> None:
        """Auto-close a case whose follow-up went unanswered."""
        await work.close_unanswered(command=command)

    @router.subscriber(
        Queues.ROUTING_FOLLOW_UP.queue(delivery_limit=delivery_limit),
        EVENTS,
        channel=channel,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="routing.on_reporter_reply",
    )
    async def on_reporter_reply(event: ComplaintFollowUpReceived) -> None:
        """Add the reporter's reply to the case history."""
        await work.note_reporter_reply(event=event)

    return router
