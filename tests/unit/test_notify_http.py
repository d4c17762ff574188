"""Notify's HTTP face: the SMS gateway's delivery reports, and a store outage answered 503."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.notify.app import create_app
from services.notify.settings import NotifySettings


@pytest.fixture
def down_store_client(monkeypatch: pytest.MonkeyPatch) -> TestClient:
    # Nothing listens on port 9: every store command fails after the selection timeout.
    monkeypatch.setenv(
        "LAPOR_MONGODB_URL", "mongodb://127.0.0.1:9/lapor?serverSelectionTimeoutMS=300"
    )
    return TestClient(create_app(NotifySettings()))  # no lifespan: broker and store untouched


def test_a_delivery_report_while_the_store_is_down_is_503_so_the_gateway_retries(
    down_store_client: TestClient,
) -> None:
    answer = down_store_client.get("/sms/dlr", params={"n": "abc", "type": 1})
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "10"
    assert answer.json() == {"detail": "Layanan sedang tidak tersedia, silakan coba lagi"}


def test_a_malformed_report_is_a_422_naming_the_field(down_store_client: TestClient) -> None:
    answer = down_store_client.get("/sms/dlr", params={"n": "abc", "type": "delivered"})
    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == {"type"}


def test_the_openapi_document_lists_every_answer(down_store_client: TestClient) -> None:
    operation = down_store_client.get("/openapi.json").json()["paths"]["/sms/dlr"]["get"]
    assert set(operation["responses"]) == {"200", "404", "422", "503"}
