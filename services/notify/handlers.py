"""Notify's subscribers. A gateway outage schedules a delayed retry (the consumer goes on);
after the last attempt the event is rejected into its dead-letter queue."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from faststream.exceptions import RejectMessage
from faststream.middlewares import AckPolicy
from faststream.rabbit import Channel, RabbitBroker, RabbitRouter
from faststream.rabbit.annotations import RabbitMessage
from faststream.rabbit.subscriber import RabbitSubscriber

from services.notify.metrics import NotifyMetrics
from services.notify.ports import AwaitingReport, DeliveryFailed
from services.notify.service import NotifyService
from shared.contracts.events import (
    ComplaintAssigned,
    ComplaintFollowUpReceived,
    ComplaintReceived,
    ComplaintResolved,
    ComplaintResponded,
    ComplaintStatusChanged,
    SlaEscalated,
    SlaReminderDue,
    StatusRequested,
)
from shared.messaging.retry import RetryPolicy, schedule_retry
from shared.messaging.topology import EVENTS, ConsumerQueue, Queues

__all__ = ["build_router"]


def build_router(
    service: NotifyService,
    *,
    broker: RabbitBroker,
    metrics: NotifyMetrics,
    retry: RetryPolicy,
    prefetch: int,
    delivery_limit: int,
) -> RabbitRouter:
    """Subscribers bound to notify's use cases."""
    router = RabbitRouter()
    channel = Channel(prefetch_count=prefetch)

    def subscribe(queue: ConsumerQueue) -> RabbitSubscriber:
        return router.subscriber(
            queue.queue(delivery_limit=delivery_limit),
            EVENTS,
            channel=channel,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            title=f"notify.{queue.routing_key.value}",
        )

    async def retrying(
        call: Callable[[], Awaitable[None]], message: RabbitMessage, queue: ConsumerQueue
    ) -> None:
        try:
            await call()
        except AwaitingReport:  # bounded by the report wait: uses up no attempt
            await schedule_retry(
                broker, message=message, target=queue.name, policy=retry, counted=False
            )
        except DeliveryFailed:
            if not await schedule_retry(broker, message=message, target=queue.name, policy=retry):
                metrics.dead.labels(queue=queue.name).inc()
                raise RejectMessage() from None

    @subscribe(Queues.NOTIFY_RECEIVED)
    async def on_received(event: ComplaintReceived, message: RabbitMessage) -> None:
        """Acknowledge receipt to the reporter."""
        await retrying(lambda: service.on_received(event=event), message, Queues.NOTIFY_RECEIVED)

    @subscribe(Queues.NOTIFY_ASSIGNED)
    async def on_assigned(event: ComplaintAssigned, message: RabbitMessage) -> None:
        """Tell the reporter where the case went, and the OPD that it has a new case."""
        await retrying(lambda: service.on_assigned(event=event), message, Queues.NOTIFY_ASSIGNED)

    @subscribe(Queues.NOTIFY_RESPONDED)
    async def on_responded(event: ComplaintResponded, message: RabbitMessage) -> None:
        """Pass the OPD's follow-up to the reporter."""
        await retrying(lambda: service.on_responded(event=event), message, Queues.NOTIFY_RESPONDED)

    @subscribe(Queues.NOTIFY_RESOLVED)
    async def on_resolved(event: ComplaintResolved, message: RabbitMessage) -> None:
        """Tell the reporter the case is done."""
        await retrying(lambda: service.on_resolved(event=event), message, Queues.NOTIFY_RESOLVED)

    @subscribe(Queues.NOTIFY_STATUS_CHANGED)
    async def on_status_changed(event: ComplaintStatusChanged, message: RabbitMessage) -> None:
        """Tell the reporter about a hold or an archive."""
        await retrying(
            lambda: service.on_status_changed(event=event), message, Queues.NOTIFY_STATUS_CHANGED
        )

    @subscribe(Queues.NOTIFY_FOLLOW_UP)
    async def on_follow_up(event: ComplaintFollowUpReceived, message: RabbitMessage) -> None:
        """Pass the reporter's reply to the OPD."""
        await retrying(lambda: service.on_follow_up(event=event), message, Queues.NOTIFY_FOLLOW_UP)

    @subscribe(Queues.NOTIFY_REMINDER)
    async def on_reminder(event: SlaReminderDue, message: RabbitMessage) -> None:
        """Remind the stage's owner of a deadline."""
        await retrying(lambda: service.on_reminder(event=event), message, Queues.NOTIFY_REMINDER)

    @subscribe(Queues.NOTIFY_ESCALATED)
    async def on_escalated(event: SlaEscalated, message: RabbitMessage) -> None:
        """Escalate a missed deadline."""
        await retrying(lambda: service.on_escalated(event=event), message, Queues.NOTIFY_ESCALATED)

    @subscribe(Queues.NOTIFY_STATUS_REQUESTED)
    async def on_status_requested(event: StatusRequested, message: RabbitMessage) -> None:
        """Answer `CEK <ID>` by SMS."""
        await retrying(
            lambda: service.on_status_requested(event=event),
            message,
            Queues.NOTIFY_STATUS_REQUESTED,
        )

    return router
