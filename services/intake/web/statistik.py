"""`GET /statistik`: the public performance page (Bahasa Indonesia, counts only)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from services.intake.stats import PeriodError, StatsService
from services.intake.web.rendering import Pages
from shared.indonesian import format_number, format_share
from shared.store.stats import Figures, OpdFigures

__all__ = ["build_stats_page", "format_number", "format_share"]

_CACHE = "public, max-age=60"


def _active(row: OpdFigures) -> bool:
    f: Figures = row.figures
    return bool(f.received or f.assigned)


def _parse_date(raw: str, field: str) -> date | None:
    if not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError as exc:
        raise PeriodError(field, "Tanggal harus berformat TTTT-BB-HH") from exc


def build_stats_page(stats: StatsService, pages: Pages) -> APIRouter:
    """The page's route."""
    pages.env.filters["angka"] = format_number
    pages.env.filters["persen"] = format_share
    router = APIRouter(include_in_schema=False)

    @router.get("/statistik")
    async def statistik(request: Request) -> HTMLResponse:
        """The figures for the period in the query (default: this month so far)."""
        asked_from = request.query_params.get("from", "")[:10]
        asked_to = request.query_params.get("to", "")[:10]
        try:
            start = _parse_date(asked_from, "from")
            end = _parse_date(asked_to, "to")
            figures = await stats.figures(start, end)
        except PeriodError as exc:
            return pages.render(
                "statistik.html",
                status_code=422,
                error=exc.message,
                error_field=exc.field,
                asked_from=asked_from,
                asked_to=asked_to,
                stats=None,
                active=[],
                quiet=[],
            )
        active = [row for row in figures.by_opd if _active(row)]
        quiet = [row.name for row in figures.by_opd if not _active(row) and row.code]
        return pages.render(
            "statistik.html",
            cache=_CACHE,
            error=None,
            error_field=None,
            asked_from=figures.period_from.isoformat(),
            asked_to=figures.period_to.isoformat(),
            stats=figures,
            active=active,
            quiet=quiet,
        )

    return router
