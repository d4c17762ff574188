"""`python -m bench` (`make bench`): issue 9's figures, measured on the local stack.

(a) the raw hop on the same broker (aio-pika, persistent, confirms: publish N, consume N);
(a') the pipeline's message skeleton (its messages through four FastStream processes that
do no work);
(b) the full pipeline at saturation (HTTP submissions from concurrent clients until every
complaint is assigned and its acknowledgement sent); (c) receipt-to-assignment latency,
p50 and p99, at a steady rate (50 complaints a second); (d) the resident memory of each
service under that load; and scale-out of routing and of notify, one vs two instances.

Prints a table and, as the last line, one JSON object with the figures (medians of runs)
and `ratio_pipeline_over_raw`. Sizes are `LAPOR_BENCH_*` variables (see bench/config.py);
`LAPOR_BENCH_PROFILE_DIR=DIR` adds a batch profiled with py-spy;
`LAPOR_BENCH_BASELINE_DIR=DIR` runs the services of another tree in the same run,
interleaved, and compares. SIGTERM stops it early and still prints what was measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from bench.config import REPO, BenchConfig
from bench.pipeline import CycleResult, run_cycle
from bench.privstore import private_ferretdb
from bench.profile import ProfileReport
from bench.raw import RawHop, raw_hop
from bench.report import Figures, comparison, summary, table
from bench.scaleout import ScaleOut, scale_out
from bench.skeleton import Skeleton, skeleton
from bench.stack import rabbit_vhost


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class TreeResults:
    """What has been measured of the services of one tree."""

    tree: Path
    cycles: list[CycleResult] = field(default_factory=list)
    profiles: list[ProfileReport] = field(default_factory=list)
    scale: dict[tuple[str, int], list[ScaleOut]] = field(default_factory=dict)


@dataclass
class Results:
    """What has been measured so far: the raw hop, and each tree's services."""

    raw: list[RawHop] = field(default_factory=list)
    skeleton: list[Skeleton] = field(default_factory=list)
    trees: dict[str, TreeResults] = field(default_factory=dict)


def _trees(config: BenchConfig, run: int) -> list[str]:
    """The trees in the order of this run (alternating, so neither always goes first)."""
    names = ["current", "baseline"] if config.baseline_dir else ["current"]
    return names if run % 2 == 0 else names[::-1]


async def _raw(config: BenchConfig, run: int, out: Results) -> None:
    async with rabbit_vhost(config, "lapor-bench-raw") as vhost:
        out.raw.append(await raw_hop(f"{config.amqp_base}/{vhost}", config.raw_messages))
    r = out.raw[-1]
    _say(f"raw hop run {run + 1}: publish {r.publish_per_s:.0f}/s, consume {r.consume_per_s:.0f}/s")


async def _skeleton(config: BenchConfig, run: int, out: Results) -> None:
    async with rabbit_vhost(config, "lapor-bench-skeleton") as vhost:
        result = await skeleton(f"{config.amqp_base}/{vhost}", config.skeleton_complaints)
    out.skeleton.append(result)
    _say(f"skeleton run {run + 1}: {result.complaints} complaints, {result.per_s:.0f}/s")


async def _cycle(config: BenchConfig, run: int, logs: Path, name: str, tree: TreeResults) -> None:
    profile_dir = config.profile_dir / name if config.profile_dir and run == 0 else None
    cycle = await run_cycle(
        config, run + 1, logs / name / f"run{run + 1}", tree=tree.tree, profile_dir=profile_dir
    )
    tree.cycles.append(cycle)
    tree.profiles += cycle.profile
    s, d = cycle.saturation, cycle.steady
    _say(
        f"{name} pipeline run {run + 1}: {s.completed}/{s.submitted} in {s.seconds:.1f} s = "
        f"{s.per_s:.2f}/s; steady {d.offered_per_s:.1f}/s: p50 {d.assign_p50_ms:.0f} ms, "
        f"p99 {d.assign_p99_ms:.0f} ms, routed {d.routed}/{d.offered}"
    )


async def _phases(config: BenchConfig, logs: Path, out: Results) -> None:
    out.trees["current"] = TreeResults(config.services_dir)
    if config.baseline_dir is not None:
        out.trees["baseline"] = TreeResults(config.baseline_dir)
    for run in range(config.runs):
        if "raw" not in config.skip:
            await _raw(config, run, out)
        if "skeleton" not in config.skip:
            await _skeleton(config, run, out)
        if "pipeline" not in config.skip:
            for name in _trees(config, run):
                await _cycle(config, run, logs, name, out.trees[name])
    if "scaleout" not in config.skip:
        for run in range(config.scaleout_runs):
            for name in _trees(config, run):
                tree = out.trees[name]
                for k, result in (
                    await scale_out(config, logs / name, run=run, tree=tree.tree)
                ).items():
                    tree.scale.setdefault(k, []).append(result)
                    _say(
                        f"{name} scale-out run {run + 1}, {k[1]} {k[0]}: {result.per_s:.1f}/s, "
                        f"shares {result.shares}"
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
    with contextlib.ExitStack() as stack:
        if not config.mongodb_base:
            url = stack.enter_context(
                private_ferretdb(config.private_store_port, sqlite_query=config.sqlite_query)
            )
            config = replace(config, mongodb_base=url, private_store=True)
        try:
            await _phases(config, logs, out)
        except asyncio.CancelledError:
            interrupted = True
            if task is not None:
                task.uncancel()
    elapsed = time.monotonic() - started
    _report(config, out, logs=logs, elapsed=elapsed, interrupted=interrupted)


def _report(
    config: BenchConfig, out: Results, *, logs: Path, elapsed: float, interrupted: bool
) -> None:
    note = " INTERRUPTED," if interrupted else ""
    print(
        f"Lapor benchmark,{note} {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"{config.runs} runs (medians), {elapsed:.0f} s; store {config.mongodb_base}; "
        f"service logs in {logs}"
    )
    current = out.trees.get("current", TreeResults(config.services_dir))
    figures = Figures(out.raw, current.cycles, current.scale, out.skeleton)
    print(table(figures, current.profiles, steady_rate=config.steady_rate))
    settings = {
        "runs": config.runs,
        "raw_messages": config.raw_messages,
        "clients": config.clients,
        "saturation_complaints": config.saturation_complaints,
        "steady_rate": config.steady_rate,
        "steady_seconds": config.steady_seconds,
        "scaleout_complaints": config.scaleout_complaints,
        "scaleout_prefetch": config.scaleout_prefetch or "service default",
        "mongodb_options": config.mongodb_options,
        "sqlite_query": config.sqlite_query if config.private_store else None,
        "store": "private" if config.private_store else config.mongodb_base,
        "services_dir": str(config.services_dir),
        "cores": len(os.sched_getaffinity(0)),
        "seconds": round(elapsed),
        "interrupted": interrupted,
    }
    result = summary(figures, settings=settings, steady_rate=config.steady_rate)
    baseline = out.trees.get("baseline")
    if baseline is not None:
        before = Figures(out.raw, baseline.cycles, baseline.scale, out.skeleton)
        print()
        print(comparison(before, figures, baseline=baseline.tree, current=current.tree))
        result["baseline"] = summary(
            before, settings={"services_dir": str(baseline.tree)}, steady_rate=config.steady_rate
        )
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
