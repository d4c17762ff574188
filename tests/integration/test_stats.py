"""Transparency figures: a month of complaints through the SLA service, checked independently.

A seeded scenario of complaints (on time, late, passed back, resolved, archived, rated,
rahasia) is played in time order through the real SLA use cases and timer scanner, on the
real store and broker, with an injected clock. Expected figures are computed here from the
scenario alone, with a calendar written out by hand (weekends, Nyepi, Idul Fitri and their
cuti bersama of March 2026, Good Friday), never with the production code. Then the store's
figures, the JSON API, the public page and the monthly report must all show exactly them.
"""

from __future__ import annotations

import random
import re
import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from faststream.rabbit import RabbitBroker

from services.intake.stats import StatsService
from services.intake.stats_api import build_stats_api
from services.intake.web.rendering import Pages
from services.intake.web.statistik import build_stats_page
from services.sla.adapters.stats_store import MongoFactsStore
from services.sla.report import build_report, render_html
from services.sla.stats import StatsRecorder
from shared.contracts.events import (
    ComplaintAssigned,
    ComplaintHeldForVerification,
    ComplaintRated,
    ComplaintReceived,
    ComplaintResolved,
    ComplaintResponded,
    ComplaintStatusChanged,
)
from shared.contracts.types import Channel, RoutingMethod, Status
from shared.directory import load_directory
from shared.mongo import Database
from shared.store.stats import CaseFacts, PeriodStats, read_period_stats
from tests.integration.test_sla_clocks import Sla, make_sla
from tests.integration.test_sla_clocks import broker as broker

pytestmark = pytest.mark.integration
WIB = ZoneInfo("Asia/Jakarta")
END = datetime(2026, 4, 30, 12, 0, tzinfo=WIB)  # when the figures are read
OPDS = ("DINKES", "DISDIK", "DPUPR", "DISPERKIM")
KECAMATAN = ("Lingga", "Singkep", "Senayang", None)
# Days off written out by hand (SKB 2026): Nyepi 19 Mar + cuti 18 Mar, Idul Fitri 21-22 Mar
# + cuti 20, 23, 24 Mar, Good Friday 3 Apr; weekends come on top.
OFF = {date(2026, 3, d) for d in (18, 19, 20, 23, 24)} | {date(2026, 4, 3)}


def working(day: date) -> bool:
    return day.weekday() < 5 and day not in OFF


def due(start: datetime, days: int) -> datetime:
    day = start.astimezone(WIB).date()
    for _ in range(days):
        day += timedelta(days=1)
        while not working(day):
            day += timedelta(days=1)
    return datetime.combine(day, time(16), tzinfo=WIB)


def working_days(start: datetime, end: datetime) -> float:
    """Minutes within 08.00-16.00 of working days, over 480 (brute force)."""
    minutes, at = 0, start.astimezone(WIB)
    while at < end:
        if working(at.date()) and time(8) <= at.time() < time(16):
            minutes += 1
        at += timedelta(minutes=1)
    return minutes / 480


@dataclass
class Case:
    """One complaint's script: (instant, action, argument) in time order."""

    tid: str
    received: datetime
    channel: Channel
    kecamatan: str | None
    confidential: bool
    steps: list[tuple[datetime, str, Any]] = field(default_factory=list)


def scenario(seed: int = 11) -> list[Case]:
    rng = random.Random(seed)
    cases: list[Case] = []
    for n in range(44):
        received = datetime(2026, 3, 2, 7, 0, tzinfo=WIB) + timedelta(
            minutes=rng.randrange(0, 29 * 24 * 60)
        )
        case = Case(
            tid=f"LPR-2603{n:02d}-ST{n:03d}",
            received=received,
            channel=rng.choice(list(Channel)),
            kecamatan=rng.choice(KECAMATAN),
            confidential=n % 7 == 3,
        )
        cases.append(case)
        kind = n % 11
        if kind == 10:  # never dispositioned; some archived
            if n % 2:
                case.steps.append((received + timedelta(hours=30), "archive", None))
            continue
        # auto-routed within a minute, or held and dispositioned hours or days later
        delay = timedelta(minutes=1) if n % 3 else timedelta(hours=rng.choice([3, 50, 130]))
        at = received + delay
        opd = OPDS[n % len(OPDS)]
        case.steps.append((at, "assign", opd))
        if kind == 4:  # passed back within hours, then to the next OPD
            at += timedelta(hours=rng.choice([2, 20]))
            case.steps.append((at, "reject", opd))
            at += timedelta(hours=rng.choice([1, 80]))
            opd = OPDS[(n + 1) % len(OPDS)]
            case.steps.append((at, "assign", opd))
        if kind == 7:  # forwarded outside the pemda: no follow-up clock
            case.steps[-1] = (at, "assign", "PLN")
            continue
        if kind in (2, 9):  # no follow-up at all (late unless very recent)
            continue
        at += timedelta(minutes=rng.choice([47, 300, 1500, 4000, 8000, 15000, 20000]))
        if kind == 5:  # resolved straight away, without a separate tindak lanjut
            case.steps.append((at, "resolve", None))
        else:
            case.steps.append((at, "respond", None))
            if kind in (0, 3, 6, 8):
                at += timedelta(hours=rng.choice([5, 48]))
                case.steps.append((at, "resolve", None))
        if any(action == "resolve" for _, action, _ in case.steps) and n % 2 == 0:
            case.steps.append((at + timedelta(hours=3), "rate", 1 + n % 5))
            if n % 4 == 0:  # rated again: the latest counts
                case.steps.append((at + timedelta(hours=9), "rate", 5 - n % 3))
    # one from February, still open at the end: misses its 60-day completion deadline
    feb = Case("LPR-260227-STFEB", datetime(2026, 2, 27, 9, tzinfo=WIB), Channel.SMS, None, False)
    feb.steps.append((feb.received + timedelta(minutes=1), "assign", "DINKES"))
    feb.steps.append((feb.received + timedelta(days=2), "respond", None))
    cases.append(feb)
    for case in cases:
        case.steps = [s for s in case.steps if s[0] < END]
    return cases


# --- the expected figures, from the script alone ------------------------------------------
def expect_case(case: Case) -> dict[str, Any]:
    opd: str | None = None
    assigned: set[str] = set()
    passed_back: set[str] = set()
    disposition: datetime | None = None
    first: datetime | None = None
    resolved = archived = False
    rating = 0
    verification_from: datetime | None = case.received
    breach_verification = breach_follow_up = breach_completion = False
    for at, action, arg in case.steps:
        if action == "assign":
            if verification_from is not None and at > due(verification_from, 3):
                breach_verification = True
            verification_from = None
            opd = arg
            assigned.add(arg)
            disposition = None if arg == "PLN" else at
        elif action == "reject":
            passed_back.add(arg)
            opd, disposition, verification_from = None, None, at
        elif action == "respond" and first is None:
            first = at
        elif action == "resolve":
            resolved = True
            if first is None and opd is not None:
                first = at
        elif action == "archive":
            if verification_from is not None and at > due(verification_from, 3):
                breach_verification = True
            archived, verification_from = True, None
        elif action == "rate":
            rating = arg
    if verification_from is not None and due(verification_from, 3) <= END:
        breach_verification = True
    decided = on_time = 0
    days = None
    if disposition is not None:
        follow_due = due(disposition, 5)
        if first is not None:
            days = round(working_days(disposition, first), 2)
            decided, on_time = 1, int(first <= follow_due)
            breach_follow_up = first > follow_due
        elif follow_due <= END:
            decided, breach_follow_up = 1, True
    completion_due = datetime.combine(
        case.received.astimezone(WIB).date() + timedelta(days=60), time(16), tzinfo=WIB
    )
    if not resolved and not archived and completion_due <= END:
        breach_completion = True
    return {
        "case": case,
        "opd": opd,
        "assigned": assigned,
        "passed_back": passed_back,
        "followed_up": first is not None,
        "days": days,
        "decided": decided,
        "on_time": on_time,
        "resolved": resolved,
        "archived": archived,
        "open": not (resolved or archived),
        "breaches": int(breach_follow_up) + int(breach_completion),
        "verification_breaches": int(breach_verification),
        "rating": rating,
    }


def expect_figures(rows: list[dict[str, Any]], *, opd: str | None = None) -> dict[str, Any]:
    """Figures of a group; for an OPD row, `assigned`/`passed_back` count over all rows."""
    decided = sum(r["decided"] for r in rows)
    on_time = sum(r["on_time"] for r in rows)
    days = [r["days"] for r in rows if r["followed_up"] and r["days"] is not None]
    ratings = [r["rating"] for r in rows if r["rating"]]
    return {
        "received": len(rows),
        "dispositioned": sum(1 for r in rows if r["opd"] is not None),
        "followed_up": sum(1 for r in rows if r["followed_up"]),
        "resolved": sum(1 for r in rows if r["resolved"]),
        "archived": sum(1 for r in rows if r["archived"]),
        "open": sum(1 for r in rows if r["open"]),
        "follow_up_decided": decided,
        "followed_up_on_time": on_time,
        "on_time_share": round(on_time / decided, 4) if decided else None,
        "median_follow_up_days": round(statistics.median(days), 3) if days else None,
        "breaches": sum(r["breaches"] for r in rows),
        "verification_breaches": sum(r["verification_breaches"] for r in rows),
        "ratings": len(ratings),
        "rating_average": round(sum(ratings) / len(ratings), 2) if ratings else None,
    }


def expected_stats(cases: list[Case], start: date, end: date) -> dict[str, Any]:
    rows = [expect_case(c) for c in cases if start <= c.received.astimezone(WIB).date() <= end]
    by_opd: dict[str | None, dict[str, Any]] = {}
    for code in [*OPDS, "PLN", None]:
        mine = [r for r in rows if r["opd"] == code]
        figures = expect_figures(mine)
        if code is not None:
            assigned = sum(1 for r in rows if code in r["assigned"])
            back = sum(1 for r in rows if code in r["passed_back"])
        else:
            assigned = back = 0
        figures |= {
            "assigned": assigned,
            "passed_back": back,
            "passed_back_share": round(back / assigned, 4) if assigned else None,
        }
        by_opd[code] = figures
    total = expect_figures(rows)
    assigned = sum(1 for r in rows if r["assigned"])
    back = sum(1 for r in rows if r["passed_back"])
    total |= {
        "assigned": assigned,
        "passed_back": back,
        "passed_back_share": round(back / assigned, 4) if assigned else None,
    }

    def group(key: str) -> dict[str, dict[str, Any]]:
        keys = {r[key] for r in rows}
        out = {}
        for k in keys:
            mine = [r for r in rows if r[key] == k]
            f = expect_figures(mine)
            a = sum(1 for r in mine if r["assigned"])
            b = sum(1 for r in mine if r["passed_back"])
            f |= {
                "assigned": a,
                "passed_back": b,
                "passed_back_share": round(b / a, 4) if a else None,
            }
            out[k] = f
        return out

    for r in rows:
        r["channel"] = r["case"].channel.value
        r["kecamatan"] = r["case"].kecamatan or "Tidak diketahui"
    return {
        "rows": rows,
        "total": total,
        "by_opd": by_opd,
        "by_channel": group("channel"),
        "by_kecamatan": group("kecamatan"),
    }


# --- playing the scenario through the SLA service ------------------------------------------
async def play(sla: Sla, cases: list[Case]) -> None:
    events: list[tuple[datetime, int, Case, str, Any]] = []
    for i, case in enumerate(cases):
        events.append((case.received, i, case, "receive", None))
        events += [(at, i, case, action, arg) for at, action, arg in case.steps]
    events.sort(key=lambda e: (e[0], e[1]))
    service = sla.service
    for at, _, case, action, arg in events:
        await sla.scan_at(at)
        tid = case.tid
        base = {"correlation_id": tid, "tracking_id": tid}
        if action == "receive":
            await service.on_received(
                event=ComplaintReceived(
                    **base,
                    channel=case.channel,
                    text="isi laporan uji",
                    received_at=at,
                    kecamatan=case.kecamatan,
                    confidential=case.confidential,
                )
            )
        elif action == "assign":
            external = arg == "PLN"
            await service.on_assigned(
                event=ComplaintAssigned(
                    **base,
                    opd=arg,
                    opd_name=arg,
                    external=external,
                    status=Status.DITERUSKAN if external else Status.DIDISPOSISIKAN,
                    method=RoutingMethod.OPERATOR,
                    confidence=1.0,
                    received_at=case.received,
                    assigned_at=at,
                )
            )
        elif action == "reject":
            await service.on_held(
                event=ComplaintHeldForVerification(
                    **base,
                    occurred_at=at,
                    confidence=0.0,
                    reason="rejected_by_opd",
                    rejected_by=arg,
                )
            )
        elif action == "respond":
            await service.on_responded(
                event=ComplaintResponded(
                    **base, opd="X", opd_name="X", response="ditangani", responded_at=at
                )
            )
        elif action == "resolve":
            await service.on_resolved(
                event=ComplaintResolved(**base, resolved_by="petugas", resolved_at=at)
            )
        elif action == "archive":
            await service.on_status_changed(
                event=ComplaintStatusChanged(
                    **base,
                    status=Status.ARSIP,
                    previous_status=Status.BELUM_TERVERIFIKASI,
                    reason="duplikat",
                    changed_at=at,
                )
            )
        elif action == "rate":
            await service.on_rated(
                event=ComplaintRated(**base, score=arg, channel=case.channel, rated_at=at)
            )
    await sla.scan_at(END)


@pytest.fixture
async def sla(db: Database, broker: RabbitBroker, amqp_url: str) -> Sla:
    return await make_sla(db, broker, amqp_url)


@pytest.fixture
async def played(sla: Sla, db: Database) -> list[Case]:
    recorder = StatsRecorder(store=MongoFactsStore(db, tz=WIB), calendar=sla.service.calendar)
    sla.service.stats = recorder
    sla.scanner.stats = recorder
    cases = scenario()
    await play(sla, cases)
    return cases


def _compare(actual: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    assert {k: actual[k] for k in expected} == expected, where


def check_stats(stats: dict[str, Any], expected: dict[str, Any]) -> None:
    _compare(stats["total"], expected["total"], "total")
    rows = {r["code"]: r for r in stats["by_opd"]}
    for code, figures in expected["by_opd"].items():
        _compare(rows[code]["figures"], figures, f"OPD {code}")
    for code, row in rows.items():  # every other agency: nothing at all
        if code not in expected["by_opd"]:
            assert row["figures"]["received"] == 0 and row["figures"]["assigned"] == 0, code
    channels = {r["key"]: r["figures"] for r in stats["by_channel"]}
    assert set(channels) == set(expected["by_channel"])
    for key, figures in expected["by_channel"].items():
        _compare(channels[key], figures, f"channel {key}")
    places = {r["key"]: r["figures"] for r in stats["by_kecamatan"]}
    assert set(places) == set(expected["by_kecamatan"])
    for key, figures in expected["by_kecamatan"].items():
        _compare(places[key], figures, f"kecamatan {key}")


MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def check_the_scenario_covers_what_it_should(played: list[Case]) -> None:
    """Guard against a scenario that no longer exercises the hard cases."""
    e = expected_stats(played, *MARCH)
    total = e["total"]
    assert total["follow_up_decided"] > total["followed_up_on_time"] > 0  # late and on time
    assert total["passed_back"] >= 2 and total["verification_breaches"] >= 2
    assert total["ratings"] >= 3 and total["archived"] >= 1
    assert any(r["case"].confidential and r["open"] for r in e["rows"])
    february = expected_stats(played, date(2026, 2, 1), date(2026, 2, 28))["total"]
    assert february["breaches"] == 1  # its 60-day completion deadline


async def check_each_complaint_facts_match_the_script(played: list[Case], db: Database) -> None:
    """The per-complaint facts first: a mismatch here names the complaint."""
    for case in played:
        e = expect_case(case)
        doc = await db["case_stats"].find_one({"_id": case.tid})
        assert doc is not None, case.tid
        got = {
            "opd": doc["opd"],
            "followed_up": bool(doc["followed_up"]),
            "days": doc["follow_up_days"],
            "decided": doc["follow_up_decided"],
            "on_time": doc["follow_up_on_time"],
            "open": bool(CaseFacts.model_validate(doc).open),
            "breaches": doc["breached_follow_up"] + doc["breached_completion"],
            "verification_breaches": doc["breached_verification"],
            "rating": doc["rating"],
        }
        want = {k: e[k] for k in got}
        assert got == want, (case.tid, case.received, case.steps)


async def check_store_figures_match_the_independent_count(played: list[Case], db: Database) -> None:
    directory = load_directory()
    for start, end in (
        MARCH,
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 9), date(2026, 3, 20)),
    ):
        stats = await read_period_stats(
            db, start=start, end=end, tz=WIB, directory=directory, now=END
        )
        check_stats(stats.model_dump(mode="json"), expected_stats(played, start, end))


async def check_redelivered_events_change_nothing(
    played: list[Case], sla: Sla, db: Database
) -> None:
    directory = load_directory()
    before = await read_period_stats(
        db, start=MARCH[0], end=MARCH[1], tz=WIB, directory=directory, now=END
    )
    await play(sla, played)  # every event a second time
    after = await read_period_stats(
        db, start=MARCH[0], end=MARCH[1], tz=WIB, directory=directory, now=END
    )
    assert after == before


def stats_app(db: Database) -> FastAPI:
    directory = load_directory()

    async def read(start: date, end: date, now: datetime) -> PeriodStats:
        return await read_period_stats(
            db, start=start, end=end, tz=WIB, directory=directory, now=now
        )

    stats = StatsService(read=read, tz=WIB, clock=lambda: END.astimezone(UTC))
    app = FastAPI()
    app.include_router(build_stats_api(stats))
    app.include_router(build_stats_page(stats, Pages.create(tz=WIB, site_name="Uji")))
    return app


async def check_json_and_page_show_the_figures_and_nothing_personal(
    played: list[Case], db: Database
) -> None:
    expected = expected_stats(played, *MARCH)
    transport = httpx.ASGITransport(app=stats_app(db))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get(
            "/api/v1/stats", params={"from": "2026-03-01", "to": "2026-03-31"}
        )
        assert response.status_code == 200, response.text
        check_stats(response.json(), expected)
        assert "LPR-" not in response.text
        page = await client.get("/statistik", params={"from": "2026-03-01", "to": "2026-03-31"})
        assert page.status_code == 200
        assert "LPR-" not in page.text
        total = expected["total"]
        assert f">{total['received']}</td>" in page.text  # the Jumlah row
        for code in OPDS:
            assert load_directory().get(code).name in page.text  # type: ignore[union-attr]
        bad = await client.get("/api/v1/stats", params={"from": "2026-03-31", "to": "2026-03-01"})
        assert bad.status_code == 422 and "to" in bad.json()["errors"]
        bad_page = await client.get("/statistik", params={"from": "31-03-2026"})
        assert bad_page.status_code == 422 and "TTTT-BB-HH" in bad_page.text


def _cells(html: str, code: str) -> dict[str, str]:
    row = re.search(rf'<tr data-opd="{code}">(.*?)</tr>', html, re.S)
    assert row, code
    return dict(re.findall(r'data-field="(\w+)">([^<]*)<', row.group(1)))


def _number(value: float | None, decimals: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")


async def check_monthly_report_shows_the_figures(played: list[Case], db: Database) -> None:
    expected = expected_stats(played, *MARCH)
    report = await build_report(
        db, month=date(2026, 3, 1), months=3, tz=WIB, directory=load_directory(), now=END
    )
    html = render_html(report)
    for code in OPDS:
        f = expected["by_opd"][code]
        cells = _cells(html, code)
        assert cells["received"] == _number(f["received"]), code
        assert cells["followed_up"] == _number(f["followed_up"]), code
        assert cells["open"] == _number(f["open"]), code
        assert cells["breaches"] == _number(f["breaches"]), code
        share = f["on_time_share"]
        assert cells["on_time_share"] == ("–" if share is None else f"{_number(share * 100, 1)}%")
        assert cells["median_follow_up_days"] == _number(f["median_follow_up_days"], 2)
        assert cells["rating_average"] == _number(f["rating_average"], 2)
    assert html.count("data:image/png;base64,") >= 2  # trend charts are images
    # the ten oldest open complaints per OPD, across months, rahasia ones without ID
    everything = [expect_case(c) for c in played]
    for code in OPDS:
        open_here = sorted(
            (r for r in everything if r["open"] and r["opd"] == code),
            key=lambda r: r["case"].received,
        )[:10]
        if not open_here:
            continue
        table = re.search(rf'<table class="oldest" data-opd="{code}">(.*?)</table>', html, re.S)
        assert table, code
        shown = re.findall(r"<tr><td>([^<]*)</td>", table.group(1))
        want = ["(laporan rahasia)" if r["case"].confidential else r["case"].tid for r in open_here]
        assert shown == want, code
    for r in everything:
        if r["case"].confidential:
            assert r["case"].tid not in html


# --- the tests: two plays of the scenario ----------------------------------------------------
async def test_facts_and_figures_match_the_script_and_survive_redelivery(
    played: list[Case], sla: Sla, db: Database
) -> None:
    check_the_scenario_covers_what_it_should(played)
    await check_each_complaint_facts_match_the_script(played, db)
    await check_store_figures_match_the_independent_count(played, db)
    await check_redelivered_events_change_nothing(played, sla, db)


async def test_json_page_and_report_show_the_figures(played: list[Case], db: Database) -> None:
    await check_json_and_page_show_the_figures_and_nothing_personal(played, db)
    await check_monthly_report_shows_the_figures(played, db)
