"""The upward exchange end to end: every dataset a procedure produces passes its validators and
reaches the stand-in provincial platform once; what fails is held with the reason, visible to
operators, and goes after a fix."""

from __future__ import annotations

from collections import Counter

from ggzy.exchange import services
from ggzy.exchange.receiver import Receiver
from ggzy.exchange.spec import dataset
from ggzy.exchange.validate import check
from tests.exchange.helpers import OPTS, construction_to_contracts, gp_contracts, gp_to_contracts, in_process, rows

CONSTRUCTION = {"500", "501", "502", "503", "506", "507", "510", "511", "512", "513"}
GP = {"550", "551", "553", "554", "556", "557"}


def _run_and_check(db, clock, expected: set[str]) -> tuple[Receiver, list]:
    receiver = Receiver(token="s3cret")
    read, sent = services.run(db, now=clock.now(), opts=OPTS, sender=in_process(receiver))
    made = rows(db)
    assert read > 0 and made
    held = [(d.dataset_no, d.record_key, d.problems) for d in made if d.status == "held"]
    assert held == [], held
    produced = {d.dataset_no for d in made}
    assert expected <= produced, sorted(expected - produced)
    for d in made:  # checked here again, independently of what the collector decided
        assert check(dataset(d.dataset_no), d.payload) == [], (d.dataset_no, d.record_key)
        assert d.status == "sent" and d.receipt.startswith("R"), (d.dataset_no, d.status, d.last_error)
    # Upstream took every record once, and each after the record it depends on.
    assert sent == len(made) == len(receiver.taken) == receiver.requests
    order = [b["dataNo"] + ":" + b["key"] for b in receiver.taken.values()]
    for d in made:
        if d.parent_dataset:
            assert order.index(f"{d.parent_dataset}:{d.parent_key}") < order.index(f"{d.dataset_no}:{d.record_key}")
    # A second run finds nothing new to send.
    assert services.run(db, now=clock.now(), opts=OPTS, sender=in_process(receiver)) == (0, 0)
    return receiver, made


def test_every_construction_dataset_passes_its_validators_and_arrives_once(client_for, clock, db, tmp_path):
    construction_to_contracts(client_for, clock, db, tmp_path)
    _, made = _run_and_check(db, clock, CONSTRUCTION)
    counts = Counter(d.dataset_no for d in made)
    assert counts["510"] == 4 and counts["513"] == 2 and counts["512"] == 2 and counts["506"] == 2
    assert counts["507"] == 6  # three bids on each of two sections


def test_every_procurement_dataset_passes_its_validators_and_arrives_once(client_for, clock, db, tmp_path):
    gp = gp_to_contracts(client_for, clock, db, tmp_path)
    gp_contracts(client_for, clock, gp)
    receiver, made = _run_and_check(db, clock, GP)
    gp_rows = [d for d in made if d.tender_id == gp]
    assert Counter(d.dataset_no for d in gp_rows) == {"550": 2, "551": 1, "556": 2, "557": 6, "553": 2, "554": 2}
    assert receiver.records("550")[0]["record"]["PURCHASER_MODE"] == "1"  # 公开招标


def test_dates_codes_and_amounts_are_in_the_specifications_forms(client_for, clock, db, tmp_path):
    construction_to_contracts(client_for, clock, db, tmp_path)
    services.run(db, now=clock.now(), opts=OPTS, sender=None)
    section = next(d for d in rows(db, dataset_no="502"))
    p = section.payload
    assert len(p["UNIFIED_DEAL_CODE"]) == 40 and p["UNIFIED_DEAL_CODE"][8:31] == p["BID_SECTION_CODE"]
    assert p["CONTRACT_RECKON_PRICE"].endswith(".00") and p["PRICE_UNIT"] == "0"
    project = next(d for d in rows(db, dataset_no="500")).payload
    assert project["FUND_SOURCE"] == "财政性资金"
    notice = next(d for d in rows(db, dataset_no="503")).payload
    assert len(notice["NOTICE_SEND_TIME"]) == 14 and notice["NOTICE_SEND_TIME"].isdigit()
    assert notice["URL"].startswith("https://ggzy.example.cn/notices/")
    # Without an upstream nothing is sent: records wait, checked, for the address to be configured.
    assert {d.status for d in rows(db)} == {"pending"}


def test_a_record_that_fails_its_validators_is_held_with_the_reason_and_goes_after_the_fix(client_for, clock, db, app):
    from sqlalchemy import update

    from ggzy.identity.models import Organization

    tenderer = client_for("tenderer")
    org_id = tenderer.get("/api/v1/me").json()["organization_id"]
    with db.transaction() as s:  # a tenderer registered without an e-mail address
        s.execute(update(Organization).where(Organization.id == org_id).values(email=""))
    receiver = Receiver()
    services.run(db, now=clock.now(), opts=OPTS, sender=in_process(receiver))
    held = rows(db, status="held")
    assert held and {d.dataset_no for d in held} == {"503"}
    assert any("招标人电子邮箱（TENDERER_EMAIL）：必填" in p["message"] for d in held for p in d.problems)
    assert not receiver.records("503"), "a held record is not sent"
    assert receiver.records("501"), "the rest goes"

    operator = client_for("operator")
    listed = operator.get("/api/v1/exchange/deliveries", params={"status": "held"}).json()
    assert [x["id"] for x in listed] == [d.id for d in reversed(held)] and listed[0]["problems"]
    page = operator.get("/exchange", params={"status": "held"})
    assert page.status_code == 200 and "招标人电子邮箱" in page.text
    # Resending before the fix keeps it held, with the same reason.
    r = operator.post(f"/api/v1/exchange/deliveries/{held[0].id}/resend")
    assert r.status_code == 200 and r.json()["status"] == "held"

    contact = {
        "contact_name": "王经理",
        "contact_phone": "0432-62001234",
        "email": "zb@example.cn",
        "address": "吉林市",
    }
    assert tenderer.put(f"/api/v1/organizations/{org_id}/contact", json=contact).status_code == 200
    assert operator.post("/api/v1/exchange/recheck-held").json() == {"queued": len(held), "held": 0}
    services.run(db, now=clock.now(), opts=OPTS, sender=in_process(receiver))
    assert {d.status for d in rows(db, dataset_no="503")} == {"sent"}
    assert receiver.records("503")[0]["record"]["TENDERER_EMAIL"] == "zb@example.cn"
    events = client_for("auditor").get("/api/v1/audit/events", params={"limit": 50}).json()
    assert any(e["action"] == "exchange.resend" for e in events)
    # Only the centre resends; a bidder cannot even look.
    assert client_for("bidder").get("/api/v1/exchange/deliveries").status_code == 403
    assert client_for("auditor").post(f"/api/v1/exchange/deliveries/{held[0].id}/resend").status_code == 403


def test_a_held_tender_project_holds_what_depends_on_it(client_for, clock, db):
    from sqlalchemy import update

    from ggzy.registration.models import Project

    with db.transaction() as s:  # the project's approval document is missing
        s.execute(update(Project).values(approval_document=""))
    services.run(db, now=clock.now(), opts=OPTS, sender=in_process(Receiver()))
    by = {d.dataset_no: d for d in rows(db)}
    assert by["500"].status == "held" and "APPROVAL_NAME" in str(by["500"].problems)
    # The tender project is valid but waits for its project upstream; sections wait for it.
    assert by["501"].status == "pending" and by["502"].status == "pending"
    assert rows(db, status="sent") == []


def test_a_change_whose_records_cannot_be_built_is_held_not_lost(client_for, clock, db, monkeypatch):
    from ggzy.exchange import services as svc

    real = svc.records_for
    calls = {"n": 0}

    def broken_once(x, change):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ValueError("示例：数据不一致")
        return real(x, change)

    monkeypatch.setattr(svc, "records_for", broken_once)
    services.run(db, now=clock.now(), opts=OPTS, sender=None)
    failed = rows(db, dataset_no="000")
    assert len(failed) == 1 and failed[0].status == "held"
    assert (
        "生成数据集记录失败" in failed[0].problems[0]["message"]
        and "示例：数据不一致" in failed[0].problems[0]["message"]
    )
    others = {d.dataset_no for d in rows(db) if d.dataset_no != "000"}
    assert others, "the other changes still went through"
    assert "生成失败" in client_for("operator").get("/exchange").text
    r = client_for("operator").post(f"/api/v1/exchange/deliveries/{failed[0].id}/resend")
    assert r.status_code == 200 and r.json()["status"] == "superseded"
    rebuilt = [d for d in rows(db) if d.change_seq == failed[0].change_seq and d.dataset_no != "000"]
    assert rebuilt and {d.status for d in rebuilt} == {"pending"}
