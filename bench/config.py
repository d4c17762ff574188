"""The benchmark's knobs: every size and limit is an `LAPOR_BENCH_*` environment variable.

RUNS (3)                   runs of the raw hop and of the pipeline cycle; medians reported
MESSAGES (5000)            raw hop: messages published then consumed per run
CLIENTS (16)               saturation: concurrent HTTP reporters
WARMUP (20)                complaints through the stack before measuring, per cycle
SATURATION_COMPLAINTS (100)  saturation batch per cycle
STEADY_RATE (50)           steady phase: complaints per second (open loop)
STEADY_SECONDS (8)         steady phase: seconds of submissions (rate x seconds planned)
STEADY_MAX_IN_FLIGHT (256) steady phase: HTTP requests waiting at most
LIGHT_SHARE (0.5)          then the same at this share of the cycle's saturation rate: the
                           latency below capacity (0 leaves it out)
STEADY_DRAIN (30)          steady phase: seconds to wait for routing after submitting
DRAIN_TIMEOUT (45)         any other wait for the pipeline to finish a batch
SCALEOUT_COMPLAINTS (200)  scale-out: events preloaded per run
SCALEOUT_RUNS (1)          scale-out: runs of 1 and of 2 instances (routing, notify)
SCALEOUT_PREFETCH (unset)  scale-out: LAPOR_PREFETCH of those instances (default: 16)
BASE_PORT (18500)          service ports: BASE..BASE+3, scale-out BASE+10.., all 127.0.0.1
PROFILE_DIR (unset)        if set: one extra batch profiled with py-spy, stacks saved there
PROFILE_SECONDS (20)       length of that profile
SKELETON_COMPLAINTS (2000) (a') complaints through the message skeleton per run
SKIP ("")                  comma list of phases to leave out: raw, skeleton, pipeline, scaleout
AMQP_BASE, RABBIT_API, SMTP_PORT   the local broker and mail sandbox (127.0.0.1 only)
MONGODB_BASE (unset)       a store to use, e.g. mongodb://127.0.0.1:27017 (the shared local
                           one); unset: a FerretDB of the benchmark's own (var/bin/ferretdb,
                           port BASE+90, data in var/bench/ferretdb/, removed afterwards)
SQLITE_QUERY (?_pragma=synchronous(normal))  the benchmark's own FerretDB: options of its
                           SQLite URL, as scripts/infra.sh starts the local store ("" gives
                           SQLite's default synchronous=FULL, an fsync per commit)
MONGODB_OPTIONS (maxPoolSize=10)  URL options of the services' store URL; FerretDB v1
                           deadlocks at about 100 updates in flight on one database, so
                           each client gets a pool limit (docs/reliability.md)
SERVICES_DIR (the repo)    run the services from another tree
STOREOPS (0)               1: run the services under bench/storeops.py and report, per
                           service, the store commands per complaint (first cycle)
BASELINE_DIR (unset)       also run every pipeline cycle and the scale-out on the services
                           of this tree (e.g. `git archive` of an older commit), interleaved
                           with SERVICES_DIR's, and report both side by side
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["REPO", "BenchConfig"]

REPO = Path(__file__).resolve().parents[1]


def _int(name: str, default: int) -> int:
    return int(os.environ.get(f"LAPOR_BENCH_{name}", str(default)))


def _float(name: str, default: float) -> float:
    return float(os.environ.get(f"LAPOR_BENCH_{name}", str(default)))


def _str(name: str, default: str) -> str:
    return os.environ.get(f"LAPOR_BENCH_{name}", default)


@dataclass(frozen=True)
class BenchConfig:
    """What `python -m bench` does, and how much of it."""

    amqp_base: str
    rabbit_api: str
    mongodb_base: str
    mongodb_options: str
    sqlite_query: str
    smtp_port: int
    runs: int
    raw_messages: int
    skeleton_complaints: int
    clients: int
    warmup: int
    saturation_complaints: int
    steady_rate: float
    steady_seconds: float
    steady_max_in_flight: int
    steady_drain: float
    light_share: float
    scaleout_complaints: int
    scaleout_runs: int
    scaleout_prefetch: int
    drain_timeout: float
    base_port: int
    profile_dir: Path | None
    profile_seconds: float
    skip: frozenset[str]
    services_dir: Path
    baseline_dir: Path | None
    storeops: bool
    private_store: bool = False  # set once the benchmark's own FerretDB runs

    @property
    def private_store_port(self) -> int:
        """Where the benchmark's own FerretDB listens (when MONGODB_BASE is unset)."""
        return self.base_port + 90

    def infra_ports(self) -> dict[str, int]:
        """Where the store, the broker and the mail sandbox listen (for CPU accounting)."""
        store = urlsplit(self.mongodb_base).port or 27017
        broker = urlsplit(self.amqp_base).port or 5672
        return {"store": store, "rabbitmq": broker, "mailsandbox": self.smtp_port}

    @classmethod
    def from_env(cls) -> BenchConfig:
        """Read `LAPOR_BENCH_*` (defaults keep `make bench` within about five minutes)."""
        profile = _str("PROFILE_DIR", "")
        baseline = _str("BASELINE_DIR", "")
        skip = {s.strip() for s in _str("SKIP", "").split(",") if s.strip()}
        config = cls(
            amqp_base=_str("AMQP_BASE", "amqp://guest:guest@127.0.0.1:5672"),
            rabbit_api=_str("RABBIT_API", "http://127.0.0.1:15672/api"),
            mongodb_base=_str("MONGODB_BASE", ""),
            mongodb_options=_str("MONGODB_OPTIONS", "maxPoolSize=10"),
            sqlite_query=_str("SQLITE_QUERY", "?_pragma=synchronous(normal)"),
            smtp_port=_int("SMTP_PORT", 2525),
            runs=max(1, _int("RUNS", 3)),
            raw_messages=max(1, _int("MESSAGES", 5000)),
            skeleton_complaints=max(10, _int("SKELETON_COMPLAINTS", 2000)),
            clients=max(1, _int("CLIENTS", 16)),
            warmup=max(1, _int("WARMUP", 20)),
            saturation_complaints=max(10, _int("SATURATION_COMPLAINTS", 100)),
            steady_rate=max(1.0, _float("STEADY_RATE", 50.0)),
            steady_seconds=max(1.0, _float("STEADY_SECONDS", 8.0)),
            steady_max_in_flight=max(1, _int("STEADY_MAX_IN_FLIGHT", 256)),
            steady_drain=max(1.0, _float("STEADY_DRAIN", 30.0)),
            light_share=max(0.0, _float("LIGHT_SHARE", 0.5)),
            scaleout_complaints=max(50, _int("SCALEOUT_COMPLAINTS", 200)),
            scaleout_runs=max(1, _int("SCALEOUT_RUNS", 1)),
            scaleout_prefetch=max(0, _int("SCALEOUT_PREFETCH", 0)),
            drain_timeout=max(5.0, _float("DRAIN_TIMEOUT", 45.0)),
            base_port=_int("BASE_PORT", 18500),
            profile_dir=Path(profile) if profile else None,
            profile_seconds=max(1.0, _float("PROFILE_SECONDS", 20.0)),
            skip=frozenset(skip),
            services_dir=Path(_str("SERVICES_DIR", str(REPO))).resolve(),
            baseline_dir=Path(baseline).resolve() if baseline else None,
            storeops=_str("STOREOPS", "0") == "1",
        )
        for host_url in (config.amqp_base, config.rabbit_api, config.mongodb_base or "127.0.0.1"):
            if "127.0.0.1" not in host_url and "localhost" not in host_url:
                raise SystemExit(f"bench talks to the local stack only, not {host_url}")
        if not 1024 <= config.base_port <= 65500:
            raise SystemExit("LAPOR_BENCH_BASE_PORT out of range")
        return config
