"""`python -m bench.transparency`: the transparency figures with a million complaints.

Fills a scratch database on the local store with N complaints' facts spread over Y years
(the layout the SLA service writes: `case_stats`, day buckets, open lists), then measures,
as medians of several runs:

- the figures for the last month, the last year and the whole range (`read_period_stats`,
  what `/api/v1/stats` and `/statistik` call);
- the monthly report: six months of trend, the oldest open cases of every OPD, charts, HTML;
- the write path: facts recorded per second while the collections hold N complaints;
- the baseline: the same month counted the textbook way, `$match` on the indexed
  `received_at` plus `$group`, over the per-complaint collection (one run; on FerretDB v1
  this scans every document, on MongoDB it uses the index).

Prints a table, then one JSON line. Sizes: LAPOR_BENCH_STATS_COMPLAINTS (1000000),
LAPOR_BENCH_STATS_YEARS (3), LAPOR_BENCH_STATS_RUNS (3), LAPOR_BENCH_STATS_KEEP=1 keeps the
scratch database for another run (it is reused when it already holds N complaints).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.sla.adapters.stats_store import MongoFactsStore
from services.sla.report import build_report, month_range, render_html
from services.sla.stats import StatsRecorder
from services.sla.workcalendar import WorkingDayCalendar
from shared.contracts.events import ComplaintRated
from shared.contracts.types import Channel
from shared.directory import load_directory
from shared.mongo import Database, create_client
from shared.store.stats import (
    CASE_STATS,
    CASE_STATS_DAYS,
    CASE_STATS_OPEN,
    CaseFacts,
    day_key,
    read_period_stats,
)

TZ = ZoneInfo("Asia/Jakarta")
KECAMATAN = ("Lingga", "Lingga Utara", "Singkep", "Singkep Barat", "Senayang", "Lingga Timur")


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(f"LAPOR_BENCH_STATS_{name}", default))


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def synthetic(n: int, years: int, end: date, seed: int = 7) -> list[CaseFacts]:
    """N plausible complaints received over the `years` before `end`."""
    rng = random.Random(seed)
    codes = [a.code for a in load_directory().agencies]
    first = datetime.combine(end - timedelta(days=365 * years), datetime.min.time(), TZ)
    span = int(timedelta(days=365 * years).total_seconds())
    out = []
    for i in range(n):
        received = first + timedelta(seconds=rng.randrange(span))
        age = (datetime.combine(end, datetime.min.time(), TZ) - received).days
        opd = rng.choice(codes) if rng.random() < 0.95 else None
        followed = opd is not None and (age > 10 or rng.random() < 0.5)
        days = round(rng.expovariate(1 / 2.5), 2) if followed else None
        resolved = followed and (age > 60 or rng.random() < 0.4)
        facts = CaseFacts.model_validate(
            {
                "_id": f"LPR-{received:%y%m%d}-B{i:07d}",
                "received_at": received,
                "channel": rng.choice(list(Channel)).value,
                "kecamatan": rng.choice(KECAMATAN),
                "confidential": rng.random() < 0.05,
                "status": "selesai" if resolved else "didisposisikan" if opd else "tunda",
                "opd": opd,
                "dispositioned": int(opd is not None),
                "assigned_opds": [opd] if opd else [],
                "passed_back_by": [rng.choice(codes)] if rng.random() < 0.03 else [],
                "followed_up": int(followed),
                "follow_up_days": days,
                "follow_up_decided": int(followed or (opd is not None and age > 7)),
                "follow_up_on_time": int(days is not None and days <= 5),
                "resolved": int(resolved),
                "breached_follow_up": int(days is not None and days > 5),
                "rating": rng.choice([0, 0, 0, 3, 4, 5]) if resolved else 0,
            }
        )
        out.append(facts)
    return out


async def fill(db: Database, facts: list[CaseFacts], *, complaints_too: bool) -> None:
    """Write the three collections in bulk, as the SLA service would have left them."""
    for name in (CASE_STATS, CASE_STATS_DAYS, CASE_STATS_OPEN) if complaints_too else ():
        await db[name].drop()
    for name in (CASE_STATS_DAYS, CASE_STATS_OPEN):
        await db[name].drop()
    days: defaultdict[str, dict[str, Any]] = defaultdict(dict)
    open_lists: defaultdict[str, dict[str, datetime]] = defaultdict(dict)
    for f in facts:
        assert f.received_at is not None
        days[day_key(f.received_at, TZ)][f.tracking_id] = f.packed_cell()
        if f.open and f.opd:
            open_lists[f.opd][f.tracking_id] = f.received_at
    batch: list[dict[str, Any]] = []
    for i, f in enumerate(facts if complaints_too else (), 1):
        batch.append(f.to_mongo())
        if len(batch) == 5000:
            await db[CASE_STATS].insert_many(batch, ordered=False)
            batch = []
        if i % 200_000 == 0:
            _say(f"  {i} complaints written")
    if batch:
        await db[CASE_STATS].insert_many(batch, ordered=False)
    day_docs = [{"_id": day, "cases": cases} for day, cases in days.items()]
    for i in range(0, len(day_docs), 20):
        await db[CASE_STATS_DAYS].insert_many(day_docs[i : i + 20], ordered=False)
    await db[CASE_STATS_OPEN].insert_many(
        [{"_id": code, "cases": cases} for code, cases in open_lists.items()]
    )


async def timed(runs: int, work: Callable[[], Awaitable[object]]) -> tuple[float, object]:
    """Median seconds over `runs`, and the last result."""
    seconds, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = await work()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result


async def main() -> int:
    n = _env_int("COMPLAINTS", 1_000_000)
    years = _env_int("YEARS", 3)
    runs = _env_int("RUNS", 3)
    keep = os.environ.get("LAPOR_BENCH_STATS_KEEP") == "1"
    base = os.environ.get("LAPOR_BENCH_MONGODB_BASE", "mongodb://127.0.0.1:27017")
    end = date(2026, 10, 31)
    client = create_client(f"{base}/lapor_bench_stats", app_name="bench-transparency")
    db = client["lapor_bench_stats"]
    directory = load_directory()
    figures: dict[str, Any] = {"complaints": n, "years": years, "runs": runs}
    rows: list[tuple[str, str]] = []
    try:
        _say(f"generating {n} complaints over {years} years")
        facts = synthetic(n, years, end)
        per_month = Counter(
            f.received_at.astimezone(TZ).strftime("%Y-%m") for f in facts if f.received_at
        )
        # (not a count: FerretDB v1 counts a collection by reading every document)
        marker = await db["bench_meta"].find_one({"_id": "case_stats"})
        reuse = keep and marker is not None and marker.get("n") == n
        start = time.perf_counter()  # day buckets and open lists are always rewritten
        await fill(db, facts, complaints_too=not reuse)
        await db["bench_meta"].replace_one({"_id": "case_stats"}, {"n": n}, upsert=True)
        figures["fill_seconds"] = round(time.perf_counter() - start, 1)
        rows.append(("fill (bulk insert, not a product path)", f"{figures['fill_seconds']} s"))
        last_month = month_range(end.replace(day=1))
        periods = {
            "month": last_month,
            "year": (end - timedelta(days=364), end),
            "all": (end - timedelta(days=1095), end),
        }
        now = datetime.now(UTC)
        for name, (a, b) in periods.items():

            async def read(a: date = a, b: date = b) -> object:
                return await read_period_stats(
                    db, start=a, end=b, tz=TZ, directory=directory, now=now
                )

            seconds, stats = await timed(runs, read)
            received = stats.total.received  # type: ignore[attr-defined]
            want = sum(
                1 for f in facts if f.received_at and a <= f.received_at.astimezone(TZ).date() <= b
            )
            assert received == want, (name, received, want)
            figures[f"stats_{name}_seconds"] = round(seconds, 3)
            figures[f"stats_{name}_complaints"] = received
            rows.append((f"figures, {name} ({received} complaints)", f"{seconds * 1000:.0f} ms"))
        assert per_month[f"{end:%Y-%m}"] == figures["stats_month_complaints"]

        async def report() -> object:
            built = await build_report(
                db, month=end.replace(day=1), months=6, tz=TZ, directory=directory, now=now
            )
            return render_html(built)

        seconds, html = await timed(runs, report)
        figures["report_seconds"] = round(seconds, 3)
        figures["report_bytes"] = len(str(html))
        rows.append(("monthly report (6-month trend, oldest open, charts)", f"{seconds:.2f} s"))

        recorder = StatsRecorder(store=MongoFactsStore(db, tz=TZ), calendar=WorkingDayCalendar())
        sample = random.Random(3).sample(facts, 500)
        start = time.perf_counter()
        for i, f in enumerate(sample):
            event = ComplaintRated(
                correlation_id=f.tracking_id,
                tracking_id=f.tracking_id,
                score=1 + i % 5,
                channel=Channel.SMS,
                rated_at=now + timedelta(seconds=i),
            )
            await recorder.record(f.tracking_id, StatsRecorder.rated(event))
        rate = len(sample) / (time.perf_counter() - start)
        figures["record_per_second"] = round(rate, 1)
        rows.append(("write path: facts recorded (rating events)", f"{rate:.0f} /s"))

        a, b = last_month
        low = datetime.combine(a, datetime.min.time(), TZ)
        high = datetime.combine(b + timedelta(days=1), datetime.min.time(), TZ)
        _say("baseline: $match on received_at + $group over case_stats (one run)")
        start = time.perf_counter()
        cursor = await db[CASE_STATS].aggregate(
            [
                {"$match": {"received_at": {"$gte": low, "$lt": high}}},
                {"$group": {"_id": "$opd", "n": {"$sum": 1}}},
            ]
        )
        counted = sum([int(r["n"]) async for r in cursor])
        baseline = time.perf_counter() - start
        assert counted == figures["stats_month_complaints"], (counted, figures)
        figures["baseline_month_seconds"] = round(baseline, 3)
        figures["ratio_baseline_over_buckets_month"] = round(
            baseline / figures["stats_month_seconds"], 1
        )
        rows.append(("baseline: month by $match + $group (counts only)", f"{baseline:.2f} s"))
    finally:
        if not keep:
            await client.drop_database("lapor_bench_stats")
        await client.close()
    width = max(len(r[0]) for r in rows)
    print(f"transparency figures, {n} complaints over {years} years (median of {runs} runs)")
    for label, value in rows:
        print(f"  {label:<{width}}  {value:>10}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
