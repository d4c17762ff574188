"""Notify's composition root."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from services.notify.adapters.mongo_store import MongoComplaintReader, MongoNotificationLog
from services.notify.adapters.smtp import SmtpMailer
from services.notify.handlers import build_router
from services.notify.messages import MailIdentity
from services.notify.metrics import NotifyMetrics
from services.notify.service import SERVICE, NotifyService
from services.notify.settings import NotifySettings
from shared.mongo import COMPLAINTS, NOTIFICATIONS
from shared.observability import configure_logging, new_registry
from shared.runtime import Runtime, mount_ops, service_lifespan

__all__ = ["create_app"]


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    """Build the notify service (no I/O until the app starts)."""
    settings = settings or NotifySettings()
    registry = new_registry()
    runtime = Runtime.create(service=SERVICE, settings=settings, registry=registry)
    service = NotifyService(
        complaints=MongoComplaintReader(runtime.db[COMPLAINTS]),
        log=MongoNotificationLog(runtime.db[NOTIFICATIONS]),
        mailer=SmtpMailer(settings),
        identity=MailIdentity(
            sender=settings.mail_from,
            sender_name=settings.mail_from_name,
            reply_to=settings.mail_reply_to,
        ),
        metrics=NotifyMetrics.create(registry),
        public_base_url=settings.public_base_url,
    )
    runtime.include(
        build_router(service, prefetch=settings.prefetch, delivery_limit=settings.delivery_limit)
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(runtime):
            yield

    app = FastAPI(title="Lapor notify", version="1", lifespan=lifespan)
    mount_ops(app, runtime)
    return app


def main() -> None:
    """Run notify on its port."""
    import uvicorn

    settings = NotifySettings()
    configure_logging(service=SERVICE, level=settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.notify_port,
        log_config=None,
        timeout_graceful_shutdown=25,
    )
