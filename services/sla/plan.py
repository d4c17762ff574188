"""When each stage falls due and when its timers fire: pure functions over the calendar.

A stage with a deadline gets three timers:
- `remind`: the morning of the working day `lead` working days before the due day counts
  as one (lead 1: the deadline day's morning), to whoever owns the stage;
- `breach`: the due instant itself (recorded and counted at once);
- `escalate`: the next working morning after the due instant, to the Admin Koordinator and
  the OPD head. Staff are only ever messaged inside working hours.
The auto-close stage has one timer, `auto_close`, at its due instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.sla.workcalendar import WorkingDayCalendar
from shared.contracts.types import Stage

__all__ = ["StagePlan", "Timer", "TimerKind", "plan_stage", "remaining_working_days"]


class TimerKind(StrEnum):
    """What a timer does when it fires."""

    REMIND = "remind"
    BREACH = "breach"
    ESCALATE = "escalate"
    AUTO_CLOSE = "auto_close"


@dataclass(frozen=True)
class Timer:
    """One future action of a stage."""

    kind: TimerKind
    fire_at: datetime


@dataclass(frozen=True)
class StagePlan:
    """A stage's deadline and its timers."""

    stage: Stage
    started_at: datetime
    due_at: datetime
    timers: tuple[Timer, ...]


def _reminder_at(
    calendar: WorkingDayCalendar, *, started_at: datetime, due_at: datetime, lead: int
) -> datetime | None:
    day = due_at.astimezone(calendar.tz).date()
    steps = lead - 1
    while steps > 0:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            steps -= 1
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    at = datetime.combine(day, calendar.workday_start, tzinfo=calendar.tz)
    return at if started_at < at < due_at else None


def plan_stage(
    calendar: WorkingDayCalendar,
    *,
    stage: Stage,
    started_at: datetime,
    due_at: datetime,
    reminder_lead: int,
) -> StagePlan:
    """The timers of a stage that started at `started_at` and falls due at `due_at`."""
    if stage is Stage.AUTO_CLOSE:
        timers: tuple[Timer, ...] = (Timer(TimerKind.AUTO_CLOSE, due_at),)
    else:
        remind = _reminder_at(calendar, started_at=started_at, due_at=due_at, lead=reminder_lead)
        timers = (
            *((Timer(TimerKind.REMIND, remind),) if remind else ()),
            Timer(TimerKind.BREACH, due_at),
            Timer(TimerKind.ESCALATE, calendar.next_working_morning(due_at)),
        )
    return StagePlan(stage=stage, started_at=started_at, due_at=due_at, timers=timers)


def remaining_working_days(
    calendar: WorkingDayCalendar, *, paused_at: datetime, due_at: datetime
) -> int:
    """Whole working days a paused stage still had (at least one)."""
    if due_at <= paused_at:
        return 1
    return max(1, calendar.working_days_between(paused_at, due_at))
