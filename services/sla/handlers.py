"""The SLA service's subscribers: parse, call one use case. Errors nack (then dead-letter)."""

from __future__ import annotations

from faststream.middlewares import AckPolicy
from faststream.rabbit import Channel, RabbitRouter
from faststream.rabbit.subscriber import RabbitSubscriber

from services.sla.service import SlaService
from shared.contracts.events import (
    ComplaintAssigned,
    ComplaintFollowUpReceived,
    ComplaintHeldForVerification,
    ComplaintRated,
    ComplaintReceived,
    ComplaintResolved,
    ComplaintResponded,
    ComplaintStatusChanged,
)
from shared.messaging.topology import EVENTS, ConsumerQueue, Queues

__all__ = ["build_router"]


def build_router(service: SlaService, *, prefetch: int, delivery_limit: int) -> RabbitRouter:
    """Subscribers bound to the SLA use cases."""
    router = RabbitRouter()
    channel = Channel(prefetch_count=prefetch)

    def subscribe(queue: ConsumerQueue, title: str) -> RabbitSubscriber:
        return router.subscriber(
            queue.queue(delivery_limit=delivery_limit),
            EVENTS,
            channel=channel,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            title=title,
        )

    @subscribe(Queues.SLA_RECEIVED, "sla.on_complaint_received")
    async def on_received(event: ComplaintReceived) -> None:
        """Start verification and completion clocks."""
        await service.on_received(event=event)

    @subscribe(Queues.SLA_ASSIGNED, "sla.on_complaint_assigned")
    async def on_assigned(event: ComplaintAssigned) -> None:
        """Meet verification, (re)start follow-up."""
        await service.on_assigned(event=event)

    @subscribe(Queues.SLA_HELD, "sla.on_complaint_held")
    async def on_held(event: ComplaintHeldForVerification) -> None:
        """Bukan wewenang: back to verification."""
        await service.on_held(event=event)

    @subscribe(Queues.SLA_RESPONDED, "sla.on_complaint_responded")
    async def on_responded(event: ComplaintResponded) -> None:
        """Meet follow-up, start auto-close."""
        await service.on_responded(event=event)

    @subscribe(Queues.SLA_FOLLOW_UP, "sla.on_reporter_reply")
    async def on_reply(event: ComplaintFollowUpReceived) -> None:
        """Cancel auto-close."""
        await service.on_reporter_reply(event=event)

    @subscribe(Queues.SLA_RESOLVED, "sla.on_complaint_resolved")
    async def on_resolved(event: ComplaintResolved) -> None:
        """Stop every clock."""
        await service.on_resolved(event=event)

    @subscribe(Queues.SLA_STATUS_CHANGED, "sla.on_status_changed")
    async def on_status_changed(event: ComplaintStatusChanged) -> None:
        """Pause, resume or stop."""
        await service.on_status_changed(event=event)

    @subscribe(Queues.SLA_RATED, "sla.on_complaint_rated")
    async def on_rated(event: ComplaintRated) -> None:
        """Performance figures: the reporter's rating."""
        await service.on_rated(event=event)

    return router
