"""Intake's composition root: settings -> runtime -> use cases -> channels -> HTTP app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import date, datetime

from fastapi import FastAPI
from pymongo.errors import PyMongoError

from services.intake.adapters.mongo_store import (
    GridFsAttachmentStore,
    MongoComplaintStore,
    MongoInboundStore,
)
from services.intake.adapters.relay import BrokerEventRelay
from services.intake.api import build_api
from services.intake.mail.channel import EmailChannel
from services.intake.mail.poller import ImapConfig, MailboxPoller
from services.intake.metrics import IntakeMetrics
from services.intake.ports import Unavailable
from services.intake.service import SERVICE, IntakeService
from services.intake.settings import IntakeSettings
from services.intake.sms import SmsChannel, build_sms_api
from services.intake.stats import StatsService
from services.intake.stats_api import build_stats_api
from services.intake.web import build_web_router
from services.intake.web.rendering import Pages
from services.intake.web.routes import SITE_NAME
from services.intake.web.statistik import build_stats_page
from shared.directory import Directory, load_directory
from shared.http import (
    BodySizeLimit,
    RateLimitByClient,
    SecurityHeaders,
    document_errors,
    install_error_handlers,
)
from shared.locks import KeyedLock
from shared.mongo import COMPLAINTS, FOLLOWUPS, INBOUND, RATINGS
from shared.observability import configure_logging, new_registry
from shared.outbox import OutboxRelay
from shared.ratelimit import RateLimiter
from shared.runtime import Runtime, mount_ops, service_lifespan
from shared.store.stats import PeriodStats, read_period_stats

__all__ = ["create_app"]


# The error answers of each API operation besides 422 (published in its OpenAPI).
INTAKE_API_ERRORS: dict[str, tuple[int, ...]] = {
    "POST /api/v1/complaints": (413, 429, 503),
    "GET /api/v1/complaints/{tracking_id}": (404, 503),
    "GET /api/v1/stats": (503,),
    "GET /sms/kannel": (401, 503),
    "POST /sms/inbound": (401, 413, 503),
}


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    """Build the intake service (no I/O until the app starts)."""
    settings = settings or IntakeSettings()
    registry = new_registry()
    runtime = Runtime.create(service=SERVICE, settings=settings, registry=registry)
    locks = KeyedLock()
    relays = {
        name: OutboxRelay(
            collection=runtime.db[name],
            broker=runtime.broker,
            publisher=SERVICE,
            lock=locks,
            interval=settings.outbox_relay_interval_seconds,
        )
        for name in (COMPLAINTS, FOLLOWUPS, RATINGS, INBOUND)
    }
    runtime.background += [relay.run for relay in relays.values()]
    directory = load_directory(settings.directory_file)
    service = IntakeService(
        store=MongoComplaintStore(runtime.db, locks=locks),
        inbound=MongoInboundStore(runtime.db, locks=locks),
        relay=BrokerEventRelay(relays=relays, broker=runtime.broker),
        directory=directory,
        metrics=IntakeMetrics.create(registry),
        tz=settings.tz,
    )
    attachments = GridFsAttachmentStore(runtime.db)
    sms = SmsChannel(
        service=service,
        keyword=settings.sms_keyword,
        region=settings.default_phone_region,
        limiter=RateLimiter(capacity=settings.rate_limit_per_phone, period=3600.0),
    )
    if settings.imap_enabled:
        runtime.background.append(mailbox_poller(settings, service, attachments).run)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(runtime):
            yield

    app = FastAPI(title="Lapor intake", version="1", lifespan=lifespan)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        RateLimitByClient,
        limiter=RateLimiter(capacity=settings.rate_limit_per_client, period=60.0),
        paths=frozenset({"/api/v1/complaints", "/lapor"}),
    )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        overrides={"/lapor": settings.max_photo_bytes + 512 * 1024},
    )
    install_error_handlers(app, unavailable=Unavailable)
    document_errors(app, INTAKE_API_ERRORS)
    mount_ops(app, runtime)
    app.state.broker = runtime.broker  # for `faststream docs gen` (AsyncAPI)
    app.include_router(
        build_api(
            service,
            public_base_url=settings.public_base_url,
            max_text_chars=settings.max_text_chars,
        )
    )
    token = settings.sms_webhook_token.get_secret_value() if settings.sms_webhook_token else None
    app.include_router(build_sms_api(sms, token=token))
    app.include_router(build_web_router(service, attachments=attachments, settings=settings))
    stats = public_stats(runtime, settings, directory)
    app.include_router(build_stats_api(stats))
    app.include_router(build_stats_page(stats, Pages.create(tz=settings.tz, site_name=SITE_NAME)))
    app.state.attachments = attachments
    return app


def public_stats(runtime: Runtime, settings: IntakeSettings, directory: Directory) -> StatsService:
    """The transparency figures, read from what the SLA service records."""

    async def read(start: date, end: date, now: datetime) -> PeriodStats:
        try:
            return await read_period_stats(
                runtime.db, start=start, end=end, tz=settings.tz, directory=directory, now=now
            )
        except PyMongoError as exc:
            raise Unavailable("statistics store unavailable") from exc

    return StatsService(read=read, tz=settings.tz, ttl_seconds=settings.stats_cache_seconds)


def mailbox_poller(
    settings: IntakeSettings, service: IntakeService, attachments: GridFsAttachmentStore
) -> MailboxPoller:
    """The email channel, polling the intake mailbox."""
    channel = EmailChannel(
        service=service,
        attachments=attachments,
        own_addresses=frozenset({settings.intake_address.lower(), settings.imap_username.lower()}),
        max_image_bytes=settings.max_photo_bytes,
    )
    config = ImapConfig(
        host=settings.imap_host,
        port=settings.imap_port,
        security=settings.imap_security,
        username=settings.imap_username,
        password=settings.imap_password.get_secret_value(),
        mailbox=settings.imap_mailbox,
        processed_mailbox=settings.imap_processed_mailbox,
        poll_seconds=settings.imap_poll_seconds,
    )
    return MailboxPoller(channel=channel, config=config)


def main() -> None:
    """Run intake on its port."""
    import uvicorn

    settings = IntakeSettings()
    configure_logging(service=SERVICE, level=settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.intake_port,
        log_config=None,
        timeout_graceful_shutdown=25,
    )
