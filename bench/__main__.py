"""`python -m bench` (`make bench`): issue 9's figures, measured on the local stack.

(a) the raw hop on the same broker (aio-pika, persistent, confirms: publish N, consume N);
(b) the full pipeline at saturation (HTTP submissions from concurrent clients until every
complaint is assigned and its acknowledgement sent); (c) receipt-to-assignment latency,
p50 and p99, at a steady rate (50 complaints a second); (d) the resident memory of each
service under that load; and scale-out of the routing stage, one vs two instances.

Prints a table and, as the last line, one JSON object with the figures (medians of runs)
and `ratio_pipeline_over_raw`. Sizes are `LAPOR_BENCH_*` variables (see bench/config.py);
`LAPOR_BENCH_PROFILE_DIR=DIR` adds a batch profiled with py-spy. SIGTERM stops it early
and still prints what was measured.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.config import REPO, BenchConfig
from bench.pipeline import CycleResult, run_cycle
from bench.profile import ProfileReport
from bench.raw import RawHop, raw_hop
from bench.report import Figures, summary, table
from bench.scaleout import ScaleOut, scale_out
from bench.stack import rabbit_vhost


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Results:
    """What has been measured so far."""

    def __init__(self) -> None:
        self.raw: list[RawHop] = []
        self.cycles: list[CycleResult] = []
        self.profiles: list[ProfileReport] = []
        self.scale: dict[int, list[ScaleOut]] = {}


async def _phases(config: BenchConfig, logs: Path, out: Results) -> None:
    if "raw" not in config.skip:
        async with rabbit_vhost(config, "lapor-bench-raw") as vhost:
            for i in range(config.runs):
                out.raw.append(await raw_hop(f"{config.amqp_base}/{vhost}", config.raw_messages))
                r = out.raw[-1]
                _say(
                    f"raw hop run {i + 1}: publish {r.publish_per_s:.0f}/s, "
                    f"consume {r.consume_per_s:.0f}/s"
                )
    if "pipeline" not in config.skip:
        for i in range(config.runs):
            cycle = await run_cycle(config, i + 1, logs, profile=i == 0)
            out.cycles.append(cycle)
            out.profiles += cycle.profile
            s, d = cycle.saturation, cycle.steady
            _say(
                f"pipeline run {i + 1}: {s.completed}/{s.submitted} in {s.seconds:.1f} s = "
                f"{s.per_s:.2f}/s; steady {d.offered_per_s:.1f}/s: p50 {d.assign_p50_ms:.0f} ms, "
                f"p99 {d.assign_p99_ms:.0f} ms, routed {d.routed}/{d.offered}"
            )
    if "scaleout" not in config.skip:
        out.scale.update(await scale_out(config, logs))
        for k, runs in out.scale.items():
            _say(
                f"scale-out, {k} routing instance(s): "
                + ", ".join(f"{s.per_s:.1f}/s" for s in runs)
            )


async def main() -> None:
    """Every phase in turn; the report at the end (also after SIGTERM)."""
    config = BenchConfig.from_env()
    task = asyncio.current_task()
    if task is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    logs = REPO / "var/log/bench" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    out = Results()
    interrupted = False
    try:
        await _phases(config, logs, out)
    except asyncio.CancelledError:
        interrupted = True
        if task is not None:
            task.uncancel()
    elapsed = time.monotonic() - started
    note = " INTERRUPTED," if interrupted else ""
    print(
        f"Lapor benchmark,{note} {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"{config.runs} runs (medians), {elapsed:.0f} s; service logs in {logs}"
    )
    figures = Figures(out.raw, out.cycles, out.scale)
    print(table(figures, out.profiles, steady_rate=config.steady_rate))
    settings = {
        "runs": config.runs,
        "raw_messages": config.raw_messages,
        "clients": config.clients,
        "saturation_complaints": config.saturation_complaints,
        "steady_rate": config.steady_rate,
        "steady_seconds": config.steady_seconds,
        "scaleout_complaints": config.scaleout_complaints,
        "mongodb_options": config.mongodb_options,
        "cores": os.cpu_count(),
        "seconds": round(elapsed),
        "interrupted": interrupted,
    }
    print(json.dumps(summary(figures, settings=settings)))


if __name__ == "__main__":
    asyncio.run(main())
