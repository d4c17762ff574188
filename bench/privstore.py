"""A FerretDB of the benchmark's own: the local stack's binary, its own port and directory.

At saturation the store is the bottleneck, so the benchmark does not share it: other users
of the development store would skew the figures (and a saturated store slows them down).
The data directory (`var/bench/ferretdb/`) is emptied before and after.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from bench.config import REPO
from bench.stack import die_with_parent

__all__ = ["FERRETDB", "private_ferretdb"]

FERRETDB = REPO / "var/bin/ferretdb"  # built by scripts/install.sh


def _port_open(port: int) -> bool:
    with contextlib.closing(socket.socket()) as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def private_ferretdb(
    port: int, *, sqlite_query: str, root: Path = REPO / "var/bench/ferretdb"
) -> Iterator[str]:
    """Run a FerretDB (SQLite) on `port` with `sqlite_query` appended to its SQLite URL (as
    `?_pragma=...`); yields its base URL, stops it and drops its data."""
    if not FERRETDB.exists():
        raise SystemExit(f"{FERRETDB} is missing: run `make install` (or LAPOR_BENCH_STORE=URL)")
    if _port_open(port):
        raise SystemExit(f"port {port} is taken (a stray benchmark store?): set BASE_PORT")
    shutil.rmtree(root, ignore_errors=True)
    (root / "data").mkdir(parents=True)
    (root / "state").mkdir()
    with (root / "ferretdb.log").open("ab") as log:
        process = subprocess.Popen(
            [
                str(FERRETDB),
                "--handler=sqlite",
                f"--sqlite-url=file:{root / 'data'}/{sqlite_query}",
                f"--listen-addr=127.0.0.1:{port}",
                f"--debug-addr=127.0.0.1:{port + 1}",
                f"--state-dir={root / 'state'}",
                "--telemetry=disable",
                "--log-level=warn",
            ],
            env={**os.environ, "FERRETDB_TELEMETRY": "disable"},
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
    try:
        deadline = time.monotonic() + 30
        while not _port_open(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the benchmark's FerretDB did not start: see {root}/ferretdb.log")
            time.sleep(0.1)
        yield f"mongodb://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(root / "data", ignore_errors=True)
