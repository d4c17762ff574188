"""SLA clocks on the real store and broker, with an injected clock.

The calendar is the real one (2026 holidays and cuti bersama); times are WIB.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aio_pika
import pytest
from faststream.rabbit import RabbitBroker
from pymongo.errors import AutoReconnect

from services.sla.adapters.mongo_store import MongoClockStore
from services.sla.metrics import SlaMetrics
from services.sla.scanner import TimerScanner
from services.sla.service import SlaPolicy, SlaService
from services.sla.workcalendar import WorkingDayCalendar
from shared.contracts.events import (
    ComplaintAssigned,
    ComplaintFollowUpReceived,
    ComplaintReceived,
    ComplaintResponded,
    ComplaintStatusChanged,
    Event,
)
from shared.contracts.types import Channel, Stage, Status
from shared.locks import KeyedLock
from shared.messaging.topology import declare_topology
from shared.mongo import SLA_CLOCKS, SLA_FIRED, SLA_TIMERS, Database, ensure_indexes
from shared.observability import new_registry
from shared.outbox import OutboxRelay
from tests.events import assigned, received, responded

pytestmark = pytest.mark.integration
WIB = ZoneInfo("Asia/Jakarta")
TID = "LPR-260313-SLA01"


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WIB)


@dataclass
class Now:
    at: datetime

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Sla:
    service: SlaService
    scanner: TimerScanner
    metrics: SlaMetrics
    now: Now
    db: Database
    amqp_url: str
    seen: list[dict[str, object]] = field(default_factory=list)

    async def scan_at(self, at: datetime) -> list[str]:
        """Run one scan at `at`; the event types published by it."""
        self.now.at = at
        await self.scanner.scan_once()
        return [e["event_type"] for e in await self.drain()]  # type: ignore[misc]

    async def drain(self) -> list[dict[str, object]]:
        connection = await aio_pika.connect(self.amqp_url)
        got: list[dict[str, object]] = []
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue("test.capture", passive=True)
            while (message := await queue.get(fail=False)) is not None:
                await message.ack()
                body = json.loads(message.body)
                body["event_type"] = message.type
                got.append(body)
        self.seen += got
        return got


async def make_sla(db: Database, broker: RabbitBroker, amqp_url: str) -> Sla:
    await ensure_indexes(db)
    now = Now(wib(2026, 3, 13, 17, 0))
    metrics = SlaMetrics.create(new_registry())
    store = MongoClockStore(db)
    locks = KeyedLock()
    service = SlaService(
        store=store,
        calendar=WorkingDayCalendar(),
        metrics=metrics,
        policy=SlaPolicy(),
        locks=locks,
        clock=now,
    )
    relay = OutboxRelay(collection=db[SLA_FIRED], broker=broker, publisher="sla", lock=KeyedLock())
    scanner = TimerScanner(store=store, relay=relay, metrics=metrics, locks=locks, clock=now)
    return Sla(service=service, scanner=scanner, metrics=metrics, now=now, db=db, amqp_url=amqp_url)


@pytest.fixture
async def broker(amqp_url: str) -> AsyncIterator[RabbitBroker]:
    async with RabbitBroker(amqp_url) as b:
        await declare_topology(b, delivery_limit=5)
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue("test.capture", durable=True)
            await queue.bind("lapor.events", routing_key="sla.#")
            await queue.bind("lapor.events", routing_key="command.#")
        yield b


@pytest.fixture
async def sla(db: Database, broker: RabbitBroker, amqp_url: str) -> Sla:
    return await make_sla(db, broker, amqp_url)


async def due(sla: Sla, stage: Stage) -> datetime:
    clock = await sla.db[SLA_CLOCKS].find_one({"_id": TID})
    assert clock is not None
    value = clock["stages"][stage.value]["due_at"]
    assert isinstance(value, datetime)
    return value.astimezone(WIB)


async def test_friday_evening_receipt_across_nyepi_and_idul_fitri(sla: Sla) -> None:
    # Friday 13 March 2026, 17:00: counting starts Monday 16; 18-24 March are Nyepi,
    # Idul Fitri and cuti bersama, so the third working day is Wednesday 25 March.
    await sla.service.on_received(event=received(TID, wib(2026, 3, 13, 17, 0)))
    assert await due(sla, Stage.VERIFICATION) == wib(2026, 3, 25, 16, 0)
    assert await sla.scan_at(wib(2026, 3, 25, 7, 59)) == []
    assert await sla.scan_at(wib(2026, 3, 25, 8, 0)) == ["sla.reminder_due"]
    assert await sla.scan_at(wib(2026, 3, 25, 15, 59)) == []
    assert await sla.scan_at(wib(2026, 3, 25, 16, 0)) == ["sla.breached"]
    # Escalation waits for the next working morning, not the evening of the breach.
    assert await sla.scan_at(wib(2026, 3, 25, 20, 0)) == []
    assert await sla.scan_at(wib(2026, 3, 26, 8, 0)) == ["sla.escalated"]
    breaches = sla.metrics.breaches.labels(stage="verification", opd="none")._value.get()
    assert breaches == 1


async def test_a_saturday_receipt_counts_from_monday(sla: Sla) -> None:
    await sla.service.on_received(event=received(TID, wib(2026, 11, 28, 10, 0)))
    assert await due(sla, Stage.VERIFICATION) == wib(2026, 12, 2, 16, 0)
    assert await due(sla, Stage.COMPLETION) == wib(2027, 1, 27, 16, 0)  # 60 calendar days


async def test_disposition_meets_verification_and_starts_follow_up(sla: Sla) -> None:
    await sla.service.on_received(event=received(TID, wib(2026, 11, 30, 9, 0)))
    await sla.service.on_assigned(event=assigned(TID, wib(2026, 11, 30, 11, 0)))
    await sla.service.on_assigned(event=assigned(TID, wib(2026, 11, 30, 11, 0)))  # redelivered
    assert await due(sla, Stage.FOLLOW_UP) == wib(2026, 12, 7, 16, 0)
    # Verification was met: its deadline passes without a reminder or a breach.
    assert await sla.scan_at(wib(2026, 12, 3, 17, 0)) == []
    assert await sla.scan_at(wib(2026, 12, 7, 8, 0)) == ["sla.reminder_due"]
    # Re-disposition restarts the follow-up clock; the old timers never fire.
    await sla.service.on_assigned(event=assigned(TID, wib(2026, 12, 7, 9, 0), opd="DISPERKIM"))
    assert await due(sla, Stage.FOLLOW_UP) == wib(2026, 12, 14, 16, 0)
    assert await sla.scan_at(wib(2026, 12, 7, 16, 30)) == []


async def test_an_unanswered_follow_up_closes_the_case_and_a_reply_cancels_it(sla: Sla) -> None:
    await sla.service.on_received(event=received(TID, wib(2026, 11, 30, 9, 0)))
    await sla.service.on_assigned(event=assigned(TID, wib(2026, 11, 30, 10, 0)))
    await sla.service.on_responded(event=responded(TID, wib(2026, 12, 1, 10, 0)))
    assert await due(sla, Stage.AUTO_CLOSE) == wib(2026, 12, 15, 16, 0)
    assert await sla.scan_at(wib(2026, 12, 15, 16, 0)) == ["command.close_complaint"]

    # A second case: the reporter answers before the ten working days are over.
    other = "LPR-261130-SLA02"
    await sla.service.on_received(event=received(other, wib(2026, 11, 30, 9, 0)))
    await sla.service.on_assigned(event=assigned(other, wib(2026, 11, 30, 10, 0)))
    await sla.service.on_responded(event=responded(other, wib(2026, 12, 1, 10, 0)))
    reply = ComplaintFollowUpReceived(
        correlation_id=other,
        tracking_id=other,
        channel=Channel.SMS,
        text="Belum diperbaiki pak",
        received_at=wib(2026, 12, 3, 10, 0),
    )
    await sla.service.on_reporter_reply(event=reply)
    assert await sla.scan_at(wib(2026, 12, 16, 9, 0)) == []


async def test_tunda_pauses_the_clock_and_resuming_gives_back_the_days_left(sla: Sla) -> None:
    await sla.service.on_received(event=received(TID, wib(2026, 11, 30, 9, 0)))
    await sla.service.on_assigned(event=assigned(TID, wib(2026, 11, 30, 10, 0)))  # due Mon 7 Dec
    hold = ComplaintStatusChanged(
        correlation_id=TID,
        tracking_id=TID,
        status=Status.TUNDA,
        previous_status=Status.DIDISPOSISIKAN,
        reason="anggaran",
        changed_at=wib(2026, 12, 2, 10, 0),
    )  # 3 working days left
    await sla.service.on_status_changed(event=hold)
    assert await sla.scan_at(wib(2026, 12, 8, 9, 0)) == []  # paused: nothing fires
    resume = hold.model_copy(
        update={
            "status": Status.DIDISPOSISIKAN,
            "previous_status": Status.TUNDA,
            "changed_at": wib(2026, 12, 10, 10, 0),
        }
    )
    await sla.service.on_status_changed(event=resume)
    assert await due(sla, Stage.FOLLOW_UP) == wib(2026, 12, 15, 16, 0)


async def test_after_a_restart_overdue_timers_fire_at_the_first_scan(
    sla: Sla, db: Database, broker: RabbitBroker, amqp_url: str
) -> None:
    await sla.service.on_received(event=received(TID, wib(2026, 11, 30, 9, 0)))
    restarted = await make_sla(db, broker, amqp_url)  # a new process, nothing in memory
    kinds = await restarted.scan_at(wib(2026, 12, 10, 9, 0))
    assert sorted(kinds) == ["sla.breached", "sla.escalated", "sla.reminder_due"]


async def test_two_replicas_never_fire_a_timer_twice(
    sla: Sla, db: Database, broker: RabbitBroker, amqp_url: str
) -> None:
    for n in range(20):
        await sla.service.on_received(
            event=received(f"LPR-261130-RPL{n:02d}", wib(2026, 11, 30, 9, 0))
        )
    other = await make_sla(db, broker, amqp_url)
    at = wib(2026, 12, 10, 9, 0)
    sla.now.at = other.now.at = at
    fired = await asyncio.gather(
        sla.scanner.scan_once(),
        other.scanner.scan_once(),
        sla.scanner.scan_once(),
        other.scanner.scan_once(),
    )
    events = await sla.drain()
    # 20 cases x (remind, breach, escalate) of verification; completion is not due yet.
    assert sum(fired) == 60
    assert len(events) == 60
    assert len({(e["tracking_id"], e["event_type"]) for e in events}) == 60
    assert await db[SLA_FIRED].count_documents({}) == 60


def test_times_are_reported_in_utc_in_the_store() -> None:
    # Guard for the helpers above: WIB is UTC+7.
    assert wib(2026, 3, 25, 16, 0).astimezone(UTC) == datetime(2026, 3, 25, 9, 0, tzinfo=UTC)
    assert timedelta(hours=7) == wib(2026, 1, 1).utcoffset()


class FailingWrite:
    """The store, but its `fail_at`-th write raises once: a store error mid-handler."""

    def __init__(self, store: MongoClockStore, fail_at: int) -> None:
        self.store, self.fail_at, self.writes = store, fail_at, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)  # reads go through

    async def _write(self, name: str, **kwargs: Any) -> None:
        self.writes += 1
        if self.writes == self.fail_at:
            raise AutoReconnect("injected")
        await getattr(self.store, name)(**kwargs)

    async def save_stages(self, **kwargs: Any) -> None:
        await self._write("save_stages", **kwargs)

    async def add_timers(self, **kwargs: Any) -> None:
        await self._write("add_timers", **kwargs)

    async def cancel_timers(self, **kwargs: Any) -> None:
        await self._write("cancel_timers", **kwargs)

    async def set_paused(self, **kwargs: Any) -> None:
        await self._write("set_paused", **kwargs)


def _life_of(tid: str) -> list[Event]:
    """Receipt, disposition, re-disposition, tunda, resumption, a tindak lanjut."""
    hold = ComplaintStatusChanged(
        correlation_id=tid,
        tracking_id=tid,
        status=Status.TUNDA,
        previous_status=Status.DIDISPOSISIKAN,
        changed_at=wib(2026, 12, 2, 10, 0),
    )
    resume = hold.model_copy(
        update={
            "status": Status.DIDISPOSISIKAN,
            "previous_status": Status.TUNDA,
            "changed_at": wib(2026, 12, 10, 10, 0),
        }
    )
    return [
        received(tid, wib(2026, 11, 30, 9, 0)),
        assigned(tid, wib(2026, 11, 30, 10, 0)),
        assigned(tid, wib(2026, 12, 1, 9, 0), opd="DISPERKIM"),
        hold,
        resume,
        responded(tid, wib(2026, 12, 14, 9, 0)),
    ]


async def _play(service: SlaService, events: list[Event]) -> int:
    """Deliver each event; one that fails is delivered again. Returns the failures."""
    handlers = {
        ComplaintReceived: service.on_received,
        ComplaintAssigned: service.on_assigned,
        ComplaintStatusChanged: service.on_status_changed,
        ComplaintResponded: service.on_responded,
    }
    failures = 0
    for event in events:
        handle = handlers[type(event)]
        try:
            await handle(event=event)  # type: ignore[operator]
        except AutoReconnect:
            failures += 1
            await handle(event=event)  # type: ignore[operator]  # the redelivery
    return failures


async def _state(db: Database, tid: str) -> tuple[object, list[tuple[object, ...]]]:
    clock = await db[SLA_CLOCKS].find_one({"_id": tid})
    assert clock is not None
    timers = [
        (t["stage"], t["kind"], t["fire_at"], t["due_at"], t["state"])
        async for t in db[SLA_TIMERS].find({"tracking_id": tid})
    ]
    return {k: v for k, v in clock.items() if k != "_id"}, sorted(timers, key=str)


async def test_a_store_error_at_any_write_then_the_redelivery_leave_the_same_clock(
    sla: Sla, db: Database
) -> None:
    reference = "LPR-261130-REF00"
    counter = FailingWrite(MongoClockStore(db), fail_at=0)
    sla.service.store = counter
    assert await _play(sla.service, _life_of(reference)) == 0
    expected = await _state(db, reference)
    clock, timers = expected
    assert isinstance(clock, dict) and clock["paused_at"] is None
    for stage in clock["stages"].values():  # every open stage has its timers
        assert (
            stage["met_at"]
            or stage["cancelled_at"]
            or any(t[3] == stage["due_at"] and t[4] == "pending" for t in timers)
        )
    for k in range(1, counter.writes + 1):
        tid = f"LPR-261130-F{k:04d}"
        sla.service.store = FailingWrite(MongoClockStore(db), fail_at=k)
        assert await _play(sla.service, _life_of(tid)) == 1
        assert await _state(db, tid) == expected, f"a failure at write {k}"
