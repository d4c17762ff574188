"""Profiling the services under load with py-spy (sampling, from outside the process).

`LAPOR_BENCH_PROFILE_DIR=DIR python -m bench` adds one saturation batch, not counted in the
figures, with `py-spy record` attached to every service (needs root or ptrace rights, and
`pip install py-spy`). The raw stacks land in DIR/<service>.txt (collapsed format, e.g. for
flamegraph.pl or speedscope); the table prints where each service spends its CPU: per
function including callees (project code) and self time grouped by module (everything).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.config import BenchConfig
from bench.stack import ServiceSet

__all__ = ["ProfileReport", "profile_services", "summarise"]

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^():]*)(?::(?P<line>\d+))?\)$")
_PROJECT = ("services/", "shared/")
# Waiting, not working: the event loop in epoll, idle thread-pool workers (py-spy does not
# always see these as idle).
_IDLE_LEAVES = ("EpollSelector.select (", "_worker (concurrent/futures/thread.py")
_IDLE_WAIT = re.compile(r"(^|\.)wait \(threading\.py")
_TOP = 12


@dataclass
class ProfileReport:
    """Where one service spent its busy samples (idle waits left out)."""

    service: str
    samples: int
    path: Path
    inclusive: list[tuple[str, float]] = field(default_factory=list)  # project functions
    self_by_module: list[tuple[str, float]] = field(default_factory=list)
    complaints: int = 0  # in the profiled batch


def _module(file: str) -> str:
    for marker in ("site-packages/", "lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
    parts = file.replace(".py", "").split("/")
    if parts[0] in ("services", "shared"):
        return ".".join(parts)
    return parts[0]  # the library (pymongo, faststream, sklearn...) or stdlib module


def _project_path(file: str) -> str | None:
    """`services/...` or `shared/...` of a frame's file, whatever tree it ran from."""
    for prefix in _PROJECT:
        if file.startswith(prefix):
            return file
        if f"/{prefix}" in file and "site-packages" not in file:
            return file[file.rindex(f"/{prefix}") + 1 :]
    return None


def summarise(service: str, path: Path) -> ProfileReport:
    """Inclusive share of project functions, self share of each library / module."""
    inclusive: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        leaf = stack.rsplit(";", 1)[-1]
        if leaf.startswith(_IDLE_LEAVES) or _IDLE_WAIT.search(leaf):
            continue
        total += count
        seen: set[str] = set()
        frames = [_FRAME.match(f) for f in stack.split(";")]
        for match in frames:
            if match is None:
                continue
            file = match["file"]
            project = _project_path(file)
            if project is not None:
                key = f"{match['func']} ({project})"
                if key not in seen:
                    seen.add(key)
                    inclusive[key] += count
        last = frames[-1] if frames else None
        if last is not None:
            self_time[_module(last["file"])] += count
    share = 100.0 / total if total else 0.0
    return ProfileReport(
        service=service,
        samples=total,
        path=path,
        inclusive=[(k, v * share) for k, v in inclusive.most_common(_TOP)],
        self_by_module=[(k, v * share) for k, v in self_time.most_common(_TOP)],
    )


def _py_spy() -> str | None:
    found = Path(sys.executable).parent / "py-spy"
    return str(found) if found.exists() else shutil.which("py-spy")


async def profile_services(
    services: ServiceSet,
    config: BenchConfig,
    *,
    out: Path,
    batch: Callable[[int], Awaitable[Any]],
    rate_hint: float,
) -> list[ProfileReport]:
    """Run one saturation batch with py-spy recording each service; the summaries."""
    py_spy = _py_spy()
    if py_spy is None:
        print("profile: py-spy not found (pip install py-spy); skipped", file=sys.stderr)
        return []
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    seconds = int(config.profile_seconds)
    recorders: dict[str, asyncio.subprocess.Process] = {}
    for instance in services.instances:
        recorders[instance.name] = await asyncio.create_subprocess_exec(
            py_spy,
            "record",
            "--pid",
            str(instance.pid),
            "--duration",
            str(seconds),
            "--rate",
            "100",
            "--format",
            "raw",
            "--output",
            str(out / f"{instance.name}.txt"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
    await asyncio.sleep(0.5)  # py-spy attached
    n = max(50, round(max(rate_hint, 1.0) * seconds * 1.1))
    await batch(n)
    reports = []
    for name, recorder in recorders.items():
        try:
            await asyncio.wait_for(recorder.wait(), seconds + 30)
        except TimeoutError:
            recorder.kill()
            await recorder.wait()
        path = out / f"{name}.txt"
        if path.exists():
            reports.append(summarise(name, path))
    for report in reports:
        report.complaints = n
    return reports
