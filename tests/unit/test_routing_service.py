"""Routing use cases over fakes, and the subscriber on TestRabbitBroker."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from faststream.rabbit import RabbitBroker, TestRabbitBroker

from services.routing.casework import CaseWork
from services.routing.handlers import build_router
from services.routing.metrics import RoutingMetrics
from services.routing.model import Prediction
from services.routing.ports import Classifier
from services.routing.service import ComplaintNotFound, RoutingService
from shared.contracts.events import ComplaintReceived
from shared.contracts.types import Channel, Status
from shared.directory import load_directory
from shared.locks import KeyedLock
from shared.messaging.topology import EVENTS, RoutingKey
from shared.observability import new_registry
from shared.store.complaints import ComplaintDocument, Reporter
from tests import events
from tests.fakes import FakeCases, FakeComplaints, FakeRelay

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


class FixedClassifier:
    def __init__(self, opd: str, confidence: float) -> None:
        self.prediction = Prediction(opd=opd, confidence=confidence)

    def classify(self, text: str) -> Prediction:
        return self.prediction


def make(classifier: Classifier, **doc: object) -> tuple[RoutingService, FakeCases, FakeRelay]:
    complaints = FakeComplaints()
    cases = FakeCases(complaints)
    relay = FakeRelay(cases)
    complaints.docs["LPR-261128-AAAAA"] = ComplaintDocument(
        tracking_id="LPR-261128-AAAAA",
        source_key="test:LPR-261128-AAAAA",
        channel=Channel.WEB,
        text="Obat di puskesmas habis",
        reporter=Reporter(name="Budi", phone="+6281234567890"),
        received_at=NOW,
        **doc,
    )
    service = RoutingService(
        store=cases,
        relay=relay,
        classifier=classifier,
        directory=load_directory(),
        metrics=RoutingMetrics.create(new_registry()),
        threshold=0.5,
        public_base_url="http://x",
        clock=lambda: NOW,
        locks=KeyedLock(),
    )
    return service, cases, relay


def received(tid: str = "LPR-261128-AAAAA") -> ComplaintReceived:
    return events.received(tid, NOW, channel=Channel.WEB, text="Obat di puskesmas habis")


async def test_a_confident_prediction_assigns_and_queues_for_the_opd() -> None:
    service, cases, relay = make(FixedClassifier("DINKES", 0.9))
    await service.route_complaint(event=received())
    doc = cases.cases["LPR-261128-AAAAA"]
    assert doc.status == Status.DIDISPOSISIKAN and doc.opd == "DINKES"
    keys = [(e["exchange"], e["routing_key"]) for e in relay.published]
    assert keys == [(EVENTS.name, RoutingKey.COMPLAINT_ASSIGNED.value), ("lapor.opd", "dinkes")]
    assert relay.published[1]["body"]["reporter"]["name"] == "Budi"


async def test_an_anonymous_reporter_never_reaches_the_opd_queue() -> None:
    service, _, relay = make(FixedClassifier("DINKES", 0.9), anonymous=True)
    await service.route_complaint(event=received())
    opd_message = relay.published[1]["body"]
    assert opd_message["reporter"] is None and "Budi" not in str(opd_message)


async def test_an_external_body_gets_status_diteruskan() -> None:
    service, cases, _ = make(FixedClassifier("PLN", 0.9))
    await service.route_complaint(event=received())
    assert cases.cases["LPR-261128-AAAAA"].status == Status.DITERUSKAN


async def test_low_confidence_goes_to_a_human_verifier() -> None:
    service, cases, relay = make(FixedClassifier("DINKES", 0.2))
    await service.route_complaint(event=received())
    doc = cases.cases["LPR-261128-AAAAA"]
    assert doc.status == Status.BELUM_TERVERIFIKASI and doc.opd is None
    assert doc.routing is not None and doc.routing.suggested_opd == "DINKES"
    assert [e["routing_key"] for e in relay.published] == [RoutingKey.COMPLAINT_HELD.value]


async def test_a_redelivered_event_changes_nothing_twice() -> None:
    service, _, relay = make(FixedClassifier("DINKES", 0.9))
    await service.route_complaint(event=received())
    await service.route_complaint(event=received())
    assert len(relay.published) == 2


async def test_an_unknown_complaint_is_an_error_so_the_message_is_retried() -> None:
    service, _, _ = make(FixedClassifier("DINKES", 0.9))
    with pytest.raises(ComplaintNotFound):
        await service.route_complaint(event=received("LPR-261128-BBBBB"))


async def test_the_subscriber_routes_a_published_event() -> None:
    service, cases, relay = make(FixedClassifier("DINKES", 0.9))
    work = CaseWork(
        store=cases,
        relay=relay,
        directory=load_directory(),
        metrics=RoutingMetrics.create(new_registry()),
        locks=KeyedLock(),
        tz=ZoneInfo("Asia/Jakarta"),
        status_url=service.status_url,
    )
    broker = RabbitBroker()
    broker.include_router(build_router(service, work, prefetch=4, delivery_limit=5))
    async with TestRabbitBroker(broker) as test_broker:
        await test_broker.publish(
            received().model_dump(mode="json"),
            exchange=EVENTS,
            routing_key=RoutingKey.COMPLAINT_RECEIVED.value,
        )
    assert cases.cases["LPR-261128-AAAAA"].opd == "DINKES"
