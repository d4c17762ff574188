"""What the SLA use cases need from the outside world."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from shared.contracts.types import Stage

__all__ = ["ClockStore"]


class ClockStore(Protocol):
    """Stage deadlines per complaint (restart-safe: they live in the store)."""

    async def start_stage(
        self,
        *,
        tracking_id: str,
        stage: Stage,
        started_at: datetime,
        due_at: datetime,
        opd: str | None,
    ) -> None:
        """Record (idempotently) that a stage started and when it falls due."""

    async def complete_stage(self, *, tracking_id: str, stage: Stage, at: datetime) -> None:
        """Record (idempotently) that a stage was met."""

    async def count_open_by_stage(self) -> dict[Stage, int]:
        """How many cases wait in each stage now."""
