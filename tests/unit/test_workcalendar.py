"""The working-day calendar, against the real 2025–2027 Indonesian holidays and cuti bersama."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest

from services.sla.workcalendar import (
    Calendar,
    CalendarOverrides,
    CalendarSettings,
    DayOffOverride,
    WorkingDayCalendar,
    load_overrides,
)

REPO = Path(__file__).parents[2]
WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")


def wib(text: str) -> datetime:
    """A wall-clock time in Jakarta."""
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def calendar(
    *,
    timezone: str | ZoneInfo = WIB,
    workday_end: time = time(16, 0),
    overrides: CalendarOverrides | None = None,
) -> WorkingDayCalendar:
    """The default calendar, without decree overrides unless given."""
    return WorkingDayCalendar(
        timezone=timezone, workday_end=workday_end, overrides=overrides or CalendarOverrides()
    )


def decree(*, added: tuple[str, ...] = (), cancelled: tuple[str, ...] = ()) -> CalendarOverrides:
    """Overrides as a deployment's YAML would give them."""
    return CalendarOverrides.model_validate(
        {
            "extra_days_off": [{"date": d, "note": "Keppres uji"} for d in added],
            "cancelled_days_off": [{"date": d, "note": "SKB uji"} for d in cancelled],
        }
    )


# --- the real 2026 calendar -------------------------------------------------------------


def test_2026_has_17_holidays_and_8_cuti_bersama_as_days_off() -> None:
    days_off = calendar().days_off(2026)
    assert len(days_off) == 25
    cuti_bersama = {
        date(2026, 2, 16),
        date(2026, 3, 18),
        date(2026, 3, 20),
        date(2026, 3, 23),
        date(2026, 3, 24),
        date(2026, 5, 15),
        date(2026, 5, 28),
        date(2026, 12, 24),
    }
    assert cuti_bersama <= days_off


def test_nyepi_and_idul_fitri_cluster_are_not_working_days() -> None:
    cal = calendar()
    march = {date(2026, 3, day): cal.is_working_day(date(2026, 3, day)) for day in range(16, 27)}
    assert [day.day for day, working in march.items() if working] == [16, 17, 25, 26]


# --- the counting rule ------------------------------------------------------------------


def test_interfaces_example() -> None:
    assert calendar().due(wib("2026-03-09T10:00"), 3).isoformat() == "2026-03-12T16:00:00+07:00"


def test_start_day_never_counts_even_before_office_hours() -> None:
    assert calendar().due(wib("2026-03-09T00:01"), 1) == wib("2026-03-10T16:00")


def test_friday_evening_receipt_counts_from_monday() -> None:
    assert calendar().due(wib("2026-03-06T19:30"), 1) == wib("2026-03-09T16:00")


def test_saturday_receipt_counts_from_monday() -> None:
    assert calendar().due(wib("2026-03-07T09:00"), 3) == wib("2026-03-11T16:00")


def test_receipt_on_a_holiday_counts_from_the_next_working_day() -> None:
    assert calendar().due(wib("2026-08-17T10:00"), 1) == wib("2026-08-18T16:00")
    assert calendar().due(wib("2026-05-01T10:00"), 2) == wib("2026-05-05T16:00")


def test_idul_fitri_and_nyepi_cuti_bersama_stretch_the_deadline() -> None:
    # 18 Mar cuti Nyepi, 19 Nyepi, 20 cuti, 21-22 Idul Fitri (weekend), 23-24 cuti
    assert calendar().due(wib("2026-03-16T10:00"), 3) == wib("2026-03-26T16:00")
    assert calendar().due(wib("2026-03-19T10:00"), 1) == wib("2026-03-25T16:00")


def test_christmas_and_new_year_roll_into_2027() -> None:
    cal = calendar()
    # 24 Dec cuti bersama, 25 Christmas, 1 Jan New Year, 5 Jan 2027 Isra Mi'raj
    assert cal.due(wib("2026-12-23T10:00"), 3) == wib("2026-12-30T16:00")
    assert cal.due(wib("2026-12-23T10:00"), 5) == wib("2027-01-04T16:00")
    assert cal.due(wib("2026-12-30T10:00"), 10) == wib("2027-01-15T16:00")


def test_start_in_another_zone_is_read_on_the_local_calendar() -> None:
    utc_start = datetime(2026, 3, 9, 3, 0, tzinfo=ZoneInfo("UTC"))  # 10:00 WIB
    assert calendar().due(utc_start, 3).isoformat() == "2026-03-12T16:00:00+07:00"


def test_configured_end_of_working_day() -> None:
    cal = calendar(workday_end=time(15, 30))
    assert cal.due(wib("2026-03-09T10:00"), 3).isoformat() == "2026-03-12T15:30:00+07:00"


@pytest.mark.parametrize("days", [0, -1, 1001])
def test_working_days_out_of_range_is_refused(days: int) -> None:
    with pytest.raises(ValueError, match="working days must be between 1 and"):
        calendar().due(wib("2026-03-09T10:00"), days)


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        calendar().due(datetime(2026, 3, 9, 10, 0), 3)


def test_working_day_calendar_is_a_calendar() -> None:
    cal: Calendar = calendar()
    assert cal.due(wib("2026-03-09T10:00"), 1) == wib("2026-03-10T16:00")


# --- time zones -------------------------------------------------------------------------


def test_wita_deadline_carries_the_wita_offset() -> None:
    start = datetime(2026, 3, 9, 10, 0, tzinfo=WITA)
    due = calendar(timezone="Asia/Makassar").due(start, 3)
    assert due.isoformat() == "2026-03-12T16:00:00+08:00"


def test_late_evening_in_jakarta_is_already_tomorrow_in_jayapura() -> None:
    start = datetime.fromisoformat("2026-03-09T23:30:00+07:00")  # Tue 01:30 WIT
    assert calendar().due(start, 1).isoformat() == "2026-03-10T16:00:00+07:00"
    assert calendar(timezone=WIT).due(start, 1).isoformat() == "2026-03-11T16:00:00+09:00"


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        calendar(timezone="Asia/Atlantis")


# --- decree overrides -------------------------------------------------------------------


def test_extra_day_off_shifts_the_deadline() -> None:
    cal = calendar(overrides=decree(added=("2026-03-10",)))
    assert not cal.is_working_day(date(2026, 3, 10))
    assert cal.due(wib("2026-03-09T10:00"), 3) == wib("2026-03-13T16:00")


def test_cancelled_cuti_bersama_counts_as_a_working_day() -> None:
    cal = calendar(overrides=decree(cancelled=("2026-03-24",)))
    assert cal.is_working_day(date(2026, 3, 24))
    assert cal.due(wib("2026-03-17T10:00"), 1) == wib("2026-03-24T16:00")


def test_cancelling_a_weekend_day_does_not_make_it_a_working_day() -> None:
    assert not calendar(overrides=decree(cancelled=("2026-03-21",))).is_working_day(
        date(2026, 3, 21)
    )


def test_overrides_load_from_a_deployment_file(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text(
        "extra_days_off:\n  - date: 2026-03-10\n    note: Keppres pilkada\n"
        "cancelled_days_off:\n  - date: 2026-12-24\n    note: SKB batal\n",
        encoding="utf-8",
    )
    cal = WorkingDayCalendar.from_settings(CalendarSettings(calendar_overrides_file=path))
    assert cal.overrides.added() == {date(2026, 3, 10)}
    assert cal.is_working_day(date(2026, 12, 24))


def test_default_overrides_file_ships_with_the_package() -> None:
    assert load_overrides() == CalendarOverrides()
    assert WorkingDayCalendar().overrides == CalendarOverrides()


@pytest.mark.parametrize(
    "text",
    [
        "extra_days_off:\n  - date: 2026-03-10\n",  # no note
        "extra_days_off:\n  - date: 31-12-2026\n    note: x\n",
        "extra_day_off: []\n",  # misspelt key
        "extra_days_off: [\n",  # broken YAML
        "extra_days_off:\n  - {date: 2026-03-10, note: a}\n"
        "cancelled_days_off:\n  - {date: 2026-03-10, note: b}\n",
    ],
)
def test_invalid_overrides_file_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="invalid calendar overrides"):
        load_overrides(path)


def test_day_off_override_keeps_its_note() -> None:
    entry = DayOffOverride(date=date(2026, 3, 10), note="Keppres pilkada")
    assert entry.note == "Keppres pilkada"


# --- settings ---------------------------------------------------------------------------


def test_settings_from_lapor_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "o.yaml"
    path.write_text("extra_days_off: []\n", encoding="utf-8")
    monkeypatch.setenv("LAPOR_TIMEZONE", "Asia/Jayapura")
    monkeypatch.setenv("LAPOR_WORKDAY_START", "07:30")
    monkeypatch.setenv("LAPOR_WORKDAY_END", "15:00")
    monkeypatch.setenv("LAPOR_CALENDAR_OVERRIDES_FILE", str(path))
    cal = WorkingDayCalendar.from_settings()
    assert (cal.tz, cal.workday_start, cal.workday_end) == (WIT, time(7, 30), time(15, 0))
    assert cal.due(datetime(2026, 3, 9, 10, tzinfo=WIT), 1).isoformat() == (
        "2026-03-10T15:00:00+09:00"
    )


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("LAPOR_TIMEZONE", "Mars/Olympus"),
        ("LAPOR_WORKDAY_END", "07:00"),  # before the default start
        ("LAPOR_WORKDAY_START", "pagi"),
    ],
)
def test_invalid_calendar_settings_fail(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ValueError):
        CalendarSettings()


# --- reports and working hours ----------------------------------------------------------


def test_working_days_between_matches_due() -> None:
    cal = calendar()
    start = wib("2026-03-16T10:00")
    assert cal.working_days_between(start, wib("2026-03-26T16:00")) == 3
    assert cal.working_days_between(start, wib("2026-03-26T15:59")) == 2
    assert cal.working_days_between(start, wib("2026-03-24T23:00")) == 1
    assert cal.working_days_between(start, wib("2026-03-16T23:00")) == 0
    assert cal.working_days_between(start, wib("2026-03-01T10:00")) == 0


def test_working_days_between_is_the_inverse_of_due() -> None:
    cal = calendar()
    start = wib("2026-12-21T09:00")
    for days in range(1, 15):
        due = cal.due(start, days)
        assert cal.working_days_between(start, due) == days
        assert cal.working_days_between(start, due - timedelta(seconds=1)) == days - 1


def test_add_calendar_days_counts_weekends_and_holidays() -> None:
    cal = calendar()
    assert cal.add_calendar_days(wib("2026-03-09T10:00"), 60) == wib("2026-05-08T16:00")
    assert cal.add_calendar_days(wib("2026-03-17T23:00"), 2) == wib("2026-03-19T16:00")  # Nyepi
    with pytest.raises(ValueError, match="calendar days"):
        cal.add_calendar_days(wib("2026-03-09T10:00"), 0)


@pytest.mark.parametrize(
    ("at", "inside"),
    [
        ("2026-03-09T08:00", True),
        ("2026-03-09T15:59", True),
        ("2026-03-09T07:59", False),
        ("2026-03-09T16:00", False),
        ("2026-03-07T10:00", False),  # Saturday
        ("2026-03-19T10:00", False),  # Nyepi
    ],
)
def test_within_working_hours(at: str, inside: bool) -> None:
    assert calendar().within_working_hours(wib(at)) is inside


@pytest.mark.parametrize(
    ("at", "morning"),
    [
        ("2026-03-09T10:00", "2026-03-09T10:00"),  # already within working hours
        ("2026-03-09T06:00", "2026-03-09T08:00"),  # before opening, same day
        ("2026-03-06T17:00", "2026-03-09T08:00"),  # Friday evening: across the weekend
        ("2026-03-07T12:00", "2026-03-09T08:00"),  # Saturday
        ("2026-03-17T16:00", "2026-03-25T08:00"),  # across Nyepi and Idul Fitri
        ("2026-12-31T16:30", "2027-01-04T08:00"),  # across New Year
    ],
)
def test_next_working_morning(at: str, morning: str) -> None:
    result = calendar().next_working_morning(wib(at))
    assert result == wib(morning)
    assert result.tzinfo == WIB


def test_next_working_morning_in_wit() -> None:
    at = datetime.fromisoformat("2026-03-06T15:00:00+07:00")  # Fri 17:00 WIT
    assert calendar(timezone=WIT).next_working_morning(at).isoformat() == (
        "2026-03-09T08:00:00+09:00"
    )


# --- every start day in 2025–2027 -------------------------------------------------------


def _reference_days_off() -> set[date]:
    table = holidays.country_holidays(
        "ID", categories=("public", "government"), years=range(2025, 2029)
    )
    return set(table)


def test_sweep_2025_to_2027_invariants() -> None:
    days_off = _reference_days_off()
    cal = calendar()

    def working(day: date) -> bool:
        return day.weekday() < 5 and day not in days_off

    day = date(2025, 1, 1)
    while day <= date(2027, 12, 31):
        start = datetime.combine(day, time(10, 0), tzinfo=WIB)
        for n in (1, 3, 5, 10):
            due = cal.due(start, n)
            assert due.tzinfo == WIB
            assert due.time() == time(16, 0)
            assert working(due.date())
            assert due.date() > day
            span = (due.date() - day).days
            counted = sum(working(day + timedelta(days=i)) for i in range(1, span + 1))
            assert counted == n, (day, n, due)
        day += timedelta(days=1)


# --- the command line -------------------------------------------------------------------


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m services.sla.deadline ARGS` from the repository, without LAPOR_ variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    return subprocess.run(
        [sys.executable, "-m", "services.sla.deadline", *args],
        cwd=REPO,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_interfaces_example() -> None:
    done = run_cli("--start", "2026-03-09T10:00:00+07:00", "--working-days", "3")
    assert (done.returncode, done.stdout, done.stderr) == (0, "2026-03-12T16:00:00+07:00\n", "")


def test_cli_start_without_offset_is_local_time() -> None:
    done = run_cli(
        "--start",
        "2026-03-09T23:30",
        "--working-days",
        "1",
        env={"LAPOR_TIMEZONE": "Asia/Jayapura"},
    )
    assert done.stdout == "2026-03-10T16:00:00+09:00\n"


def test_cli_timezone_flag_and_workday_end_env() -> None:
    done = run_cli(
        "--start",
        "2026-03-09T10:00:00+08:00",
        "--working-days",
        "3",
        "--timezone",
        "Asia/Makassar",
        env={"LAPOR_WORKDAY_END": "17:00"},
    )
    assert done.stdout == "2026-03-12T17:00:00+08:00\n"


def test_cli_overrides_file(tmp_path: Path) -> None:
    path = tmp_path / "o.yaml"
    path.write_text("extra_days_off:\n  - {date: 2026-03-10, note: Keppres}\n", encoding="utf-8")
    done = run_cli(
        "--start", "2026-03-09T10:00:00+07:00", "--working-days", "3", "--overrides", str(path)
    )
    assert done.stdout == "2026-03-13T16:00:00+07:00\n"


@pytest.mark.parametrize(
    "args",
    [
        ("--start", "kemarin", "--working-days", "3"),
        ("--start", "2026-03-09T10:00:00+07:00", "--working-days", "0"),
        ("--start", "2026-03-09T10:00:00+07:00", "--working-days", "tiga"),
        ("--start", "2026-03-09T10:00:00+07:00"),
        ("--start", "2026-03-09T10:00", "--working-days", "3", "--timezone", "Mars/Olympus"),
        ("--start", "2026-03-09T10:00", "--working-days", "3", "--overrides", "/no/such.yaml"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(args: tuple[str, ...]) -> None:
    done = run_cli(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("python -m services.sla.deadline: error: ")
