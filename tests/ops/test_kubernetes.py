"""deploy/k8s renders with kustomize and validates against the Kubernetes schemas, no cluster.

Rendering: `kubectl kustomize` (kustomize is built into kubectl). Validation:
`kubernetes-validate` (PyPI, dev extra), which ships the API schemas, in strict mode.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ops.support import DEPLOY, run, tool

K8S = DEPLOY / "k8s"
KUBERNETES_VERSION = "1.30.0"  # the oldest minor version still supported upstream in 2026
CUSTOM_KINDS = {"ScaledObject", "TriggerAuthentication"}  # KEDA's; no schema ships for them
SERVICES = ("intake", "routing", "sla", "notify")


def render(directory: Path) -> list[dict[str, Any]]:
    out = run([tool("kubectl"), "kustomize", str(directory)])
    return [doc for doc in yaml.safe_load_all(out) if doc]


def validate(docs: list[dict[str, Any]], tmp_path: Path) -> None:
    """kubernetes-validate, strict: unknown fields fail too."""
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(yaml.safe_dump_all([d for d in docs if d["kind"] not in CUSTOM_KINDS]))
    # The console script of the virtualenv running the tests.
    validator = shutil.which("kubernetes-validate", path=str(Path(sys.executable).parent))
    validator = validator or tool("kubernetes-validate")
    run([validator, "--strict", "--quiet", "-k", KUBERNETES_VERSION, str(manifest)])


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@pytest.fixture(scope="module")
def production() -> list[dict[str, Any]]:
    return render(K8S / "overlays" / "production")


@pytest.mark.parametrize("variant", ["base", "overlays/production"])
def test_manifests_validate_against_the_kubernetes_schemas(variant: str, tmp_path: Path) -> None:
    docs = render(K8S / variant)
    assert docs
    validate(docs, tmp_path)


def test_keda_component_scales_consumers_on_queue_length(tmp_path: Path) -> None:
    tree = tmp_path / "k8s"
    shutil.copytree(K8S, tree)
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {"resources": ["k8s/overlays/production"], "components": ["k8s/components/keda"]}
        )
    )
    docs = render(tmp_path)
    validate(docs, tmp_path)
    scaled = of_kind(docs, "ScaledObject")
    assert set(scaled) == {"routing", "notify"}
    assert "routing" not in of_kind(docs, "HorizontalPodAutoscaler")  # one autoscaler each
    for obj in scaled.values():
        assert {t["type"] for t in obj["spec"]["triggers"]} == {"rabbitmq"}


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_is_probed_bounded_and_restricted(
    production: list[dict[str, Any]], name: str
) -> None:
    deployment = of_kind(production, "Deployment")[name]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"].startswith("registry.example.invalid/lapor/lapor:")
    assert container["command"] == ["python", "-m", f"services.{name}"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert "httpGet" in container["livenessProbe"]
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["automountServiceAccountToken"] is False
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"]["drop"] == ["ALL"]
    env_from = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
    assert env_from == {"lapor-config", "lapor-secrets"}


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_has_a_service_and_a_disruption_budget(
    production: list[dict[str, Any]], name: str
) -> None:
    pod_labels = of_kind(production, "Deployment")[name]["spec"]["template"]["metadata"]["labels"]
    service = of_kind(production, "Service")[name]
    budget = of_kind(production, "PodDisruptionBudget")[name]
    for selector in (service["spec"]["selector"], budget["spec"]["selector"]["matchLabels"]):
        assert selector.items() <= pod_labels.items()


def test_autoscalers_target_deployments_that_exist(production: list[dict[str, Any]]) -> None:
    autoscalers = of_kind(production, "HorizontalPodAutoscaler")
    assert autoscalers
    for hpa in autoscalers.values():
        assert hpa["spec"]["scaleTargetRef"]["name"] in of_kind(production, "Deployment")
        assert hpa["spec"]["minReplicas"] >= 2  # a disruption budget of 1 leaves one running


def test_the_secret_holds_placeholders_only(production: list[dict[str, Any]]) -> None:
    secret = of_kind(production, "Secret")["lapor-secrets"]
    values = secret.get("stringData", {})
    assert values and not secret.get("data")
    for key, value in values.items():
        assert value in {"", "{}"} or "CHANGE-ME" in value, key


def test_namespace_enforces_the_restricted_pod_security_standard(
    production: list[dict[str, Any]],
) -> None:
    namespace = of_kind(production, "Namespace")["lapor"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_the_scaling_guide_covers_rabbitmq_and_mongodb() -> None:
    guide = (K8S / "README.md").read_text(encoding="utf-8")
    for topic in ("RabbitmqCluster", "quorum", "replica set", "MongoDBCommunity", "KEDA"):
        assert topic in guide, topic
