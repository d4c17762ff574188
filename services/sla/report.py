"""The monthly evaluation report for the Bupati: `python -m services.sla.report --month YYYY-MM`.

Writes one self-contained HTML file (charts embedded as PNG images) with, for the month:
the figures per OPD (as on `/statistik`), a ranking of OPDs by timeliness, trend charts
against the previous months, and the ten oldest complaints each OPD still holds open (a
rahasia one is listed without its tracking ID). Where a converter is on the machine
(Chromium or Chrome headless, wkhtmltopdf, or LibreOffice) a PDF is written beside it.

    python -m services.sla.report --month 2026-03 [--out DIR] [--months 6] [--pdf auto|yes|no]

Exit status: 0 written, 2 bad arguments, 3 store unreachable, 4 PDF asked for and not made.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined
from pymongo.errors import PyMongoError

from services.sla.settings import SlaSettings
from shared.directory import Directory, load_directory
from shared.indonesian import MONTHS, MONTHS_SHORT, format_number, format_share
from shared.mongo import Database, create_client, get_database
from shared.store.stats import OldCase, OpdFigures, PeriodStats, oldest_open, read_period_stats

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["Report", "build_report", "main", "month_range", "rank_by_timeliness", "render_html"]

_STATUS = {
    "belum_terverifikasi": "Belum terverifikasi",
    "didisposisikan": "Didisposisikan",
    "diteruskan": "Diteruskan",
    "ditindaklanjuti": "Ditindaklanjuti",
    "tunda": "Ditunda",
    "selesai": "Selesai",
    "arsip": "Arsip",
}


def month_name(month: date) -> str:
    """ "Maret 2026"."""
    return f"{MONTHS[month.month - 1]} {month.year}"


def month_range(month: date) -> tuple[date, date]:
    """First and last day of the month."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def previous_months(month: date, count: int) -> list[date]:
    """The `count` months up to and including `month`, oldest first."""
    months = [month.replace(day=1)]
    while len(months) < count:
        months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
    return months


def rank_by_timeliness(rows: Sequence[OpdFigures]) -> list[OpdFigures]:
    """OPDs with a decided follow-up: best share on time first, then faster, then fewer breaches."""
    ranked = [r for r in rows if r.code and r.figures.follow_up_decided]
    return sorted(
        ranked,
        key=lambda r: (
            -(r.figures.on_time_share or 0.0),
            r.figures.median_follow_up_days
            if r.figures.median_follow_up_days is not None
            else float("inf"),
            r.figures.breaches,
            r.name,
        ),
    )


@dataclass
class Report:
    """Everything the report shows."""

    month: date
    stats: PeriodStats
    trend: list[tuple[date, PeriodStats]]
    oldest: dict[str, list[OldCase]]
    names: dict[str, str]
    generated_at: datetime
    tz: ZoneInfo


async def build_report(
    db: Database,
    *,
    month: date,
    months: int,
    tz: ZoneInfo,
    directory: Directory,
    now: datetime,
) -> Report:
    """Read the month, the trend months and the oldest open cases."""
    trend: list[tuple[date, PeriodStats]] = []
    for first in previous_months(month, months):
        start, end = month_range(first)
        trend.append(
            (
                first,
                await read_period_stats(
                    db, start=start, end=end, tz=tz, directory=directory, now=now
                ),
            )
        )
    stats = trend[-1][1]
    oldest = {}
    for agency in directory.agencies:
        cases = await oldest_open(db, opd=agency.code, limit=10)
        if cases:
            oldest[agency.code] = cases
    names = {a.code: a.name for a in directory.agencies}
    return Report(
        month=month, stats=stats, trend=trend, oldest=oldest, names=names, generated_at=now, tz=tz
    )


# --- charts ------------------------------------------------------------------------------
def _new_chart(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure with one set of axes, drawn off-screen (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height))


def _month_labels(report: Report) -> list[str]:
    """ "Mar 26" for each month of the trend."""
    return [f"{MONTHS_SHORT[m.month - 1]} {m.year % 100:02d}" for m, _ in report.trend]


def _png(figure: Figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def trend_chart(report: Report) -> str:
    """Received per month (bars) and the share followed up on time (line)."""
    labels = _month_labels(report)
    received = [s.total.received for _, s in report.trend]
    on_time = [
        (s.total.on_time_share * 100) if s.total.on_time_share is not None else float("nan")
        for _, s in report.trend
    ]
    figure, left = _new_chart(8, 3.6)
    left.bar(labels, received, color="#1d70b8", label="Laporan diterima")
    left.set_ylabel("Laporan diterima")
    right = left.twinx()
    right.plot(labels, on_time, color="#d4351c", marker="o", label="Tepat waktu (%)")
    right.set_ylim(0, 105)
    right.set_ylabel("Tindak lanjut tepat waktu (%)")
    left.set_title("Tren bulanan: laporan diterima dan ketepatan waktu tindak lanjut")
    handles = left.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    figure.legend(handles=handles, loc="upper left", fontsize=8)
    return _png(figure)


def opd_trend_chart(report: Report, codes: Sequence[str]) -> str:
    """Share on time per month for the OPDs that handled most complaints."""
    labels = _month_labels(report)
    figure, axes = _new_chart(8, 3.6)
    for code in codes:
        values = []
        for _, stats in report.trend:
            row = next((r for r in stats.by_opd if r.code == code), None)
            share = row.figures.on_time_share if row else None
            values.append(share * 100 if share is not None else float("nan"))
        axes.plot(labels, values, marker="o", label=code)
    axes.set_ylim(0, 105)
    axes.set_ylabel("Tepat waktu (%)")
    axes.set_title("Ketepatan waktu tindak lanjut per OPD (OPD dengan laporan terbanyak)")
    axes.legend(fontsize=8, ncol=3)
    return _png(figure)


def ranking_chart(ranked: Sequence[OpdFigures]) -> str:
    """Horizontal bars: share on time per OPD, best on top."""
    names = [r.code or "" for r in ranked][::-1]
    values = [(r.figures.on_time_share or 0.0) * 100 for r in ranked][::-1]
    figure, axes = _new_chart(8, max(2.0, 0.35 * len(names) + 1))
    axes.barh(names, values, color="#00703c")
    axes.set_xlim(0, 105)
    axes.set_xlabel("Tindak lanjut tepat waktu (%)")
    axes.set_title("Peringkat OPD menurut ketepatan waktu")
    return _png(figure)


# --- HTML and PDF ------------------------------------------------------------------------
def _long_date(value: datetime, tz: ZoneInfo) -> str:
    """ "20 Maret 2026": the date of `value` in the report's time zone."""
    local = value.astimezone(tz)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}"


def render_html(report: Report) -> str:
    """The report as one self-contained HTML document."""
    env = Environment(
        loader=PackageLoader("services.sla", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["angka"] = format_number
    env.filters["persen"] = format_share
    env.filters["status"] = lambda value: _STATUS.get(value, value)
    env.filters["tanggal"] = lambda value: _long_date(value, report.tz)
    ranked = rank_by_timeliness(report.stats.by_opd)
    busiest = sorted(
        (r for r in report.stats.by_opd if r.code and r.figures.received),
        key=lambda r: (-r.figures.received, r.code or ""),
    )[:5]
    active = [r for r in report.stats.by_opd if r.figures.received or r.figures.assigned]
    age_days = {
        code: [(report.generated_at - c.received_at).days for c in cases]
        for code, cases in report.oldest.items()
    }
    return env.get_template("report.html").render(
        report=report,
        month_label=month_name(report.month),
        stats=report.stats,
        active=active,
        ranked=ranked,
        unranked=[r for r in report.stats.by_opd if r.code and r not in ranked and r in active],
        trend_png=trend_chart(report),
        opd_trend_png=opd_trend_chart(report, [r.code or "" for r in busiest]) if busiest else None,
        ranking_png=ranking_chart(ranked) if ranked else None,
        age_days=age_days,
        generated=report.generated_at.astimezone(report.tz).strftime("%Y-%m-%d %H.%M"),
    )


def find_pdf_converter() -> list[str] | None:
    """The command prefix of a converter on this machine, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return [path, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"]
    if shutil.which("wkhtmltopdf"):
        return ["wkhtmltopdf"]
    for name in ("libreoffice", "soffice"):
        path = shutil.which(name)
        if path:
            return [path, "--headless", "--convert-to", "pdf"]
    return None


def write_pdf(html_path: Path, pdf_path: Path, converter: list[str]) -> bool:
    """Convert with the converter found; True when the PDF exists afterwards."""
    name = Path(converter[0]).name
    with tempfile.TemporaryDirectory() as scratch:
        if name.startswith(("chromium", "google-chrome")):
            command = [
                *converter,
                f"--user-data-dir={scratch}",
                f"--print-to-pdf={pdf_path}",
                html_path.resolve().as_uri(),
            ]
        elif name == "wkhtmltopdf":
            command = [*converter, str(html_path), str(pdf_path)]
        else:
            command = [*converter, "--outdir", scratch, str(html_path)]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603
        except (OSError, subprocess.SubprocessError):
            return False
        if name in ("libreoffice", "soffice"):
            produced = Path(scratch) / (html_path.stem + ".pdf")
            if produced.exists():
                shutil.move(str(produced), pdf_path)
    return pdf_path.exists() and pdf_path.stat().st_size > 0


# --- command line ------------------------------------------------------------------------
def _month(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM, got {value!r}") from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m services.sla.report",
        description="Write the monthly OPD performance report (HTML, and PDF if possible).",
    )
    parser.add_argument("--month", type=_month, required=True, help="the month, YYYY-MM")
    parser.add_argument("--out", type=Path, default=Path("var/reports"), help="output folder")
    parser.add_argument(
        "--months", type=int, default=6, help="months in the trend charts, 2-24 (default 6)"
    )
    parser.add_argument(
        "--pdf",
        choices=("auto", "yes", "no"),
        default="auto",
        help="auto: when a converter is available; yes: fail without one",
    )
    return parser


async def _run(args: argparse.Namespace, settings: SlaSettings) -> int:
    tz = settings.tz
    now = datetime.now(UTC)
    if args.month > now.astimezone(tz).date():
        print(f"error: {args.month:%Y-%m} has not started yet", file=sys.stderr)
        return 2
    client = create_client(settings.mongodb_url, app_name="lapor-report")
    try:
        report = await build_report(
            get_database(client),
            month=args.month,
            months=args.months,
            tz=tz,
            directory=load_directory(settings.directory_file),
            now=now,
        )
    except PyMongoError as exc:
        print(f"error: the store is unreachable ({type(exc).__name__})", file=sys.stderr)
        return 3
    finally:
        await client.close()
    args.out.mkdir(parents=True, exist_ok=True)
    html_path = args.out / f"laporan-kinerja-{args.month:%Y-%m}.html"
    html_path.write_text(render_html(report), encoding="utf-8")
    print(f"HTML: {html_path}")
    if args.pdf == "no":
        return 0
    converter = find_pdf_converter()
    pdf_path = html_path.with_suffix(".pdf")
    if converter is not None and write_pdf(html_path, pdf_path, converter):
        print(f"PDF: {pdf_path}")
        return 0
    message = "no PDF converter found" if converter is None else "PDF conversion failed"
    if args.pdf == "yes":
        print(f"error: {message}", file=sys.stderr)
        return 4
    print(f"PDF: not written ({message})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = _parser().parse_args(argv)
    if not 2 <= args.months <= 24:
        print("error: --months must be between 2 and 24", file=sys.stderr)
        return 2
    return asyncio.run(_run(args, SlaSettings()))


if __name__ == "__main__":
    raise SystemExit(main())
