"""Private, killable infrastructure for the chaos tier: a RabbitMQ node, a FerretDB and an
SMTP sink of the test's own, so restarting them disturbs nothing else on the machine."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from tests.e2e.harness import REPO


def _wait_port(port: int, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not open port {port}")


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _stop(process: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@dataclass
class PrivateRabbit:
    """A RabbitMQ node on its own ports and data directory."""

    root: Path
    port: int = 5782
    process: subprocess.Popen[bytes] | None = None
    node: str = field(default_factory=lambda: f"chaos{uuid.uuid4().hex[:6]}@localhost")

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def start(self) -> None:
        if _port_open(self.port):
            raise AssertionError(f"port {self.port} is taken: a stray RabbitMQ from a killed run?")
        conf = self.root / "rabbitmq.conf"
        conf.write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
            "loopback_users = none\nlog.console = false\n"
        )
        (self.root / "enabled_plugins").write_text("[].\n")
        env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_CONFIG_FILE": str(conf),
            "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.root / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.root / "beam.pid"),
            "RABBITMQ_DIST_PORT": str(self.port + 20000),
            "HOME": "/var/lib/rabbitmq",
            "ERL_CRASH_DUMP": str(self.root / "erl_crash.dump"),
        }
        log = (self.root / "console.log").open("ab")
        self.process = subprocess.Popen(
            ["/usr/lib/rabbitmq/bin/rabbitmq-server"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait_port(self.port, 90, "rabbitmq")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None
        # The Erlang VM may outlive the launcher for a moment: wait until both of the
        # node's ports are free, or the next start fails with dist_port_already_used.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(
            _port_open(port) for port in (self.port, self.port + 20000)
        ):
            time.sleep(0.2)


@dataclass
class PrivateFerret:
    """A FerretDB (SQLite) on its own port and data directory."""

    root: Path
    port: int = 27117
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}"

    def start(self) -> None:
        if _port_open(self.port):
            raise AssertionError(f"port {self.port} is taken: a stray FerretDB from a killed run?")
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        (self.root / "state").mkdir(parents=True, exist_ok=True)
        log = (self.root / "ferretdb.log").open("ab")
        self.process = subprocess.Popen(
            [
                str(REPO / "var/bin/ferretdb"),
                "--handler=sqlite",
                f"--sqlite-url=file:{self.root / 'data'}/",
                f"--listen-addr=127.0.0.1:{self.port}",
                f"--debug-addr=127.0.0.1:{self.port + 1000}",
                f"--state-dir={self.root / 'state'}",
                "--telemetry=disable",
                "--log-level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _wait_port(self.port, 30, "ferretdb")

    def kill(self) -> None:
        _stop(self.process, signal.SIGKILL)
        self.process = None

    def stop(self) -> None:
        """A clean shutdown (SQLite checkpoints its log)."""
        _stop(self.process, signal.SIGTERM)
        self.process = None


class _Sink:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@dataclass
class SmtpSink:
    """An SMTP server that keeps every message; can be stopped to simulate an outage."""

    port: int = 2625
    sink: _Sink = field(default_factory=_Sink)
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[Message]:
        return self.sink.messages


async def eventually(check: Any, what: str, seconds: float) -> None:
    """Wait until `await check()` is truthy."""
    deadline = time.monotonic() + seconds
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")
