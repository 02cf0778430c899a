"""Refused set-ups change nothing: no tender, notice, audit event or dated event is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.tendering.helpers import accepted_project_id, tender_body
from tests.tendering.helpers_methods import LAFA, SONGYUAN, counts, credit_code, method_body


def _refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.text


def _project_named(client, prefix: str) -> dict[str, Any]:
    for p in client.get("/api/v1/projects").json():
        if p["name"].startswith(prefix):
            return p
    raise AssertionError(prefix)


def _shift(body: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return body | {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in fields.items()}


def _create_cases(pid: int, start) -> list[tuple[str, dict[str, Any], int, str]]:
    base = tender_body(pid, start)
    naive = start.replace(tzinfo=None)
    return [
        ("unknown method", base | {"method": "auction_dutch"}, 422, "validation_error"),
        ("naive docs_start", base | {"docs_start": naive.isoformat()}, 422, "validation_error"),
        ("naive bid_deadline", base | {"bid_deadline": (naive + timedelta(days=20)).isoformat()}, 422,
         "validation_error"),
        ("no sections", base | {"sections": []}, 422, "validation_error"),
        ("negative estimate", base | {"sections": [base["sections"][0] | {"estimate": "-1"}]}, 422, "validation_error"),
        ("unknown field", base | {"deposit": "800000"}, 422, "validation_error"),
        ("acceleration outside the sandbox", base | {"acceleration": 1440}, 422, "acceleration_production"),
        ("invitees on an open method", base | {"invitee_credit_codes": [credit_code(SONGYUAN)]}, 422,
         "invitees_not_allowed"),
        ("invited with two", base | {"method": "construction_invited",
                                     "invitee_credit_codes": [credit_code(SONGYUAN), credit_code(LAFA)]}, 422,
         "invitee_count"),
        ("invitee not a bidder", base | {"method": "construction_invited", "invitee_credit_codes": [
            credit_code(SONGYUAN), credit_code(LAFA), credit_code("吉林市松江工程咨询有限公司")]}, 422,
         "invitee_not_bidder"),
        ("project that does not exist", base | {"project_id": 99999}, 404, "project_not_found"),
    ]  # fmt: skip


CASE_NAMES = [c[0] for c in _create_cases(1, datetime(2026, 12, 1, tzinfo=UTC))]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_refused_create_writes_nothing(case, client_for, clock, db) -> None:
    agency = client_for("tenderer")
    pid = accepted_project_id(agency)
    name, body, status, code = next(c for c in _create_cases(pid, clock.now() + timedelta(days=1)) if c[0] == case)
    before = counts(db)
    _refused(agency.post("/api/v1/tenders", json=body), status, code)
    assert counts(db) == before, name


def test_single_source_needs_exactly_one_supplier(client_for, clock, db) -> None:
    school = client_for("yongji_school")
    pid = accepted_project_id(school, "procurement")
    two = [credit_code(SONGYUAN), credit_code(LAFA)]
    before = counts(db)
    r = school.post(
        "/api/v1/tenders",
        json=method_body(pid, clock.now() + timedelta(days=1), "gp_single_source", invitee_credit_codes=two),
    )
    _refused(r, 422, "invitee_count")
    assert counts(db) == before


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("docs_start in the past", 422, "schedule_in_past"),
        ("docs_end before docs_start", 422, "schedule_order"),
        ("question deadline after bid deadline", 422, "schedule_order"),
        ("bid deadline before docs_end", 422, "schedule_order"),
        ("schedule missing", 422, "schedule_missing"),
    ],
)
def test_refused_submit_changes_nothing(case, status, code, client_for, clock, db) -> None:
    agency = client_for("tenderer")
    pid = accepted_project_id(agency)
    start = clock.now() + timedelta(days=1)
    body = {
        "docs_start in the past": _shift(tender_body(pid, clock.now() - timedelta(minutes=1))),
        "docs_end before docs_start": _shift(tender_body(pid, start), docs_end=start - timedelta(hours=1)),
        "question deadline after bid deadline": _shift(
            tender_body(pid, start), question_deadline=start + timedelta(days=21)
        ),
        "bid deadline before docs_end": _shift(tender_body(pid, start, days=30), docs_end=start + timedelta(days=31)),
        "schedule missing": tender_body(pid, start) | {"bid_deadline": None},
    }[case]
    r = agency.post("/api/v1/tenders", json=body)
    assert r.status_code == 201, r.text
    before = counts(db)
    _refused(agency.post(f"/api/v1/tenders/{r.json()['id']}/submit"), status, code)
    assert counts(db) == before
    assert agency.get(f"/api/v1/tenders/{r.json()['id']}").json()["status"] == "draft"


def test_publish_refuses_a_start_that_has_passed_meanwhile(client_for, clock, db) -> None:
    agency, operator = client_for("tenderer"), client_for("operator")
    start = clock.now() + timedelta(days=1)
    t = agency.post("/api/v1/tenders", json=tender_body(accepted_project_id(agency), start)).json()
    assert agency.post(f"/api/v1/tenders/{t['id']}/submit").status_code == 200
    clock.set(start + timedelta(seconds=1))
    before = counts(db)
    _refused(operator.post(f"/api/v1/tenders/{t['id']}/publish"), 422, "schedule_in_past")
    assert counts(db) == before
    assert operator.get(f"/api/v1/tenders/{t['id']}").json()["status"] == "pending_review"


def test_project_not_yet_accepted_is_refused(client_for, clock, db) -> None:
    agency = client_for("tenderer")
    draft = _project_named(agency, "吉林市江北污水处理厂")
    assert draft["status"] == "draft"
    before = counts(db)
    r = agency.post("/api/v1/tenders", json=tender_body(draft["id"], clock.now() + timedelta(days=1)))
    _refused(r, 409, "project_not_accepted")
    assert counts(db) == before


def test_project_of_another_organisation_is_not_found(client_for, clock, db) -> None:
    other = accepted_project_id(client_for("yongji_school"), "procurement")
    agency = client_for("tenderer")
    before = counts(db)
    body = method_body(other, clock.now() + timedelta(days=1), "gp_open")
    _refused(agency.post("/api/v1/tenders", json=body), 404, "project_not_found")
    assert counts(db) == before


def test_others_cannot_edit_or_submit_a_draft(client_for, clock, db) -> None:
    agency = client_for("tenderer")
    start = clock.now() + timedelta(days=1)
    body = tender_body(accepted_project_id(agency), start)
    t = agency.post("/api/v1/tenders", json=body).json()
    others = {who: client_for(who) for who in ("yongji_school", "bidder", "operator")}  # logins are audited too
    before = counts(db)
    # Another tenderer and a bidder do not even see the draft.
    for who in ("yongji_school", "bidder"):
        c = others[who]
        assert c.get(f"/api/v1/tenders/{t['id']}").status_code == 404
        assert c.post(f"/api/v1/tenders/{t['id']}/submit").status_code in (403, 404)
        assert c.put(f"/api/v1/tenders/{t['id']}", json=body).status_code in (403, 404)
    # The centre may read it but not submit it for the tenderer.
    assert others["operator"].post(f"/api/v1/tenders/{t['id']}/submit").status_code == 403
    assert counts(db) == before


def test_earliest_refuses_naive_and_unknown_input(anon) -> None:
    r = anon.get("/api/v1/tenders/earliest", params={"method": "gp_open", "docs_start": "2026-12-01T09:00:00"})
    assert r.status_code == 422 and r.json()["code"] == "naive_datetime", r.text
    r = anon.get("/api/v1/tenders/earliest", params={"method": "lottery", "docs_start": "2026-12-01T09:00:00+08:00"})
    assert r.status_code == 422 and r.json()["code"] == "validation_error", r.text
