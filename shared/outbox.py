"""Transactional outbox: events are stored in the same document as the state they describe.

A state change and its events are one atomic single-document update (`$push` onto the
document's `outbox` array). The writer then publishes them at once (`flush`); if it crashes
or the broker is away, the relay publishes whatever is still pending. Publishing twice is
possible (crash after publish, before `$pullAll`), so every consumer is idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from faststream.rabbit import RabbitBroker, RabbitExchange

from shared.contracts.events import Event
from shared.locks import KeyedLock
from shared.messaging.topology import exchange_by_name
from shared.mongo import Collection, Document, retry_if_busy, scans_unless_id_filter

__all__ = ["OutboxRelay", "outbox_entry"]

log = logging.getLogger(__name__)


def outbox_entry(
    *, publisher: str, exchange: RabbitExchange, event: Event, routing_key: str | None = None
) -> Document:
    """A pending message to store with a state change."""
    return {
        "message_id": event.message_id,
        "publisher": publisher,
        "exchange": exchange.name,
        "routing_key": routing_key or event.event_type,
        "correlation_id": event.correlation_id,
        "event_type": event.event_type,
        "body": event.model_dump(mode="json"),
        "created_at": datetime.now(UTC),
    }


class OutboxRelay:
    """Publishes one service's pending outbox entries with confirms, then removes them."""

    def __init__(
        self,
        *,
        collection: Collection,
        broker: RabbitBroker,
        publisher: str,
        lock: KeyedLock,
        interval: float = 2.0,
        grace: float = 5.0,
        idle_factor: float = 15.0,
    ) -> None:
        self._collection = collection
        self._broker = broker
        self._publisher = publisher
        self._lock = lock
        self._interval = interval
        self._idle_interval = interval * idle_factor
        self._grace = timedelta(seconds=grace)
        self._left_behind = asyncio.Event()  # a flush here failed: entries wait for the relay

    async def flush(self, doc_id: Any) -> int:
        """Publish this document's pending entries in order; returns how many went out.

        Holds the document's lock: the caller must not hold it already.
        """
        try:
            return await self._flush(doc_id)
        except BaseException:
            self._left_behind.set()
            raise

    async def _flush(self, doc_id: Any) -> int:
        async with self._lock.hold(str(doc_id)):
            doc = await self._collection.find_one({"_id": doc_id}, {"outbox": 1})
            if doc is None:
                return 0
            sent: list[Document] = []
            try:
                for entry in doc.get("outbox") or []:
                    if entry.get("publisher") == self._publisher:
                        await self._publish(entry)
                        sent.append(entry)
            finally:
                if sent:  # one write for all; exact stored entries (FerretDB v1 has no `$pull`
                    # with a condition). If it fails, they are published again: idempotent.
                    await retry_if_busy(
                        lambda: self._collection.update_one(
                            {"_id": doc_id}, {"$pullAll": {"outbox": sent}}
                        )
                    )
            return len(sent)

    async def _publish(self, entry: Document) -> None:
        await self._broker.publish(
            entry["body"],
            exchange=exchange_by_name(entry["exchange"]),
            routing_key=entry["routing_key"],
            persist=True,
            message_id=entry["message_id"],
            correlation_id=entry["correlation_id"],
            message_type=entry["event_type"],
            content_type="application/json",
        )

    async def relay_pending(self) -> int:
        """One pass over documents with entries older than the grace period."""
        cutoff = datetime.now(UTC) - self._grace
        total = 0
        # FerretDB v1 has no `$elemMatch` on arrays of documents: filter the age here.
        cursor = self._collection.find({"outbox.publisher": self._publisher}, {"outbox": 1})
        async for doc in cursor.limit(500):
            if any(
                e.get("publisher") == self._publisher and e["created_at"] < cutoff
                for e in doc["outbox"]
            ):
                total += await self.flush(doc["_id"])
        return total

    async def run(self) -> None:
        """Relay forever (until cancelled), surviving store and broker outages.

        A pass runs every `interval` while there is something to relay or a pass fails. On a
        store where the relay's query reads the whole collection (FerretDB v1, one replica
        per service), a pass that found nothing is followed by a longer wait: there, only a
        flush of this process can leave entries behind (a crashed one is relayed by the
        first pass after the restart), and a failed flush wakes the relay at once.
        """
        while True:
            wait = self._interval
            self._left_behind.clear()
            try:
                relayed = await self.relay_pending()
                if relayed:
                    log.info("outbox relayed %d pending message(s)", relayed)
                elif await scans_unless_id_filter(self._collection.database):
                    wait = self._idle_interval
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox relay pass failed: %s: %s", type(exc).__name__, exc)
            await self._sleep(wait)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._left_behind.wait(), seconds)
        except TimeoutError:
            return
        await asyncio.sleep(self._grace.total_seconds())  # entries younger are skipped
