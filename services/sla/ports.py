"""What the SLA use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.sla.plan import StagePlan, TimerKind
from shared.contracts.types import Stage
from shared.mongo import Document

__all__ = ["Clock", "ClockStore", "DueTimer", "StageClock"]


class StageClock(BaseModel):
    """One stage of one case."""

    model_config = ConfigDict(extra="ignore")

    started_at: AwareDatetime
    due_at: AwareDatetime
    met_at: AwareDatetime | None = None
    cancelled_at: AwareDatetime | None = None
    breached_at: AwareDatetime | None = None

    @property
    def open(self) -> bool:
        """Neither met nor cancelled."""
        return self.met_at is None and self.cancelled_at is None


class Clock(BaseModel):
    """All stages of one case (`sla_clocks`, `_id` = tracking ID)."""

    model_config = ConfigDict(extra="ignore")

    tracking_id: str = Field(alias="_id")
    opd: str | None = None
    paused_at: AwareDatetime | None = None
    stages: dict[Stage, StageClock] = Field(default_factory=dict)


class DueTimer(BaseModel):
    """A pending timer whose time has come."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(alias="_id")
    tracking_id: str
    stage: Stage
    kind: TimerKind
    fire_at: AwareDatetime
    due_at: AwareDatetime
    opd: str | None = None


class ClockStore(Protocol):
    """Clocks, timers and fired actions. The caller holds the case's lock for clock writes."""

    async def load_clock(self, tracking_id: str) -> Clock | None:
        """The case's clock, or None."""

    async def save_stages(
        self,
        *,
        tracking_id: str,
        stages: Mapping[Stage, StageClock],
        opd: str | None,
        resume: bool = False,
    ) -> None:
        """Write these stages (and the case's agency when given; with `resume`, the end of
        the pause) in one update."""

    async def set_paused(self, *, tracking_id: str, paused_at: datetime | None) -> None:
        """Record (or clear) a pause."""

    async def add_timers(
        self, *, tracking_id: str, opd: str | None, plans: Sequence[StagePlan]
    ) -> None:
        """Schedule stages' timers (idempotent: a timer is identified by what and when)."""

    async def cancel_timers(self, *, tracking_id: str, stages: Sequence[Stage]) -> None:
        """Cancel the pending timers of these stages."""

    async def due_timers(self, *, now: datetime, limit: int) -> list[DueTimer]:
        """Pending timers that should have fired by `now`, earliest first."""

    async def claim_firing(
        self, *, timer_id: str, outbox: Sequence[Document], fired_at: datetime
    ) -> bool:
        """Record that this timer fires, with its events; False if it fired already."""

    async def finish_timer(self, *, timer_id: str, state: str) -> None:
        """Mark a timer done or cancelled."""

    async def count_open_by_stage(self) -> dict[Stage, int]:
        """How many cases wait in each stage now."""

    async def count_open_by_stage_and_opd(self) -> dict[tuple[Stage, str], int]:
        """How many cases wait in each stage, per agency (`none` before disposition)."""
