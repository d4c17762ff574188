"""Publishing intake's outbox through the broker."""

from __future__ import annotations

from faststream.rabbit import RabbitBroker

from shared.outbox import OutboxRelay

__all__ = ["BrokerEventRelay"]


class BrokerEventRelay:
    """Adapts the shared outbox relay to intake's EventRelay port."""

    def __init__(self, *, relay: OutboxRelay, broker: RabbitBroker) -> None:
        self._relay = relay
        self._broker = broker

    async def flush(self, doc_id: str) -> int:
        """Publish what is pending for this complaint now."""
        return await self._relay.flush(doc_id)

    async def broker_ready(self) -> bool:
        """Whether the broker connection is up."""
        return await self._broker.ping(timeout=0.5)
