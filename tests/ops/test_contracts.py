"""The published contracts (docs/asyncapi, docs/openapi) are what the code generates now.

`scripts/docs.sh OUT` regenerates them (`faststream docs gen` and `app.openapi()`); any
difference from the committed files fails: run `bash scripts/docs.sh` and commit.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from shared.directory import load_directory
from shared.messaging.topology import Queues
from tests.ops.support import REPO, load_yaml

DOCS = REPO / "docs"
SERVICES = ("intake", "routing", "sla", "notify")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs")
    subprocess.run(["bash", str(REPO / "scripts" / "docs.sh"), str(out)], check=True, timeout=300)
    return out


@pytest.mark.parametrize("kind", ["asyncapi", "openapi"])
def test_published_contracts_are_up_to_date(generated: Path, kind: str) -> None:
    committed = {p.name: p.read_text(encoding="utf-8") for p in (DOCS / kind).iterdir()}
    fresh = {p.name: p.read_text(encoding="utf-8") for p in (generated / kind).iterdir()}
    assert set(committed) == set(fresh)
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert stale == [], f"docs/{kind}/{stale} out of date: run `bash scripts/docs.sh`"


def asyncapi(service: str) -> dict[str, Any]:
    spec: dict[str, Any] = load_yaml(DOCS / "asyncapi" / f"{service}.yaml")
    return spec


def queues_consumed(spec: dict[str, Any]) -> set[str]:
    return {
        channel["bindings"]["amqp"]["queue"]["name"]
        for channel in spec["channels"].values()
        if channel["bindings"]["amqp"]["is"] == "queue"
    }


@pytest.mark.parametrize("service", ["routing", "sla", "notify"])
def test_asyncapi_documents_every_queue_a_service_consumes(service: str) -> None:
    assert queues_consumed(asyncapi(service)) == {q.name for q in Queues.of(service)}


def test_asyncapi_documents_each_opd_queue_with_the_assignment_schema() -> None:
    spec = asyncapi("routing")
    for agency in load_directory(None).agencies:
        channel = spec["channels"][f"opd.{agency.code.lower()}"]
        assert channel["address"] == agency.code.lower()
        assert channel["bindings"]["amqp"]["exchange"]["name"] == "lapor.opd"
        assert f"lapor.opd.{agency.code.lower()}" in channel["description"]
        (ref,) = channel["messages"].values()
        message = spec["components"]["messages"][ref["$ref"].rsplit("/", 1)[1]]
        assert message["payload"]["$ref"] == "#/components/schemas/OpdAssignment"
    assignment = spec["components"]["schemas"]["OpdAssignment"]
    assert {"tracking_id", "opd", "text", "status_url"} <= set(assignment["required"])


@pytest.mark.parametrize(
    ("service", "events"),
    [
        (
            "intake",
            {
                "complaint.received",
                "complaint.follow_up_received",
                "complaint.rated",
                "complaint.status_requested",
            },
        ),
        (
            "routing",
            {
                "complaint.assigned",
                "complaint.held_for_verification",
                "complaint.responded",
                "complaint.resolved",
                "complaint.status_changed",
            },
        ),
        ("sla", {"sla.reminder_due", "sla.breached", "sla.escalated", "command.close_complaint"}),
    ],
)
def test_asyncapi_documents_the_events_each_service_publishes(
    service: str, events: set[str]
) -> None:
    spec = asyncapi(service)
    published = {
        channel["address"]
        for channel in spec["channels"].values()
        if channel["bindings"]["amqp"]["is"] == "routingKey"
        and channel["bindings"]["amqp"]["exchange"]["name"] == "lapor.events"
    }
    assert published == events


def test_openapi_documents_the_public_and_staff_apis() -> None:
    intake = json.loads((DOCS / "openapi" / "intake.json").read_text(encoding="utf-8"))
    routing = json.loads((DOCS / "openapi" / "routing.json").read_text(encoding="utf-8"))
    assert {"/api/v1/complaints", "/api/v1/complaints/{tracking_id}"} <= set(intake["paths"])
    assert "/api/v1/opd/{code}/assignments" in routing["paths"]
    assert "/api/v1/complaints/{tracking_id}/disposition" in routing["paths"]
