"""Publishing intake's outboxes (one relay per collection that carries events)."""

from __future__ import annotations

from collections.abc import Mapping

from faststream.rabbit import RabbitBroker

from shared.outbox import OutboxRelay

__all__ = ["BrokerEventRelay"]


class BrokerEventRelay:
    """Adapts the shared outbox relays to intake's EventRelay port."""

    def __init__(self, *, relays: Mapping[str, OutboxRelay], broker: RabbitBroker) -> None:
        self._relays = relays
        self._broker = broker

    async def flush(self, doc_id: str, *, collection: str) -> int:
        """Publish what is pending for this document now."""
        return await self._relays[collection].flush(doc_id)

    async def broker_ready(self) -> bool:
        """Whether the broker connection is up."""
        return await self._broker.ping(timeout=0.5)
