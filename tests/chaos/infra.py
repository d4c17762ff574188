"""Private, killable infrastructure for the chaos tier: a RabbitMQ node, a FerretDB on a
PostgreSQL cluster, an SMTP sink and a Kannel of the test's own, so restarting them
disturbs nothing else on the machine."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from tests.e2e.harness import REPO, KannelStack


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


def _stop(
    process: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM, timeout: float = 60
) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
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


def _postgres_bin() -> Path:
    """The bin directory of the newest PostgreSQL from Debian's packages."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    if not found:
        raise AssertionError("no PostgreSQL under /usr/lib/postgresql: run scripts/install.sh")
    return found[-1].parent


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of the test's own, FerretDB's backend: initdb in a temporary
    directory, on its own port. PostgreSQL refuses to run as root; then the cluster belongs
    to the `postgres` user of Debian's package (and lives outside pytest's root-only tmp)."""

    port: int = 5532
    root: Path | None = None

    @property
    def url(self) -> str:
        # FerretDB's pool: 100 connections (see PrivateFerret for why that matters).
        return f"postgres://lapor@127.0.0.1:{self.port}/postgres?pool_max_conns=100"

    def _run(self, *args: str) -> None:
        command = [str(_postgres_bin() / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd="/", timeout=120)

    def start(self) -> None:
        if _port_open(self.port):
            raise AssertionError(
                f"port {self.port} is taken: a stray PostgreSQL from a killed run? "
                "(pg_ctl -D /tmp/lapor-chaos-pg-*/data stop, as user postgres)"
            )
        if self.root is None:
            self.root = Path(tempfile.mkdtemp(prefix="lapor-chaos-pg-"))
            if os.geteuid() == 0:
                shutil.chown(self.root, "postgres", "postgres")
            self._run(
                "initdb",
                "-D",
                f"{self.root}/data",
                "-U",
                "lapor",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=150"
        )
        self._run(
            "pg_ctl",
            "-D",
            f"{self.root}/data",
            "-l",
            f"{self.root}/postgres.log",
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self) -> None:
        """A fast shutdown: open transactions are rolled back, committed ones are kept."""
        if self.root is not None and (self.root / "data/postmaster.pid").exists():
            self._run("pg_ctl", "-D", f"{self.root}/data", "-m", "fast", "-w", "-t", "60", "stop")

    def remove(self) -> None:
        """Stop the cluster and delete it."""
        try:
            self.stop()
        finally:
            if self.root is not None:
                shutil.rmtree(self.root, ignore_errors=True)
                self.root = None


@dataclass
class PrivateFerret:
    """A FerretDB on its own port, on the PostgreSQL backend.

    Not on SQLite, the local stack's backend: with a few hundred complaints and four services
    writing, its write-ahead log never gets checkpointed back (some read is always open), so
    it grows to hundreds of MB and the store slows down until it answers nothing in time;
    and at FerretDB's default `synchronous=FULL` it manages about 75 updates a second here.
    PostgreSQL takes the same load with default durability (about 340 updates a second).

    Its clients must keep fewer than 100 operations in flight together. On either backend,
    an update holds one pooled connection (the cursor that read the document) while it
    waits for a second (the write transaction): with as many updates in flight as the pool
    has connections, every connection is held by a reader waiting for a writer, and the
    pool deadlocks for good (a client disconnecting does not cancel its operations; only a
    restart frees it). PyMongo's default of 100 connections per client lets each service
    alone get there after an outage, so every client of this store gets `maxPoolSize`
    (four services, a killed one's leftovers and the test: 60 at most; the pool has 100).
    """

    root: Path
    postgresql_url: str
    port: int = 27117
    max_pool_size: int = 10
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?maxPoolSize={self.max_pool_size}"

    def database_url(self, name: str) -> str:
        """The URL of one database, for a service's `LAPOR_MONGODB_URL`."""
        return f"mongodb://127.0.0.1:{self.port}/{name}?maxPoolSize={self.max_pool_size}"

    def start(self) -> None:
        if _port_open(self.port):
            raise AssertionError(f"port {self.port} is taken: a stray FerretDB from a killed run?")
        (self.root / "state").mkdir(parents=True, exist_ok=True)
        log = (self.root / "ferretdb.log").open("ab")
        self.process = subprocess.Popen(
            [
                str(REPO / "var/bin/ferretdb"),
                "--handler=postgresql",
                f"--postgresql-url={self.postgresql_url}",
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

    def pool_state(self) -> str:
        """How many operations wait for one of FerretDB's backend connections (goroutines)."""
        url = f"http://127.0.0.1:{self.port + 1000}/debug/pprof/goroutine?debug=1"
        try:
            dump = httpx.get(url, timeout=5).text
        except httpx.HTTPError as exc:
            return f"FerretDB's debug endpoint did not answer ({type(exc).__name__})"
        waiting = sum(
            int(block.split(" @", 1)[0])
            for block in re.split(r"\n(?=\d+ @ )", dump)
            if block[:1].isdigit() and "pgxpool.(*Pool).Acquire" in block
        )
        return (
            f"FerretDB: {waiting} operations waiting for a PostgreSQL connection (with 100 "
            "updates in flight its pool is deadlocked)"
        )

    def kill(self) -> None:
        _stop(self.process, signal.SIGKILL)
        self.process = None

    def stop(self) -> None:
        """A clean shutdown."""
        _stop(self.process, signal.SIGTERM)
        self.process = None


def _program(process: subprocess.Popen[bytes]) -> str:
    args = process.args
    return Path(str(args[0] if isinstance(args, list) else args)).name


@dataclass
class DurableKannel(KannelStack):
    """The private Kannel, set up as a production gateway must be for Lapor's promise.

    bearerbox keeps the messages it accepted in a store file, so a restart does not drop
    them (the sandbox's configuration has none), and smsbox retries delivery-report calls
    that fail (notify down, or its store), since notify decides whether an SMS that was cut
    off mid-send went out by its delivery report.
    """

    def _config(self) -> Path:
        path = super()._config()
        text = path.read_text()
        text = text.replace(
            "dlr-storage = internal\n",
            "dlr-storage = internal\n"
            f'store-type = file\nstore-location = "{self.root / "bearerbox.store"}"\n',
            1,
        )
        text = text.replace(
            "group = smsbox\n", "group = smsbox\nhttp-request-retry = 60\nhttp-queue-delay = 1\n", 1
        )
        assert "store-type" in text and "http-request-retry" in text, "kannel.conf changed shape"
        path.write_text(text)
        return path

    def stop(self) -> None:
        """smsbox first (it takes no more messages), then bearerbox (what it has not sent
        stays in its store), the fake SMSC last: bearerbox counts a message written to the
        fake SMSC as delivered, so one that is going away would lose it."""
        rank = {"smsbox": 0, "bearerbox": 1}
        running = [process for process in self.processes if process.poll() is None]
        running.sort(key=lambda process: rank.get(_program(process), 2))
        for process in running:
            _stop(process, signal.SIGTERM, timeout=15)


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
