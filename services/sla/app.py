"""The SLA service's composition root."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from services.sla.adapters.mongo_store import MongoClockStore
from services.sla.adapters.stats_store import MongoFactsStore
from services.sla.handlers import build_router
from services.sla.metrics import SlaMetrics
from services.sla.scanner import TimerScanner
from services.sla.service import SERVICE, SlaPolicy, SlaService
from services.sla.settings import SlaSettings
from services.sla.stats import StatsRecorder
from services.sla.workcalendar import WorkingDayCalendar
from shared.directory import load_directory
from shared.http import SecurityHeaders
from shared.locks import KeyedLock
from shared.mongo import SLA_FIRED
from shared.observability import configure_logging, new_registry
from shared.outbox import OutboxRelay
from shared.runtime import Runtime, mount_ops, service_lifespan

__all__ = ["create_app"]


def policy_of(settings: SlaSettings) -> SlaPolicy:
    """The allowances from the settings."""
    return SlaPolicy(
        verification_days=settings.verification_days,
        follow_up_days=settings.follow_up_days,
        completion_days=settings.completion_days,
        completion_in_working_days=settings.completion_in_working_days,
        auto_close_days=settings.auto_close_days,
        reminder_lead=settings.reminder_lead_working_days,
    )


def create_app(settings: SlaSettings | None = None) -> FastAPI:
    """Build the SLA service (no I/O until the app starts)."""
    settings = settings or SlaSettings()
    registry = new_registry()
    runtime = Runtime.create(service=SERVICE, settings=settings, registry=registry)
    store = MongoClockStore(runtime.db)
    metrics = SlaMetrics.create(registry, opd_codes=load_directory(settings.directory_file).codes)
    locks = KeyedLock()
    calendar = WorkingDayCalendar.from_settings(settings)
    stats = StatsRecorder(
        store=MongoFactsStore(runtime.db, tz=settings.tz),
        calendar=calendar,
        follow_up_days=settings.follow_up_days,
    )
    service = SlaService(
        store=store,
        calendar=calendar,
        metrics=metrics,
        policy=policy_of(settings),
        locks=locks,
        stats=stats,
    )
    relay = OutboxRelay(
        collection=runtime.db[SLA_FIRED],
        broker=runtime.broker,
        publisher=SERVICE,
        lock=KeyedLock(),
        interval=settings.outbox_relay_interval_seconds,
    )
    scanner = TimerScanner(store=store, relay=relay, metrics=metrics, locks=locks, stats=stats)
    runtime.include(
        build_router(service, prefetch=settings.prefetch, delivery_limit=settings.delivery_limit)
    )
    runtime.background += [
        relay.run,
        lambda: scanner.run(settings.sla_scan_interval_seconds),
        lambda: service.run_open_gauge(settings.open_gauge_interval_seconds),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(runtime):
            yield

    app = FastAPI(title="Lapor SLA", version="1", lifespan=lifespan)
    app.add_middleware(SecurityHeaders)
    mount_ops(app, runtime)
    app.state.broker = runtime.broker  # for `faststream docs gen` (AsyncAPI)
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
