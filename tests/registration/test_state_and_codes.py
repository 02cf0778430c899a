"""The registration state machine and the national code scheme."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ggzy.common.errors import Conflict
from ggzy.registration import codes
from ggzy.registration.enums import ProjectStatus as S
from ggzy.registration.enums import Route
from ggzy.registration.state import Facts, available_actions, transition

N, E = Route.NORMAL, Route.EMERGENCY_DIRECT
ALL = list(S)

# The specification, written out independently of state.TRANSITIONS:
# action -> (allowed sources, resulting status, or None when the status stays as it was)
SPEC: dict[str, tuple[set[S], S | None]] = {
    "project_submit": ({S.DRAFT, S.RETURNED}, S.SUBMITTED),
    "project_withdraw": ({S.DRAFT, S.RETURNED, S.SUBMITTED}, S.WITHDRAWN),
    "project_return": ({S.SUBMITTED}, S.RETURNED),
    "project_accept": ({S.SUBMITTED}, S.ACCEPTED),
    "project_accept_direct_award": ({S.SUBMITTED}, S.DIRECT_AWARDED),
    "project_emergency_signoff": ({S.SUBMITTED}, None),
    "project_emergency_reject": ({S.SUBMITTED}, S.RETURNED),
    "project_edit": ({S.DRAFT, S.RETURNED}, None),
    "project_fast_track": ({S.SUBMITTED, S.ACCEPTED}, None),
}
# Facts under which each action's guard lets it through.
PASSING = {
    "project_accept": dict(route=N, emergency_signed=False),
    "project_accept_direct_award": dict(route=E, emergency_signed=True),
    "project_emergency_signoff": dict(route=E, emergency_signed=False),
    "project_emergency_reject": dict(route=E, emergency_signed=False),
    "project_fast_track": dict(route=N, emergency_signed=False, fast_track=False),
}
CASES = [(action, status) for action in SPEC for status in ALL]


def _facts(status: S, action: str) -> Facts:
    return Facts(status=status, **PASSING.get(action, dict(route=N, emergency_signed=False)))  # type: ignore[arg-type]


@pytest.mark.parametrize(("action", "status"), CASES)
def test_every_action_from_every_status(action: str, status: S) -> None:
    sources, target = SPEC[action]
    facts = _facts(status, action)
    if status in sources:
        assert transition(action, facts) == (target or status)
        assert action in available_actions(facts)
    else:
        with pytest.raises(Conflict) as info:
            transition(action, facts)
        assert info.value.code == "invalid_transition"
        assert info.value.status == 409
        assert status.label in info.value.message
        assert info.value.detail == {"action": action, "status": status.value}
        assert action not in available_actions(facts)


def test_final_statuses_allow_nothing() -> None:
    for status in (S.WITHDRAWN, S.DIRECT_AWARDED):
        for route in Route:
            for signed in (False, True):
                assert available_actions(Facts(status, route, signed)) == []


def _guard_refusal(action: str, facts: Facts) -> Conflict:
    with pytest.raises(Conflict) as info:
        transition(action, facts)
    assert info.value.code == "guard_failed"
    assert info.value.detail == {"action": action}
    return info.value


@pytest.mark.parametrize("signed", [False, True])
def test_accept_refused_for_emergency_route(signed: bool) -> None:
    e = _guard_refusal("project_accept", Facts(S.SUBMITTED, E, signed))
    assert "直接发包" in e.message


def test_accept_direct_award_needs_signoff() -> None:
    e = _guard_refusal("project_accept_direct_award", Facts(S.SUBMITTED, E, emergency_signed=False))
    assert "签批" in e.message and "第六十六条" in e.message
    assert transition("project_accept_direct_award", Facts(S.SUBMITTED, E, True)) is S.DIRECT_AWARDED


def test_accept_direct_award_refused_for_normal_route() -> None:
    # even a (spurious) signed flag does not make a normal project directly awardable
    e = _guard_refusal("project_accept_direct_award", Facts(S.SUBMITTED, N, emergency_signed=True))
    assert "只有应急项目" in e.message


@pytest.mark.parametrize("action", ["project_emergency_signoff", "project_emergency_reject"])
def test_signoff_and_reject_only_once_and_only_for_emergency(action: str) -> None:
    assert "已签批" in _guard_refusal(action, Facts(S.SUBMITTED, E, emergency_signed=True)).message
    assert "不是应急" in _guard_refusal(action, Facts(S.SUBMITTED, N, emergency_signed=False)).message


@pytest.mark.parametrize("status", [S.SUBMITTED, S.ACCEPTED])
def test_fast_track_refused_twice(status: S) -> None:
    assert transition("project_fast_track", Facts(status, N, False, fast_track=False)) is status
    e = _guard_refusal("project_fast_track", Facts(status, N, False, fast_track=True))
    assert "已标记为快速交易" in e.message


def test_fast_track_refused_for_emergency() -> None:
    _guard_refusal("project_fast_track", Facts(S.SUBMITTED, E, True))


def test_available_actions_for_submitted_projects() -> None:
    assert set(available_actions(Facts(S.SUBMITTED, N, False))) == {
        "project_withdraw",
        "project_return",
        "project_accept",
        "project_fast_track",
    }
    assert set(available_actions(Facts(S.SUBMITTED, E, False))) == {
        "project_withdraw",
        "project_return",
        "project_emergency_signoff",
        "project_emergency_reject",
    }
    assert set(available_actions(Facts(S.SUBMITTED, E, True))) == {
        "project_withdraw",
        "project_return",
        "project_accept_direct_award",
    }


# --- codes -------------------------------------------------------------------------------------

PROJECT = re.compile(r"^[EZTKCQ]\d{6}\d{4}\d{6}$")


def test_code_hierarchy_lengths_and_prefixes() -> None:
    p = codes.project_code("E", "220284", 2026, 42)
    t = codes.tender_project_code(p, 3)
    sec = codes.section_code(t, 12)
    assert p == "E2202842026000042" and len(p) == 17
    assert t == p + "003" and len(t) == 20
    assert sec == t + "012" and len(sec) == 23
    u = codes.unified_deal_code(place_region="220200", platform_no=1, section=sec, round_no=2, on=date(2026, 11, 30))
    assert len(u) == 40
    assert u[:6] == "220200" and u[6:8] == "01" and u[8:31] == sec and u[31:33] == "02" and u[33:39] == "261130"
    assert u[39] in codes.ALNUM
    assert codes.unified_deal_code_valid(u)


@given(
    letter=st.sampled_from("EZTKCQ"),
    region=st.text("0123456789", min_size=6, max_size=6),
    year=st.integers(2000, 2099),
    seq=st.integers(1, 999_999),
)
def test_project_code_shape(letter: str, region: str, year: int, seq: int) -> None:
    code = codes.project_code(letter, region, year, seq)
    assert PROJECT.match(code)
    assert (code[0], code[1:7], int(code[7:11]), int(code[11:])) == (letter, region, year, seq)


@pytest.mark.parametrize("seq", [0, 1_000_000, -1])
def test_project_sequence_out_of_range_refused(seq: int) -> None:
    with pytest.raises(ValueError):
        codes.project_code("E", "220200", 2026, seq)


@pytest.mark.parametrize(
    ("project", "seq"), [("E2202002026000001", 0), ("E2202002026000001", 1000), ("X2202002026000001", 1), ("E22", 1)]
)
def test_tender_project_code_refuses_bad_parts(project: str, seq: int) -> None:
    with pytest.raises(ValueError):
        codes.tender_project_code(project, seq)


@pytest.mark.parametrize(("tender", "seq"), [("E2202002026000001001", 0), ("E2202002026000001", 1)])
def test_section_code_refuses_bad_parts(tender: str, seq: int) -> None:
    with pytest.raises(ValueError):
        codes.section_code(tender, seq)


@pytest.mark.parametrize(
    "kw",
    [
        dict(place_region="22020", platform_no=1, round_no=1),
        dict(place_region="220200", platform_no=100, round_no=1),
        dict(place_region="220200", platform_no=1, round_no=0),
        dict(place_region="220200", platform_no=1, round_no=100),
    ],
)
def test_unified_deal_code_refuses_bad_parts(kw: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        codes.unified_deal_code(section="E2202002026000001001001", on=date(2026, 11, 30), **kw)  # type: ignore[arg-type]


SECTION = "E2202002026000001001001"
DEAL = codes.unified_deal_code(place_region="220200", platform_no=1, section=SECTION, round_no=1, on=date(2026, 11, 30))


def test_unified_deal_code_valid_refuses_wrong_length() -> None:
    assert not codes.unified_deal_code_valid(DEAL[:39])
    assert not codes.unified_deal_code_valid(DEAL + "0")


def test_unified_deal_code_any_changed_check_character_is_detected() -> None:
    for c in codes.ALNUM:
        if c != DEAL[39]:
            assert not codes.unified_deal_code_valid(DEAL[:39] + c)


@pytest.mark.parametrize(("pos", "new"), [(0, "3"), (7, "2"), (20, "9"), (38, "1"), (8, "Z")])
def test_unified_deal_code_changed_body_character_is_detected(pos: int, new: str) -> None:
    changed = DEAL[:pos] + new + DEAL[pos + 1 :]
    assert changed != DEAL
    assert not codes.unified_deal_code_valid(changed)


# ISO 7064 MOD 37,36 guarantees that every single substituted character and every swap of two
# adjacent different characters is detected; check all of them, over the whole alphabet.
def test_unified_deal_code_detects_every_single_substitution_and_adjacent_swap() -> None:
    for pos in range(40):
        for ch in codes.ALNUM:
            if ch != DEAL[pos]:
                changed = DEAL[:pos] + ch + DEAL[pos + 1 :]
                assert not codes.unified_deal_code_valid(changed), (pos, ch)
    for pos in range(39):
        if DEAL[pos] != DEAL[pos + 1]:
            swapped = DEAL[:pos] + DEAL[pos + 1] + DEAL[pos] + DEAL[pos + 2 :]
            assert not codes.unified_deal_code_valid(swapped), pos


def test_unified_deal_code_refuses_characters_outside_the_alphabet() -> None:
    assert not codes.unified_deal_code_valid(DEAL[:10] + "a" + DEAL[11:])
    assert not codes.unified_deal_code_valid(DEAL[:10] + "-" + DEAL[11:])
