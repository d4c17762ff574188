"""Transparency figures without a store: facts from events, folding, working time, periods."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.intake.stats import PeriodError, StatsService
from services.sla.stats import Change, StatsRecorder
from services.sla.workcalendar import WorkingDayCalendar
from shared.contracts.events import (
    ComplaintAssigned,
    ComplaintHeldForVerification,
    ComplaintRated,
    ComplaintReceived,
    ComplaintResolved,
    ComplaintResponded,
)
from shared.contracts.types import Channel, Stage
from shared.directory import load_directory
from shared.indonesian import format_number, format_share
from shared.store.stats import CaseFacts, PeriodStats, fold, median_of, pack_cell, unpack_cell
from tests import events

WIB = ZoneInfo("Asia/Jakarta")
TID = "LPR-260302-UNIT1"


def wib(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WIB)


class MemoryFacts:
    def __init__(self) -> None:
        self.docs: dict[str, CaseFacts] = {}
        self.saves = 0

    async def load_facts(self, tracking_id: str) -> CaseFacts | None:
        return self.docs.get(tracking_id)

    async def save_facts(self, *, before: CaseFacts | None, after: CaseFacts) -> None:
        self.saves += 1
        self.docs[after.tracking_id] = after


def recorder() -> tuple[StatsRecorder, MemoryFacts]:
    store = MemoryFacts()
    return StatsRecorder(store=store, calendar=WorkingDayCalendar()), store


# --- working time ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (wib(2, 8), wib(2, 10), 0.25),  # Monday, two working hours
        (wib(2, 6), wib(2, 18), 1.0),  # outside hours count nothing
        (wib(6, 15), wib(9, 9), 0.25),  # Friday 15-16 and Monday 8-9, weekend between
        (wib(17, 12), wib(25, 12), 1.0),  # Nyepi, Idul Fitri and cuti bersama: 17 and 25 only
        (wib(2, 10), wib(2, 9), 0.0),  # end before start
    ],
)
def test_working_time_counts_only_working_hours(
    start: datetime, end: datetime, days: float
) -> None:
    assert WorkingDayCalendar().working_time_between(start, end) == pytest.approx(days)


# --- facts from events -----------------------------------------------------------------
def received(at: datetime) -> ComplaintReceived:
    return events.received(TID, at, kecamatan=" Singkep ", confidential=True)


def assigned(at: datetime, opd: str) -> ComplaintAssigned:
    return events.assigned(TID, at, opd, received_at=wib(2, 9))


def responded(at: datetime) -> ComplaintResponded:
    return events.responded(TID, at)


def resolved(at: datetime) -> ComplaintResolved:
    return ComplaintResolved(correlation_id=TID, tracking_id=TID, resolved_by="x", resolved_at=at)


def rated(at: datetime, score: int) -> ComplaintRated:
    return ComplaintRated(
        correlation_id=TID, tracking_id=TID, score=score, channel=Channel.SMS, rated_at=at
    )


def changes(r: StatsRecorder) -> list[Change]:
    """A complaint's life, as the events SLA receives (each on its own queue)."""
    return [
        r.received(received(wib(2, 9))),
        r.assigned(assigned(wib(2, 10), "DPUPR")),
        r.held(
            ComplaintHeldForVerification(
                correlation_id=TID,
                tracking_id=TID,
                occurred_at=wib(2, 11),
                confidence=0.0,
                reason="rejected_by_opd",
                rejected_by="DPUPR",
            )
        ),
        r.assigned(assigned(wib(2, 12), "DISPERKIM")),
        r.responded(responded(wib(4, 12)), due_at=None),
        r.resolved(resolved(wib(5, 9))),
        r.rated(rated(wib(5, 10), 2)),
        r.rated(rated(wib(5, 11), 4)),
    ]


async def test_a_complaints_facts() -> None:
    r, store = recorder()
    for change in changes(r):
        await r.record(TID, change)
    f = store.docs[TID]
    assert (f.opd, f.dispositioned, f.assigned_opds, f.passed_back_by) == (
        "DISPERKIM",
        1,
        ["DISPERKIM", "DPUPR"],
        ["DPUPR"],
    )
    assert f.kecamatan == "Singkep" and f.confidential and f.channel == "sms"
    # disposition Monday 12.00, first follow-up Wednesday 12.00: 0.5 + 1 + 0.5 working days
    assert f.follow_up_days == 2.0 and f.follow_up_on_time == 1 and f.follow_up_decided == 1
    assert (f.resolved, f.open, f.rating, f.status) == (1, 0, 4, "selesai")
    cell = f.cell()
    assert cell["passed_back"] == 1 and cell["ever_assigned"] == 1 and cell["open"] == 0
    assert "text" not in f.to_mongo() and "jalan" not in str(f.to_mongo())  # no content kept


def test_open_is_derived_also_for_documents_that_stored_it() -> None:
    """Older `case_stats` documents carry an `open` field: loading ignores it."""
    assert "open" not in CaseFacts.model_validate({"_id": TID}).to_mongo()
    assert CaseFacts.model_validate({"_id": TID, "resolved": 1, "open": 1}).open == 0
    assert CaseFacts.model_validate({"_id": TID, "open": 0}).open == 1


async def test_order_and_repetition_of_events_do_not_change_the_facts() -> None:
    """Every event has its own queue: any order, any redelivery, the same facts."""
    r, store = recorder()
    for change in changes(r):
        await r.record(TID, change)
    reference = store.docs[TID]
    rng = random.Random(5)
    orders = list(itertools.permutations(range(8)))
    for order in rng.sample(orders, 150):
        r2, store2 = recorder()
        steps = changes(r2)
        for i in order:
            await r2.record(TID, steps[i])
            if i % 3 == 0:
                await r2.record(TID, steps[i])  # redelivered
        assert store2.docs[TID] == reference, order


async def test_a_redelivery_writes_nothing() -> None:
    r, store = recorder()
    change = r.received(received(wib(2, 9)))
    await r.record(TID, change)
    await r.record(TID, change)
    assert store.saves == 1


async def test_a_late_follow_up_and_a_breach() -> None:
    r, store = recorder()
    await r.record(TID, r.received(received(wib(2, 9))))
    await r.record(TID, r.assigned(assigned(wib(2, 10), "DINKES")))
    await r.record(TID, StatsRecorder.breached(Stage.FOLLOW_UP))
    f = store.docs[TID]
    assert (f.follow_up_decided, f.follow_up_on_time, f.breached_follow_up) == (1, 0, 1)
    await r.record(TID, r.responded(responded(wib(12, 9)), due_at=None))  # due was 9 March
    f = store.docs[TID]
    assert (f.followed_up, f.follow_up_decided, f.follow_up_on_time) == (1, 1, 0)


# --- folding ---------------------------------------------------------------------------
def test_median_of_a_histogram() -> None:
    assert median_of({}) is None
    assert median_of({1.0: 1}) == 1.0
    assert median_of({1.0: 1, 3.0: 1}) == 2.0
    assert median_of({0.5: 3, 9.0: 1}) == 0.5
    assert median_of({1.0: 2, 2.0: 2}) == 1.5


def _cell(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "opd": None,
        "channel": "web",
        "kecamatan": None,
        "rating": 0,
        "days": None,
        "assigned": [],
        "passed_back_by": [],
        "open": 1,
    }
    base.update(kw)
    return base


def test_fold_counts_each_row_and_keeps_the_unassigned_row() -> None:
    cells = [
        _cell(opd="DINKES", assigned=["DINKES"], ever_assigned=1, dispositioned=1, followed_up=1,
              days=1.5, follow_up_decided=1, follow_up_on_time=1, rating=5, kecamatan="Lingga"),
        _cell(opd="DINKES", assigned=["DINKES", "DPUPR"], ever_assigned=1, dispositioned=1,
              passed_back_by=["DPUPR"], passed_back=1, follow_up_decided=1, breached_follow_up=1),
        _cell(channel="sms"),
    ]  # fmt: skip
    stats = fold(
        cells,
        start=date(2026, 3, 1),
        end=date(2026, 3, 31),
        tz=WIB,
        directory=load_directory(),
        now=datetime(2026, 4, 1, tzinfo=UTC),
    )
    rows = {r.code: r.figures for r in stats.by_opd}
    assert rows["DINKES"].received == 2 and rows["DINKES"].on_time_share == 0.5
    assert rows["DINKES"].median_follow_up_days == 1.5 and rows["DINKES"].breaches == 1
    assert rows["DPUPR"].received == 0 and rows["DPUPR"].passed_back_share == 1.0
    assert rows[None].received == 1 and stats.by_opd[-1].name == "Belum didisposisikan"
    assert stats.total.received == 3 and stats.total.rating_average == 5.0
    assert [g.key for g in stats.by_kecamatan] == ["Lingga", "Tidak diketahui"]
    assert {g.key: g.figures.received for g in stats.by_channel} == {"web": 2, "sms": 1}
    assert len(stats.by_opd) == len(load_directory().agencies) + 1


# --- the public period -----------------------------------------------------------------
def _service(now: datetime) -> StatsService:
    async def read(start: date, end: date, at: datetime) -> PeriodStats:
        raise AssertionError("not read")

    return StatsService(read=read, tz=WIB, clock=lambda: now)


def test_the_period_defaults_to_this_month_so_far() -> None:
    service = _service(datetime(2026, 11, 27, 18, 0, tzinfo=UTC))  # 28 November in WIB
    assert service.period(None, None) == (date(2026, 11, 1), date(2026, 11, 28))


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (date(2026, 3, 31), date(2026, 3, 1), "to"),
        (None, date(2026, 12, 1), "to"),
        (date(1999, 1, 1), date(2000, 1, 1), "from"),
        (date(2020, 1, 1), date(2026, 1, 1), "to"),
    ],
)
def test_impossible_periods_are_refused(start: date | None, end: date, field: str) -> None:
    with pytest.raises(PeriodError) as caught:
        _service(datetime(2026, 11, 28, 3, tzinfo=UTC)).period(start, end)
    assert caught.value.field == field


def test_indonesian_number_formats() -> None:
    assert format_number(1234567) == "1.234.567"
    assert format_number(2.5, 2) == "2,50"
    assert format_number(None) == "–"
    assert format_share(0.8571) == "85,7%"
    assert format_share(None) == "–"


def test_a_cell_packs_and_unpacks() -> None:
    cell = _cell(
        opd="DPUPR",
        kecamatan="Singkep\x1fBarat",
        rating=4,
        days=1.25,
        assigned=["DPUPR", "DINKES"],
        passed_back_by=["DINKES"],
        followed_up=1,
        passed_back=1,
    )
    back = unpack_cell(pack_cell(cell))
    assert back["kecamatan"] == "Singkep Barat"  # the separator never survives in a value
    assert back["assigned"] == ["DINKES", "DPUPR"] and back["passed_back_by"] == ["DINKES"]
    assert (back["opd"], back["rating"], back["days"], back["followed_up"]) == ("DPUPR", 4, 1.25, 1)
    assert back["open"] == 1 and back["resolved"] == 0
    empty = unpack_cell(pack_cell(_cell()))
    assert (empty["opd"], empty["days"], empty["assigned"]) == (None, None, [])
    for bad in ("", "2\x1fa", "1" + "\x1f" * 8 + "01"):
        with pytest.raises(ValueError):
            unpack_cell(bad)
