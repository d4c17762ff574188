"""The SLA service's AsyncAPI document: `faststream docs gen services.sla.asyncapi:app --yaml`.

The SLA service publishes through its outbox (`shared/outbox.py`), not through FastStream
publisher objects, so the events it publishes are declared here, for the document only.
"""

import inspect

from faststream import FastStream
from faststream.rabbit import RabbitBroker
from faststream.rabbit.publisher import RabbitPublisher
from faststream.specification import AsyncAPI

from services.sla.app import create_app
from shared.contracts.events import CloseComplaint, SlaBreached, SlaEscalated, SlaReminderDue
from shared.messaging.topology import EVENTS

http = create_app()
broker: RabbitBroker = http.state.broker
# Kept referenced: the broker holds its publishers in a WeakSet.
documented: list[RabbitPublisher] = [
    broker.publisher(
        exchange=EVENTS,
        routing_key=event.event_type,
        schema=event,
        title=f"sla.{event.event_type}",
        description=inspect.cleandoc(event.__doc__ or ""),
        persist=True,
    )
    for event in (SlaReminderDue, SlaBreached, SlaEscalated, CloseComplaint)
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
