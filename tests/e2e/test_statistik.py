"""Transparency end to end: complaints and staff actions through the four running services.

Six complaints go in through intake's API; the operator and the OPDs act on them through
routing's staff API (disposition, bukan wewenang, tindak lanjut, selesai); reporters rate by
SMS. The figures on `/api/v1/stats`, on `/statistik` and in the monthly report written by
`python -m services.sla.report` must then be what those actions add up to (counted here from
the script). Late follow-ups and breaches need weeks to pass: the integration test
`tests/integration/test_stats.py` covers them with an injected clock.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.conftest import MONGODB_BASE
from tests.e2e.harness import ServiceStack, service_env

pytestmark = pytest.mark.e2e
PORTS = {"intake": 18800, "routing": 18801, "sla": 18802, "notify": 18803}
REPO = Path(__file__).resolve().parents[2]
WIB = ZoneInfo("Asia/Jakarta")
OPERATOR = {"Authorization": "Bearer dev-operator"}

# (text, kecamatan, confidential, first OPD)
COMPLAINTS = [
    ("Puskesmas di desa kami sering tutup pada jam pelayanan.", "Lingga", False, "DINKES"),
    ("Obat di puskesmas pembantu habis sejak dua minggu lalu.", "Singkep", False, "DINKES"),
    ("Jalan menuju pelabuhan berlubang besar dan membahayakan.", "Lingga", False, "DPUPR"),
    ("Jembatan kayu di kampung kami rapuh dan hampir roboh.", "Senayang", False, "DPUPR"),
    ("Guru honorer di SD kami belum menerima gaji tiga bulan.", "Singkep", True, "DISDIK"),
    ("Atap ruang kelas SMP bocor setiap kali hujan turun.", None, False, "DISDIK"),
]


def opd(code: str) -> dict[str, str]:
    return {"Authorization": f"Bearer dev-{code.lower()}"}


@pytest.fixture
async def stack(vhost: str, db_name: str, tmp_path: Path) -> AsyncIterator[ServiceStack]:
    running = ServiceStack(ports=PORTS, vhost=vhost, logs=tmp_path)
    running.start(
        service_env(
            vhost=vhost,
            db_name=db_name,
            ports=PORTS,
            extra={"LAPOR_STATS_CACHE_SECONDS": "0"},
        )
    )
    try:
        await running.wait_healthy()
        yield running
    finally:
        running.stop()


async def _post(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], who: dict[str, str]
) -> None:
    response = await client.post(url, json=body, headers=who)
    assert response.status_code == 200, (url, response.status_code, response.text)


async def _until(check: Any, within: float = 60.0) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result is not None:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.5)


async def test_figures_follow_the_staff_actions(
    stack: ServiceStack, db_name: str, tmp_path: Path
) -> None:
    def intake(path: str) -> str:
        return stack.url("intake", path)

    def routing(path: str) -> str:
        return stack.url("routing", path)

    run = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(timeout=20) as client:
        ids: list[str] = []
        phones: list[str] = []
        for n, (text, kecamatan, confidential, _) in enumerate(COMPLAINTS):
            phone = f"+6281277{run[:3].encode().hex()[:3]}{n:03d}"[:15]
            phones.append(phone)
            body: dict[str, Any] = {
                "text": f"{text} (uji {run})",
                "name": f"Pelapor {n}",
                "phone": phone,
                "kecamatan": kecamatan,
                "confidential": confidential,
            }
            response = await client.post(intake("/api/v1/complaints"), json=body)
            assert response.status_code in (200, 201), response.text
            ids.append(response.json()["tracking_id"])

        async def routed(tid: str) -> Any:
            got = await client.get(routing(f"/api/v1/cases/{tid}"), headers=OPERATOR)
            return got.json() if got.status_code == 200 else None

        for tid in ids:
            await _until(lambda tid=tid: routed(tid))
        # the operator verifies each complaint and gives it to the agency of the script
        for tid, (_, _, _, code) in zip(ids, COMPLAINTS, strict=True):
            await _post(
                client, routing(f"/api/v1/complaints/{tid}/disposition"), {"opd": code}, OPERATOR
            )
        c0, c1, c2, c3, c4, c5 = ids
        # then the OPDs act, in this order: (complaint, action, body, who)
        actions: list[tuple[str, str, dict[str, Any], dict[str, str]]] = [
            (c0, "responses", {"text": "Jadwal pelayanan sudah kami tertibkan."}, opd("DINKES")),
            (c1, "responses", {"text": "Obat sudah dikirim hari ini."}, opd("DINKES")),
            (c1, "resolve", {"text": "Selesai."}, opd("DINKES")),
            # DPUPR: the bridge in the housing area is not its road: bukan wewenang, to DISPERKIM
            (c2, "reject", {"reason": "Jalan lingkungan permukiman"}, opd("DPUPR")),
            (c2, "disposition", {"opd": "DISPERKIM"}, OPERATOR),
            (c2, "responses", {"text": "Tim kami meninjau lokasi."}, opd("DISPERKIM")),
            (c2, "resolve", {}, opd("DISPERKIM")),
            (c4, "responses", {"text": "Sedang kami periksa."}, opd("DISDIK")),
            (c5, "resolve", {"text": "Atap sudah diperbaiki."}, opd("DISDIK")),
        ]
        for tid, action, payload, who in actions:
            await _post(client, routing(f"/api/v1/complaints/{tid}/{action}"), payload, who)
        del c3  # left untouched at DPUPR
        # reporters rate by SMS (JSON gateway), each from the number that reported
        for n, tid, score in ((1, c1, 4), (2, c2, 2), (5, c5, 5)):
            sms = {
                "from": phones[n],
                "to": "1708",
                "text": f"NILAI {score} {tid}",
                "message_id": f"rate-{run}-{n}",
            }
            response = await client.post(intake("/sms/inbound"), json=sms)
            assert response.status_code == 200 and response.json()["status"] == "rating", (
                response.text
            )

        today = datetime.now(WIB).date().isoformat()
        period = {"from": today, "to": today}
        expected: dict[str, dict[str, Any]] = {
            "DINKES": {
                "received": 2,
                "followed_up": 2,
                "resolved": 1,
                "open": 1,
                "follow_up_decided": 2,
                "followed_up_on_time": 2,
                "on_time_share": 1.0,
                "breaches": 0,
                "ratings": 1,
                "rating_average": 4.0,
                "passed_back": 0,
            },
            "DPUPR": {
                "received": 1,
                "followed_up": 0,
                "resolved": 0,
                "open": 1,
                "follow_up_decided": 0,
                "on_time_share": None,
                "ratings": 0,
                "passed_back": 1,
            },
            "DISPERKIM": {
                "received": 1,
                "followed_up": 1,
                "resolved": 1,
                "open": 0,
                "ratings": 1,
                "rating_average": 2.0,
                "passed_back": 0,
            },
            "DISDIK": {
                "received": 2,
                "followed_up": 2,
                "resolved": 1,
                "open": 1,
                "ratings": 1,
                "rating_average": 5.0,
            },
        }
        total: dict[str, Any] = {
            "received": 6,
            "dispositioned": 6,
            "followed_up": 5,
            "resolved": 3,
            "open": 3,
            "ratings": 3,
            "rating_average": 3.67,
            "passed_back": 1,
        }

        async def settled() -> Any:
            got = (await client.get(intake("/api/v1/stats"), params=period)).json()
            rows = {r["code"]: r["figures"] for r in got["by_opd"]}
            ok = (
                all({k: rows[code][k] for k in want} == want for code, want in expected.items())
                and {k: got["total"][k] for k in total} == total
            )
            return got if ok else None

        try:
            stats = await _until(settled, within=90)
        except AssertionError:
            got = (await client.get(intake("/api/v1/stats"), params=period)).json()
            busy = [
                r for r in got["by_opd"] if r["figures"]["received"] or r["figures"]["assigned"]
            ]
            raise AssertionError(f"figures never matched: {got['total']} {busy}") from None
        rows = {r["code"]: r["figures"] for r in stats["by_opd"]}
        assert rows["DPUPR"]["assigned"] >= 2 and rows["DPUPR"]["passed_back"] == 1
        assert rows["DINKES"]["median_follow_up_days"] is not None
        places = {r["key"]: r["figures"]["received"] for r in stats["by_kecamatan"]}
        assert places == {"Lingga": 2, "Singkep": 2, "Senayang": 1, "Tidak diketahui": 1}
        assert {r["key"]: r["figures"]["received"] for r in stats["by_channel"]} == {"web": 6}
        text = (await client.get(intake("/api/v1/stats"), params=period)).text
        page = await client.get(intake("/statistik"), params=period)
        assert page.status_code == 200 and "Statistik pengaduan" in page.text
        assert "Dinas Kesehatan" in page.text
        for tid in ids:
            assert tid not in text and tid not in page.text  # counts only
        for phone in phones:
            assert phone not in text and phone not in page.text

    # the monthly report, from the command line, on the same store
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    env["LAPOR_MONGODB_URL"] = f"{MONGODB_BASE}/{db_name}"
    month = datetime.now(WIB).strftime("%Y-%m")
    out = tmp_path / "laporan"
    done = subprocess.run(  # noqa: ASYNC221 - one short command
        [sys.executable, "-m", "services.sla.report", "--month", month, "--out", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    html = (out / f"laporan-kinerja-{month}.html").read_text()
    assert '<tr data-opd="DINKES">' in html and 'data-field="received">2<' in html
    assert c4 not in html and "(laporan rahasia)" in html  # rahasia: counted, never listed
    assert ids[3] in html  # the oldest open at DPUPR
    if "PDF:" in done.stdout and "not written" not in done.stdout:
        assert (out / f"laporan-kinerja-{month}.pdf").read_bytes().startswith(b"%PDF")
