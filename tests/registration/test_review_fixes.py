"""Regression tests for registration review: an emergency sign-off or a fast-track mark never
carries over to what comes back after a return, only the named regulator signs, an agency cannot
move a project to another tenderer, drafts stay with their parties, and every business field is
covered by the audit digests."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ggzy import demo
from ggzy.common.audit import AuditEvent
from ggzy.db import Database
from ggzy.identity.rules import make_uscc
from ggzy.registration.models import Project

Client = Callable[[str], TestClient]

EMERGENCY = "丰满区吉丰东路排水管网抢修工程"
AGENCY_RETURNED = "舒兰市平安镇至溪河镇公路改建工程"
DRAFT = "吉林市江北污水处理厂提标改造工程监理"
SUBMITTED_NORMAL = "吉林市教育局2027年度校园安保服务采购"
AWARDEE = demo.code("91220211MA1000020")  # 吉林市北山路桥工程有限公司
OTHER_BIDDER = demo.code("91220204MA1000019")  # 吉林市松原建筑工程有限公司
OTHER_TENDERER = demo.code("91220284MA1000013")  # 磐石市热力有限责任公司
REASON = {"reason": "项目审批文件缺失，请补充后重新提交"}


def project_id(db: Database, name: str) -> int:
    with db.session(write=False) as s:
        pid = s.scalar(select(Project.id).where(Project.name == name))
    assert pid is not None, name
    return pid


def demo_data(name: str) -> dict[str, Any]:
    for dp in demo.PROJECTS:
        if dp.data["name"] == name:
            return dict(dp.data)
    raise AssertionError(name)


def body_for(c: TestClient, pid: int, **changes: Any) -> dict[str, Any]:
    """A ProjectIn body from the project as GET shows it, and the demo's registration for the
    fields GET does not show (contact, emergency justification and awardee, tenderer)."""
    r = c.get(f"/api/v1/projects/{pid}")
    assert r.status_code == 200, r.text
    got = r.json()
    data = demo_data(got["name"])
    body: dict[str, Any] = {
        "name": got["name"],
        "trading_type": got["trading_type"],
        "catalogue_item_code": got["catalogue_item_code"],
        "funding_source": got["funding_source"],
        "estimated_amount": got["estimated_amount"],
        "region_code": got["region_code"],
        "address": data.get("address", ""),
        "scale": data.get("scale", ""),
        "approval_document": data.get("approval_document", ""),
        "contact_name": data["contact_name"],
        "contact_phone": data["contact_phone"],
        "regulator_org_id": got["regulator_org_id"],
        "jurisdiction": got["jurisdiction"],
        "route": got["route"],
    }
    for key in ("tenderer_credit_code", "agency_credit_code", "emergency_justification"):
        if key in data:
            body[key] = str(data[key])
    if got["route"] == "emergency_direct":
        body["emergency_awardee_credit_code"] = str(data["emergency_awardee_credit_code"])
    body.update(changes)
    return body


def ok(r: Any, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()


def refused(r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["code"] == code, r.text


def sign(c: TestClient, pid: int):  # type: ignore[no-untyped-def]
    return c.post(f"/api/v1/projects/{pid}/emergency-signoff", json={"reason": "情况属实，同意应急直接发包"})


# --- emergency sign-off ---------------------------------------------------------------------------


def test_emergency_signoff_does_not_survive_return_and_edit(db: Database, client_for: Client) -> None:
    pid = project_id(db, EMERGENCY)
    regulator, operator, tenderer = client_for("regulator"), client_for("operator"), client_for("tenderer")
    assert ok(operator.get(f"/api/v1/projects/{pid}"))["emergency_signed_at"] is None

    assert ok(sign(regulator, pid))["emergency_signed_at"] is not None
    returned = ok(operator.post(f"/api/v1/projects/{pid}/return", json=REASON))
    assert returned["status"] == "returned"
    assert returned["emergency_signed_at"] is None, "a return withdraws the sign-off"

    edited = ok(tenderer.put(f"/api/v1/projects/{pid}", json=body_for(tenderer, pid, estimated_amount="3900000.00")))
    assert Decimal(edited["estimated_amount"]) == Decimal("3900000.00")
    assert edited["emergency_signed_at"] is None
    assert ok(tenderer.post(f"/api/v1/projects/{pid}/submit"))["status"] == "submitted"

    got = ok(operator.get(f"/api/v1/projects/{pid}"))
    assert "project_accept_direct_award" not in got["actions"]
    refused(operator.post(f"/api/v1/projects/{pid}/accept-direct-award"), 409, "guard_failed")
    assert ok(operator.get(f"/api/v1/projects/{pid}"))["status"] == "submitted"

    # Signed again, for what was changed, it can be accepted.
    assert ok(sign(regulator, pid))["emergency_signed_at"] is not None
    assert ok(operator.post(f"/api/v1/projects/{pid}/accept-direct-award"))["status"] == "direct_awarded"


def test_emergency_signoff_does_not_survive_a_bare_resubmission(db: Database, client_for: Client) -> None:
    pid = project_id(db, EMERGENCY)
    regulator, operator, tenderer = client_for("regulator"), client_for("operator"), client_for("tenderer")
    ok(sign(regulator, pid))
    ok(operator.post(f"/api/v1/projects/{pid}/return", json=REASON))
    ok(tenderer.post(f"/api/v1/projects/{pid}/submit"))
    refused(operator.post(f"/api/v1/projects/{pid}/accept-direct-award"), 409, "guard_failed")


def _second_construction_regulator(client_for: Client) -> str:
    admin = client_for("admin")
    org = ok(
        admin.post(
            "/api/v1/organizations",
            json={
                "name": "永吉县住房和城乡建设局",
                "credit_code": make_uscc("11220221MB0200099"),
                "roles": ["regulator"],
                "region_code": "220221",
                "jurisdictions": ["construction"],
            },
        ),
        201,
    )
    ok(
        admin.post(
            "/api/v1/users",
            json={
                "username": "yongji_zjj",
                "display_name": "永吉县住建局 韩冰",
                "role": "regulator",
                "organization_id": org["id"],
                "password": demo.DEMO_PASSWORD,
            },
        ),
        201,
    )
    return "yongji_zjj"


def test_only_the_named_regulator_signs(db: Database, client_for: Client) -> None:
    pid = project_id(db, EMERGENCY)
    other = client_for(_second_construction_regulator(client_for))
    operator = client_for("operator")

    assert ok(other.get(f"/api/v1/projects/{pid}"))["status"] == "submitted"  # same sector: may watch
    refused(sign(other, pid), 403, "not_named_regulator")
    refused(
        other.post(f"/api/v1/projects/{pid}/emergency-reject", json={"reason": "不同意"}), 403, "not_named_regulator"
    )

    after = ok(operator.get(f"/api/v1/projects/{pid}"))
    assert after["status"] == "submitted" and after["emergency_signed_at"] is None
    refused(operator.post(f"/api/v1/projects/{pid}/accept-direct-award"), 409, "guard_failed")
    with db.session(write=False) as s:
        signed = s.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "project",
                AuditEvent.object_id == str(pid),
                AuditEvent.action == "project.emergency_signoff",
            )
        ).all()
    assert signed == []

    assert ok(sign(client_for("regulator"), pid))["emergency_signed_at"] is not None


def test_other_regulators_are_not_offered_the_signoff(db: Database, client_for: Client) -> None:
    """The actions list (and the buttons on the project page) offer only what will be allowed."""
    pid = project_id(db, EMERGENCY)
    other = client_for(_second_construction_regulator(client_for))
    actions = ok(other.get(f"/api/v1/projects/{pid}"))["actions"]
    assert "project_emergency_signoff" not in actions
    assert "project_emergency_reject" not in actions
    page = other.get(f"/projects/{pid}")
    assert page.status_code == 200
    assert f'action="/projects/{pid}/emergency-signoff"' not in page.text
    named = ok(client_for("regulator").get(f"/api/v1/projects/{pid}"))["actions"]
    assert "project_emergency_signoff" in named  # the control: the named regulator is offered it


# --- parties --------------------------------------------------------------------------------------


def test_agency_cannot_move_project_to_another_tenderer(db: Database, client_for: Client) -> None:
    pid = project_id(db, AGENCY_RETURNED)
    agency = client_for("agency")
    before = ok(agency.get(f"/api/v1/projects/{pid}"))
    assert before["status"] == "returned" and before["tenderer_name"] == "舒兰市交通运输局"

    r = agency.put(f"/api/v1/projects/{pid}", json=body_for(agency, pid, tenderer_credit_code=OTHER_TENDERER))
    refused(r, 422, "tenderer_immutable")
    after = ok(agency.get(f"/api/v1/projects/{pid}"))
    assert after["tenderer_org_id"] == before["tenderer_org_id"]
    assert after["tenderer_name"] == "舒兰市交通运输局"
    # Nor was anything written before the refusal.
    with db.session(write=False) as s:
        assert s.get(Project, pid).tenderer_org_id == before["tenderer_org_id"]  # type: ignore[union-attr]

    # The same tenderer: the edit goes through.
    edited = ok(agency.put(f"/api/v1/projects/{pid}", json=body_for(agency, pid, scale="双向四车道，全长 12.6 公里")))
    assert edited["tenderer_org_id"] == before["tenderer_org_id"]


@pytest.mark.parametrize("username", ["operator", "regulator", "auditor", "agency", "purchaser"])
def test_drafts_are_hidden_from_non_parties(db: Database, client_for: Client, username: str) -> None:
    pid = project_id(db, DRAFT)
    c = client_for(username)
    refused(c.get(f"/api/v1/projects/{pid}"), 404, "project_not_found")
    assert pid not in [p["id"] for p in ok(c.get("/api/v1/projects"))]


def test_drafts_are_visible_to_their_owner(db: Database, client_for: Client) -> None:
    pid = project_id(db, DRAFT)
    c = client_for("tenderer")
    assert ok(c.get(f"/api/v1/projects/{pid}"))["status"] == "draft"
    assert pid in [p["id"] for p in ok(c.get("/api/v1/projects"))]


# --- fast track -----------------------------------------------------------------------------------


def test_fast_track_is_cleared_when_returned(db: Database, client_for: Client) -> None:
    pid = project_id(db, SUBMITTED_NORMAL)
    operator, purchaser = client_for("operator"), client_for("purchaser")
    marked = ok(operator.post(f"/api/v1/projects/{pid}/fast-track", json={"reason": "列入重点项目，适用快速交易"}))
    assert marked["fast_track"] is True

    returned = ok(operator.post(f"/api/v1/projects/{pid}/return", json=REASON))
    assert returned["fast_track"] is False
    assert ok(purchaser.post(f"/api/v1/projects/{pid}/submit"))["fast_track"] is False
    got = ok(operator.get(f"/api/v1/projects/{pid}"))
    assert got["fast_track"] is False and "project_fast_track" in got["actions"]


# --- audit snapshots ------------------------------------------------------------------------------


def _last_edit(db: Database, pid: int) -> AuditEvent:
    with db.session(write=False) as s:
        ev = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "project", AuditEvent.object_id == str(pid))
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        ).one()
        s.expunge(ev)
    assert ev.action == "project.edit"
    return ev


@pytest.mark.parametrize(
    "change",
    [
        {"emergency_awardee_credit_code": OTHER_BIDDER},
        {"emergency_justification": "排水管网塌陷，危及居民安全，须立即抢修（补充说明）。"},
        {"address": "吉林省吉林市丰满区吉丰东路"},
        {"scale": "更换 DN800 排水管 320 米"},
        {"approval_document": "吉市发改审批〔2026〕88号"},
        {"contact_name": "另一位联系人"},
        {"contact_phone": "0432-62999999"},
    ],
    ids=lambda d: next(iter(d)),
)
def test_edit_of_one_field_changes_the_audit_digest(db: Database, client_for: Client, change: dict[str, str]) -> None:
    pid = project_id(db, EMERGENCY)
    tenderer = client_for("tenderer")
    ok(client_for("operator").post(f"/api/v1/projects/{pid}/return", json=REASON))

    ok(tenderer.put(f"/api/v1/projects/{pid}", json=body_for(tenderer, pid)))  # the same values: nothing changes
    same = _last_edit(db, pid)
    assert same.before_digest and same.before_digest == same.after_digest

    ok(tenderer.put(f"/api/v1/projects/{pid}", json=body_for(tenderer, pid, **change)))
    ev = _last_edit(db, pid)
    assert ev.before_digest and ev.after_digest
    assert ev.before_digest != ev.after_digest, f"the audit digest does not cover {next(iter(change))}"
    assert ev.before_digest == same.after_digest
