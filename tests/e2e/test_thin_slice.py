"""The whole path with the four services as processes on the real local stack.

A citizen posts a complaint; routing assigns it, sla records the deadline, notify mails the
acknowledgement through SMTP into the Dovecot sandbox, where we read it over IMAP.
"""

from __future__ import annotations

import asyncio
import email
import imaplib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from shared.contracts.events import OpdAssignment
from tests.conftest import (
    AMQP_BASE,
    IMAP_PORT,
    MONGODB_BASE,
    RABBIT_API,
    SMTP_PORT,
    queue_depth,
    take_one,
)

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
SERVICES = {"intake": 18000, "routing": 18001, "sla": 18002, "notify": 18003}


@dataclass
class Stack:
    """The running services of one test."""

    processes: dict[str, subprocess.Popen[bytes]]
    vhost: str
    logs: Path

    def url(self, service: str, path: str) -> str:
        return f"http://127.0.0.1:{SERVICES[service]}{path}"


def _env(vhost: str, db_name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    env.update(
        {
            "LAPOR_AMQP_URL": f"{AMQP_BASE}/{vhost}",
            "LAPOR_MONGODB_URL": f"{MONGODB_BASE}/{db_name}",
            "LAPOR_SMTP_PORT": str(SMTP_PORT),
            "LAPOR_PUBLIC_BASE_URL": f"http://127.0.0.1:{SERVICES['intake']}",
            "LAPOR_OUTBOX_RELAY_INTERVAL_SECONDS": "0.5",
            **{f"LAPOR_{name.upper()}_PORT": str(port) for name, port in SERVICES.items()},
        }
    )
    return env


async def _wait_healthy(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(120):
            statuses = []
            for name in SERVICES:
                if stack.processes[name].poll() is not None:
                    log = (stack.logs / f"{name}.log").read_text()[-3000:]
                    raise AssertionError(f"{name} exited:\n{log}")
                try:
                    statuses.append((await client.get(stack.url(name, "/healthz"))).status_code)
                except httpx.TransportError:
                    statuses.append(0)
            if all(code == 200 for code in statuses):
                return
            await asyncio.sleep(0.5)
    raise AssertionError(f"services not healthy: {statuses}")


@pytest.fixture
async def stack(vhost: str, db_name: str, tmp_path: Path) -> AsyncIterator[Stack]:
    env = _env(vhost, db_name)
    processes = {}
    for name in SERVICES:
        log = (tmp_path / f"{name}.log").open("wb")
        processes[name] = subprocess.Popen(  # noqa: ASYNC220 - started once, not awaited
            [sys.executable, "-m", f"services.{name}"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    running = Stack(processes=processes, vhost=vhost, logs=tmp_path)
    try:
        await _wait_healthy(running)
        yield running
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in processes.items():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                raise AssertionError(f"{name} did not stop within 30 s of SIGTERM") from None


def _fetch_mail(address: str, tracking_id: str) -> list[Message]:
    imap = imaplib.IMAP4("127.0.0.1", IMAP_PORT)
    try:
        imap.login(address, "lapor-dev")
        imap.select("INBOX")
        _, data = imap.search(None, "SUBJECT", f'"{tracking_id}"')
        messages = []
        for num in data[0].split():
            _, parts = imap.fetch(num, "(RFC822)")
            raw = parts[0]
            assert isinstance(raw, tuple)
            messages.append(email.message_from_bytes(raw[1]))
        return messages
    finally:
        imap.logout()


async def test_a_web_complaint_is_assigned_deadlined_and_acknowledged_by_mail(
    stack: Stack,
) -> None:
    reporter = f"warga-{uuid.uuid4().hex[:8]}@lapor.test"
    complaint = {
        "text": "Jalan kabupaten di Desa Resang rusak dan berlubang, jembatan kayunya juga "
        "hampir roboh. Mohon segera diperbaiki.",
        "name": "Siti Aminah",
        "email": reporter,
        "phone": "0812-3456-7890",
        "location": "Desa Resang, Kecamatan Singkep Selatan",
    }
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(stack.url("intake", "/api/v1/complaints"), json=complaint)
        assert response.status_code == 201, response.text
        tracking_id = response.json()["tracking_id"]

        status: dict[str, Any] = {}
        for _ in range(60):
            status = (await client.get(response.json()["status_url"])).json()
            deadlines = status.get("deadlines") or {}
            if status["status"] == "didisposisikan" and "verification" in deadlines:
                break
            await asyncio.sleep(0.25)
        assert status["status"] == "didisposisikan", status
        assert status["agency"] == {
            "code": "DPUPR",
            "name": "Dinas Pekerjaan Umum dan Penataan Ruang",
        }
        assert "verification" in status["deadlines"]
        assert "Siti" not in str(status) and reporter not in str(status)

        mails: list[Message] = []
        for _ in range(60):
            mails = await asyncio.to_thread(_fetch_mail, reporter, tracking_id)
            if len(mails) >= 2:
                break
            await asyncio.sleep(0.25)
        subjects = sorted(str(m["Subject"]) for m in mails)
        assert len(mails) == 2, subjects
        ack = next(m for m in mails if "diterima" in str(m["Subject"]))
        assert ack["Auto-Submitted"] == "auto-generated"
        body = ack.get_payload(0).get_payload(decode=True).decode()  # type: ignore[union-attr]
        assert tracking_id in body

        desk = await asyncio.to_thread(_fetch_mail, "dpupr@lapor.test", tracking_id)
        assert len(desk) == 1 and "Laporan baru" in str(desk[0]["Subject"])

        metrics = (await client.get(stack.url("intake", "/metrics"))).text
        assert 'lapor_complaints_received_total{channel="web"} 1.0' in metrics
        routing_metrics = (await client.get(stack.url("routing", "/metrics"))).text
        assert 'lapor_complaints_routed_total{method="classifier",opd="DPUPR"} 1.0' in (
            routing_metrics
        )
        assert "lapor_pipeline_latency_seconds_count 1.0" in routing_metrics
        notify_metrics = (await client.get(stack.url("notify", "/metrics"))).text
        assert 'lapor_notifications_sent_total{channel="email",result="sent"} 3.0' in (
            notify_metrics
        )

    amqp_url = f"{AMQP_BASE}/{stack.vhost}"
    body = await take_one(amqp_url, "lapor.opd.dpupr")
    assert body is not None
    assignment = OpdAssignment.model_validate_json(body)
    assert assignment.tracking_id == tracking_id and assignment.reporter is not None
    assert assignment.reporter.name == "Siti Aminah"
    for dlq in (
        "lapor.routing.complaint-received.dlq",
        "lapor.notify.complaint-received.dlq",
        "lapor.sla.complaint-received.dlq",
        "lapor.notify.complaint-assigned.dlq",
    ):
        assert await queue_depth(amqp_url, dlq) == 0


async def test_with_the_broker_gone_intake_answers_503_and_stores_nothing(
    stack: Stack, db_name: str
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        url = stack.url("intake", "/api/v1/complaints")
        ok = await client.post(
            url, json={"text": "Sampah menumpuk di pasar Dabo sejak minggu lalu"}
        )
        assert ok.status_code == 201
        # Deleting the vhost closes every connection to it: the broker is gone for intake.
        async with httpx.AsyncClient(base_url=RABBIT_API, auth=("guest", "guest")) as api:
            (await api.delete(f"/vhosts/{stack.vhost}")).raise_for_status()
        health = await client.get(stack.url("intake", "/healthz"))
        assert health.status_code == 503 and health.json()["broker"] is False
        refused = await client.post(url, json={"text": "Jalan berlubang di depan kantor camat"})
        assert refused.status_code == 503
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGODB_BASE)
    assert await mongo[db_name]["complaints"].count_documents({}) == 1
    await mongo.close()
