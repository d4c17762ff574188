"""When a stage falls due: Indonesian working days in the deployment's local time.

Working days are Monday to Friday except national holidays and cuti bersama (the `holidays`
package, categories "public" and "government"), adjusted by a list of decree overrides.
Counting never includes the local calendar day of the start instant; a deadline is the end of
the working day (16:00 local by default) on the last day counted.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "DEFAULT_OVERRIDES_RESOURCE",
    "HOLIDAY_CATEGORIES",
    "MAX_DAYS",
    "Calendar",
    "CalendarOverrides",
    "CalendarSettings",
    "DayOffOverride",
    "WorkingDayCalendar",
    "describe_error",
    "load_overrides",
    "national_days_off",
]

DEFAULT_OVERRIDES_RESOURCE = "data/calendar-overrides.yaml"  # inside the services.sla package
HOLIDAY_CATEGORIES = ("public", "government")  # "government" holds cuti bersama
MAX_DAYS = 1000  # SLA allowances are weeks; a larger count is a mistake, not a deadline
_ONE_DAY = timedelta(days=1)


class Calendar(Protocol):
    """Counts days from a start instant."""

    def due(self, start: datetime, days: int) -> datetime:
        """The instant a stage started at `start` with `days` allowed falls due."""


class DayOffOverride(BaseModel):
    """One date moved by a government decree, and the decree that moved it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: date
    note: str = Field(min_length=1)


class CalendarOverrides(BaseModel):
    """Decrees that add days off, or cancel listed holidays (they become working days)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    extra_days_off: tuple[DayOffOverride, ...] = ()
    cancelled_days_off: tuple[DayOffOverride, ...] = ()

    @model_validator(mode="after")
    def _no_date_both_added_and_cancelled(self) -> CalendarOverrides:
        clash = self.added() & self.cancelled()
        if clash:
            listed = ", ".join(day.isoformat() for day in sorted(clash))
            raise ValueError(f"dates both in extra_days_off and cancelled_days_off: {listed}")
        return self

    def added(self) -> frozenset[date]:
        """Dates a decree made days off."""
        return frozenset(entry.date for entry in self.extra_days_off)

    def cancelled(self) -> frozenset[date]:
        """Listed holidays a decree turned back into working days."""
        return frozenset(entry.date for entry in self.cancelled_days_off)


class CalendarSettings(BaseSettings):
    """One deployment's working-day calendar (`LAPOR_` prefix)."""

    model_config = SettingsConfigDict(
        env_prefix="LAPOR_", extra="ignore", frozen=True, env_ignore_empty=True
    )

    timezone: str = "Asia/Jakarta"
    workday_start: time = time(8, 0)
    workday_end: time = time(16, 0)
    calendar_overrides_file: Path | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        _zone(value)
        return value

    @field_validator("workday_start", "workday_end")
    @classmethod
    def _wall_clock(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("a wall-clock time without offset, e.g. 16:00")
        return value

    @model_validator(mode="after")
    def _start_before_end(self) -> CalendarSettings:
        _check_hours(self.workday_start, self.workday_end)
        return self


@functools.cache
def national_days_off(year: int) -> frozenset[date]:
    """National holidays and cuti bersama of `year`, as the `holidays` package lists them."""
    table = holidays.country_holidays("ID", categories=HOLIDAY_CATEGORIES, years=year)
    return frozenset(day for day in table if day.year == year)


def load_overrides(path: Path | None = None) -> CalendarOverrides:
    """Decree overrides from `path`, or the default list shipped in `services.sla`."""
    if path is None:
        source = f"services.sla/{DEFAULT_OVERRIDES_RESOURCE}"
        text = resources.files("services.sla").joinpath(DEFAULT_OVERRIDES_RESOURCE).read_text()
    else:
        source, text = str(path), path.read_text(encoding="utf-8")
    try:
        return CalendarOverrides.model_validate(yaml.safe_load(text) or {})
    except (yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"invalid calendar overrides in {source}: {describe_error(exc)}") from exc


def describe_error(exc: Exception) -> str:
    """A one-line description of a validation, YAML or OS error (for CLIs and logs)."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(part) for part in err['loc']) or 'value'}: {err['msg']}"
            for err in exc.errors()
        )
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return " ".join(str(exc).split())


class WorkingDayCalendar:
    """Monday to Friday minus national holidays and cuti bersama, in one local time zone."""

    def __init__(
        self,
        *,
        timezone: str | ZoneInfo = "Asia/Jakarta",
        workday_start: time = time(8, 0),
        workday_end: time = time(16, 0),
        overrides: CalendarOverrides | None = None,
    ) -> None:
        """`overrides=None` reads the default decree list shipped with the package."""
        _check_hours(workday_start, workday_end)
        self.tz = timezone if isinstance(timezone, ZoneInfo) else _zone(timezone)
        self.workday_start = workday_start
        self.workday_end = workday_end
        self.overrides = load_overrides() if overrides is None else overrides
        self._days_off: dict[int, frozenset[date]] = {}

    @classmethod
    def from_settings(cls, settings: CalendarSettings | None = None) -> WorkingDayCalendar:
        """The deployment's calendar (reads its overrides file, or the default one)."""
        settings = settings or CalendarSettings()
        return cls(
            timezone=settings.timezone,
            workday_start=settings.workday_start,
            workday_end=settings.workday_end,
            overrides=load_overrides(settings.calendar_overrides_file),
        )

    def days_off(self, year: int) -> frozenset[date]:
        """Holidays and cuti bersama of `year` after decree overrides (weekends aside)."""
        cached = self._days_off.get(year)
        if cached is None:
            cached = (national_days_off(year) | self.overrides.added()) - self.overrides.cancelled()
            self._days_off[year] = cached
        return cached

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday and not a day off."""
        return day.weekday() < 5 and day not in self.days_off(day.year)

    def due(self, start: datetime, days: int) -> datetime:
        """End of the `days`-th working day after the local day of `start` (which never counts)."""
        _check_count(days, "working days")
        day = self._local_day(start)
        for _ in range(days):
            day = self._next_working_day(day)
        return self._end_of(day)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days wholly elapsed from `start` to `end`, counted as `due` counts them.

        The end day counts only once `end` reaches the end of its working day, so
        `working_days_between(s, e) >= n` exactly when `e >= due(s, n)`; 0 if `end` is earlier.
        """
        local_end = self._local(end)
        last = local_end.date()
        if local_end.time() < self.workday_end:
            last -= _ONE_DAY
        first = self._local_day(start) + _ONE_DAY
        return sum(1 for day in _days(first, last) if self.is_working_day(day))

    def working_time_between(self, start: datetime, end: datetime) -> float:
        """Working time from `start` to `end` in working days (working hours / day length).

        Only the hours between the start and end of each working day count; 0.0 if `end` is
        not after `start`. A follow-up at 10.00 on a disposition at 08.00 the same working
        day took 0.25 days (of an 8-hour day).
        """
        begin, finish = self._local(start), self._local(end)
        if finish <= begin:
            return 0.0
        length = self._seconds(self.workday_end) - self._seconds(self.workday_start)
        total = 0.0
        for day in _days(begin.date(), finish.date()):
            if not self.is_working_day(day):
                continue
            opens = datetime.combine(day, self.workday_start, tzinfo=self.tz)
            closes = self._end_of(day)
            overlap = (min(finish, closes) - max(begin, opens)).total_seconds()
            total += max(0.0, overlap)
        return total / length

    @staticmethod
    def _seconds(at: time) -> int:
        return at.hour * 3600 + at.minute * 60 + at.second

    def add_calendar_days(self, start: datetime, days: int) -> datetime:
        """End of the working day (local clock) `days` calendar days after the local day of `start`.

        Weekends and holidays count and the result is not moved off them: for allowances
        that regulations give in calendar days (e.g. 60 days), not working days.
        """
        _check_count(days, "calendar days")
        return self._end_of(self._local_day(start) + timedelta(days=days))

    def within_working_hours(self, at: datetime) -> bool:
        """`at` falls on a working day, from start (inclusive) to end (exclusive) of the day."""
        local = self._local(at)
        hours = self.workday_start <= local.time() < self.workday_end
        return hours and self.is_working_day(local.date())

    def next_working_morning(self, at: datetime) -> datetime:
        """`at` itself (local zone) if within working hours, else the next working day's start."""
        local = self._local(at)
        if self.within_working_hours(local):
            return local
        day = local.date()
        if not (self.is_working_day(day) and local.time() < self.workday_start):
            day = self._next_working_day(day)
        return datetime.combine(day, self.workday_start, tzinfo=self.tz)

    def _next_working_day(self, day: date) -> date:
        day += _ONE_DAY
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def _end_of(self, day: date) -> datetime:
        return datetime.combine(day, self.workday_end, tzinfo=self.tz)

    def _local_day(self, at: datetime) -> date:
        return self._local(at).date()

    def _local(self, at: datetime) -> datetime:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"{at.isoformat()} has no UTC offset; pass an aware datetime")
        return at.astimezone(self.tz)


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += _ONE_DAY


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _check_hours(start: time, end: time) -> None:
    if not start < end:
        raise ValueError(f"working day must start before it ends ({start} >= {end})")


def _check_count(days: int, unit: str) -> None:
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"{unit} must be between 1 and {MAX_DAYS}, got {days}")
