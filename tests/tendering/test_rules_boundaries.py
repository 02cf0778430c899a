"""Statutory periods at their exact boundaries: exactly on time is accepted, one second short is refused.

Every period row of the migration's rule table is checked, over ordinary weeks, the Spring Festival
and National Day 2026 (with their make-up working Saturdays), and around midnight in Asia/Shanghai.
"""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime, timedelta

import pytest

from ggzy.common.calendar import WorkCalendar
from ggzy.common.clock import SHANGHAI
from ggzy.common.errors import RuleViolation
from ggzy.tendering import core, rules
from ggzy.tendering.enums import Method, PeriodUnit, RuleKey
from ggzy.tendering.models import TenderRule
from tests.tendering.helpers import accepted_project_id, tender_body

DEFAULT_RULE_ROWS = importlib.import_module("ggzy.migrations.versions.0002_tendering").DEFAULT_RULE_ROWS
ROWS = [rules.RuleRow(Method(m), RuleKey(k), a, PeriodUnit(u), b, e, v) for m, k, a, u, b, e, v in DEFAULT_RULE_ROWS]
PERIOD_ROWS = [r for r in ROWS if r.key in (RuleKey.DOCS_TO_DEADLINE, RuleKey.DOC_SALE)]
CAL = WorkCalendar()
SECOND = timedelta(seconds=1)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


STARTS = {
    "ordinary": sh(2026, 12, 1, 10),
    "spring_festival": sh(2026, 2, 13, 10),
    "national_day": sh(2026, 9, 30, 10),
    "make_up_saturday": sh(2026, 2, 14, 10),
    "shanghai_late": sh(2026, 12, 3, 23, 30),
    "shanghai_after_midnight": sh(2026, 12, 4, 0, 30),
}


def _schedule(start: datetime, key: RuleKey, end: datetime) -> rules.Schedule:
    """A schedule whose bounded end (for ``key``) is ``end``; the other end is far away and lawful."""
    far = start + timedelta(days=60)
    q = start + timedelta(minutes=1)
    if key is RuleKey.DOCS_TO_DEADLINE:
        return rules.Schedule(start, min(end, start + timedelta(hours=1)), q, end)
    return rules.Schedule(start, end, q, far)


def _assert_cites(exc: pytest.ExceptionInfo[RuleViolation], row: rules.RuleRow, earliest: datetime) -> None:
    assert exc.value.code == "schedule_too_short"
    assert row.basis in exc.value.message
    detail = exc.value.detail
    assert detail["rule"] == row.key.value and detail["basis"] == row.basis
    assert datetime.fromisoformat(detail["earliest"]) == earliest


def test_migration_loaded_every_default_row(db) -> None:
    with db.session(write=False) as s:
        loaded = core.rule_rows(s)
    missing = [r for r in ROWS if r not in loaded]
    assert not missing, missing  # later migrations may add rows, never drop these


@pytest.mark.parametrize("start_name", list(STARTS))
@pytest.mark.parametrize("row", PERIOD_ROWS, ids=lambda r: f"{r.method.value}-{r.key.value}")
def test_each_period_row_accepts_the_boundary_and_refuses_one_second_less(row, start_name) -> None:
    start = STARTS[start_name]
    in_force = rules.in_force(ROWS, row.method, start.date())
    assert in_force[row.key] == row
    only = {row.key: row}
    earliest = rules.period_end(start, row, CAL)
    if row.unit is PeriodUnit.DAYS:
        assert earliest == start + timedelta(days=row.amount)  # calendar days ignore holidays
    else:
        assert earliest.astimezone(SHANGHAI).time() == start.time()
        assert CAL.workdays_between(start.date(), earliest.astimezone(SHANGHAI).date()) == row.amount
    rules.check_schedule(_schedule(start, row.key, earliest), only, CAL)
    with pytest.raises(RuleViolation) as exc:
        rules.check_schedule(_schedule(start, row.key, earliest - SECOND), only, CAL)
    _assert_cites(exc, row, earliest)


@pytest.mark.parametrize("method", list(Method), ids=str)
def test_full_rule_set_boundaries_in_an_ordinary_week(method) -> None:
    start = STARTS["ordinary"]
    in_force = rules.in_force(ROWS, method, start.date())
    ends = rules.earliest_schedule(start, in_force, CAL)
    bid = ends["bid_deadline"]
    docs_end = ends.get("docs_end", start + timedelta(hours=1))
    rules.check_schedule(rules.Schedule(start, docs_end, start + timedelta(hours=2), bid), in_force, CAL)
    with pytest.raises(RuleViolation) as exc:
        rules.check_schedule(rules.Schedule(start, docs_end, start + timedelta(hours=2), bid - SECOND), in_force, CAL)
    _assert_cites(exc, in_force[RuleKey.DOCS_TO_DEADLINE], bid)
    if "docs_end" in ends:
        with pytest.raises(RuleViolation) as exc:
            rules.check_schedule(
                rules.Schedule(start, docs_end - SECOND, start + timedelta(hours=2), bid), in_force, CAL
            )
        _assert_cites(exc, in_force[RuleKey.DOC_SALE], docs_end)


# (start, working days, expected end in Asia/Shanghai)
WORKING_DAY_ENDS = [
    # Spring Festival 2026: 02-14 (Sat) is a make-up working day; 02-15..02-23 are off.
    (sh(2026, 2, 13, 10), 1, sh(2026, 2, 14, 10)),
    (sh(2026, 2, 13, 10), 3, sh(2026, 2, 25, 10)),
    (sh(2026, 2, 13, 10), 5, sh(2026, 2, 27, 10)),
    (sh(2026, 2, 26, 10), 3, sh(2026, 3, 2, 10)),  # 02-28 (Sat) is worked, 03-01 (Sun) is not
    # National Day 2026: 10-01..10-07 off; 10-10 (Sat) is a make-up working day.
    (sh(2026, 9, 30, 10), 3, sh(2026, 10, 10, 10)),
    (sh(2026, 9, 30, 10), 5, sh(2026, 10, 13, 10)),
    (sh(2026, 9, 18, 10), 1, sh(2026, 9, 20, 10)),  # 09-20 (Sun) is a make-up working day
    # The count starts from the Shanghai date, not the UTC one.
    (datetime(2026, 12, 3, 15, 30, tzinfo=UTC), 5, sh(2026, 12, 10, 23, 30)),
    (datetime(2026, 12, 3, 16, 30, tzinfo=UTC), 5, sh(2026, 12, 11, 0, 30)),
    # Friday 23:30 vs Saturday 00:30 in Shanghai (both Friday in UTC): a UTC count would end 12-11 16:30Z.
    (datetime(2026, 12, 4, 15, 30, tzinfo=UTC), 5, sh(2026, 12, 11, 23, 30)),
    (datetime(2026, 12, 4, 16, 30, tzinfo=UTC), 5, sh(2026, 12, 11, 0, 30)),
]


@pytest.mark.parametrize(("start", "n", "expected"), WORKING_DAY_ENDS, ids=lambda v: str(v))
def test_working_day_period_ends(start, n, expected) -> None:
    row = rules.RuleRow(
        Method.GP_RFQ, RuleKey.DOCS_TO_DEADLINE, n, PeriodUnit.WORKING_DAYS, "测试依据", date(2014, 2, 1)
    )
    end = rules.period_end(start, row, CAL)
    assert end == expected
    rules.check_schedule(_schedule(start, row.key, end), {row.key: row}, CAL)
    with pytest.raises(RuleViolation) as exc:
        rules.check_schedule(_schedule(start, row.key, end - SECOND), {row.key: row}, CAL)
    _assert_cites(exc, row, expected)


@pytest.mark.parametrize("start", [STARTS["spring_festival"], STARTS["national_day"]], ids=["spring", "national"])
@pytest.mark.parametrize("method", list(Method), ids=str)
def test_earliest_schedule_is_itself_lawful(method, start) -> None:
    """What the form offers as the earliest bid deadline must pass the same check (both periods hold)."""
    in_force = rules.in_force(ROWS, method, start.date())
    ends = rules.earliest_schedule(start, in_force, CAL)
    docs_end = ends.get("docs_end", start + timedelta(hours=1))
    sched = rules.Schedule(start, docs_end, start + timedelta(minutes=1), ends["bid_deadline"])
    rules.check_schedule(sched, in_force, CAL)


NEWER = rules.RuleRow(
    Method.CONSTRUCTION_OPEN, RuleKey.DOCS_TO_DEADLINE, 25, PeriodUnit.DAYS, "某新修订条例第九条", date(2027, 1, 1)
)


def test_newer_row_applies_only_from_its_effective_date() -> None:
    rows = [*ROWS, NEWER]
    assert rules.in_force(rows, Method.CONSTRUCTION_OPEN, date(2026, 12, 31))[RuleKey.DOCS_TO_DEADLINE].amount == 20
    assert rules.in_force(rows, Method.CONSTRUCTION_OPEN, date(2027, 1, 1))[RuleKey.DOCS_TO_DEADLINE] == NEWER
    assert rules.in_force(rows, Method.CONSTRUCTION_INVITED, date(2027, 1, 1))[RuleKey.DOCS_TO_DEADLINE].amount == 20
    # Before a row took effect, nothing of it applies; the 1999 world had no 20-day row at all.
    assert RuleKey.DOCS_TO_DEADLINE not in rules.in_force(ROWS, Method.CONSTRUCTION_OPEN, date(1999, 12, 31))


# --- through the API -------------------------------------------------------------------------


def test_submit_refuses_one_second_short_of_twenty_days_and_accepts_exactly(client_for, clock) -> None:
    agency = client_for("tenderer")
    start = clock.now() + timedelta(days=1)
    pid = accepted_project_id(agency)
    short = tender_body(pid, start, bid_deadline=(start + timedelta(days=20) - SECOND).isoformat())
    t = agency.post("/api/v1/tenders", json=short).json()
    r = agency.post(f"/api/v1/tenders/{t['id']}/submit")
    assert r.status_code == 422, r.text
    err = r.json()
    assert err["code"] == "schedule_too_short" and "招标投标法第二十四条" in err["message"]
    assert err["detail"]["rule"] == "docs_to_deadline"
    assert datetime.fromisoformat(err["detail"]["earliest"]) == start + timedelta(days=20)
    assert agency.get(f"/api/v1/tenders/{t['id']}").json()["status"] == "draft"

    assert agency.put(f"/api/v1/tenders/{t['id']}", json=tender_body(pid, start)).status_code == 200
    r = agency.post(f"/api/v1/tenders/{t['id']}/submit")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending_review"


@pytest.mark.parametrize(
    ("method", "start", "bid", "docs_end"),
    [
        ("construction_open", sh(2026, 12, 1, 9), sh(2026, 12, 21, 9), sh(2026, 12, 6, 9)),
        ("gp_open", sh(2026, 12, 1, 9), sh(2026, 12, 21, 9), sh(2026, 12, 8, 9)),  # 5 working days
        ("gp_rfq", sh(2026, 12, 4, 17), sh(2026, 12, 9, 17), None),
        ("gp_consultation", sh(2026, 9, 30, 10), sh(2026, 10, 13, 10), sh(2026, 10, 13, 10)),
    ],
)
def test_earliest_endpoint(anon, method, start, bid, docs_end) -> None:
    r = anon.get("/api/v1/tenders/earliest", params={"method": method, "docs_start": start.isoformat()})
    assert r.status_code == 200, r.text
    out = r.json()
    assert datetime.fromisoformat(out["earliest_bid_deadline"]) == bid
    assert (out["earliest_docs_end"] and datetime.fromisoformat(out["earliest_docs_end"])) == docs_end
    assert out["rules"] and all("（" in d for d in out["rules"])


def test_rows_dated_later_govern_tenders_published_from_that_day(db, client_for, clock) -> None:
    with db.transaction() as s:
        s.add(
            TenderRule(
                method=NEWER.method.value,
                key=NEWER.key.value,
                amount=25,
                unit="days",
                basis=NEWER.basis,
                effective_from=NEWER.effective_from,
                verified=True,
                note="",
            )
        )
    agency, operator = client_for("tenderer"), client_for("operator")
    pid = accepted_project_id(agency)
    # Submitted on 2026-12-31 under the 20-day row; published on 2027-01-01 it must meet the new 25 days.
    clock.set(sh(2026, 12, 31, 10))
    start = sh(2027, 1, 4, 9)
    t = agency.post("/api/v1/tenders", json=tender_body(pid, start)).json()
    assert agency.post(f"/api/v1/tenders/{t['id']}/submit").status_code == 200
    clock.set(sh(2027, 1, 1, 10))
    r = operator.post(f"/api/v1/tenders/{t['id']}/publish")
    assert r.status_code == 422 and r.json()["code"] == "schedule_too_short", r.text
    assert NEWER.basis in r.json()["message"]
    assert operator.get(f"/api/v1/tenders/{t['id']}").json()["status"] == "pending_review"
    r = agency.get("/api/v1/tenders/earliest", params={"method": "construction_open", "docs_start": start.isoformat()})
    assert datetime.fromisoformat(r.json()["earliest_bid_deadline"]) == start + timedelta(days=25)
    t2 = agency.post("/api/v1/tenders", json=tender_body(pid, start, days=25)).json()
    assert agency.post(f"/api/v1/tenders/{t2['id']}/submit").status_code == 200
    assert operator.post(f"/api/v1/tenders/{t2['id']}/publish").json()["status"] == "bidding"
