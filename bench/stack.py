"""The services under test: processes of their own, in a fresh vhost and database.

Modelled on `tests/e2e/harness.py`, with only documented settings changed for a benchmark
(WARNING logs, no SMS gateway, no IMAP poller, no per-address rate limit: every simulated
reporter posts from 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pymongo import AsyncMongoClient

from bench.config import REPO, BenchConfig
from shared.mongo import Database

__all__ = [
    "Instance",
    "ServiceSet",
    "bench_env",
    "consumer_prefetch",
    "die_with_parent",
    "isolated",
    "purge_queues",
    "rabbit_vhost",
]

SERVICES = ("intake", "routing", "sla", "notify")
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In the child: SIGTERM when the benchmark process dies, so no service outlives it."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Instance:
    """One running service process."""

    service: str
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def bench_env(
    config: BenchConfig, *, vhost: str, db_name: str, ports: Mapping[str, int]
) -> dict[str, str]:
    """Environment of the services: isolated vhost, database, ports; documented settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    env.update(
        {
            "LAPOR_AMQP_URL": f"{config.amqp_base}/{vhost}",
            "LAPOR_MONGODB_URL": f"{config.mongodb_base}/{db_name}"
            + (f"?{config.mongodb_options}" if config.mongodb_options else ""),
            "LAPOR_SMTP_PORT": str(config.smtp_port),
            "LAPOR_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['intake']}",
            "LAPOR_NOTIFY_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['notify']}",
            "LAPOR_LOG_LEVEL": "WARNING",
            "LAPOR_SMS_ENABLED": "false",
            "LAPOR_IMAP_ENABLED": "false",
            # Every simulated reporter posts from 127.0.0.1: lift the per-address limit.
            "LAPOR_RATE_LIMIT_PER_CLIENT": "1000000",
            **{f"LAPOR_{name.upper()}_PORT": str(port) for name, port in ports.items()},
        }
    )
    return env


@dataclass
class ServiceSet:
    """Service processes sharing one vhost and database."""

    config: BenchConfig
    vhost: str
    db_name: str
    logs: Path
    ports: dict[str, int]
    tree: Path  # where the services' code is run from
    instances: list[Instance] = field(default_factory=list)

    @property
    def amqp_url(self) -> str:
        return f"{self.config.amqp_base}/{self.vhost}"

    def env(self) -> dict[str, str]:
        return bench_env(self.config, vhost=self.vhost, db_name=self.db_name, ports=self.ports)

    def of(self, service: str) -> list[Instance]:
        return [i for i in self.instances if i.service == service]

    def first(self, service: str) -> Instance:
        return self.of(service)[0]

    def store_ops(self) -> dict[str, dict[str, dict[str, float]]]:
        """Each instance's store commands so far (LAPOR_BENCH_STOREOPS=1), else {}."""
        found: dict[str, dict[str, dict[str, float]]] = {}
        for instance in self.instances:
            path = self.logs / f"{instance.name}.storeops.json"
            with contextlib.suppress(OSError, ValueError):
                found[instance.name] = json.loads(path.read_text())
        return found

    def start(
        self,
        service: str,
        *,
        port: int | None = None,
        name: str | None = None,
        settings: Mapping[str, str] | None = None,
    ) -> Instance:
        """Start one more process of `service` (another HTTP port for a second instance)."""
        env = self.env() | dict(settings or {})
        port = port if port is not None else self.ports[service]
        env[f"LAPOR_{service.upper()}_PORT"] = str(port)
        name = name or service
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{name}.log"
        command = [sys.executable, "-m", f"services.{service}"]
        if self.config.storeops:  # count the store commands (see bench/storeops.py)
            command = [sys.executable, str(REPO / "bench/storeops.py"), f"services.{service}"]
            env["PYTHONPATH"] = str(self.tree)
            env["LAPOR_BENCH_STOREOPS_OUT"] = str(self.logs / f"{name}.storeops.json")
        with log.open("ab") as out:
            process = subprocess.Popen(
                command,
                cwd=self.tree,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,  # the benchmark process is single-threaded
            )
        instance = Instance(service=service, name=name, port=port, process=process, log=log)
        self.instances.append(instance)
        return instance

    async def wait_healthy(self, instances: list[Instance], within: float = 120) -> None:
        """Until every instance answers 200 on /healthz (or one exits)."""
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                codes: dict[str, int] = {}
                for instance in instances:
                    if instance.process.poll() is not None:
                        raise RuntimeError(f"{instance.name} exited:\n{instance.tail()}")
                    try:
                        codes[instance.name] = (
                            await client.get(instance.url("/healthz"))
                        ).status_code
                    except httpx.TransportError:
                        codes[instance.name] = 0
                if all(code == 200 for code in codes.values()):
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"services not healthy within {within:.0f} s: {codes}")
                await asyncio.sleep(0.3)

    def stop(self, instances: list[Instance] | None = None, *, grace: float = 15.0) -> None:
        """SIGTERM, then wait (SIGKILL after `grace` seconds): the services drain their work."""
        targets = self.instances if instances is None else instances
        for instance in targets:
            if instance.process.poll() is None:
                instance.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for instance in targets:
            try:
                instance.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                instance.process.kill()
                instance.process.wait(timeout=10)
        self.instances = [i for i in self.instances if i not in targets]


async def consumer_prefetch(config: BenchConfig, vhost: str) -> dict[str, int]:
    """Each consuming queue's prefetch as the broker sees it (0 = unlimited)."""
    async with httpx.AsyncClient(
        base_url=config.rabbit_api, auth=("guest", "guest"), timeout=10
    ) as api:
        response = await api.get(f"/consumers/{vhost}")
        if response.status_code != 200:
            return {}
        return {str(c["queue"]["name"]): int(c.get("prefetch_count") or 0) for c in response.json()}


async def purge_queues(config: BenchConfig, vhost: str) -> None:
    """Drop every ready message of the vhost (what a cycle left unprocessed)."""
    async with httpx.AsyncClient(
        base_url=config.rabbit_api, auth=("guest", "guest"), timeout=10
    ) as api:
        with contextlib.suppress(httpx.HTTPError):
            response = await api.get(f"/queues/{vhost}", params={"columns": "name"})
            for queue in response.json():
                await api.delete(f"/queues/{vhost}/{queue['name']}/contents")


@contextlib.asynccontextmanager
async def rabbit_vhost(config: BenchConfig, prefix: str) -> AsyncIterator[str]:
    """A throw-away RabbitMQ virtual host, deleted afterwards."""
    vhost = f"{prefix}-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(
        base_url=config.rabbit_api, auth=("guest", "guest"), timeout=10
    ) as api:
        (await api.put(f"/vhosts/{vhost}")).raise_for_status()
        perms = {"configure": ".*", "write": ".*", "read": ".*"}
        (await api.put(f"/permissions/{vhost}/guest", json=perms)).raise_for_status()
        try:
            yield vhost
        finally:
            await api.delete(f"/vhosts/{vhost}")


@contextlib.asynccontextmanager
async def isolated(
    config: BenchConfig, *, label: str, ports: dict[str, int], logs: Path, tree: Path
) -> AsyncIterator[tuple[ServiceSet, Database]]:
    """A vhost, a database (dropped afterwards) and an empty set of service processes."""
    db_name = f"lapor_bench_{label}_{uuid.uuid4().hex[:8]}"
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        config.mongodb_base, tz_aware=True, serverSelectionTimeoutMS=5000, socketTimeoutMS=60000
    )
    try:
        async with rabbit_vhost(config, f"lapor-bench-{label}") as vhost:
            services = ServiceSet(
                config=config,
                vhost=vhost,
                db_name=db_name,
                logs=logs,
                ports=dict(ports),
                tree=tree,
            )
            try:
                yield services, client[db_name]
            finally:
                await purge_queues(config, vhost)  # nothing left to drain: a quick stop
                services.stop()
    finally:
        if not config.private_store:  # a private store's data directory goes as a whole
            # FerretDB v1 goes on with a killed client's operations; dropping the database
            # under them can crash it (SIGBUS in SQLite's WAL): let them finish first.
            await asyncio.sleep(5)
            with contextlib.suppress(Exception):
                await client.drop_database(db_name)
        await client.close()
