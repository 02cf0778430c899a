"""In Chromium: after the bid deadline the tenderer records the committee's candidates from the
signed report; a bidder objects during publicity, which pauses the procedure until the tenderer
answers; when publicity is over the tenderer issues the signed award notice, anyone verifies it by
its code, and the contracts are recorded (the late one flagged).

The server's clock is a ``FixedClock`` this file keeps, so the test moves time between steps and
applies the deadlines itself (``run_due``), as the chronograph would."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from ggzy import bidder_tool, demo, demo_bidding
from ggzy.bidding import opening
from ggzy.bidding.store import BidStore
from ggzy.common.chronograph import run_due
from ggzy.common.clock import FixedClock, format_local
from ggzy.dated_events import HANDLERS
from ggzy.db import Database
from ggzy.identity import selectors as identity_selectors
from ggzy.identity.models import User
from ggzy.identity.permissions import Principal
from ggzy.registration.models import Project
from ggzy.tendering import services
from ggzy.tendering.models import Tender
from ggzy.tendering.schemas import TenderIn
from tests.e2e.conftest import movable_world, serving
from tests.e2e.test_registration_flow import login

NAME = "松花江南岸（船营段）堤防加固工程施工招标（定标演练）"
WINNER = demo.code("91220204MA1000019")  # 吉林市松原建筑工程有限公司 (user "bidder")
SECOND = demo.code("91220211MA1000020")  # 吉林市北山路桥工程有限公司 (user "bidder2")
OBJECTION = "第一中标候选人拟派项目经理尚有在建工程，请招标人核查。"
SHOTS = os.environ.get("GGZY_E2E_SCREENSHOTS", "")  # a directory: keep a picture of the publicity page
ANSWER = "经核查，该项目经理原任项目已于 2026 年 10 月竣工验收，不存在在建工程。"


@dataclass
class Live:
    base: str
    db: Database
    clock: FixedClock
    data_dir: Path

    def run_due(self) -> int:
        return run_due(self.db, now=self.clock.now(), handlers=HANDLERS)

    def local(self, fmt: str) -> str:
        return format_local(self.clock.now(), fmt)


@pytest.fixture
def live(sqlite_templates: dict[str, Path], tmp_path: Path) -> Iterator[Live]:
    """Like ``live_server``, but the test holds the database and a clock it can move."""
    db, clock, app = movable_world(sqlite_templates, tmp_path, "e2e-award.db")
    with serving(app) as url:
        yield Live(url, db, clock, tmp_path)
    db.dispose()


def _principal(db: Database, username: str) -> Principal:
    with db.session(write=False) as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        return identity_selectors.principal_of(user)


def closed_tender(live: Live) -> int:
    """A two-section open construction tender, published and past its bid deadline."""
    tenderer, operator = _principal(live.db, "tenderer"), _principal(live.db, "operator")
    start = live.clock.now() + timedelta(days=1)
    with live.db.session(write=False) as s:
        project_id = s.scalar(select(Project.id).where(Project.name.like("松花江南岸%"), Project.code.is_not(None)))
        assert project_id is not None
    data = TenderIn.model_validate(
        {
            "project_id": project_id,
            "name": NAME,
            "method": "construction_open",
            "content": "堤防加固、护岸及附属工程施工。",
            "sections": [
                {"name": "第一标段（K0+000～K3+200）", "estimate": "20000000.00", "evaluation_method": "comprehensive"},
                {"name": "第二标段（K3+200～K6+500）", "estimate": "18600000.00", "evaluation_method": "comprehensive"},
            ],
            "docs_start": start,
            "docs_end": start + timedelta(days=7),
            "question_deadline": start + timedelta(days=15),
            "bid_deadline": start + timedelta(days=20),
        }
    )
    with live.db.transaction() as s:
        tid = services.tender_create(session=s, now=live.clock.now(), principal=tenderer, data=data, sandbox=False).id
    with live.db.transaction() as s:
        services.tender_submit(session=s, now=live.clock.now(), principal=tenderer, tender_id=tid)
    with live.db.transaction() as s:
        services.tender_publish(session=s, now=live.clock.now(), principal=operator, tender_id=tid)
    # Three bids on each section, sealed and submitted as the bidders' tool would.
    keys_dir, store = live.data_dir / "keys-e2e", BidStore(live.data_dir / "bids")
    keys_dir.mkdir()
    sealed = []
    with live.db.transaction() as s:
        t = s.get(Tender, tid)
        assert t is not None
        for username, price in (("bidder", "19500000.00"), ("bidder2", "19800000.00"), ("bidder3", "20100000.00")):
            p = _principal(live.db, username)
            key = demo_bidding.register_key(s, live.clock.now(), p, keys_dir)
            for seq in (1, 2):
                path = demo_bidding.seal_and_submit(
                    s, now=start + timedelta(days=2), p=p, key=key, t=t, price=price, keys_dir=keys_dir,
                    store=store, section_seq=seq,
                )  # fmt: skip
                sealed.append((p, key, t.sections[seq - 1].id, path))
    live.clock.set(start + timedelta(days=20))
    assert live.run_due() == 1  # the bid deadline closes bidding and starts both openings
    # The remote opening: everyone decrypts, the centre publishes both records; evaluation follows.
    with live.db.transaction() as s:
        for p, key, sid, path in sealed:
            _, error = opening.key_submit(
                session=s, now=live.clock.now(), principal=p, section_id=sid,
                content_key=bidder_tool.content_key(key, path), store=store,
            )  # fmt: skip
            assert error is None, error
        for sid in {x[2] for x in sealed}:
            opening.window_close_early(session=s, now=live.clock.now(), principal=operator, section_id=sid, store=store)
            opening.record_publish(session=s, now=live.clock.now(), principal=operator, section_id=sid)
    with live.db.session(write=False) as s:
        t = s.get(Tender, tid)
        assert t is not None and t.status == "opened"
    return tid


def record_candidates(page: Page, live: Live) -> None:
    form = page.locator("#candidates-form")
    expect(form).to_be_visible()
    page.fill("input[name=report_received_at]", live.local("%Y-%m-%dT%H:%M"))
    for seq, prices in ((1, ("19500000.00", "19800000.00")), (2, ("18200000", "18350000.50"))):
        page.fill(f"input[name=c_{seq}_1_code]", WINNER)
        page.fill(f"input[name=c_{seq}_1_price]", prices[0])
        page.fill(f"input[name=c_{seq}_2_code]", SECOND)
        page.fill(f"input[name=c_{seq}_2_price]", prices[1])
    page.locator("button[data-action=candidates]").click()


def test_candidates_objection_award_verify_contract(browser: Browser, live: Live) -> None:
    tid = closed_tender(live)
    url = f"{live.base}/tenders/{tid}"

    owner = login(browser, live.base, "tenderer")
    owner.goto(url)
    expect(owner.locator(".page-head")).to_contain_text("已开标，评标中")
    record_candidates(owner, live)
    expect(owner.locator(".page-head")).to_contain_text("中标候选人公示中")
    expect(owner.locator(".notice[role=status]")).to_contain_text("中标候选人已公示")
    ends = format_local(live.clock.now() + timedelta(days=3))  # 3 days (实施条例第五十四条)
    panel = owner.locator("#award")
    expect(panel).to_contain_text(f"公示期至 {ends}")
    table = owner.locator("#candidates")
    expect(table).to_contain_text("吉林市松原建筑工程有限公司")
    expect(table).to_contain_text("吉林市北山路桥工程有限公司")
    expect(table).to_contain_text("19,500,000.00 元")
    expect(table).to_contain_text("18,350,000.50 元")
    expect(owner.locator("#notices")).to_contain_text("中标候选人公示")

    # The public sees the candidates, not the objection form.
    public = browser.new_context(locale="zh-CN").new_page()
    public.goto(url)
    expect(public.locator("#candidates")).to_contain_text("吉林市松原建筑工程有限公司")
    expect(public.locator("#objection-form")).to_have_count(0)

    # The second candidate objects during publicity.
    objector = login(browser, live.base, "bidder2")
    objector.goto(url)
    expect(objector.locator("#award")).to_contain_text("公示期内可提出异议")
    objector.fill("#objection-body", OBJECTION)
    objector.locator("button[data-action=objection]").click()
    expect(objector.locator(".notice[role=status]")).to_contain_text("异议已提交")
    expect(objector.locator("#objections")).to_contain_text(OBJECTION)  # its own objection
    expect(objector.locator("#paused")).to_contain_text("存在未答复的异议，招标投标活动暂停")

    # The tenderer sees the pause and the objection, without who raised it, and answers.
    owner.goto(url)
    expect(owner.locator("#paused")).to_contain_text("存在未答复的异议，招标投标活动暂停")
    objections = owner.locator("#objections")
    expect(objections).to_contain_text(OBJECTION)
    expect(objections).to_contain_text("答复期限")
    expect(objections).not_to_contain_text("北山路桥")
    expect(objections).not_to_contain_text("郑浩")
    if SHOTS:
        owner.screenshot(path=str(Path(SHOTS) / "award-publicity.png"), full_page=True)
    owner.locator("#objections textarea[name=answer]").fill(ANSWER)
    owner.locator("button[data-action=objection-answer]").click()
    expect(owner.locator("#objections")).to_contain_text(ANSWER)
    expect(owner.locator("#paused")).to_have_count(0)

    # Another bidder and the public never see the objection or its author.
    other = login(browser, live.base, "bidder")
    other.goto(url)
    expect(other.locator("#candidates")).to_be_visible()
    expect(other.locator("#objections")).to_have_count(0)
    assert OBJECTION not in other.content()
    public.goto(url)
    assert OBJECTION not in public.content()

    # Publicity over: the chronograph ends it; no more objections; the award may be issued.
    live.clock.advance(timedelta(days=3))
    assert live.run_due() == 1
    objector.goto(url)
    expect(objector.locator("#objection-form")).to_have_count(0)
    owner.goto(url)
    expect(owner.locator(".page-head")).to_contain_text("公示期满")
    owner.locator("button[data-action=award]").click()  # login() accepts the confirm dialog
    expect(owner.locator(".page-head")).to_contain_text("已发中标（成交）通知书")
    awards = owner.locator("#awards")
    expect(awards).to_contain_text("吉林市松原建筑工程有限公司")
    expect(awards.locator(".verify-code")).to_have_count(2)
    code = awards.locator(".verify-code").first.inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{16}", code), code
    expect(owner.locator(".notice[role=status]")).to_contain_text(code)
    pdf = owner.request.get(f"{live.base}{awards.get_by_role('link', name='通知书 PDF').first.get_attribute('href')}")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    # Anyone can check the notice by its code.
    verifier = browser.new_context(locale="zh-CN").new_page()
    verifier.goto(f"{live.base}/verify/{code}")
    expect(verifier.locator("body")).to_contain_text("真实有效")
    expect(verifier.locator("body")).to_contain_text("吉林市松原建筑工程有限公司")

    # Contracts: the first within 30 days; the second after 40 days, recorded and flagged late.
    owner.select_option("#contract-section", "1")
    owner.fill("#contract-signed", live.local("%Y-%m-%d"))
    owner.fill("#contract-amount", "19500000.00")
    owner.fill("#contract-term", "自开工之日起 365 日历天")
    owner.locator("button[data-action=contract]").click()
    expect(owner.locator(".notice[role=status]")).to_have_text("合同已登记")
    expect(owner.locator("#contracts")).to_contain_text("19,500,000.00 元")
    expect(owner.locator("#contracts .badge.s-late")).to_have_count(0)

    live.clock.advance(timedelta(days=40))
    owner.goto(url)
    expect(owner.locator("#contract-section option")).to_have_count(1)
    owner.fill("#contract-signed", live.local("%Y-%m-%d"))
    owner.fill("#contract-amount", "18200000")
    owner.locator("button[data-action=contract]").click()
    expect(owner.locator(".notice[role=status]")).to_contain_text("合同签订日期晚于法定期限")
    expect(owner.locator(".page-head")).to_contain_text("合同已签订")
    expect(owner.locator("#contracts .badge.s-late")).to_have_count(1)
    expect(owner.locator("#contract-form")).to_have_count(0)
