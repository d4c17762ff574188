"""The performance facts on MongoDB / FerretDB (layout in `shared/store/stats.py`).

Writes go in this order: the agencies' open lists, the day bucket, then the complaint's own
`case_stats` document. The last one is what `StatsRecorder.record` compares a redelivered
event against, so a crash part-way leaves the copies ahead, never behind, and the redelivery
completes the job. Day buckets and open lists are shared by many complaints: each is
updated under its own lock (FerretDB v1 does not apply updates atomically).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from shared.locks import KeyedLock
from shared.mongo import Database
from shared.store.stats import (
    CASE_STATS,
    CASE_STATS_DAYS,
    CASE_STATS_OPEN,
    CaseFacts,
    day_key,
)

__all__ = ["MongoFactsStore"]


def _open_at(facts: CaseFacts | None) -> str | None:
    """The agency whose open list holds the complaint, if any."""
    if facts is None or facts.received_at is None or not facts.open:
        return None
    return facts.opd


class MongoFactsStore:
    """`case_stats`, `case_stats_days` and `case_stats_open`; this service writes them."""

    def __init__(self, db: Database, *, tz: ZoneInfo, locks: KeyedLock | None = None) -> None:
        self._facts = db[CASE_STATS]
        self._days = db[CASE_STATS_DAYS]
        self._open = db[CASE_STATS_OPEN]
        self._tz = tz
        self._locks = locks or KeyedLock()

    async def load_facts(self, tracking_id: str) -> CaseFacts | None:
        """The complaint's facts, or None."""
        doc = await self._facts.find_one({"_id": tracking_id})
        return None if doc is None else CaseFacts.model_validate(doc)

    async def save_facts(self, *, before: CaseFacts | None, after: CaseFacts) -> None:
        """Open lists, day bucket, then the facts themselves."""
        tid = after.tracking_id
        was, now = _open_at(before), _open_at(after)
        if was is not None and was != now:
            async with self._locks.hold(f"open:{was}"):
                await self._open.update_one({"_id": was}, {"$unset": {f"cases.{tid}": ""}})
        if now is not None:
            async with self._locks.hold(f"open:{now}"):
                await self._open.update_one(
                    {"_id": now}, {"$set": {f"cases.{tid}": after.received_at}}, upsert=True
                )
        if after.received_at is not None:
            day = day_key(after.received_at, self._tz)
            async with self._locks.hold(f"day:{day}"):
                await self._days.update_one(
                    {"_id": day}, {"$set": {f"cases.{tid}": after.packed_cell()}}, upsert=True
                )
        await self._facts.replace_one({"_id": tid}, after.to_mongo(), upsert=True)
