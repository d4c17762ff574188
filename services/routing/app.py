"""Routing's composition root: settings -> runtime -> classifier and use cases -> apps."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from services.routing.adapters.mongo_store import MongoCaseStore
from services.routing.classifier import KeywordClassifier
from services.routing.handlers import build_router
from services.routing.metrics import RoutingMetrics
from services.routing.service import SERVICE, RoutingService
from services.routing.settings import RoutingSettings
from shared.directory import load_directory
from shared.locks import KeyedLock
from shared.mongo import CASES
from shared.observability import configure_logging, new_registry
from shared.outbox import OutboxRelay
from shared.runtime import Runtime, mount_ops, service_lifespan

__all__ = ["create_app"]


def create_app(settings: RoutingSettings | None = None) -> FastAPI:
    """Build the routing service (no I/O until the app starts)."""
    settings = settings or RoutingSettings()
    registry = new_registry()
    directory = load_directory(settings.directory_file)
    runtime = Runtime.create(service=SERVICE, settings=settings, registry=registry)
    runtime.opd_codes = directory.codes
    locks = KeyedLock()
    relay = OutboxRelay(
        collection=runtime.db[CASES],
        broker=runtime.broker,
        publisher=SERVICE,
        lock=locks,
        interval=settings.outbox_relay_interval_seconds,
    )
    runtime.background.append(relay.run)
    service = RoutingService(
        store=MongoCaseStore(runtime.db),
        relay=relay,
        classifier=KeywordClassifier(directory),
        directory=directory,
        metrics=RoutingMetrics.create(registry),
        threshold=settings.routing_confidence_threshold,
        public_base_url=settings.public_base_url,
        locks=locks,
    )
    runtime.include(
        build_router(service, prefetch=settings.prefetch, delivery_limit=settings.delivery_limit)
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(runtime):
            yield

    app = FastAPI(title="Lapor routing", version="1", lifespan=lifespan)
    mount_ops(app, runtime)
    return app


def main() -> None:
    """Run routing on its port."""
    import uvicorn

    settings = RoutingSettings()
    configure_logging(service=SERVICE, level=settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.routing_port,
        log_config=None,
        timeout_graceful_shutdown=25,
    )
