"""Starting the services, and a private Kannel, as processes for end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import AMQP_BASE, MONGODB_BASE, SMTP_PORT

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "routing", "sla", "notify")


@dataclass
class ServiceStack:
    """The four services of one test, each a process with its own log."""

    ports: dict[str, int]
    vhost: str
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def log_of(self, service: str) -> str:
        return (self.logs / f"{service}.log").read_text(errors="replace")

    def start(self, env: Mapping[str, str]) -> None:
        for name in self.ports:
            log = (self.logs / f"{name}.log").open("ab")
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}"],
                cwd=REPO,
                env=dict(env),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def wait_healthy(self, within: float = 90) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                codes = {}
                for name, process in self.processes.items():
                    if process.poll() is not None:
                        raise AssertionError(f"{name} exited:\n{self.log_of(name)[-3000:]}")
                    try:
                        codes[name] = (await client.get(self.url(name, "/healthz"))).status_code
                    except httpx.TransportError:
                        codes[name] = 0
                if all(code == 200 for code in codes.values()):
                    return
                if time.monotonic() > deadline:
                    raise AssertionError(f"services not healthy: {codes}")
                await asyncio.sleep(0.3)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in self.processes.items():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                raise AssertionError(f"{name} did not stop within 30 s of SIGTERM") from None


def service_env(
    *, vhost: str, db_name: str, ports: Mapping[str, int], extra: Mapping[str, str] = {}
) -> dict[str, str]:
    """Environment for services isolated in their own vhost, database and ports."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    env.update(
        {
            "LAPOR_AMQP_URL": f"{AMQP_BASE}/{vhost}",
            "LAPOR_MONGODB_URL": f"{MONGODB_BASE}/{db_name}",
            "LAPOR_SMTP_PORT": str(SMTP_PORT),
            "LAPOR_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['intake']}",
            "LAPOR_OUTBOX_RELAY_INTERVAL_SECONDS": "0.5",
            "LAPOR_IMAP_ENABLED": "false",
            **{f"LAPOR_{name.upper()}_PORT": str(port) for name, port in ports.items()},
        }
    )
    if "notify" in ports:
        env["LAPOR_NOTIFY_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{ports['notify']}"
    env.update(extra)
    return env


@dataclass
class KannelStack:
    """bearerbox, smsbox and the fake SMSC driver, on ports of their own.

    The template is the local stack's `deploy/local/kannel.conf`; only ports and paths move.
    """

    root: Path
    get_url_base: str
    offset: int = 10000
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{13013 + self.offset}/cgi-bin/sendsms"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    def _config(self) -> Path:
        text = (REPO / "deploy/local/kannel.conf").read_text()
        for port in (13000, 13001, 13013):
            text = text.replace(str(port), str(port + self.offset))
        text = text.replace("port = 10000", f"port = {10000 + self.offset}")
        text = text.replace("@REPO@", str(self.root)).replace("@GET_URL_BASE@", self.get_url_base)
        (self.root / "var/log/kannel").mkdir(parents=True, exist_ok=True)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        path = self.root / "kannel.conf"
        path.write_text(text)
        return path

    def _spawn(self, name: str, *args: str) -> None:
        log = (self.root / f"{name}.log").open("ab")
        self.processes.append(
            subprocess.Popen(list(args), stdout=log, stderr=subprocess.STDOUT, cwd=self.root)
        )

    def _wait(self, url: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=1).status_code < 500:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"kannel did not answer {url}")

    def start(self) -> None:
        conf = self._config()
        self._spawn("bearerbox", "/usr/sbin/bearerbox", "-v", "2", str(conf))
        self._wait(f"http://127.0.0.1:{13000 + self.offset}/status.txt?password=lapor-dev")
        self._spawn("smsbox", "/usr/sbin/smsbox", "-v", "2", str(conf))
        self._wait(f"http://127.0.0.1:{13013 + self.offset}/")
        self._spawn(
            "fakesmsc",
            sys.executable,
            "-u",
            str(REPO / "deploy/local/fakesmsc_driver.py"),
            "--state-dir",
            str(self.state_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(10000 + self.offset),
            "--fakesmsc",
            "/usr/lib/kannel/test/fakesmsc",
        )
        deadline = time.monotonic() + 30
        while not (self.state_dir / "inbound.fifo").exists():
            if time.monotonic() > deadline:
                raise AssertionError("fake SMSC driver did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
