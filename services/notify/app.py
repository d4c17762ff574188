"""Notify's composition root."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pymongo.errors import PyMongoError

from services.notify.adapters.kannel import KannelGateway
from services.notify.adapters.mongo_store import MongoCaseReader, MongoNotificationLog
from services.notify.adapters.smtp import SmtpMailer
from services.notify.handlers import build_router
from services.notify.messages import MailIdentity
from services.notify.metrics import NotifyMetrics
from services.notify.recipients import StaffContacts
from services.notify.render import Templates, default_templates_dir
from services.notify.service import SERVICE, NotifyService
from services.notify.settings import NotifySettings
from shared.directory import load_directory
from shared.http import SecurityHeaders, document_errors, install_error_handlers
from shared.messaging.retry import declare_retry_topology
from shared.messaging.topology import Queues
from shared.observability import configure_logging, new_registry
from shared.runtime import Runtime, mount_ops, service_lifespan

__all__ = ["create_app"]

# The error answers of notify's HTTP operations besides 422 (published in its OpenAPI).
NOTIFY_API_ERRORS: dict[str, tuple[int, ...]] = {"GET /sms/dlr": (404, 503)}


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    """Build the notify service (no I/O until the app starts)."""
    settings = settings or NotifySettings()
    registry = new_registry()
    runtime = Runtime.create(service=SERVICE, settings=settings, registry=registry)
    metrics = NotifyMetrics.create(registry)
    sms = (
        KannelGateway(
            url=settings.sms_sendsms_url,
            username=settings.sms_username,
            password=settings.sms_password.get_secret_value(),
            sender=settings.sms_from,
            timeout=settings.sms_timeout_seconds,
        )
        if settings.sms_enabled
        else None
    )
    mailer = SmtpMailer(settings)
    service = NotifyService(
        cases=MongoCaseReader(runtime.db),
        log=MongoNotificationLog(
            runtime.db, report_wait=timedelta(seconds=settings.notify_sms_report_wait_seconds)
        ),
        mailer=mailer,
        sms=sms,
        templates=Templates(settings.notify_templates_dir or default_templates_dir()),
        identity=MailIdentity(
            sender=settings.mail_from,
            sender_name=settings.mail_from_name,
            reply_to=settings.mail_reply_to,
        ),
        staff=StaffContacts(
            directory=load_directory(settings.directory_file),
            operator_email=settings.operator_email,
            opd_email_pattern=settings.opd_email_pattern,
            opd_head_email_pattern=settings.opd_head_email_pattern,
        ),
        metrics=metrics,
        tz=settings.tz,
        public_base_url=settings.public_base_url,
        dlr_base_url=settings.notify_public_base_url,
        service_name=settings.service_name,
    )
    retry = settings.retry_policy()
    runtime.include(
        build_router(
            service,
            broker=runtime.broker,
            metrics=metrics,
            retry=retry,
            prefetch=settings.prefetch,
            delivery_limit=settings.delivery_limit,
        )
    )

    async def declare_retries() -> None:
        targets = [q.queue(delivery_limit=settings.delivery_limit) for q in Queues.of(SERVICE)]
        await declare_retry_topology(runtime.broker, targets=targets)

    runtime.on_start.append(declare_retries)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(runtime):
            yield
        await mailer.close()
        if sms is not None:
            await sms.close()

    app = FastAPI(title="Lapor notify", version="1", lifespan=lifespan)
    app.add_middleware(SecurityHeaders)
    install_error_handlers(app, unavailable=PyMongoError)  # store down: 503, the gateway retries
    document_errors(app, NOTIFY_API_ERRORS)
    mount_ops(app, runtime)
    app.state.broker = runtime.broker  # for `faststream docs gen` (AsyncAPI)
    app.include_router(delivery_reports(service))
    return app


def delivery_reports(service: NotifyService) -> APIRouter:
    """`GET /sms/dlr?n=<notification>&type=<Kannel DLR type>`: the gateway's callback."""
    router = APIRouter()

    @router.get("/sms/dlr", response_class=PlainTextResponse)
    async def sms_delivery_report(
        n: Annotated[str, Query(min_length=1, max_length=64)],
        type: Annotated[int, Query(ge=0, le=255)],
    ) -> Response:
        if await service.record_delivery_report(notification_id=n, report=type):
            return PlainTextResponse("ok")
        return JSONResponse({"detail": "Notifikasi tidak dikenal"}, status_code=404)

    return router


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
