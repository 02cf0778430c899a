"""In Chromium: five experts at two sites (远程异地评标) evaluate a section and sign the report; the
report's candidates appear in the publicity, in its order.

What happens before the evaluation day goes through the API and the database, as in
``tests/evaluation/test_flow.py``: a one-section tender opened with three bids and its record
published, an expert library whose experts have accounts (half of them in 永吉), the draw, the
experts' acceptances and the two sites. On the evaluation day everything happens in browsers: the
operator reads each site's sign-in code off the site's screen and forms the committee (host
CITY-1, remote YJ-1); each expert, in a browser of its own, signs in with the code of the site its
page names, and the members elect a chair (the review starts once a majority has elected one and
everyone has signed in: later votes are not offered); the review rejects one bid by a majority,
with a reason; the members score independently; the chair checks the figures and draws up the
report; every member signs it with a PIN, one recording a dissent. The tenderer then publishes
the candidates from the report, and the public reads them, in the report's order, in the notice.

The server's clock is a ``FixedClock`` the test holds, so the sign-in codes (which change every
five minutes) stay put while the test runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.helpers_evaluation import World, login, world
from tests.evaluation.helpers import PASSWORD, PIN, add_sites, code_for, ready

SITES = {"市中心第一评标室": "CITY-1", "永吉分中心评标室": "YJ-1"}
SEALED = "（未签到，姓名保密）"
REASON = "项目经理无有效注册证书"
DISSENT = "对技术分有保留意见：第一名的施工组织设计评分偏高。"
# tests.evaluation.helpers.PRICES: bidder, bidder2, bidder3, as the pages show them.
SHOWN = ("19,700,000.00 元", "19,500,000.00 元", "19,900,000.00 元")


@pytest.fixture
def live(sqlite_templates: dict[str, Path], tmp_path: Path) -> Iterator[World]:
    """Like ``live_server``, but the test holds the database and a clock it can move."""
    with world(sqlite_templates, tmp_path) as w:
        yield w


def flash(page: Page) -> Locator:
    return page.locator(".notice[role=status]")


def status(page: Page) -> Locator:
    return page.locator("#evaluation-status")


def member_row(page: Page, text: str) -> Locator:
    return page.locator("#members tbody tr", has_text=text)


def test_five_experts_at_two_sites_evaluate_sign_and_feed_the_publicity(browser: Browser, live: World) -> None:
    # --- before the evaluation day, through the API: tender, bids, opening, library, draw ---
    r0 = ready(live.api, live.clock, live.db, live.tmp_path)
    add_sites(live.api)
    for u in r0.experts:
        r = live.api(u).post(f"/api/v1/extractions/{r0.extraction_id}/respond", json={"accept": True})
        assert r.status_code == 204, r.text
    tid, sid = r0.tender["id"], r0.section_id
    # bidder (19.7M), bidder2 (19.5M, to be rejected), bidder3 (19.9M, to rank first on its technical merit)
    second, rejected, first = (live.org_name(b.credit_code) for b in r0.bidders)
    experts = {u: live.expert_name(u) for u in r0.experts}
    assert len(experts) == 5

    # --- the evaluation day, 09:00 Beijing time ---
    live.clock.set(datetime.combine(r0.day, time(9), tzinfo=ZoneInfo("Asia/Shanghai")))

    # The operator reads each site's sign-in code off its screen.
    op = login(browser, live.url, "operator")
    codes: dict[str, str] = {}
    for site in SITES.values():
        op.goto(f"{live.url}/sites")
        expect(op.locator("#sites")).to_contain_text(site)
        op.locator(f"a[data-action='screen-{site}']").click()
        shown = op.locator("#sign-in-code")
        expect(shown).to_have_text(re.compile(r"^\s*\d{6}\s*$"))
        codes[op.locator("h1").inner_text().strip()] = shown.inner_text().strip()
    assert codes == {name: code_for(live.db, code, live.clock.now()) for name, code in SITES.items()}

    # ... and forms the committee: host CITY-1, remote YJ-1. The system seats each expert.
    op.goto(f"{live.url}/evaluations")
    form = op.locator(f"#open-{sid}")
    expect(form).to_contain_text("第一标段")
    form.locator("select[name=host_site]").select_option("CITY-1")
    form.locator("input[name=remote_sites]").fill("YJ-1")
    form.locator("button[data-action=open-evaluation]").click()
    expect(flash(op)).to_contain_text("评标委员会已组建")
    found = re.search(r"评标编号 (\d+)", flash(op).inner_text())
    assert found, flash(op).inner_text()
    eid = int(found.group(1))
    expect(op.locator(f"#open-{sid}")).to_have_count(0)
    op.locator("#evaluations").get_by_role("link", name=str(eid), exact=True).click()
    expect(op).to_have_url(f"{live.url}/evaluations/{eid}")
    expect(status(op)).to_have_text("签到及推举负责人")
    expect(op.locator("#members tbody tr")).to_have_count(5)
    expect(member_row(op, SEALED)).to_have_count(5)  # names are sealed until each member signs in
    for name in experts.values():
        expect(op.locator("#members")).not_to_contain_text(name)
    for site in SITES:  # the experts sit at both sites
        expect(op.locator("#members")).to_contain_text(site)

    # --- each expert signs in, in a browser of its own, with the code of the site its page names ---
    pages: dict[str, Page] = {}
    for n, u in enumerate(r0.experts):
        page = login(browser, live.url, u, PASSWORD)
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="评标", exact=True).click()
        expect(page.locator("#my-evaluations")).to_contain_text("签到及推举负责人")
        page.locator(f"a[data-action='enter-{eid}']").click()
        expect(page).to_have_url(f"{live.url}/evaluations/{eid}")
        expect(page.locator("#bids")).to_have_count(0)  # a member reads the bids only once seated
        box = page.locator("#sign-in")
        site = box.locator("strong").inner_text().strip()
        assert site in SITES, site
        expect(member_row(page, "（本人）")).to_contain_text(experts[u])  # its own name
        if n == 0:  # nobody else's yet; and the other site's code is refused, naming the right screen
            expect(member_row(page, SEALED)).to_have_count(4)
            other = next(c for name, c in codes.items() if name != site)
            box.get_by_label("签到码").fill(other)
            box.locator("button[data-action=sign-in]").click()
            expect(flash(page)).to_contain_text(f"签到码不正确：请输入“{site}”屏幕上显示的签到码")
            expect(page.locator("#sign-in")).to_be_visible()
        page.locator("#sign-in").get_by_label("签到码").fill(codes[site])
        page.locator("#sign-in button[data-action=sign-in]").click()
        expect(flash(page)).to_have_text("签到成功")
        expect(page.locator("#sign-in")).to_have_count(0)
        mine = member_row(page, "（本人）")
        expect(mine).to_contain_text(site)
        expect(mine.locator("td").nth(3)).to_have_text("✓")
        expect(page.locator("#bids tbody tr")).to_have_count(3)
        pages[u] = page

    # Everyone has signed in: the parties now see every member's name, and who sits where.
    op.reload()
    expect(member_row(op, SEALED)).to_have_count(0)
    for name in experts.values():
        expect(op.locator("#members")).to_contain_text(name)

    # --- the chair: the first three votes make a majority; then the review starts ---
    chair_user = r0.experts[0]
    chair = pages[chair_user]
    chair_id = member_row(chair, "（本人）").get_attribute("data-member")
    assert chair_id and chair_id.isdigit(), chair_id
    for n, u in enumerate(r0.experts):
        page = pages[u]
        page.reload()
        if n < 3:
            expect(status(page)).to_have_text("签到及推举负责人")
            page.locator(f"button[data-action='chair-{chair_id}']").click()
            expect(flash(page)).to_have_text("已推举")
        else:  # voting is over: no more votes offered
            expect(status(page)).to_have_text("资格和符合性审查")
            expect(page.locator("button[data-action^='chair-']")).to_have_count(0)
    expect(status(pages[r0.experts[2]])).to_have_text("资格和符合性审查")
    chair.reload()
    expect(member_row(chair, "负责人").filter(has_text=experts[chair_user])).to_have_count(1)
    expect(chair.locator("#clarify")).to_be_visible()  # the chair asks for clarifications
    expect(pages[r0.experts[1]].locator("#clarify")).to_have_count(0)

    # --- the review: three of five reject the 19.5M bid, with a reason ---
    for n, u in enumerate(r0.experts):
        page = pages[u]
        page.reload()
        form = page.locator("#review")
        expect(form.locator("tbody tr")).to_have_count(3)
        if n < 3:
            row = form.locator("tr", has_text=rejected)
            row.get_by_label("不通过").check()
            if n == 0:  # a rejection needs a reason
                form.locator("button[data-action=review-submit]").click()
                expect(flash(page)).to_contain_text("不通过审查的投标须写明理由")
                row = page.locator("#review tr", has_text=rejected)
                row.get_by_label("不通过").check()
            row.get_by_label("理由").fill(REASON)
        page.locator("#review button[data-action=review-submit]").click()
        expect(flash(page)).to_have_text("审查意见已提交")
        expect(page.locator("#review")).to_have_count(0)
        expect(member_row(page, "（本人）").locator("td").nth(4)).to_have_text("✓")
    last = pages[r0.experts[-1]]
    expect(status(last)).to_have_text("独立评分")
    expect(last.locator("#bids tr", has_text=rejected).locator("td.reason")).to_have_text(f"否决：{REASON}")
    expect(last.locator("#bids tr", has_text=first).locator("td.reason")).to_have_text("通过")
    expect(last.locator("#bids tr", has_text=second).locator("td.reason")).to_have_text("通过")

    # --- independent scores: the 19.9M bid is better on technique; the rejected bid isn't scored ---
    for n, u in enumerate(r0.experts):
        page = pages[u]
        page.reload()
        form = page.locator("#scoring")
        expect(form.locator("tbody tr")).to_have_count(2)
        expect(form).not_to_contain_text(rejected)
        form.get_by_label(f"{first} 技术").fill(str(45 + n))
        form.get_by_label(f"{first} 商务").fill("15")
        form.get_by_label(f"{second} 技术").fill(str(40 + n))
        form.get_by_label(f"{second} 商务").fill("15.5")
        form.locator("button[data-action=scores-submit]").click()
        expect(flash(page)).to_have_text("评分已提交")
        expect(page.locator("#scoring")).to_have_count(0)
        expect(page.locator("#preview")).to_have_count(0)  # until all have scored; then only the chair's
    for u in r0.experts[1:]:
        pages[u].reload()
        expect(pages[u].locator("#preview")).to_have_count(0)
        expect(pages[u].locator("button[data-action=report]")).to_have_count(0)

    # The centre hosting the evaluation does not see the figures before the report, nor its button.
    op.reload()
    expect(op.locator("#preview")).to_have_count(0)
    expect(op.locator("button[data-action=report]")).to_have_count(0)

    # --- the chair checks the figures and draws up the report ---
    chair.reload()
    preview = chair.locator("#preview")
    expect(preview).to_be_visible()
    expect(preview.locator("tr", has_text=first).locator("td").first).to_have_text("1")
    expect(preview.locator("tr", has_text=second).locator("td").first).to_have_text("2")
    expect(preview.locator("tr", has_text=rejected).locator("td.reason")).to_contain_text(REASON)
    preview.locator("button[data-action=report]").click()
    expect(flash(chair)).to_have_text("评标报告已生成，请各成员签署")
    expect(status(chair)).to_have_text("评标报告签署中")
    expect(chair.locator("#preview")).to_have_count(0)
    expect(chair.locator("#report .digest")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    recommended = chair.locator("#report #candidates li")
    expect(recommended).to_have_count(2)
    expect(recommended.nth(0)).to_have_text(f"{first}，投标报价 {SHOWN[2]}")
    expect(recommended.nth(1)).to_have_text(f"{second}，投标报价 {SHOWN[0]}")

    # --- every member signs with a PIN; the last one records a dissent ---
    for n, u in enumerate(r0.experts):
        page = pages[u]
        page.reload()
        form = page.locator("#sign-form")
        expect(form).to_be_visible()
        form.get_by_label("签名口令").fill(PIN)
        if n == len(r0.experts) - 1:
            form.get_by_label("不同意见及理由").fill(DISSENT)
        form.locator("button[data-action=sign]").click()
        expect(flash(page)).to_have_text("已签署评标报告")
        expect(page.locator("#sign-form")).to_have_count(0)
        expect(member_row(page, "（本人）")).to_contain_text("签名有效")
    expect(status(last)).to_have_text("评标报告已签署")
    expect(member_row(last, "签名有效")).to_have_count(5)
    dissenting = member_row(last, f"不同意见：{DISSENT}")
    expect(dissenting).to_have_count(1)
    expect(dissenting).to_contain_text(experts[r0.experts[-1]])
    # The centre sees the same signed report.
    op.reload()
    expect(status(op)).to_have_text("评标报告已签署")
    expect(member_row(op, "签名有效")).to_have_count(5)
    expect(op.locator("#report #candidates li").first).to_contain_text(first)

    # --- the tenderer publishes the candidates straight from the signed report ---
    owner = login(browser, live.url, "tenderer")
    owner.goto(f"{live.url}/tenders/{tid}")
    expect(owner.locator(".page-head")).to_contain_text("已开标，评标中")
    owner.locator("button[data-action=candidates-from-reports]").click()  # login() accepts the confirm
    expect(flash(owner)).to_have_text("已按评标报告公示中标候选人")
    expect(owner.locator(".page-head")).to_contain_text("中标候选人公示中")
    rows = owner.locator("#candidates tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("第 1 名")
    expect(rows.nth(0)).to_contain_text(first)
    expect(rows.nth(0)).to_contain_text(SHOWN[2])
    expect(rows.nth(1)).to_contain_text("第 2 名")
    expect(rows.nth(1)).to_contain_text(second)
    expect(owner.locator("#candidates")).not_to_contain_text(rejected)
    expect(owner.locator("button[data-action=candidates-from-reports]")).to_have_count(0)

    # --- anyone reads the publicity, with the candidates in the report's order ---
    public = browser.new_context(locale="zh-CN").new_page()
    public.goto(f"{live.url}/tenders/{tid}")
    public.locator("#notices").get_by_role("link", name="（中标候选人公示）").click()
    expect(public.locator("h1")).to_contain_text("（中标候选人公示）")
    body = public.locator(".notice-body")
    expect(body).to_contain_text(f"第1名 {first}，投标报价 {SHOWN[2]}")
    expect(body).to_contain_text(f"第2名 {second}，投标报价 {SHOWN[0]}")
    expect(body).to_contain_text("公示期至")
    expect(body).not_to_contain_text(rejected)
    text = body.inner_text()
    assert text.index(first) < text.index(second), text
    for p in (op, owner, public, *pages.values()):
        p.context.close()
