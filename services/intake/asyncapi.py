"""Intake's AsyncAPI document: `faststream docs gen services.intake.asyncapi:app --yaml`.

Intake publishes through its outbox (`shared/outbox.py`), not through FastStream publisher
objects, so the events it publishes are declared here, for the document only.
"""

import inspect

from faststream import FastStream
from faststream.rabbit import RabbitBroker
from faststream.rabbit.publisher import RabbitPublisher
from faststream.specification import AsyncAPI

from services.intake.app import create_app
from shared.contracts.events import (
    ComplaintFollowUpReceived,
    ComplaintRated,
    ComplaintReceived,
    StatusRequested,
)
from shared.messaging.topology import EVENTS

http = create_app()
broker: RabbitBroker = http.state.broker
# Kept referenced: the broker holds its publishers in a WeakSet.
documented: list[RabbitPublisher] = [
    broker.publisher(
        exchange=EVENTS,
        routing_key=event.event_type,
        schema=event,
        title=f"intake.{event.event_type}",
        description=inspect.cleandoc(event.__doc__ or ""),
        persist=True,
    )
    for event in (ComplaintReceived, ComplaintFollowUpReceived, ComplaintRated, StatusRequested)
]
app = FastStream(
    broker,
    specification=AsyncAPI(
        broker,
        title=http.title,
        version=http.version,
        description=" ".join((__doc__ or "").split()),
    ),
)
