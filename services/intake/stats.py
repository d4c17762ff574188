"""Public performance figures (transparency): the period asked for, checked, then read.

The figures themselves are computed in `shared/store/stats.py` from what the SLA service
records. This use case fixes the period (default: this month so far, in the deployment's
time zone), refuses impossible ones with a message in Bahasa Indonesia, and keeps each
answer for a minute so a busy public page does not become a load on the store.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from shared.store.stats import MAX_PERIOD_DAYS, PeriodStats

__all__ = ["EARLIEST", "PeriodError", "StatsService"]

EARLIEST = date(2000, 1, 1)
_CACHE_ENTRIES = 64

Reader = Callable[[date, date, datetime], Awaitable[PeriodStats]]


class PeriodError(ValueError):
    """The period asked for cannot be answered; `field` is `from` or `to`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class StatsService:
    """Figures for a period of receipt, cached briefly."""

    read: Reader
    tz: ZoneInfo
    ttl_seconds: float = 60.0
    clock: Callable[[], datetime] = _utcnow
    _cache: OrderedDict[tuple[date, date], tuple[float, PeriodStats]] = field(
        default_factory=OrderedDict
    )

    def period(self, start: date | None, end: date | None) -> tuple[date, date]:
        """The period to show: defaults, then the checks."""
        today = self.clock().astimezone(self.tz).date()
        end = end or today
        start = start or end.replace(day=1)
        if start < EARLIEST:
            raise PeriodError("from", f"Tanggal awal paling cepat {EARLIEST.isoformat()}")
        if end > today:
            raise PeriodError("to", "Tanggal akhir tidak boleh melewati hari ini")
        if end < start:
            raise PeriodError("to", "Tanggal akhir tidak boleh sebelum tanggal awal")
        if (end - start).days + 1 > MAX_PERIOD_DAYS:
            raise PeriodError("to", f"Periode paling panjang {MAX_PERIOD_DAYS} hari")
        return start, end

    async def figures(self, start: date | None, end: date | None) -> PeriodStats:
        """The figures for the period (raises PeriodError for an impossible one)."""
        start, end = self.period(start, end)
        key = (start, end)
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            self._cache.move_to_end(key)
            return hit[1]
        stats = await self.read(start, end, self.clock())
        self._cache[key] = (now + self.ttl_seconds, stats)
        self._cache.move_to_end(key)
        while len(self._cache) > _CACHE_ENTRIES:
            self._cache.popitem(last=False)
        return stats
