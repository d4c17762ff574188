"""Phone side of the local SMS sandbox: inject inbound SMS, read outbound SMS (dev only).

Standard library only; works as a command and as a module. It talks to
deploy/local/fakesmsc_driver.py (started by `scripts/infra.sh up`, part `fakesmsc`) through
files in var/kannel/ (or $LAPOR_KANNEL_STATE_DIR):

    inbound.fifo   write one JSON object per line: {"from", "to", "text", "mode"?, "id"?}
    inbox.jsonl    one line per inbound request handled: {"id", "status": "sent"|"error", ...}
    outbox.jsonl   one line per SMS Kannel sent to a phone:
                   {"seq", "at", "from", "to", "coding", "text", "parts", "udh",
                    "coding_guessed", "raw"}

Commands:

    python3 deploy/local/sms.py send-inbound --from +6281234567890 --text "LAPOR jalan rusak"
        [--to 1708] [--mode auto|text|data|ucs2] [--timeout 15] [--no-wait]
    python3 deploy/local/sms.py position                  # last outbox seq (a --since mark)
    python3 deploy/local/sms.py outbox [--since N] [--to NUMBER] [--wait K] [--timeout T]
    python3 deploy/local/sms.py sendsms --to +6281234567890 --text "..." [--coding 0|2]
        [--from 1708] [--dlr-url URL] [--dlr-mask 31]   # through Kannel's sendsms

Module (e.g. from tests: sys.path.insert(0, "deploy/local"); import sms):

    send_inbound(sender, text, to="1708", mode="auto", timeout=15.0) -> dict  # inbox record
    outbox_position() -> int
    read_outbox(since=0, to=None) -> list[dict]
    wait_outbox(count=1, since=0, to=None, timeout=15.0) -> list[dict]  # TimeoutError
    sendsms(to, text, coding=0, sender="1708", dlr_url=None, dlr_mask=None) -> (int, str)

Inbound SMS reach intake's get-url as GET /sms/kannel?from=%2B62...&to=1708&text=...&id=UUID
(UTF-8, percent-encoded, space as "+"; Kannel's %a squeezes runs of white space, line breaks
included, into one space).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

PIPE_BUF = 4096  # writes up to this size into a FIFO are atomic
SENDSMS_URL = os.environ.get("LAPOR_SMS_SENDSMS_URL", "http://127.0.0.1:13013/cgi-bin/sendsms")
SENDSMS_USER = os.environ.get("LAPOR_SMS_SENDSMS_USER", "lapor")
SENDSMS_PASSWORD = os.environ.get("LAPOR_SMS_SENDSMS_PASSWORD", "lapor-dev")
SHORT_NUMBER = "1708"


def state_dir() -> Path:
    env = os.environ.get("LAPOR_KANNEL_STATE_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "var" / "kannel"


def _read_jsonl(path: Path, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Complete records from byte offset on, and the offset after the last complete one."""
    try:
        with path.open("rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return [], offset
    end = data.rfind(b"\n") + 1  # ignore a record being written
    records = [json.loads(line) for line in data[:end].splitlines() if line.strip()]
    return records, offset + end


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def send_inbound(
    sender: str,
    text: str,
    to: str = SHORT_NUMBER,
    mode: str = "auto",
    timeout: float = 15.0,
    wait: bool = True,
) -> dict[str, Any]:
    """Simulates a phone sending an SMS to Kannel. With wait, returns the driver's inbox
    record once the message is in bearerbox (raises RuntimeError on "error", TimeoutError
    when the driver does not answer). Kannel calls the get-url shortly after."""
    sd = state_dir()
    fifo, inbox = sd / "inbound.fifo", sd / "inbox.jsonl"
    req = {"id": str(uuid.uuid4()), "from": sender, "to": to, "text": text, "mode": mode}
    data = (json.dumps(req, ensure_ascii=False) + "\n").encode()
    if len(data) > PIPE_BUF:
        raise ValueError(f"request is {len(data)} bytes, at most {PIPE_BUF}")
    start = _size(inbox)
    try:
        # Non-blocking: fails at once (ENXIO) instead of hanging if no driver reads the FIFO.
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except (FileNotFoundError, OSError) as e:
        raise RuntimeError(
            f"fake SMSC driver not running ({fifo}: {e}); run: bash scripts/infra.sh up kannel"
        ) from e
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    if not wait:
        return req
    deadline = time.monotonic() + timeout
    offset = start
    while True:
        records, offset = _read_jsonl(inbox, offset)
        for rec in records:
            if rec.get("id") == req["id"]:
                if rec.get("status") != "sent":
                    raise RuntimeError(f"inbound SMS not sent: {rec.get('error')}")
                return rec
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"fake SMSC driver did not handle request {req['id']} within {timeout}s"
            )
        time.sleep(0.05)


def read_outbox(since: int = 0, to: str | None = None) -> list[dict[str, Any]]:
    """Outbound SMS with seq > since (optionally only those to one number)."""
    records, _ = _read_jsonl(state_dir() / "outbox.jsonl")
    return [r for r in records if r["seq"] > since and (to is None or r["to"] == to)]


def outbox_position() -> int:
    records, _ = _read_jsonl(state_dir() / "outbox.jsonl")
    return records[-1]["seq"] if records else 0


def wait_outbox(
    count: int = 1,
    since: int = 0,
    to: str | None = None,
    timeout: float = 15.0,
    predicate: Callable[[dict[str, Any]], bool] | None = None,
) -> list[dict[str, Any]]:
    """Waits until at least count outbound SMS (seq > since, matching) exist; returns them."""
    deadline = time.monotonic() + timeout
    while True:
        found = [r for r in read_outbox(since, to) if predicate is None or predicate(r)]
        if len(found) >= count:
            return found
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{len(found)} of {count} outbound SMS after {timeout}s: {found}")
        time.sleep(0.05)


def sendsms(
    to: str,
    text: str,
    coding: int = 0,
    sender: str = SHORT_NUMBER,
    dlr_url: str | None = None,
    dlr_mask: int | None = None,
    url: str = SENDSMS_URL,
    timeout: float = 10.0,
) -> tuple[int, str]:
    """Kannel sendsms, as notify calls it. Returns (HTTP status, body), e.g.
    (202, "0: Accepted for delivery")."""
    params = {
        "username": SENDSMS_USER,
        "password": SENDSMS_PASSWORD,
        "from": sender,
        "to": to,
        "text": text,
        "charset": "UTF-8",
        "coding": str(coding),
    }
    if dlr_url:
        params["dlr-url"] = dlr_url
    if dlr_mask is not None:
        params["dlr-mask"] = str(dlr_mask)
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"sendsms URL must be http(s): {url}")
    full = url + "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(full, timeout=timeout) as resp:  # noqa: S310 (checked above)
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Phone side of the local SMS sandbox.")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send-inbound", help="a phone sends an SMS to Kannel")
    s.add_argument("--from", dest="sender", required=True)
    s.add_argument("--to", default=SHORT_NUMBER)
    s.add_argument("--text", required=True)
    s.add_argument("--mode", default="auto", choices=["auto", "text", "data", "ucs2"])
    s.add_argument("--timeout", type=float, default=15.0)
    s.add_argument("--no-wait", action="store_true")
    sub.add_parser("position", help="seq of the last outbound SMS (0 if none)")
    o = sub.add_parser("outbox", help="print outbound SMS as JSON lines")
    o.add_argument("--since", type=int, default=0)
    o.add_argument("--to")
    o.add_argument("--wait", type=int, default=0, metavar="K", help="wait for K messages")
    o.add_argument("--timeout", type=float, default=15.0)
    k = sub.add_parser("sendsms", help="send an SMS through Kannel's sendsms")
    k.add_argument("--to", required=True)
    k.add_argument("--text", required=True)
    k.add_argument("--from", dest="sender", default=SHORT_NUMBER)
    k.add_argument("--coding", type=int, default=0, choices=[0, 1, 2])
    k.add_argument("--dlr-url")
    k.add_argument("--dlr-mask", type=int)
    a = p.parse_args(argv)
    try:
        if a.cmd == "send-inbound":
            rec = send_inbound(a.sender, a.text, a.to, a.mode, a.timeout, not a.no_wait)
            print(json.dumps(rec, ensure_ascii=False))
        elif a.cmd == "position":
            print(outbox_position())
        elif a.cmd == "outbox":
            recs = (
                wait_outbox(a.wait, a.since, a.to, a.timeout)
                if a.wait
                else read_outbox(a.since, a.to)
            )
            for r in recs:
                print(json.dumps(r, ensure_ascii=False))
        elif a.cmd == "sendsms":
            status, body = sendsms(a.to, a.text, a.coding, a.sender, a.dlr_url, a.dlr_mask)
            print(f"{status} {body}")
            return 0 if 200 <= status < 300 else 1
    except (RuntimeError, TimeoutError, ValueError) as e:
        print(f"sms.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
