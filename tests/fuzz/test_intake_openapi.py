"""Fuzzing intake's HTTP API (JSON complaints, public status, SMS webhooks) from its own
OpenAPI spec, in-process over the fakes: no request, valid or not, gets a 5xx."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.schemas import BaseSchema

from tests.fuzz.openapi import (
    MODES,
    assert_documented,
    assert_no_server_error,
    labels,
    load_schema,
    strategy,
)
from tests.property.known_bugs import SMS_STATUS_CORRELATION_ID, rejecting_known_bugs
from tests.property.profiles import examples
from tests.property.worlds import IntakeWorld

OPERATIONS = [
    "GET /api/v1/complaints/{tracking_id}",
    "GET /sms/kannel",
    "POST /api/v1/complaints",
    "POST /sms/inbound",
]
KNOWN = "LPR-261128-7QK2M"
SECRET = "LPR-261128-RHS1A"  # confidential: only its status is public
GATEWAY_IDS = ["m1", "m2", "x" * 200]
SMS_TEXTS = ["LAPOR jalan rusak 😡", "CEK", f"CEK {KNOWN}", "NILAI 4", f"{KNOWN} belum", "LAPOR"]


@pytest.fixture(scope="module")
def intake() -> tuple[IntakeWorld, BaseSchema]:
    """One world for the whole module: state builds up as on a real server."""
    world = IntakeWorld()
    world.seed_complaint(KNOWN)
    world.seed_complaint(SECRET, confidential=True)
    return world, load_schema(world.app)


def steer(case: Case[Any], data: st.DataObject) -> None:
    """Now and then, replace generated values by ones that reach deeper (a known tracking ID,
    a repeated gateway id or idempotency key, an SMS command)."""
    if not data.draw(st.booleans(), label="steer"):
        return
    path = case.operation.path
    if path == "/api/v1/complaints/{tracking_id}":
        tracking_id = data.draw(st.sampled_from([KNOWN, SECRET]))
        case.path_parameters["tracking_id"] = data.draw(
            st.sampled_from([tracking_id, tracking_id.lower(), f" {tracking_id} "])
        )
    elif path == "/api/v1/complaints":
        case.headers["Idempotency-Key"] = data.draw(st.sampled_from(["k1", "k2"]))
    elif path == "/sms/kannel":
        case.query.update(
            {
                "from": "0812-3456-7890",
                "id": data.draw(st.sampled_from(GATEWAY_IDS)),
                "text": data.draw(st.sampled_from(SMS_TEXTS)),
            }
        )
    elif path == "/sms/inbound" and isinstance(case.body, dict):
        case.body.update(
            {
                "from": "0812-3456-7890",
                "message_id": data.draw(st.sampled_from(GATEWAY_IDS)),
                "text": data.draw(st.sampled_from(SMS_TEXTS)),
            }
        )


def test_the_spec_lists_exactly_the_fuzzed_operations(
    intake: tuple[IntakeWorld, BaseSchema],
) -> None:
    assert labels(intake[1]) == OPERATIONS


@pytest.mark.parametrize(
    ("label", "mode"),
    [
        (label, mode)
        for label in OPERATIONS
        for mode in MODES
        # Its only parameter is a string in the path: no request can break its schema.
        if (label, mode) != ("GET /api/v1/complaints/{tracking_id}", GenerationMode.NEGATIVE)
    ],
    ids=lambda v: str(v),
)
def test_no_request_gets_a_server_error(
    intake: tuple[IntakeWorld, BaseSchema], label: str, mode: GenerationMode
) -> None:
    _, schema = intake

    @settings(max_examples=examples(60))
    @given(case=strategy(schema, label, mode), data=st.data())
    def fuzz(case: Case[Any], data: st.DataObject) -> None:
        steer(case, data)
        # A known bug (xfail test in tests/property/test_sms_channel.py) is rejected here.
        with rejecting_known_bugs(SMS_STATUS_CORRELATION_ID):
            response = case.call()
        assert_no_server_error(case, response)

    fuzz()


def test_every_response_is_documented(intake: tuple[IntakeWorld, BaseSchema]) -> None:
    _, schema = intake
    cases = st.one_of(*(strategy(schema, label, GenerationMode.POSITIVE) for label in OPERATIONS))

    @settings(max_examples=examples(40), phases=[Phase.generate], report_multiple_bugs=False)
    @given(case=cases, data=st.data())
    def fuzz(case: Case[Any], data: st.DataObject) -> None:
        steer(case, data)
        with rejecting_known_bugs(SMS_STATUS_CORRELATION_ID):
            response = case.call()
        assert_documented(case, response)

    fuzz()
