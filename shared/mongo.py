"""The MongoDB-compatible store through PyMongo's native async API.

Code here stays inside what both MongoDB >= 7 and FerretDB v1 support: no multi-document
transactions, no change streams, no `$lookup`/`$facet`, no partial or TTL indexes. State
that must change together lives in one document.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import (
    AutoReconnect,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)

__all__ = [
    "CASES",
    "COMPLAINTS",
    "FOLLOWUPS",
    "INBOUND",
    "NOTIFICATIONS",
    "RATINGS",
    "ROUTING_LABELS",
    "SLA_CLOCKS",
    "SLA_FIRED",
    "SLA_TIMERS",
    "Collection",
    "Database",
    "Document",
    "MongoClient",
    "create_client",
    "ensure_indexes",
    "get_database",
    "ping",
]

Document = dict[str, Any]
MongoClient = AsyncMongoClient[Document]
Database = AsyncDatabase[Document]
Collection = AsyncCollection[Document]

log = logging.getLogger(__name__)

COMPLAINTS = "complaints"
CASES = "cases"
FOLLOWUPS = "followups"
RATINGS = "ratings"
INBOUND = "inbound"
NOTIFICATIONS = "notifications"
SLA_CLOCKS = "sla_clocks"
SLA_TIMERS = "sla_timers"
SLA_FIRED = "sla_fired"
ROUTING_LABELS = "routing_labels"

_INDEXES: dict[str, list[IndexModel]] = {
    COMPLAINTS: [
        IndexModel([("received_at", ASCENDING)], name="received_at"),
        IndexModel([("outbox.publisher", ASCENDING)], name="outbox_publisher"),
        IndexModel([("source_key", ASCENDING)], name="source_key_unique", unique=True),
        IndexModel([("reporter.phone", ASCENDING)], name="reporter_phone"),
        IndexModel([("reporter.email", ASCENDING)], name="reporter_email"),
    ],
    FOLLOWUPS: [
        IndexModel([("tracking_id", ASCENDING)], name="tracking_id"),
        IndexModel([("outbox.publisher", ASCENDING)], name="outbox_publisher"),
    ],
    RATINGS: [IndexModel([("outbox.publisher", ASCENDING)], name="outbox_publisher")],
    INBOUND: [
        IndexModel([("outcome", ASCENDING), ("received_at", ASCENDING)], name="outcome"),
        IndexModel([("outbox.publisher", ASCENDING)], name="outbox_publisher"),
    ],
    CASES: [
        IndexModel([("status", ASCENDING), ("received_at", ASCENDING)], name="status_received"),
        IndexModel([("opd", ASCENDING), ("status", ASCENDING)], name="opd_status"),
        IndexModel([("outbox.publisher", ASCENDING)], name="outbox_publisher"),
    ],
    NOTIFICATIONS: [
        IndexModel([("key", ASCENDING)], name="key_unique", unique=True),
        IndexModel([("tracking_id", ASCENDING)], name="tracking_id"),
    ],
    SLA_TIMERS: [
        IndexModel([("state", ASCENDING), ("fire_at", ASCENDING)], name="state_fire_at"),
        IndexModel([("tracking_id", ASCENDING), ("state", ASCENDING)], name="tracking_state"),
    ],
    SLA_FIRED: [
        IndexModel([("outbox.publisher", ASCENDING)], name="outbox_publisher"),
    ],
}


def create_client(url: str, *, app_name: str) -> MongoClient:
    """A client that fails fast (5 s) when the store is unreachable; no I/O until first use."""
    return AsyncMongoClient(
        url,
        tz_aware=True,
        appname=app_name,
        serverSelectionTimeoutMS=5000,
        connectTimeoutMS=5000,
    )


def get_database(client: MongoClient) -> Database:
    """The database named in the URL, `lapor` when it names none."""
    return client.get_default_database(default="lapor")


async def ensure_indexes(db: Database, *, attempts: int = 30) -> None:
    """Create the indexes every service relies on (idempotent).

    Retries with backoff: the store may still be starting, and FerretDB v1 drops the
    connection when several services create the same new database at the same moment.
    """
    for attempt in range(1, attempts + 1):
        try:
            for collection, indexes in _INDEXES.items():
                for index in indexes:
                    # One per command: FerretDB v1.24 drops the connection when a
                    # multi-index createIndexes names an index that already exists.
                    await db[collection].create_indexes([index])
            return
        except (AutoReconnect, ServerSelectionTimeoutError, OperationFailure) as exc:
            if attempt == attempts:
                raise
            delay = min(5.0, 0.2 * 2**attempt) * (0.5 + random.random())
            log.warning(
                "creating indexes failed (%s), retrying in %.1f s", type(exc).__name__, delay
            )
            await asyncio.sleep(delay)


async def ping(db: Database) -> bool:
    """True when the store answers."""
    try:
        await db.command("ping")
    except PyMongoError as exc:
        log.warning("store ping failed: %s", type(exc).__name__)
        return False
    return True
