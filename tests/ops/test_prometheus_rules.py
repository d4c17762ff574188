"""Prometheus configuration, alert rules and their unit tests, Alertmanager routing."""

from __future__ import annotations

import re

import pytest

from tests.ops.support import (
    DEPLOY,
    PROMETHEUS_DIR,
    REPO,
    RULE_FILES,
    load_yaml,
    rule_expressions,
    run,
    tool,
)

RULE_TESTS = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))
ALERTMANAGER = DEPLOY / "alertmanager" / "alertmanager.yml"

# What the operators asked to be alerted on (issue "Operations").
REQUIRED_ALERTS = {
    "LaporSlaBreachRateHigh",  # SLA breach rate per OPD
    "LaporDeadLetterQueueNotEmpty",
    "LaporQueueWithoutConsumers",
    "LaporPipelineLatencyHigh",  # p99
    "LaporNotificationFailures",
    "LaporServiceDown",
}


def alerts() -> dict[str, dict[str, object]]:
    return {
        rule["alert"]: rule
        for path in RULE_FILES
        for group in load_yaml(path)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }


def test_production_config_is_valid() -> None:
    out = run([tool("promtool"), "check", "config", str(PROMETHEUS_DIR / "prometheus.yml")])
    assert "SUCCESS" in out
    assert f"{len(list(rule_expressions()))} rules found" in out


def test_rule_files_load() -> None:
    assert RULE_FILES
    out = run([tool("promtool"), "check", "rules", *map(str, RULE_FILES)])
    assert out.count("SUCCESS") == len(RULE_FILES)


def test_rule_unit_tests_pass() -> None:
    assert RULE_TESTS
    out = run([tool("promtool"), "test", "rules", *map(str, RULE_TESTS)])
    assert "FAILED" not in out


def test_the_alerts_operators_asked_for_exist() -> None:
    assert set(alerts()) >= REQUIRED_ALERTS


def test_every_alert_fires_in_a_unit_test() -> None:
    fired = {
        case["alertname"]
        for path in RULE_TESTS
        for test in load_yaml(path)["tests"]
        for case in test.get("alert_rule_test", [])
        if case["exp_alerts"]
    }
    assert set(alerts()) - fired == set()


@pytest.mark.parametrize("name", sorted(alerts()))
def test_every_alert_says_what_to_do(name: str) -> None:
    rule = alerts()[name]
    labels = rule["labels"]
    annotations = rule["annotations"]
    assert isinstance(labels, dict) and labels["severity"] in {"warning", "critical"}
    assert isinstance(annotations, dict) and {"summary", "description", "runbook"} <= set(
        annotations
    )
    runbook = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    anchor = annotations["runbook"].split("#", 1)[1]
    headings = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", runbook, flags=re.M)
    }
    assert anchor in headings, f"docs/operations.md has no section for {name}"


def test_alertmanager_config_is_valid() -> None:
    out = run([tool("amtool"), "check-config", str(ALERTMANAGER)])
    assert "SUCCESS" in out


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["alertname=LaporServiceDown", "severity=critical", "service=notify"], "operators"),
        (["alertname=LaporSlaBreachRateHigh", "severity=warning", "opd=DPUPR"], "koordinator"),
        (["alertname=LaporQueueBacklog", "severity=warning"], "operators"),
    ],
)
def test_alerts_reach_the_right_people(labels: list[str], receiver: str) -> None:
    run(
        [
            tool("amtool"),
            "config",
            "routes",
            "test",
            f"--config.file={ALERTMANAGER}",
            f"--verify.receivers={receiver}",
            *labels,
        ]
    )
