"""`python bench/storeops.py MODULE`: run a service and count what it asks of the store.

Registers a PyMongo command listener, runs MODULE as `__main__` (e.g. `services.sla`), and
every second rewrites `$LAPOR_BENCH_STOREOPS_OUT` with one JSON object: per command,
collection and filter shape (the filter's field names; on FerretDB v1 only an exact
`{_id: ...}` avoids a scan of the whole collection), the count and the total milliseconds
so far. The benchmark starts the services this way when `LAPOR_BENCH_STOREOPS=1` and
subtracts two readings to get a phase's commands.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from pymongo import monitoring

__all__ = ["StoreOps"]

_FILTER_OF = {"find": "filter", "count": "query", "aggregate": "pipeline", "distinct": "query"}


def _shape(value: Any) -> str:
    if not isinstance(value, dict):
        return "-" if value is None else type(value).__name__
    parts = []
    for key in sorted(value):
        inner = value[key]
        ops = sorted(k for k in inner if k.startswith("$")) if isinstance(inner, dict) else []
        parts.append(f"{key}{''.join(ops)}")
    return ",".join(parts) or "{}"


def _filter_shape(command_name: str, command: Any) -> str:
    if command_name in ("update", "delete"):
        key = "updates" if command_name == "update" else "deletes"
        return "|".join(sorted({_shape(s.get("q")) for s in command.get(key, [])}))
    if command_name == "findAndModify":
        return _shape(command.get("query"))
    if command_name == "aggregate":
        return "pipeline"
    return _shape(command.get(_FILTER_OF.get(command_name, "filter")))


class StoreOps(monitoring.CommandListener):
    """Counts and times commands by (command, collection, filter shape)."""

    def __init__(self) -> None:
        self._pending: dict[int, tuple[str, str, str]] = {}
        self._lock = threading.Lock()  # the writer thread reads what the loop adds
        self.count: defaultdict[str, int] = defaultdict(int)
        self.millis: defaultdict[str, float] = defaultdict(float)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        collection = str(event.command.get(name, "")) if name != "getMore" else "-"
        key = (name, collection, _filter_shape(name, event.command))
        self._pending[event.request_id] = key

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._done(event.request_id, event.duration_micros)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._done(event.request_id, event.duration_micros)

    def _done(self, request_id: int, micros: int) -> None:
        key = self._pending.pop(request_id, None)
        if key is None or key[0] in ("hello", "ismaster", "endSessions"):
            return
        label = " ".join(key)
        with self._lock:
            self.count[label] += 1
            self.millis[label] += micros / 1000

    def summary(self) -> dict[str, dict[str, float]]:
        with self._lock:
            return {
                label: {"count": self.count[label], "ms": round(self.millis[label], 1)}
                for label in sorted(self.count, key=lambda k: -self.millis[k])
            }


def _write(listener: StoreOps, out: Path) -> None:
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(listener.summary()))
    tmp.replace(out)


def _keep_writing(listener: StoreOps, out: Path) -> None:
    while True:
        time.sleep(1.0)
        _write(listener, out)


def main() -> None:
    """Run the module given on the command line with a listener, writing the counts."""
    module = sys.argv[1]
    listener = StoreOps()
    monitoring.register(listener)
    out = os.environ.get("LAPOR_BENCH_STOREOPS_OUT")
    if out:
        threading.Thread(target=_keep_writing, args=(listener, Path(out)), daemon=True).start()
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
