"""The MongoDB-compatible store through PyMongo's native async API.

Code here stays inside what both MongoDB >= 7 and FerretDB v1 support: no multi-document
transactions, no change streams, no `$lookup`/`$facet`, no partial or TTL indexes. State
that must change together lives in one document.
"""

from __future__ import annotations

import asyncio
import logging
import random
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

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
    "matches",
    "ping",
    "retry_if_busy",
    "scans_unless_id_filter",
    "update_one_where",
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


_SCANS: weakref.WeakKeyDictionary[MongoClient, bool] = weakref.WeakKeyDictionary()


async def scans_unless_id_filter(db: Database) -> bool:
    """Whether the store reads the whole collection for any filter but `{_id: value}`.

    True for FerretDB v1 (SQLite): it pushes only an exact `_id` filter down to its index and
    decodes every document of the collection for anything else (indexes included). Asked
    once per client (`buildInfo` names FerretDB).
    """
    client = db.client
    known = _SCANS.get(client)
    if known is None:
        info = await client.admin.command("buildInfo")
        known = _SCANS[client] = "ferretdbVersion" in info
    return known


def matches(doc: Mapping[str, Any], where: Mapping[str, Any]) -> bool:
    """Whether a document satisfies a simple filter: `{field: value}`, `{field: None}` (null or
    missing) and `{field: {"$in": [...]}}` on top-level fields."""
    for field, condition in where.items():
        value = doc.get(field)
        if isinstance(condition, Mapping):
            if set(condition) != {"$in"}:
                raise ValueError(f"unsupported condition {condition!r}")
            if value not in condition["$in"]:
                return False
        elif value != condition:
            return False
    return True


async def update_one_where(
    collection: Collection, *, doc_id: Any, where: Mapping[str, Any], update: Document
) -> bool:
    """Apply `update` to the document `doc_id` if it satisfies `where`; whether it did.

    On MongoDB this is one conditional update, atomic. FerretDB v1 would scan the whole
    collection for that filter, and its updates are not atomic anyway (it reads, changes and
    writes back the document): there the document is read by `_id`, checked here, and
    updated by `_id`. Either way the caller holds the document's lock (`shared.locks`).
    """
    if where and not await scans_unless_id_filter(collection.database):
        result = await collection.update_one({"_id": doc_id, **where}, update)
        return result.matched_count == 1
    if where:
        doc = await collection.find_one({"_id": doc_id}, dict.fromkeys(where, 1))
        if doc is None or not matches(doc, where):
            return False
    result = await collection.update_one({"_id": doc_id}, update)
    return result.matched_count == 1


T = TypeVar("T")
_BUSY_ATTEMPTS = 6


def _busy(exc: OperationFailure) -> bool:
    """FerretDB v1 (SQLite) refusing a write because another one holds the database."""
    return "SQLITE_BUSY" in str(exc)


async def retry_if_busy(operation: Callable[[], Awaitable[T]]) -> T:
    """Run a store write, again after a moment while FerretDB v1 answers SQLITE_BUSY.

    Under concurrent writes FerretDB's SQLite backend can refuse one at once with "database
    is locked" instead of waiting for the lock; nothing was written. Writes that record an
    effect outside the store (a mail handed over) retry here rather than fail the handler,
    which would redo the effect.
    """
    for attempt in range(1, _BUSY_ATTEMPTS + 1):
        try:
            return await operation()
        except OperationFailure as exc:
            if not _busy(exc) or attempt == _BUSY_ATTEMPTS:
                raise
            await asyncio.sleep(0.02 * 2**attempt * (0.5 + random.random()))
    raise AssertionError("unreachable")
