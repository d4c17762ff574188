"""The benchmark's knobs: every size and limit is an `LAPOR_BENCH_*` environment variable."""

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
    smtp_port: int
    runs: int
    raw_messages: int
    clients: int
    warmup: int
    saturation_complaints: int
    steady_rate: float
    steady_seconds: float
    steady_max_in_flight: int
    steady_drain: float
    scaleout_complaints: int
    scaleout_runs: int
    drain_timeout: float
    base_port: int
    profile_dir: Path | None
    profile_seconds: float
    skip: frozenset[str]

    def infra_ports(self) -> dict[str, int]:
        """Where the store, the broker and the mail sandbox listen (for CPU accounting)."""
        store = urlsplit(self.mongodb_base).port or 27017
        broker = urlsplit(self.amqp_base).port or 5672
        return {"store": store, "rabbitmq": broker, "mailsandbox": self.smtp_port}

    @classmethod
    def from_env(cls) -> BenchConfig:
        """Read `LAPOR_BENCH_*` (defaults keep `make bench` within about five minutes)."""
        profile = _str("PROFILE_DIR", "")
        skip = {s.strip() for s in _str("SKIP", "").split(",") if s.strip()}
        config = cls(
            amqp_base=_str("AMQP_BASE", "amqp://guest:guest@127.0.0.1:5672"),
            rabbit_api=_str("RABBIT_API", "http://127.0.0.1:15672/api"),
            mongodb_base=_str("MONGODB_BASE", "mongodb://127.0.0.1:27017"),
            mongodb_options=_str("MONGODB_OPTIONS", ""),
            smtp_port=_int("SMTP_PORT", 2525),
            runs=max(1, _int("RUNS", 3)),
            raw_messages=max(1, _int("MESSAGES", 5000)),
            clients=max(1, _int("CLIENTS", 16)),
            warmup=max(1, _int("WARMUP", 20)),
            saturation_complaints=max(10, _int("SATURATION_COMPLAINTS", 100)),
            steady_rate=max(1.0, _float("STEADY_RATE", 50.0)),
            steady_seconds=max(1.0, _float("STEADY_SECONDS", 8.0)),
            steady_max_in_flight=max(1, _int("STEADY_MAX_IN_FLIGHT", 256)),
            steady_drain=max(1.0, _float("STEADY_DRAIN", 30.0)),
            scaleout_complaints=max(50, _int("SCALEOUT_COMPLAINTS", 200)),
            scaleout_runs=max(1, _int("SCALEOUT_RUNS", 1)),
            drain_timeout=max(5.0, _float("DRAIN_TIMEOUT", 45.0)),
            base_port=_int("BASE_PORT", 18500),
            profile_dir=Path(profile) if profile else None,
            profile_seconds=max(1.0, _float("PROFILE_SECONDS", 20.0)),
            skip=frozenset(skip),
        )
        for host_url in (config.amqp_base, config.rabbit_api, config.mongodb_base):
            if "127.0.0.1" not in host_url and "localhost" not in host_url:
                raise SystemExit(f"bench talks to the local stack only, not {host_url}")
        if not 1024 <= config.base_port <= 65500:
            raise SystemExit("LAPOR_BENCH_BASE_PORT out of range")
        return config
