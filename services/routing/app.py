"""Routing's composition root: settings -> runtime -> classifier and use cases -> apps."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from pymongo.errors import PyMongoError

from services.routing.adapters.mongo_store import MongoCaseStore
from services.routing.api import build_staff_api, install_staff_error_handlers
from services.routing.auth import Principal, Role, TokenBook
from services.routing.casework import CaseWork
from services.routing.console import build_console_router
from services.routing.handlers import build_router
from services.routing.metrics import RoutingMetrics
from services.routing.model import load_service_model
from services.routing.service import SERVICE, RoutingService
from services.routing.settings import RoutingSettings, dev_opd_token
from shared.directory import Directory, load_directory
from shared.http import SecurityHeaders, document_errors, install_error_handlers
from shared.locks import KeyedLock
from shared.mongo import CASES
from shared.observability import configure_logging, new_registry
from shared.outbox import OutboxRelay
from shared.runtime import Runtime, mount_ops, service_lifespan

__all__ = ["create_app"]


_ACTIONS = ("disposition", "reject", "responses", "resolve", "hold", "resume", "archive")
# The error answers of each staff API operation besides 422 (published in its OpenAPI).
STAFF_API_ERRORS: dict[str, tuple[int, ...]] = {
    "GET /api/v1/verification": (401, 403, 503),
    "GET /api/v1/opd/{code}/assignments": (401, 403, 503),
    "GET /api/v1/cases/{tracking_id}": (401, 403, 404, 503),
    **{
        f"POST /api/v1/complaints/{{tracking_id}}/{action}": (401, 403, 404, 409, 503)
        for action in _ACTIONS
    },
}


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
    store = MongoCaseStore(runtime.db)
    metrics = RoutingMetrics.create(registry, opd_codes=directory.codes)
    service = RoutingService(
        store=store,
        relay=relay,
        classifier=load_service_model(
            model_file=settings.routing_model_file, cache_dir=settings.cache_dir
        ),
        directory=directory,
        metrics=metrics,
        threshold=settings.routing_confidence_threshold,
        public_base_url=settings.public_base_url,
        locks=locks,
    )
    work = CaseWork(
        store=store,
        relay=relay,
        directory=directory,
        metrics=metrics,
        locks=locks,
        tz=settings.tz,
        status_url=service.status_url,
    )
    runtime.include(
        build_router(
            service, work, prefetch=settings.prefetch, delivery_limit=settings.delivery_limit
        )
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(runtime):
            yield

    app = FastAPI(title="Lapor routing", version="1", lifespan=lifespan)
    install_error_handlers(app, unavailable=PyMongoError)
    install_staff_error_handlers(app)
    document_errors(app, STAFF_API_ERRORS)
    app.add_middleware(SecurityHeaders)
    mount_ops(app, runtime)
    app.state.broker = runtime.broker  # for `faststream docs gen` (AsyncAPI)
    app.include_router(build_staff_api(work, staff_tokens(settings, directory)))
    app.include_router(
        build_console_router(
            work,
            staff_tokens(settings, directory),
            directory=directory,
            settings=settings,
            secret=(
                settings.console_secret_key.get_secret_value()
                if settings.console_secret_key
                else None
            ),
        )
    )
    return app


def staff_tokens(settings: RoutingSettings, directory: Directory) -> TokenBook:
    """The operator's token and one per OPD (development defaults only in development)."""
    tokens = {settings.operator_token.get_secret_value(): Principal(role=Role.OPERATOR)}
    for agency in directory.agencies:
        token = settings.opd_tokens.get(agency.code)
        if token is not None:
            tokens[token.get_secret_value()] = Principal(role=Role.OPD, opd=agency.code)
        elif settings.environment == "development":
            tokens[dev_opd_token(agency.code)] = Principal(role=Role.OPD, opd=agency.code)
    return TokenBook(tokens)


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
