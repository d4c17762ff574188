"""`GET /api/v1/stats`: the public performance figures as JSON (thin: parse, call, answer)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.intake.stats import PeriodError, StatsService
from shared.store.stats import PeriodStats

__all__ = ["build_stats_api"]

_CACHE = "public, max-age=60"


def build_stats_api(stats: StatsService) -> APIRouter:
    """The JSON route."""
    router = APIRouter(tags=["statistik"])

    @router.get(
        "/api/v1/stats",
        response_model=PeriodStats,
        summary="Kinerja penanganan pengaduan per OPD, kanal dan kecamatan",
        responses={422: {"description": "Periode tidak valid"}},
    )
    async def get_stats(
        start: Annotated[
            date | None,
            Query(alias="from", description="Tanggal awal penerimaan (YYYY-MM-DD), inklusif"),
        ] = None,
        end: Annotated[
            date | None,
            Query(alias="to", description="Tanggal akhir penerimaan (YYYY-MM-DD), inklusif"),
        ] = None,
    ) -> JSONResponse:
        """Figures for complaints received in the period (default: this month so far).

        Counts only: no complaint appears individually and no personal data is included.
        """
        try:
            figures = await stats.figures(start, end)
        except PeriodError as exc:
            return JSONResponse(
                {"detail": "Periode tidak valid", "errors": {exc.field: exc.message}},
                status_code=422,
            )
        return JSONResponse(figures.model_dump(mode="json"), headers={"Cache-Control": _CACHE})

    return router
