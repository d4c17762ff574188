"""The chaos tier: with a stream of complaints in flight, every part fails once.

Each service is killed with SIGKILL and restarted, RabbitMQ and the store are restarted,
the SMTP server and the SMS gateway are stopped for a while. Complaints keep coming (a
quarter by SMS) until every part has failed and at least LAPOR_CHAOS_COMPLAINTS (300) were
sent. Afterwards every complaint is assigned, every reporter is acknowledged exactly once,
and the dead-letter queues are empty. Everything runs on private infrastructure (its own
RabbitMQ node, FerretDB on PostgreSQL, SMTP sink and Kannel), so nothing else on the machine
is disturbed. docs/reliability.md says why each is set up as it is.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import random
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
from pymongo import AsyncMongoClient

from shared.messaging.topology import Queues
from shared.mongo import Database
from tests.chaos.infra import (
    DurableKannel,
    PrivateFerret,
    PrivatePostgres,
    PrivateRabbit,
    SmtpSink,
    eventually,
)
from tests.e2e.harness import REPO, ServiceStack, service_env

pytestmark = pytest.mark.chaos
N = int(os.environ.get("LAPOR_CHAOS_COMPLAINTS", "300"))  # at least this many
RATE = float(os.environ.get("LAPOR_CHAOS_RATE", "8"))  # complaints per second
ACCEPTED_WITHIN = 180.0  # seconds, after the last part came back, for every submission
RECOVERY = 180.0  # seconds for the services to be healthy again after each failure
PORTS = {"intake": 18700, "routing": 18701, "sla": 18702, "notify": 18703}
DB = "lapor_chaos"
TEXTS = [
    "Lampu jalan di jalan raya Dabo mati sudah sebulan, gelap sekali malam hari",
    "Sampah di TPS pasar Daik tidak diangkut dua minggu, bau sekali",
    "Stok obat di puskesmas Senayang habis, pasien disuruh beli sendiri",
    "Blanko KTP-el di kantor Disdukcapil habis sejak tiga bulan",
    "Jalan kabupaten di Desa Resang berlubang besar, berbahaya untuk motor",
    "Listrik padam setiap malam di Pancur, token juga sering error",
]

sys.path.insert(0, str(REPO / "deploy/local"))
phones: Any = importlib.import_module("sms")


@pytest.fixture
def infra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    rabbit = PrivateRabbit(root=tmp_path / "rabbit")
    rabbit.root.mkdir()
    postgres = PrivatePostgres()
    ferret = PrivateFerret(root=tmp_path / "ferret", postgresql_url=postgres.url)
    smtp = SmtpSink()
    kannel = DurableKannel(
        root=tmp_path / "kannel", get_url_base="http://127.0.0.1:1", offset=11000
    )
    kannel.root.mkdir()
    try:
        rabbit.start()
        postgres.start()
        ferret.start()
        smtp.start()
        kannel.start()
        monkeypatch.setenv("LAPOR_KANNEL_STATE_DIR", str(kannel.state_dir))
        yield {
            "rabbit": rabbit,
            "postgres": postgres,
            "ferret": ferret,
            "smtp": smtp,
            "kannel": kannel,
        }
    finally:
        kannel.stop()
        smtp.stop()
        ferret.kill()
        postgres.remove()
        rabbit.stop()


@pytest.fixture
async def stack(infra: dict[str, Any], tmp_path: Path) -> AsyncIterator[ServiceStack]:
    env = service_env(
        vhost="",
        db_name=DB,
        ports=PORTS,
        extra={
            "LAPOR_AMQP_URL": infra["rabbit"].url,
            "LAPOR_MONGODB_URL": infra["ferret"].database_url(DB),
            "LAPOR_SMTP_PORT": str(infra["smtp"].port),
            "LAPOR_SMS_SENDSMS_URL": infra["kannel"].sendsms_url,
            # The production default: the e2e tier's 0.5 s has every service look for
            # pending events four times as often, a load on the store for nothing here.
            "LAPOR_OUTBOX_RELAY_INTERVAL_SECONDS": "2",
            "LAPOR_NOTIFY_RETRY_BASE_SECONDS": "1",
            "LAPOR_NOTIFY_RETRY_MAX_SECONDS": "4",
            "LAPOR_NOTIFY_MAX_ATTEMPTS": "60",
            # An SMS cut off when the gateway stops waits for its delivery report, which
            # comes once the gateway is back (stopping it can take 15 s per process here).
            "LAPOR_NOTIFY_SMS_REPORT_WAIT_SECONDS": "120",
            "LAPOR_LOG_LEVEL": os.environ.get("LAPOR_CHAOS_LOG_LEVEL", "WARNING"),
            "LAPOR_RATE_LIMIT_PER_CLIENT": "100000",
            "LAPOR_ROUTING_CONFIDENCE_THRESHOLD": "0.0",
        },
    )
    services = ServiceStack(ports=PORTS, vhost="", logs=tmp_path)
    services.start(env)
    services.env = env  # type: ignore[attr-defined]
    try:
        await services.wait_healthy(within=120)
        yield services
    finally:
        try:
            services.stop()
        finally:
            for process in services.processes.values():
                if process.poll() is None:
                    process.kill()


async def submit_until_accepted(client: httpx.AsyncClient, n: int, sms: bool) -> str:
    """A persistent client: retries with the same idempotency key until accepted, backing
    off (0.5 s doubling to 5 s, with jitter) as a well-behaved gateway or app does."""
    key = uuid.uuid4().hex
    text = f"{TEXTS[n % len(TEXTS)]} (laporan {n})"
    delay = 0.5
    while True:
        try:
            if sms:
                response = await client.post(
                    f"http://127.0.0.1:{PORTS['intake']}/sms/inbound",
                    json={
                        "from": f"+62812{n:08d}",
                        "to": "1708",
                        "text": f"LAPOR {text}",
                        "message_id": key,
                    },
                )
                if response.status_code == 200:
                    return key
            else:
                response = await client.post(
                    f"http://127.0.0.1:{PORTS['intake']}/api/v1/complaints",
                    json={"text": text, "email": f"chaos-{n}@lapor.test"},
                    headers={"Idempotency-Key": key},
                )
                if response.status_code in (200, 201):
                    return str(response.json()["tracking_id"])
        except httpx.HTTPError:
            pass
        await asyncio.sleep(delay * random.uniform(0.5, 1.5))
        delay = min(5.0, delay * 2)


def restart(services: ServiceStack, name: str) -> None:
    """SIGKILL one service and start it again."""
    services.processes[name].send_signal(signal.SIGKILL)
    services.processes[name].wait(timeout=10)
    single = ServiceStack(ports={name: services.ports[name]}, vhost="", logs=services.logs)
    single.start(services.env)  # type: ignore[attr-defined]
    services.processes[name] = single.processes[name]


class Stream:
    """Complaints at a steady rate, each from a persistent client, until told to stop."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.submissions: list[asyncio.Task[str]] = []
        self.enough = asyncio.Event()

    @property
    def sent(self) -> int:
        return len(self.submissions)

    def is_sms(self, n: int) -> bool:
        return n % 4 == 0

    async def run(self) -> None:
        """Start one complaint every 1/RATE s until `enough` is set and N have started
        (at most 3 N, should the failures take long on a slow machine)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        while self.sent < N or (not self.enough.is_set() and self.sent < 3 * N):
            n = self.sent
            await asyncio.sleep(max(0.0, started + n / RATE - loop.time()))
            submit = submit_until_accepted(self.client, n, self.is_sms(n))
            self.submissions.append(asyncio.create_task(submit))

    async def all_accepted(self, within: float) -> None:
        """Wait until every complaint was accepted by intake."""
        done, pending = await asyncio.wait(self.submissions, timeout=within)
        for task in pending:
            task.cancel()
        assert not pending, f"{len(pending)} of {self.sent} complaints not accepted in {within} s"
        for task in done:
            task.result()


def utc_now() -> str:
    """The time of day in UTC, as the services' logs give it."""
    return time.strftime("%H:%M:%SZ", time.gmtime())


async def chaos(services: ServiceStack, infra: dict[str, Any], stream: Stream) -> list[str]:
    """Break every part once while complaints flow, one failure at a time: the next starts
    when every service answers its health check again. Notes how many complaints had been
    sent when each failure started and when the stack had recovered from it."""
    done = []

    async def recovered(what: str, started_at: int) -> None:
        await services.wait_healthy(within=RECOVERY)
        done.append(f"{what} ({started_at}-{stream.sent}, until {utc_now()})")

    for name in ("intake", "routing", "sla", "notify"):
        await asyncio.sleep(1.5)
        started_at = stream.sent
        restart(services, name)
        await recovered(f"kill -9 {name}", started_at)
    await asyncio.sleep(1.5)
    started_at = stream.sent
    await asyncio.to_thread(infra["rabbit"].stop)
    await asyncio.sleep(1)
    await asyncio.to_thread(infra["rabbit"].start)
    await recovered("restart rabbitmq", started_at)
    await asyncio.sleep(1.5)
    started_at = stream.sent
    # Clean restarts (SIGTERM, PostgreSQL's fast shutdown), as a deployment does them.
    await asyncio.to_thread(infra["ferret"].stop)
    await asyncio.to_thread(infra["postgres"].stop)
    await asyncio.sleep(1)
    await asyncio.to_thread(infra["postgres"].start)
    await asyncio.to_thread(infra["ferret"].start)
    await recovered("restart store", started_at)
    await asyncio.sleep(1.5)
    started_at = stream.sent
    infra["smtp"].stop()
    await asyncio.to_thread(infra["kannel"].stop)
    await asyncio.sleep(6)
    infra["smtp"].start()
    await asyncio.to_thread(infra["kannel"].start)
    done.append(f"smtp and sms gateway down 6 s ({started_at}-{stream.sent}, until {utc_now()})")
    return done


async def every_complaint_routed(db: Database, total: int) -> None:
    """Every complaint stored once and routed."""

    async def all_routed() -> tuple[int, int]:
        complaints = await db["complaints"].count_documents({})
        routed = await db["cases"].count_documents({"routing": {"$ne": None}})
        return (complaints, routed) if routed == total else False  # type: ignore[return-value]

    await eventually(all_routed, f"{total} complaints routed", 180)
    assert await db["complaints"].count_documents({}) == total  # none lost, none doubled


async def every_reporter_acknowledged_once(
    db: Database, infra: dict[str, Any], stream: Stream
) -> int:
    """One acknowledgement per reporter, by mail or SMS; returns the mails resent."""

    async def all_acknowledged() -> bool:
        sent = await db["notifications"].count_documents({"kind": "diterima", "status": "sent"})
        return sent == stream.sent

    await eventually(all_acknowledged, "every acknowledgement sent", 240)
    sms_count = sum(stream.is_sms(n) for n in range(stream.sent))
    acks = [m for m in infra["smtp"].messages if "diterima" in str(m["Subject"])]
    # One acknowledgement per reporter. A mail that notify resends because it died between
    # the SMTP server's acceptance and its own record carries the same Message-ID, which
    # mailbox providers (Gmail, for one) keep once: count distinct messages per reporter,
    # and report the resends.
    by_id = {str(m["Message-ID"]): m for m in acks}
    email_acks = Counter(str(m["To"]) for m in by_id.values())
    assert len(email_acks) == stream.sent - sms_count
    twice = {to for to, count in email_acks.items() if count > 1}
    assert not twice, [(str(m["To"]), str(m["Message-ID"])) for m in acks if str(m["To"]) in twice]

    def sms_outbox() -> list[dict[str, Any]]:
        return [r for r in phones.read_outbox() if "diterima" in r["text"]]

    async def every_phone_reached() -> bool:
        # notify records an SMS once the gateway took it; the phone has it a moment later
        return len({r["to"] for r in sms_outbox()}) == sms_count

    await eventually(every_phone_reached, "every SMS acknowledgement at the phone", 30)
    outbox = sms_outbox()
    sms_acks = Counter(r["to"] for r in outbox)
    twice_sms = {to for to, count in sms_acks.items() if count > 1}
    if twice_sms:  # what notify recorded and when the phone got each, to tell why
        records = [
            record
            async for record in db["notifications"].find(
                {"kind": "diterima", "channel": "sms"},
                {
                    "key": 1,
                    "status": 1,
                    "attempts": 1,
                    "created_at": 1,
                    "updated_at": 1,
                    "sent_at": 1,
                    "delivery_reports": 1,
                },
            )
            if any(str(record["key"]).endswith(to) for to in twice_sms)
        ]
        received = [(r["to"], r["at"]) for r in outbox if r["to"] in twice_sms]
        raise AssertionError(f"SMS sent twice: {received}; notify recorded {records}")
    return len(acks) - len(by_id)


async def no_dead_letters(amqp_url: str) -> None:
    """Every dead-letter queue is empty."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for consumer in Queues.all():
            dlq = await channel.declare_queue(consumer.dead_letter_queue.name, passive=True)
            if dlq.declaration_result.message_count:
                sample = await dlq.get(fail=False)
                assert sample is not None
                raise AssertionError(
                    f"{consumer.name}: {dlq.declaration_result.message_count} "
                    f"dead letters, e.g. {sample.headers} {sample.body[:300]!r}"
                )


async def test_nothing_is_lost_and_nothing_is_sent_twice(
    stack: ServiceStack, infra: dict[str, Any]
) -> None:
    started = time.monotonic()
    ferret: PrivateFerret = infra["ferret"]
    # A patient client (30 s, as a browser or an SMS gateway waits): an impatient one leaves
    # the server working on requests nobody waits for while it sends them again.
    async with httpx.AsyncClient(timeout=30) as client:
        stream = Stream(client)
        streaming = asyncio.create_task(stream.run())
        try:
            broken = await chaos(stack, infra, stream)
            stream.enough.set()
            await streaming
            try:
                await stream.all_accepted(within=ACCEPTED_WITHIN)
            except AssertionError as exc:
                raise AssertionError(f"{exc}; {ferret.pool_state()}") from exc
        finally:
            streaming.cancel()
            for submission in stream.submissions:
                submission.cancel()
    accepted = time.monotonic()
    await stack.wait_healthy(within=120)

    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(ferret.url)
    try:
        await every_complaint_routed(mongo[DB], stream.sent)
        resent = await every_reporter_acknowledged_once(mongo[DB], infra, stream)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; {ferret.pool_state()}; {', '.join(broken)}") from exc
    finally:
        await mongo.close()
    await no_dead_letters(infra["rabbit"].url)
    print(
        f"\nchaos: {stream.sent} complaints at {RATE:g}/s, {', '.join(broken)}; all accepted "
        f"after {accepted - started:.0f} s; {resent} mail(s) resent with the same Message-ID; "
        f"{time.monotonic() - started:.0f} s in all"
    )
