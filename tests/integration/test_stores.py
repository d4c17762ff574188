"""The storage adapters on the real MongoDB-compatible store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient

from services.intake.adapters.mongo_store import MongoComplaintStore
from services.intake.ports import DuplicateSubmission, TrackingIdTaken, Unavailable
from services.notify.adapters.mongo_store import MongoNotificationLog
from services.notify.ports import Claim
from services.routing.adapters.mongo_store import MongoCaseStore
from services.sla.adapters.mongo_store import MongoClockStore
from services.sla.metrics import SlaMetrics
from services.sla.service import SlaPolicy, SlaService
from services.sla.workcalendar import WorkingDayCalendar
from shared.contracts.events import ComplaintAssigned, ComplaintReceived
from shared.contracts.types import Channel, RoutingMethod, Stage, Status
from shared.locks import KeyedLock
from shared.mongo import NOTIFICATIONS, SLA_CLOCKS, Database, ensure_indexes
from shared.observability import new_registry
from shared.store.cases import CaseDocument, HistoryEntry, RoutingDecision
from shared.store.complaints import ComplaintDocument, Reporter

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


def complaint(tid: str) -> ComplaintDocument:
    return ComplaintDocument(
        tracking_id=tid,
        source_key=f"test:{tid}",
        channel=Channel.EMAIL,
        text="Sampah menumpuk 🚮",
        reporter=Reporter(name="Ani", email="ani@lapor.test"),
        anonymous=True,
        received_at=NOW,
    )


def case(tid: str) -> CaseDocument:
    return CaseDocument(tracking_id=tid, channel=Channel.EMAIL, received_at=NOW, updated_at=NOW)


async def test_indexes_can_be_ensured_again_and_again(db: Database) -> None:
    await ensure_indexes(db)
    await asyncio.gather(*(ensure_indexes(db) for _ in range(3)))
    info = await db[NOTIFICATIONS].index_information()
    assert info["key_unique"]["unique"] is True


async def test_complaints_round_trip_with_their_case_and_ids_are_unique(db: Database) -> None:
    await ensure_indexes(db)
    store = MongoComplaintStore(db)
    await store.insert(complaint("LPR-261128-RT000"), outbox=[])
    with pytest.raises(DuplicateSubmission) as dup:
        await store.insert(complaint("LPR-261128-RT000"), outbox=[])  # the same source again
    assert dup.value.tracking_id == "LPR-261128-RT000"
    other_source = complaint("LPR-261128-RT000").model_copy(update={"source_key": "other"})
    with pytest.raises(TrackingIdTaken):
        await store.insert(other_source, outbox=[])
    record = await store.load_record("LPR-261128-RT000")
    assert record is not None and record.case is None and record.deadlines == {}
    assert record.complaint.text == "Sampah menumpuk 🚮" and record.complaint.anonymous
    assert record.complaint.received_at == NOW
    assert await store.load_record("LPR-261128-NOPE0") is None


async def test_routing_is_recorded_once(db: Database) -> None:
    cases = MongoCaseStore(db)
    await cases.open_case(case("LPR-261128-RT001"))
    await cases.open_case(case("LPR-261128-RT001"))  # redelivery: no error, no change
    decision = RoutingDecision(method=RoutingMethod.CLASSIFIER, confidence=0.8, decided_at=NOW)
    history = HistoryEntry(at=NOW, status=Status.DIDISPOSISIKAN, actor="routing")
    args = {
        "tracking_id": "LPR-261128-RT001",
        "status": Status.DIDISPOSISIKAN,
        "decision": decision,
        "history": history,
        "outbox": [],
    }
    first = await cases.record_routing(opd="DLH", **args)  # type: ignore[arg-type]
    again = await cases.record_routing(opd="DINKES", **args)  # type: ignore[arg-type]
    assert (first, again) == (True, False)
    loaded = await cases.load_case("LPR-261128-RT001")
    assert loaded is not None
    assert loaded.opd == "DLH" and loaded.status == Status.DIDISPOSISIKAN
    assert len(loaded.history) == 1


async def test_the_notification_log_claims_each_key_once(db: Database) -> None:
    await ensure_indexes(db)
    log = MongoNotificationLog(db, report_wait=timedelta(minutes=10))
    args = {
        "notification_id": "n1",
        "key": "evt:diterima:email:a@b",
        "tracking_id": "LPR-1",
        "kind": "diterima",
        "channel": "email",
    }
    assert await log.claim(**args) == Claim.NEW
    # Claimed again while still pending: the first attempt died mid-send.
    assert await log.claim(**args) == Claim.UNCERTAIN
    await log.mark_failed(notification_id="n1", error="smtp down")
    assert await log.claim(**args) == Claim.RETRY  # a known failure: simply send again
    # The send is recorded while delivery reports arrive: nothing may be lost.
    await asyncio.gather(
        log.mark_sent(notification_id="n1", message_id="<x@y>"),
        log.record_delivery_report(notification_id="n1", report=8),
        log.record_delivery_report(notification_id="n1", report=1),
    )
    assert await log.claim(**args) == Claim.ALREADY_SENT
    record = await db[NOTIFICATIONS].find_one({"_id": "n1"})
    assert record is not None and record["status"] == "sent"
    assert sorted(r["type"] for r in record["delivery_reports"]) == [1, 8]
    assert not await log.record_delivery_report(notification_id="nope", report=1)

    # An SMS cut off mid-send: wait for the gateway's report rather than send twice...
    sms = {**args, "notification_id": "s1", "key": "evt:diterima:sms:+62", "channel": "sms"}
    assert await log.claim(**sms) == Claim.NEW
    assert await log.claim(**sms) == Claim.WAIT
    # ...and once the report says the gateway took it, it counts as sent.
    await log.record_delivery_report(notification_id="s1", report=8)
    assert await log.claim(**sms) == Claim.ALREADY_SENT
    # No report within the wait: the SMS never reached the gateway, so it goes again.
    impatient = MongoNotificationLog(db, report_wait=timedelta(0))
    lost = {**sms, "notification_id": "s2", "key": "evt:diterima:sms:+63"}
    assert await impatient.claim(**lost) == Claim.NEW
    assert await impatient.claim(**lost) == Claim.UNCERTAIN

    # Refused for good (an address no server takes): every later claim says so.
    bad = {**args, "notification_id": "r1", "key": "evt:diterima:email:x"}
    assert await log.claim(**bad) == Claim.NEW
    await log.mark_failed(notification_id="r1", error="email address: not valid", final=True)
    assert await log.claim(**bad) == Claim.REFUSED
    assert await log.claim(**bad) == Claim.REFUSED


async def test_concurrent_clock_changes_of_one_case_are_all_kept(db: Database) -> None:
    store = MongoComplaintStore(db)
    await store.insert(complaint("LPR-261128-RT002"), outbox=[])
    sla = SlaService(
        store=MongoClockStore(db),
        calendar=WorkingDayCalendar(),
        metrics=SlaMetrics.create(new_registry()),
        policy=SlaPolicy(),
        locks=KeyedLock(),
    )
    received = ComplaintReceived(
        correlation_id="x",
        tracking_id="LPR-261128-RT002",
        channel=Channel.EMAIL,
        text="Sampah",
        received_at=NOW,
    )
    assigned = ComplaintAssigned(
        correlation_id="x",
        tracking_id="LPR-261128-RT002",
        opd="DLH",
        opd_name="DLH",
        status=Status.DIDISPOSISIKAN,
        method=RoutingMethod.CLASSIFIER,
        confidence=0.9,
        received_at=NOW,
        assigned_at=NOW + timedelta(hours=1),
    )
    # Two events of one case handled at the same moment (they come on different queues).
    await asyncio.gather(sla.on_received(event=received), sla.on_assigned(event=assigned))
    clock = await db[SLA_CLOCKS].find_one({"_id": "LPR-261128-RT002"})
    assert clock is not None
    assert set(clock["stages"]) == {"verification", "completion", "follow_up"}
    assert clock["stages"]["verification"]["met_at"] == NOW + timedelta(hours=1)
    record = await store.load_record("LPR-261128-RT002")
    assert record is not None
    assert set(record.deadlines) == {Stage.VERIFICATION, Stage.COMPLETION, Stage.FOLLOW_UP}


async def test_open_cases_are_counted_by_stage(db: Database) -> None:
    cases = MongoCaseStore(db)
    for n in range(3):
        await cases.open_case(case(f"LPR-261128-CNT0{n}"))
    counts = await MongoClockStore(db).count_open_by_stage()
    assert counts[Stage.VERIFICATION] == 3 and counts[Stage.FOLLOW_UP] == 0


async def test_an_unreachable_store_is_reported_as_unavailable() -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        "mongodb://127.0.0.1:9/lapor", serverSelectionTimeoutMS=300
    )
    store = MongoComplaintStore(client.get_default_database())
    with pytest.raises(Unavailable):
        await store.insert(complaint("LPR-261128-DOWN0"), outbox=[])
    with pytest.raises(Unavailable):
        await store.load_record("LPR-261128-DOWN0")
    await client.close()
