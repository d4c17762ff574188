"""Drives Kannel's fakesmsc (package kannel-extras) as the phones of the local SMS sandbox.

Development only; standard library only. Started and stopped by scripts/infra.sh (part
`fakesmsc`):

    python3 deploy/local/fakesmsc_driver.py [--state-dir var/kannel] [--host 127.0.0.1]
        [--port 10000] [--fakesmsc /usr/lib/kannel/test/fakesmsc] [--poll-interval 0.2]

It runs `fakesmsc -H HOST -r PORT -i 0` (interactive mode: message lines on its stdin,
messages from Kannel in its log), restarts it whenever it exits (bearerbox restarted, not
up yet), and works around its quirks (see README.md in this directory):

* Inbound (phone -> Kannel): lines written to STATE/inbound.fifo. A line is either a JSON
  object {"from", "to", "text", "mode"?, "id"?} or a raw fakesmsc line
  "FROM TO TYPE DATA" (TYPE text|data|ucs2|udh-text|udh-data|route|dlr-mask). JSON
  requests are encoded here (see encode_request) and split into concatenated parts
  (UDH 00 03 ref n i) when longer than fakesmsc's 255-byte line buffer; Kannel joins the
  parts (sms-combine-concatenated-mo). Lines are handed to fakesmsc one at a time, each
  only after fakesmsc logged the previous one as sent. Each request gets one JSON line in
  STATE/inbox.jsonl: {"id", "at", "status": "sent"|"error", "error"?, "from", "to",
  "text", "lines"}.
* Outbound (Kannel -> phone): every message Kannel delivers to the fake SMSC becomes one
  JSON line in STATE/outbox.jsonl (concatenated parts joined):
  {"seq", "at", "from", "to", "coding", "text", "parts", "udh", "coding_guessed", "raw"}.
  coding: 0 = GSM 7-bit (Kannel hands the text over as UTF-8), 1 = 8-bit data,
  2 = UCS-2 (decoded as UTF-16BE, so emoji survive as surrogate pairs). fakesmsc's protocol
  drops the coding of messages with a UDH (concatenated parts): it is guessed then (UCS-2
  when the joined payload has a NUL byte or is not UTF-8) and "coding_guessed" is true.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import queue
import random
import re
import signal
import stat
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
# fakesmsc reads its stdin with fgets() into a 256-byte buffer: longer lines are cut in two.
MAX_LINE = 250
# Kannel's (and GSM's) limit of parts per concatenated message is 255; keep it sane.
MAX_PARTS = 20

LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[\d+\] \[\d+\] (\w+): ")
GOT = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[\d+\] \[\d+\] \w+: Got message \d+: <(.*)>$", re.S
)
SENT = re.compile(r"fakesmsc: sent message (\d+)$")
MSG = re.compile(r"^(\S*) (\S*) (text|data|ucs-2|udh) (.*)$", re.S)


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def log(msg: str) -> None:
    print(f"{now_iso()} fakesmsc_driver: {msg}", flush=True)


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    data = (json.dumps(record, ensure_ascii=False) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)  # one write: readers never see half a record from us
    finally:
        os.close(fd)


def count_lines(path: Path) -> int:
    try:
        with path.open("rb") as f:
            return sum(1 for line in f if line.endswith(b"\n"))
    except FileNotFoundError:
        return 0


# --- inbound encoding -----------------------------------------------------------------------
def _q(b: bytes) -> str:
    return urllib.parse.quote(b, safe="")


def _chunks_text(text: str, budget: int) -> list[str]:
    """Split text at character boundaries into pieces of at most budget UTF-8 bytes."""
    parts, cur, size = [], [], 0
    for ch in text:
        n = len(ch.encode())
        if size + n > budget and cur:
            parts.append("".join(cur))
            cur, size = [], 0
        cur.append(ch)
        size += n
    parts.append("".join(cur))
    return parts


def _chunks_encoded(text: str, budget: int) -> list[str]:
    """Split text into pieces whose url-encoded UTF-8 is at most budget bytes."""
    parts, cur, size = [], [], 0
    for ch in text:
        n = len(_q(ch.encode()))
        if size + n > budget and cur:
            parts.append("".join(cur))
            cur, size = [], 0
        cur.append(ch)
        size += n
    parts.append("".join(cur))
    return parts


def encode_request(req: dict[str, Any]) -> list[str]:
    """fakesmsc lines (without newline) for an inbound request; ValueError if impossible.

    mode "auto" (default): "text" (raw UTF-8, coding 7-bit; Kannel's internal form of 7-bit
    text is UTF-8, so any character works), or "data" (url-encoded UTF-8, coding 8-bit)
    when the text has a line break, which the line protocol cannot carry raw. Too long for
    one line: concatenated parts "udh-text" / "udh-data". mode "ucs2": one "ucs2" line
    (UCS-2 url-encoded, like a phone sending Unicode), short texts only. mode "text" /
    "data": force that type.
    """
    sender, receiver = str(req.get("from", "")), str(req.get("to", "1708"))
    text = req.get("text")
    mode = req.get("mode") or "auto"
    if not isinstance(text, str):
        raise ValueError("'text' must be a string")
    for name, value in (("from", sender), ("to", receiver)):
        if not value or any(c.isspace() for c in value):
            raise ValueError(f"'{name}' must be a non-empty number without spaces")
    if mode == "auto":
        mode = "data" if ("\n" in text or "\r" in text) else "text"
    head = f"{sender} {receiver} "
    if mode == "ucs2":
        line = head + "ucs2 " + _q(text.encode("utf-16-be", "surrogatepass"))
        if len(line.encode()) > MAX_LINE:
            raise ValueError(
                f"ucs2 line is {len(line.encode())} bytes, fakesmsc takes at most {MAX_LINE}: "
                "use mode auto for long texts"
            )
        return [line]
    if mode == "text":
        if "\n" in text or "\r" in text:
            raise ValueError("mode text cannot carry line breaks (use auto or data)")
        line = head + "text " + text
        if len(line.encode()) <= MAX_LINE:
            return [line]
        budget = MAX_LINE - len((head + "udh-text %05%00%03%FF%FF%FF ").encode())
        pieces = _chunks_text(text, budget)
        kind = "udh-text"
    elif mode == "data":
        line = head + "data " + _q(text.encode())
        if len(line.encode()) <= MAX_LINE:
            return [line]
        budget = MAX_LINE - len((head + "udh-data %05%00%03%FF%FF%FF ").encode())
        pieces = _chunks_encoded(text, budget)
        kind = "udh-data"
    else:
        raise ValueError(f"unknown mode {mode!r} (auto, text, data, ucs2)")
    if len(pieces) > MAX_PARTS:
        raise ValueError(f"text too long: {len(pieces)} parts (at most {MAX_PARTS})")
    ref = random.randrange(256)
    lines = []
    for i, piece in enumerate(pieces, 1):
        udh = _q(bytes([5, 0, 3, ref, len(pieces), i]))
        body = piece if kind == "udh-text" else _q(piece.encode())
        lines.append(f"{head}{kind} {udh} {body}")
    return lines


# --- outbound decoding ----------------------------------------------------------------------
def _unq(s: str) -> bytes:
    return urllib.parse.unquote_to_bytes(s.replace("+", " "))


def _decode(payload: bytes, coding: int) -> str:
    if coding == 2:
        return payload.decode("utf-16-be", "replace")
    return payload.decode("utf-8", "replace")


def _concat_info(udh: bytes) -> tuple[int, int, int] | None:
    """(ref, total, seq) from a concatenation IE in a UDH (with its length byte), else None."""
    i, end = 1, min(len(udh), 1 + (udh[0] if udh else 0))
    while i + 1 < end:
        iei, ln = udh[i], udh[i + 1]
        data = udh[i + 2 : i + 2 + ln]
        if iei == 0x00 and ln == 3 and len(data) == 3:
            return data[0], data[1], data[2]
        if iei == 0x08 and ln == 4 and len(data) == 4:
            return (data[0] << 8) | data[1], data[2], data[3]
        i += 2 + ln
    return None


def _guess_coding(payload: bytes) -> int:
    if b"\x00" in payload and len(payload) % 2 == 0:
        return 2
    try:
        payload.decode("utf-8")
        return 0
    except UnicodeDecodeError:
        return 2 if len(payload) % 2 == 0 else 1


class Outbox:
    """Turns fakesmsc's "Got message" lines into outbox.jsonl records."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seq = count_lines(path)
        self.pending_text: dict[str, Any] | None = None  # a "text" message maybe continued
        self.concat: dict[tuple[str, str, int, int], dict[int, tuple[bytes, str]]] = {}
        self.concat_started: dict[tuple[str, str, int, int], float] = {}

    def emit(self, rec: dict[str, Any]) -> None:
        self.seq += 1
        out = {"seq": self.seq, "at": now_iso()}
        out.update(rec)
        append_jsonl(self.path, out)
        log(
            f"outbound #{self.seq} {out['from']} -> {out['to']} coding {out['coding']}: "
            f"{out['text']!r}"
        )

    def flush(self) -> None:
        if self.pending_text is not None:
            self.emit(self.pending_text)
            self.pending_text = None

    def expire(self, max_age: float = 30.0) -> None:
        """Emit concatenated messages whose parts did not all arrive."""
        for key, started in list(self.concat_started.items()):
            if time.monotonic() - started > max_age:
                self._emit_concat(key, complete=False)

    def _emit_concat(self, key: tuple[str, str, int, int], complete: bool) -> None:
        parts = self.concat.pop(key)
        self.concat_started.pop(key, None)
        payload = b"".join(parts[i][0] for i in sorted(parts))
        coding = _guess_coding(payload)
        rec = {
            "from": key[0],
            "to": key[1],
            "coding": coding,
            "text": _decode(payload, coding),
            "parts": key[3],
            "udh": None,
            "coding_guessed": True,
            "raw": [parts[i][1] for i in sorted(parts)],
        }
        if not complete:
            rec["incomplete"] = sorted(parts)
        self.emit(rec)

    def line(self, content: str) -> None:
        m = MSG.match(content)
        if m is None:
            # fakesmsc's protocol is line based: a line break inside a 7-bit text arrives as
            # a separate "message"; glue it back.
            if self.pending_text is not None:
                self.pending_text["text"] += "\n" + content
                self.pending_text["raw"].append(content)
            else:
                log(f"unparsable line from Kannel: {content!r}")
            return
        self.flush()
        sender, receiver, kind, rest = m.groups()
        if kind == "text":
            self.pending_text = {
                "from": sender,
                "to": receiver,
                "coding": 0,
                "text": rest,
                "parts": 1,
                "udh": None,
                "coding_guessed": False,
                "raw": [content],
            }
            return
        if kind in ("data", "ucs-2"):
            coding = 1 if kind == "data" else 2
            self.emit(
                {
                    "from": sender,
                    "to": receiver,
                    "coding": coding,
                    "text": _decode(_unq(rest), coding),
                    "parts": 1,
                    "udh": None,
                    "coding_guessed": False,
                    "raw": [content],
                }
            )
            return
        # "udh <udh> data <payload>"
        udh_s, _, payload_s = rest.partition(" data ")
        udh, payload = _unq(udh_s), _unq(payload_s)
        info = _concat_info(udh)
        if info is None or info[1] <= 1:
            coding = _guess_coding(payload)
            self.emit(
                {
                    "from": sender,
                    "to": receiver,
                    "coding": coding,
                    "text": _decode(payload, coding),
                    "parts": 1,
                    "udh": udh.hex(),
                    "coding_guessed": True,
                    "raw": [content],
                }
            )
            return
        ref, total, seq = info
        key = (sender, receiver, ref, total)
        self.concat.setdefault(key, {})[seq] = (payload, content)
        self.concat_started.setdefault(key, time.monotonic())
        if len(self.concat[key]) >= total:
            self._emit_concat(key, complete=True)


# --- the driver -----------------------------------------------------------------------------
class Driver:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.state = Path(args.state_dir).resolve()
        self.fifo = self.state / "inbound.fifo"
        self.inbox = self.state / "inbox.jsonl"
        self.outbox = Outbox(self.state / "outbox.jsonl")
        self.requests: queue.Queue[tuple[dict[str, Any], list[str] | None, str | None]] = (
            queue.Queue()
        )
        self.lines: queue.Queue[str | None] = queue.Queue()  # fakesmsc output lines
        self.cond = threading.Condition()
        self.proc: subprocess.Popen[bytes] | None = None
        self.generation = 0  # fakesmsc processes started so far
        self.sent = 0  # "sent message N" of the current process
        self.write_lock = threading.Lock()
        self.stopping = False
        self.early: list[str] | None = None  # output of a fakesmsc that may not connect
        self.failures = 0  # fakesmsc processes in a row that exited at once

    # fakesmsc process ------------------------------------------------------------------------
    def spawn(self) -> None:
        cmd = [self.args.fakesmsc, "-H", self.args.host, "-r", str(self.args.port), "-i", "0"]
        proc = subprocess.Popen(  # noqa: S603 (our own argument list, no shell)
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0
        )
        with self.cond:
            self.proc = proc
            self.generation += 1
            self.sent = 0
            self.cond.notify_all()
        log(f"started {' '.join(cmd)} (pid {proc.pid})")
        threading.Thread(target=self.read_output, args=(proc,), daemon=True).start()

    def read_output(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            self.lines.put(raw.decode("utf-8", "replace").rstrip("\r\n"))
        self.lines.put(None)

    def supervise(self) -> None:
        """Main thread: keep one fakesmsc running and parse its output."""
        backoff = 0.5
        while not self.stopping:
            started = time.monotonic()
            # fakesmsc panics (with a backtrace) when bearerbox does not answer: hold its
            # output for a second, so that retries while bearerbox is down stay quiet.
            self.early = []
            self.spawn()
            assert self.proc is not None
            while True:
                if self.early is not None and time.monotonic() - started > 1.0:
                    for held in self.early:
                        print(f"fakesmsc: {held}", flush=True)
                    self.early = None
                    if self.failures:
                        log(f"fakesmsc connected after {self.failures} failed attempt(s)")
                    self.failures = 0
                try:
                    # A pending 7-bit text waits briefly for a continuation line (its line
                    # breaks), which fakesmsc logs right after it.
                    item = self.lines.get(timeout=0.05 if self.outbox.pending_text else 0.2)
                except queue.Empty:
                    self.outbox.flush()
                    self.outbox.expire()
                    continue
                if item is None:
                    break
                self.handle_output(item)
            self.outbox.flush()
            rc = self.proc.wait()
            with self.cond:
                self.proc = None
                self.cond.notify_all()
            if self.stopping:
                break
            backoff = 0.5 if time.monotonic() - started > 10 else min(backoff * 2, 2.0)
            if self.early is not None:  # exited within a second: could not connect
                self.failures += 1
                if self.failures == 1 or self.failures % 30 == 0:
                    errors = [
                        ln.split(": ", 1)[-1]
                        for ln in self.early
                        if " ERROR: " in ln or (" PANIC: " in ln and "PANIC: /" not in ln)
                    ]
                    log(
                        f"fakesmsc exited with status {rc} ({'; '.join(errors) or 'no error'}); "
                        f"retrying every {backoff:.1f}s until bearerbox answers on "
                        f"{self.args.host}:{self.args.port} (attempt {self.failures})"
                    )
                self.early = None
            else:
                log(f"fakesmsc exited with status {rc}, restarting in {backoff:.1f}s")
            time.sleep(backoff)

    def handle_output(self, line: str) -> None:
        m = GOT.match(line)
        if m:
            self.outbox.line(m.group(1))
            return
        m2 = SENT.search(line)
        if m2 and LOG_PREFIX.match(line):
            with self.cond:
                self.sent = int(m2.group(1))
                self.cond.notify_all()
            return
        if LOG_PREFIX.match(line) is None and self.outbox.pending_text is not None:
            # Defensive: a raw continuation (not seen with fakesmsc 1.4.5's log format).
            self.outbox.line(line)
            return
        if self.early is not None:
            self.early.append(line)
            return
        print(f"fakesmsc: {line}", flush=True)

    def write_line(self, line: str) -> bool:
        """Hands one line to the current fakesmsc; True once it logged it as sent."""
        deadline = time.monotonic() + self.args.send_timeout
        while time.monotonic() < deadline and not self.stopping:
            with self.cond:
                while self.proc is None and not self.stopping and time.monotonic() < deadline:
                    self.cond.wait(0.2)
                proc, gen, target = self.proc, self.generation, self.sent + 1
            if proc is None:
                break
            try:
                with self.write_lock:
                    assert proc.stdin is not None
                    proc.stdin.write(line.encode() + b"\n")
            except (BrokenPipeError, OSError):
                time.sleep(0.2)
                continue
            with self.cond:
                while (
                    self.generation == gen
                    and self.proc is not None
                    and self.sent < target
                    and time.monotonic() < deadline
                ):
                    self.cond.wait(0.2)
                if self.generation == gen and self.proc is not None and self.sent >= target:
                    return True
            # fakesmsc died before sending it (not connected): retry with the next one.
        return False

    def tick(self) -> None:
        """fakesmsc only reads from Kannel when its stdin wakes it up (else once a second):
        an empty line every poll-interval makes outbound messages show up promptly, and
        releases any line stuck in its stdio buffer."""
        while not self.stopping:
            time.sleep(self.args.poll_interval)
            proc = self.proc
            if proc is None or proc.stdin is None:
                continue
            try:
                with self.write_lock:
                    proc.stdin.write(b"\n")
            except (BrokenPipeError, OSError):
                pass

    # inbound requests ------------------------------------------------------------------------
    def read_fifo(self) -> None:
        # O_RDWR: the driver is a writer too, so the FIFO never reports end of file.
        fd = os.open(self.fifo, os.O_RDWR)
        with os.fdopen(fd, "rb", buffering=0) as f:
            buf = b""
            while not self.stopping:
                chunk = f.read(65536)
                if not chunk:
                    continue
                buf += chunk
                while b"\n" in buf:
                    raw, buf = buf.split(b"\n", 1)
                    self.accept(raw.decode("utf-8", "replace").rstrip("\r"))

    def accept(self, line: str) -> None:
        if not line.strip():
            return
        if line.lstrip().startswith("{"):
            try:
                req = json.loads(line)
                if not isinstance(req, dict):
                    raise ValueError("not a JSON object")
            except ValueError as e:
                self.requests.put(({"raw": line}, None, f"invalid JSON: {e}"))
                return
            try:
                self.requests.put((req, encode_request(req), None))
            except ValueError as e:
                self.requests.put((req, None, str(e)))
            return
        if len(line.encode()) > MAX_LINE:
            self.requests.put(
                (
                    {"raw": line},
                    None,
                    f"raw line longer than {MAX_LINE} bytes (fakesmsc would cut it)",
                )
            )
            return
        self.requests.put(({"raw": line}, [line], None))

    def send_requests(self) -> None:
        while not self.stopping:
            req, lines, error = self.requests.get()
            rec: dict[str, Any] = {"id": str(req.get("id") or uuid.uuid4()), "at": None}
            for k in ("from", "to", "text", "mode", "raw"):
                if k in req:
                    rec[k] = req[k]
            if lines is not None:
                for i, line in enumerate(lines):
                    if not self.write_line(line):
                        error = (
                            f"fakesmsc did not take line {i + 1}/{len(lines)} within "
                            f"{self.args.send_timeout}s (is bearerbox up on "
                            f"{self.args.host}:{self.args.port}?)"
                        )
                        break
                rec["lines"] = lines
            rec["at"] = now_iso()
            rec["status"] = "error" if error else "sent"
            if error:
                rec["error"] = error
                log(f"inbound {rec['id']}: ERROR {error}")
            else:
                log(f"inbound {rec['id']}: sent {len(lines or [])} line(s)")
            append_jsonl(self.inbox, rec)

    def run(self) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        if self.fifo.exists() and not stat.S_ISFIFO(self.fifo.stat().st_mode):
            self.fifo.unlink()
        if not self.fifo.exists():
            os.mkfifo(self.fifo, 0o666)
        for target in (self.read_fifo, self.send_requests, self.tick):
            threading.Thread(target=target, daemon=True).start()

        def stop(signum: int, frame: Any) -> None:
            self.stopping = True
            proc = self.proc
            if proc is not None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGINT)  # fakesmsc's clean shutdown
            log(f"signal {signum}, stopping")
            sys.exit(0)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log(f"state {self.state} (inbound.fifo, inbox.jsonl, outbox.jsonl)")
        self.supervise()


def main() -> None:
    here = Path(__file__).resolve()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--state-dir", default=str(here.parents[2] / "var" / "kannel"))
    p.add_argument("--host", default="127.0.0.1", help="bearerbox host (fake SMSC)")
    p.add_argument("--port", type=int, default=10000, help="port of the smsc = fake group")
    p.add_argument("--fakesmsc", default=os.environ.get("LAPOR_FAKESMSC", FAKESMSC))
    p.add_argument("--poll-interval", type=float, default=0.2)
    p.add_argument("--send-timeout", type=float, default=15.0)
    args = p.parse_args()
    if not os.access(args.fakesmsc, os.X_OK):
        sys.exit(
            f"fakesmsc_driver: {args.fakesmsc} missing: install kannel-extras (scripts/install.sh)"
        )
    Driver(args).run()


if __name__ == "__main__":
    main()
