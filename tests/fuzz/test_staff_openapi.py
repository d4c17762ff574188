"""Fuzzing routing's staff API (every `/api/v1/...` route) from its own OpenAPI spec, as the
operator, as an OPD and with whatever credentials the generator makes up: never a 5xx."""

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
from tests.property.profiles import examples
from tests.property.worlds import OPD_TOKEN, OPERATOR_TOKEN, SEEDED_CASES, StaffWorld

OPERATIONS = [
    "GET /api/v1/cases/{tracking_id}",
    "GET /api/v1/opd/{code}/assignments",
    "GET /api/v1/verification",
    "POST /api/v1/complaints/{tracking_id}/archive",
    "POST /api/v1/complaints/{tracking_id}/disposition",
    "POST /api/v1/complaints/{tracking_id}/hold",
    "POST /api/v1/complaints/{tracking_id}/reject",
    "POST /api/v1/complaints/{tracking_id}/resolve",
    "POST /api/v1/complaints/{tracking_id}/responses",
    "POST /api/v1/complaints/{tracking_id}/resume",
]
# Operations whose every parameter is a path string (plus the bearer token): nothing negative
# can be generated for them.
NO_NEGATIVE = {
    "GET /api/v1/cases/{tracking_id}",
    "GET /api/v1/opd/{code}/assignments",
    "GET /api/v1/verification",
    "POST /api/v1/complaints/{tracking_id}/resume",
}
TOKENS = {"operator": OPERATOR_TOKEN, "opd": OPD_TOKEN, "generated": None}


@pytest.fixture(scope="module")
def staff() -> tuple[StaffWorld, BaseSchema]:
    """One world for the whole module: cases move through their states as requests come."""
    world = StaffWorld()
    return world, load_schema(world.app)


def steer(case: Case[Any], data: st.DataObject, codes: list[str]) -> None:
    """Now and then, aim at a seeded case and a real agency code, so requests get past 404."""
    if not data.draw(st.booleans(), label="steer"):
        return
    if "tracking_id" in case.path_parameters:
        tracking_id = data.draw(st.sampled_from(sorted(SEEDED_CASES)))
        case.path_parameters["tracking_id"] = data.draw(
            st.sampled_from([tracking_id, tracking_id.lower()])
        )
    if "code" in case.path_parameters:
        case.path_parameters["code"] = data.draw(st.sampled_from(["DPUPR", "dpupr", *codes]))
    if isinstance(case.body, dict) and "opd" in case.body:
        case.body["opd"] = data.draw(st.sampled_from(codes))


def call(case: Case[Any], token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    return case.call(headers=headers)


def test_the_spec_lists_exactly_the_fuzzed_operations(
    staff: tuple[StaffWorld, BaseSchema],
) -> None:
    assert labels(staff[1]) == OPERATIONS


@pytest.mark.parametrize(
    ("label", "mode"),
    [
        (label, mode)
        for label in OPERATIONS
        for mode in MODES
        if not (label in NO_NEGATIVE and mode is GenerationMode.NEGATIVE)
    ],
    ids=lambda v: str(v),
)
@pytest.mark.parametrize("who", list(TOKENS))
def test_no_request_gets_a_server_error(
    staff: tuple[StaffWorld, BaseSchema], label: str, mode: GenerationMode, who: str
) -> None:
    world, schema = staff

    @settings(max_examples=examples(25))
    @given(case=strategy(schema, label, mode), data=st.data())
    def fuzz(case: Case[Any], data: st.DataObject) -> None:
        steer(case, data, world.agency_codes)
        response = call(case, TOKENS[who])
        assert_no_server_error(case, response)
        if TOKENS[who] is not None and mode is GenerationMode.POSITIVE:
            # (negative cases may drop the credentials on purpose)
            assert response.status_code != 401, case.as_curl_command()

    fuzz()


def test_every_response_is_documented(staff: tuple[StaffWorld, BaseSchema]) -> None:
    world, schema = staff
    cases = st.one_of(*(strategy(schema, label, GenerationMode.POSITIVE) for label in OPERATIONS))

    @settings(max_examples=examples(40), phases=[Phase.generate], report_multiple_bugs=False)
    @given(case=cases, data=st.data())
    def fuzz(case: Case[Any], data: st.DataObject) -> None:
        steer(case, data, world.agency_codes)
        assert_documented(case, call(case, OPERATOR_TOKEN))

    fuzz()
