"""When a stage falls due. For now plain calendar days; the working-day calendar replaces it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

__all__ = ["Calendar", "PlainDaysCalendar"]


class Calendar(Protocol):
    """Counts days from a start instant."""

    def due(self, start: datetime, days: int) -> datetime:
        """The instant a stage started at `start` with `days` allowed falls due."""


class PlainDaysCalendar:
    """`days` × 24 hours after the start."""

    def due(self, start: datetime, days: int) -> datetime:
        """Start plus whole days."""
        return start + timedelta(days=days)
