"""The SLA service's composition root."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from services.sla.adapters.mongo_store import MongoClockStore
from services.sla.handlers import build_router
from services.sla.metrics import SlaMetrics
from services.sla.service import SERVICE, SlaService
from services.sla.settings import SlaSettings
from services.sla.workcalendar import PlainDaysCalendar
from shared.observability import configure_logging, new_registry
from shared.runtime import Runtime, mount_ops, service_lifespan

__all__ = ["create_app"]


def create_app(settings: SlaSettings | None = None) -> FastAPI:
    """Build the SLA service (no I/O until the app starts)."""
    settings = settings or SlaSettings()
    registry = new_registry()
    runtime = Runtime.create(service=SERVICE, settings=settings, registry=registry)
    service = SlaService(
        store=MongoClockStore(runtime.db),
        calendar=PlainDaysCalendar(),
        metrics=SlaMetrics.create(registry),
        verification_days=settings.verification_days,
        follow_up_days=settings.follow_up_days,
    )
    runtime.include(
        build_router(service, prefetch=settings.prefetch, delivery_limit=settings.delivery_limit)
    )
    interval = settings.open_gauge_interval_seconds
    runtime.background.append(lambda: service.run_open_gauge(interval))

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(runtime):
            yield

    app = FastAPI(title="Lapor SLA", version="1", lifespan=lifespan)
    mount_ops(app, runtime)
    return app


def main() -> None:
    """Run the SLA service on its port."""
    import uvicorn

    settings = SlaSettings()
    configure_logging(service=SERVICE, level=settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.sla_port,
        log_config=None,
        timeout_graceful_shutdown=25,
    )
