"""`python -m services.sla.deadline`: print when a stage started at `--start` falls due."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from services.sla.workcalendar import (
    MAX_DAYS,
    CalendarSettings,
    WorkingDayCalendar,
    describe_error,
)

__all__ = ["build_parser", "main"]

_EPILOG = """\
environment (flags take precedence):
  LAPOR_TIMEZONE                  local time zone (default Asia/Jakarta)
  LAPOR_WORKDAY_START             start of the working day (default 08:00)
  LAPOR_WORKDAY_END               end of the working day, the deadline hour (default 16:00)
  LAPOR_CALENDAR_OVERRIDES_FILE   decree overrides YAML (default: the one shipped with Lapor)

The start day never counts, whatever the hour; the deadline is the end of the Nth
working day after it (Monday to Friday, without national holidays and cuti bersama).
"""


class _OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but an error is a single `PROG: error: MESSAGE` line on stderr (exit 2)."""

    def error(self, message: str) -> NoReturn:
        """Print one line and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The command line of the deadline calculator."""
    parser = _OneLineErrorParser(
        prog="python -m services.sla.deadline",
        description="Print the due instant (ISO 8601 with offset) of an SLA stage.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--start",
        required=True,
        type=_iso_datetime,
        help="when the stage started, ISO 8601 (e.g. 2026-03-09T10:00:00+07:00); "
        "without an offset it is read in the calendar's local time zone",
    )
    parser.add_argument(
        "--working-days",
        required=True,
        type=_working_days,
        metavar="N",
        help=f"working days allowed, 1 to {MAX_DAYS}",
    )
    parser.add_argument("--timezone", help="IANA time zone, e.g. Asia/Makassar (WITA)")
    parser.add_argument("--overrides", type=Path, metavar="FILE", help="decree overrides YAML")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, print the due instant."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        calendar = WorkingDayCalendar.from_settings(_settings(args))
        start = args.start if args.start.tzinfo else args.start.replace(tzinfo=calendar.tz)
        due = calendar.due(start, args.working_days)
    except (ValueError, OSError) as exc:
        parser.error(describe_error(exc))
    print(due.isoformat())
    return 0


def _settings(args: argparse.Namespace) -> CalendarSettings:
    flags: dict[str, Any] = {"timezone": args.timezone, "calendar_overrides_file": args.overrides}
    return CalendarSettings(**{key: value for key, value in flags.items() if value is not None})


def _iso_datetime(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date-time: {text!r}") from None


def _working_days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_DAYS}, got {days}")
    return days


if __name__ == "__main__":
    sys.exit(main())
