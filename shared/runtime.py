"""What every service's composition root shares: broker, store, health and metrics routes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from aio_pika.exceptions import AMQPError
from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from faststream.rabbit import RabbitBroker, RabbitRouter
from faststream.rabbit.prometheus import RabbitPrometheusMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from shared.messaging.resilience import TransientRetry
from shared.messaging.topology import declare_topology
from shared.mongo import Database, MongoClient, create_client, ensure_indexes, get_database, ping
from shared.settings import CommonSettings

__all__ = ["Runtime", "build_broker", "ops_router", "service_lifespan"]

log = logging.getLogger(__name__)


def build_broker(
    *, settings: CommonSettings, registry: CollectorRegistry, service: str
) -> RabbitBroker:
    """A broker with publisher confirms, Prometheus middleware and graceful shutdown."""
    return RabbitBroker(
        settings.amqp_url,
        app_id=f"lapor-{service}",
        graceful_timeout=20.0,
        reconnect_interval=2.0,
        fail_fast=True,
        middlewares=[
            RabbitPrometheusMiddleware(registry=registry, app_name=f"lapor-{service}"),
            TransientRetry,
        ],
        logger=logging.getLogger(f"lapor.{service}.broker"),
        log_level=logging.DEBUG,
    )


@dataclass
class Runtime:
    """The live resources of one service, built in the composition root."""

    service: str
    settings: CommonSettings
    registry: CollectorRegistry
    broker: RabbitBroker
    client: MongoClient
    opd_codes: Sequence[str] = ()
    background: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    on_start: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)

    @property
    def db(self) -> Database:
        """The service's database handle."""
        return get_database(self.client)

    @classmethod
    def create(
        cls, *, service: str, settings: CommonSettings, registry: CollectorRegistry
    ) -> Runtime:
        """Build (without I/O) the broker and store client for a service."""
        broker = build_broker(settings=settings, registry=registry, service=service)
        client = create_client(settings.mongodb_url, app_name=f"lapor-{service}")
        return cls(
            service=service, settings=settings, registry=registry, broker=broker, client=client
        )

    def include(self, router: RabbitRouter) -> None:
        """Attach a service's subscribers."""
        self.broker.include_router(router)

    async def healthy(self) -> dict[str, bool]:
        """Whether broker and store answer."""
        broker_ok, store_ok = await asyncio.gather(self._broker_ok(), ping(self.db))
        return {"broker": broker_ok, "store": store_ok}

    async def _broker_ok(self) -> bool:
        try:
            return await self.broker.ping(timeout=2.0)
        except Exception:
            return False


@contextlib.asynccontextmanager
async def service_lifespan(runtime: Runtime) -> AsyncIterator[None]:
    """Start store, topology, broker and background loops; stop them in reverse, draining."""
    await ensure_indexes(runtime.db)
    await _start_broker_with_backoff(runtime)
    tasks = [asyncio.create_task(job(), name=f"{runtime.service}-bg") for job in runtime.background]
    log.info("service started", extra={"service_name": runtime.service})
    try:
        yield
    finally:
        log.info("service stopping: draining in-flight messages")
        await runtime.broker.stop()  # waits up to graceful_timeout for running handlers
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await runtime.client.close()
        log.info("service stopped")


async def _start_broker(runtime: Runtime) -> None:
    await runtime.broker.connect()
    await declare_topology(
        runtime.broker,
        delivery_limit=runtime.settings.delivery_limit,
        opd_codes=runtime.opd_codes,
    )
    for hook in runtime.on_start:
        await hook()
    await runtime.broker.start()


async def _start_broker_with_backoff(runtime: Runtime, *, attempts: int = 60) -> None:
    """Connect, declare and subscribe; if the broker is away (or goes away meanwhile, as
    during its restart) wait and try again instead of dying."""
    delay = 0.5
    for attempt in range(1, attempts + 1):
        try:
            await _start_broker(runtime)
            return
        except (ConnectionError, OSError, AMQPError, RuntimeError) as exc:
            if attempt == attempts:
                raise
            log.warning("broker not usable (%s), retrying in %.1f s", type(exc).__name__, delay)
            with contextlib.suppress(Exception):
                await runtime.broker.stop()
            await asyncio.sleep(delay)
            delay = min(10.0, delay * 2)


def ops_router(runtime: Runtime) -> APIRouter:
    """`/healthz` (broker and store reachable) and `/metrics` (Prometheus text)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> JSONResponse:
        checks = await runtime.healthy()
        ok = all(checks.values())
        body: dict[str, Any] = {"status": "ok" if ok else "unavailable", **checks}
        return JSONResponse(body, status_code=200 if ok else 503)

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(runtime.registry), media_type=CONTENT_TYPE_LATEST)

    return router


def mount_ops(app: FastAPI, runtime: Runtime) -> None:
    """Add the health and metrics routes to a service's HTTP app."""
    app.include_router(ops_router(runtime))
