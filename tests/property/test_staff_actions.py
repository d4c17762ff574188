"""Routing's staff API under random sequences of actions by random principals, over fakes:
never a 5xx, a refused action changes nothing, an accepted one adds exactly one history entry,
and an assigned case always has its OPD."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.contracts.types import Status
from tests.property.profiles import examples
from tests.property.strategies import any_text, json_text
from tests.property.worlds import OPD_TOKEN, OPERATOR_TOKEN, SEEDED_CASES, StaffWorld


def _one_segment(value: str) -> bool:
    """Whether `value` stays one path segment (a server decodes %2F before routing)."""
    return value not in ("", ".", "..") and "/" not in value


TOKENS = st.sampled_from([OPERATOR_TOKEN, OPD_TOKEN, "dev-dinkes", "", "nope", "dev-operat0r"])
TRACKING_IDS = st.one_of(
    st.sampled_from(sorted(SEEDED_CASES)),
    st.sampled_from(sorted(SEEDED_CASES)).map(str.lower),
    st.sampled_from(["LPR-261130-ZZZZZ", "x", "%2e%2e", "LPR-261130-AAAAA%00"]),
    any_text(max_size=30),
).filter(_one_segment)
CODES = st.one_of(
    st.sampled_from(["DPUPR", "dpupr", "DINKES", "DISPERKIM", "NOPE"]), any_text(max_size=25)
)
PATH_CODES = CODES.filter(_one_segment)
TEXTS = st.one_of(st.just("Sudah kami tangani"), json_text(max_size=300), any_text(max_size=300))
ASSIGNED = {Status.DIDISPOSISIKAN, Status.DITERUSKAN, Status.DITINDAKLANJUTI}


@dataclass(frozen=True)
class Action:
    """One staff request."""

    token: str
    method: str
    path: str
    body: Any = None
    acts_on: str | None = None  # the case a POST changes, as the store names it


@st.composite
def actions(draw: st.DrawFn) -> Action:
    token = draw(TOKENS)
    tracking_id = draw(TRACKING_IDS)
    kind = draw(
        st.sampled_from(
            [
                "verification",
                "assignments",
                "case",
                "disposition",
                "reject",
                "responses",
                "resolve",
                "hold",
                "resume",
                "archive",
            ]
        )
    )
    if kind == "verification":
        return Action(token, "GET", "/api/v1/verification")
    if kind == "assignments":
        return Action(token, "GET", f"/api/v1/opd/{quote(draw(PATH_CODES), safe='')}/assignments")
    if kind == "case":
        return Action(token, "GET", f"/api/v1/cases/{quote(tracking_id, safe='')}")
    bodies: dict[str, st.SearchStrategy[Any]] = {
        "disposition": st.fixed_dictionaries(
            {"opd": CODES}, optional={"note": st.none() | TEXTS, "extra": st.integers()}
        ),
        "reject": st.fixed_dictionaries({"reason": TEXTS}),
        "responses": st.fixed_dictionaries({"text": TEXTS}),
        "resolve": st.none() | st.fixed_dictionaries({}, optional={"text": st.none() | TEXTS}),
        "hold": st.fixed_dictionaries({"reason": TEXTS}),
        "resume": st.none(),
        "archive": st.fixed_dictionaries({"reason": TEXTS}),
    }
    body = draw(st.one_of(bodies[kind], st.sampled_from([{}, [], "x", 1])))
    path = f"/api/v1/complaints/{quote(tracking_id, safe='')}/{kind}"
    return Action(token, "POST", path, body, acts_on=tracking_id.upper())


async def perform(world: StaffWorld, action: Action) -> int:
    headers = {"Authorization": f"Bearer {action.token}"} if action.token else {}
    before = world.cases.cases.get(action.acts_on or "")
    published = len(world.relay.published)
    if action.method == "GET":
        response = await world.client.get(action.path, headers=headers)
    else:
        response = await world.client.post(action.path, json=action.body, headers=headers)
    assert response.status_code in (200, 401, 403, 404, 409, 422), response.text
    assert response.headers["content-type"] == "application/json"
    after = world.cases.cases.get(action.acts_on or "")
    if action.method == "POST" and response.status_code == 200:
        assert before is not None and after is not None
        assert len(after.history) == len(before.history) + 1
        assert response.json()["status"] == after.status.value
        assert len(world.relay.published) > published
    elif action.method == "POST":
        assert after == before and len(world.relay.published) == published
    return response.status_code


@settings(max_examples=examples(60))
@given(st.lists(actions(), min_size=1, max_size=15))
async def test_any_sequence_of_staff_actions_keeps_the_cases_consistent(
    sequence: list[Action],
) -> None:
    world = StaffWorld()
    for action in sequence:
        code = await perform(world, action)
        if action.token not in (OPERATOR_TOKEN, OPD_TOKEN, "dev-dinkes"):
            assert code == 401
    for case in world.cases.cases.values():
        if case.status in ASSIGNED:
            assert case.opd is not None
        if case.status is Status.TUNDA:
            assert case.status_before_hold is not None
