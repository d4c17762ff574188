"""Routing's AsyncAPI document: `faststream docs gen services.routing.asyncapi:app --yaml`.

Routing publishes through its outbox (`shared/outbox.py`), not through FastStream publisher
objects, so what it publishes is declared here, for the document only: its domain events on
`lapor.events`, and each OPD's assignments on `lapor.opd` (routing key = the OPD code in
lower case), which land in the durable quorum queue `lapor.opd.<code>` that the OPD's own
tooling consumes. The OPDs listed are those of the default directory.
"""

import inspect

from faststream import FastStream
from faststream.rabbit import RabbitBroker
from faststream.rabbit.publisher import RabbitPublisher
from faststream.specification import AsyncAPI

from services.routing.app import create_app
from shared.contracts.events import (
    ComplaintAssigned,
    ComplaintHeldForVerification,
    ComplaintResolved,
    ComplaintResponded,
    ComplaintStatusChanged,
    OpdAssignment,
)
from shared.directory import load_directory
from shared.messaging.topology import EVENTS, OPD_EXCHANGE, opd_queue

EVENTS_PUBLISHED = (
    ComplaintAssigned,
    ComplaintHeldForVerification,
    ComplaintResponded,
    ComplaintResolved,
    ComplaintStatusChanged,
)

http = create_app()
broker: RabbitBroker = http.state.broker
# Kept referenced: the broker holds its publishers in a WeakSet.
documented: list[RabbitPublisher] = [
    broker.publisher(
        exchange=EVENTS,
        routing_key=event.event_type,
        schema=event,
        title=f"routing.{event.event_type}",
        description=inspect.cleandoc(event.__doc__ or ""),
        persist=True,
    )
    for event in EVENTS_PUBLISHED
]
documented += [
    broker.publisher(
        opd_queue(agency.code),
        OPD_EXCHANGE,
        schema=OpdAssignment,
        title=f"opd.{agency.code.lower()}",
        description=(
            f"Assignments for {agency.name} ({agency.code}), routed into the durable quorum"
            f" queue `lapor.opd.{agency.code.lower()}`. `reporter` is null when the reporter"
            " asked to stay anonymous."
        ),
        persist=True,
    )
    for agency in load_directory(None).agencies
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
