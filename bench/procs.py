"""Resident memory and CPU time of processes, read from /proc (Linux)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CpuMeter", "MemorySampler", "infra_pids", "memory_kib"]

_TICK = os.sysconf("SC_CLK_TCK")


def memory_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in KiB; (0, 0) when the process is gone."""
    rss = hwm = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (its threads included)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in first[:8]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / _TICK, sum(values) / _TICK


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    return inodes


def listening_pid(port: int) -> int | None:
    """The process listening on a local TCP port (the store, the broker...), if visible."""
    wanted = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if not wanted:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in wanted:
                        return int(proc.name)
    return None


def infra_pids(ports: Mapping[str, int]) -> dict[str, int]:
    """The infrastructure processes (store, broker, mail) found by their listening ports."""
    found: dict[str, int] = {}
    for name, port in ports.items():
        pid = listening_pid(port)
        if pid is not None:
            found[name] = pid
    return found


@dataclass
class CpuMeter:
    """CPU seconds each named process used between `start` and `stop`."""

    pids: Mapping[str, int]
    _begin: dict[str, float] = field(default_factory=dict)
    _machine: tuple[float, float] = (0.0, 0.0)
    used: dict[str, float] = field(default_factory=dict)
    machine_busy: float = 0.0
    machine_total: float = 0.0

    def start(self) -> None:
        self._begin = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self._begin["bench"] = sum(os.times()[:2])
        self._machine = machine_busy_seconds()

    def stop(self) -> None:
        self.used = {
            name: max(0.0, cpu_seconds(pid) - self._begin[name]) for name, pid in self.pids.items()
        }
        self.used["bench"] = sum(os.times()[:2]) - self._begin["bench"]
        busy, total = machine_busy_seconds()
        self.machine_busy = busy - self._machine[0]
        self.machine_total = total - self._machine[1]


@dataclass
class MemorySampler:
    """Peak VmRSS per process, sampled every `interval` seconds while running."""

    pids: Mapping[str, int]
    interval: float = 0.25
    peak_rss_kib: dict[str, int] = field(default_factory=dict)
    hwm_kib: dict[str, int] = field(default_factory=dict)
    samples: int = 0

    def sample(self) -> None:
        for name, pid in self.pids.items():
            rss, hwm = memory_kib(pid)
            self.peak_rss_kib[name] = max(self.peak_rss_kib.get(name, 0), rss)
            self.hwm_kib[name] = hwm
        self.samples += 1

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[MemorySampler]:
        async def loop() -> None:
            while True:
                self.sample()
                await asyncio.sleep(self.interval)

        task = asyncio.create_task(loop())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.sample()
