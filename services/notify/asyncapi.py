"""Notify's AsyncAPI document: `faststream docs gen services.notify.asyncapi:app --yaml`.

Notify publishes no domain events; its only publications are delayed retries of its own
messages (`shared/messaging/retry.py`), which are internal and not documented.
"""

from faststream import FastStream
from faststream.rabbit import RabbitBroker
from faststream.specification import AsyncAPI

from services.notify.app import create_app

http = create_app()
broker: RabbitBroker = http.state.broker
app = FastStream(
    broker,
    specification=AsyncAPI(
        broker,
        title=http.title,
        version=http.version,
        description=" ".join((__doc__ or "").split()),
    ),
)
