"""In Chromium: the tenderer sets up a tender through the form (checking the earliest lawful
schedule), uploads the documents and submits; the operator publishes it; a bidder obtains the
documents and asks; the tenderer answers; another bidder reads the answer without learning who
asked. The live server's clock stands at 2026-11-30 10:00 Beijing time."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from ggzy.demo_tendering import tender_pdf
from tests.e2e.test_registration_flow import login

NAME = "松花江南岸（船营段）堤防加固工程护坡石料采购与施工招标"
QUESTION = "第一标段的石料是否允许使用本地采石场的材料？"
ANSWER = "允许，须提供石料检测报告并满足设计强度要求。"
ASKER = ("松原建筑", "吴刚", "吉林市松原建筑工程有限公司", "91220204MA1000019")


def create_tender(page: Page, base: str) -> str:
    page.goto(f"{base}/tenders/new")
    river = page.locator("select[name=project_id] option", has_text="松花江南岸").first
    page.select_option("select[name=project_id]", river.get_attribute("value"))
    page.fill("input[name=name]", NAME)
    page.select_option("select[name=method]", "construction_open")
    page.fill("textarea[name=content]", "护坡石料采购及铺筑施工。")
    for i, (name, estimate) in enumerate((("第一标段（上游段）", "1200000"), ("第二标段（下游段）", "980000.50")), 1):
        page.fill(f"input[name=section_{i}_name]", name)
        page.fill(f"input[name=section_{i}_estimate]", estimate)
        page.select_option(f"select[name=section_{i}_evaluation_method]", "comprehensive")
    page.fill("input[name=section_1_qualification]", "水利水电工程施工总承包三级及以上")
    # The live server's clock stands at 2026-11-30 10:00 Beijing time: issuing starts right then,
    # so the bidder below may obtain the documents at once.
    page.fill("input[name=docs_start]", "2026-11-30T10:00")

    # The earliest lawful schedule for an open construction tender: 5 days of sale, 20 days to bids.
    page.get_by_role("button", name="计算最早合法时间").click()
    box = page.locator("#earliest")
    expect(box).to_contain_text("2026-12-05 10:00")
    expect(box).to_contain_text("2026-12-20 10:00")
    expect(box).to_contain_text("招标投标法第二十四条")
    expect(page.locator("input[name=name]")).to_have_value(NAME)  # the form keeps what was typed

    page.fill("input[name=docs_end]", "2026-12-07T10:00")
    page.fill("input[name=question_deadline]", "2026-12-15T10:00")
    page.fill("input[name=bid_deadline]", "2026-12-20T10:00")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("h1")).to_contain_text(NAME)
    expect(page.locator("body")).to_contain_text("草稿")
    found = re.search(r"/tenders/(\d+)$", page.url.split("?")[0])
    assert found, page.url
    return found.group(1)


def test_tender_from_form_to_answered_question(browser: Browser, live_server: str) -> None:
    base = live_server
    owner = login(browser, base, "tenderer")
    tender_id = create_tender(owner, base)
    url = f"{base}/tenders/{tender_id}"
    expect(owner.locator("#notices")).to_contain_text("尚未发布公告")
    sections = owner.locator("table", has_text="第一标段（上游段）")
    expect(sections).to_contain_text("1,200,000.00 元")
    expect(sections).to_contain_text("980,000.50 元")

    owner.set_input_files(
        "input[name=file]",
        files=[{"name": "招标文件.pdf", "mimeType": "application/pdf", "buffer": tender_pdf("Revetment stone")}],
    )
    owner.locator("button[data-action=upload]").click()
    expect(owner.locator("#documents")).to_contain_text("招标文件.pdf")
    owner.locator("button[data-action=submit]").click()
    expect(owner.locator(".page-head")).to_contain_text("待交易中心审核")

    # The bidder sees nothing before publication.
    bidder = login(browser, base, "bidder")
    bidder.goto(url)
    expect(bidder.locator("body")).to_contain_text("不存在")

    operator = login(browser, base, "operator")
    operator.goto(url)
    operator.locator("button[data-action=publish]").click()
    expect(operator.locator(".page-head")).to_contain_text("投标中")
    expect(operator.locator("#notices")).to_contain_text("第 1 版")

    public = browser.new_context(locale="zh-CN").new_page()
    public.goto(f"{base}/notices")
    public.get_by_role("link", name=re.compile(re.escape(NAME))).first.click()
    expect(public.locator("body")).to_contain_text("SM3 摘要")
    expect(public.locator("body")).to_contain_text("2026-12-20 10:00")

    bidder.goto(url)
    expect(bidder.locator("#documents")).to_contain_text("获取招标文件后方可下载")
    bidder.locator("button[data-action=obtain]").click()
    link = bidder.get_by_role("link", name="招标文件.pdf")
    expect(link).to_be_visible()
    download = bidder.request.get(f"{base}{link.get_attribute('href')}")
    assert download.status == 200 and download.body().startswith(b"%PDF-")
    bidder.fill("textarea[name=body]", QUESTION)
    bidder.locator("button[data-action=ask]").click()
    expect(bidder.locator("#questions")).to_contain_text(QUESTION)

    owner.goto(url)
    owner.locator("#questions textarea[name=answer]").fill(ANSWER)
    owner.locator("button[data-action=answer]").click()
    expect(owner.locator("#questions")).to_contain_text(ANSWER)

    # Only the centre learns who obtained the documents.
    operator.goto(url)
    expect(operator.locator("#obtainers")).to_contain_text("吉林市松原建筑工程有限公司")

    other = login(browser, base, "bidder2")
    other.goto(url)
    expect(other.locator("#questions")).to_contain_text(QUESTION)
    expect(other.locator("#questions")).to_contain_text(ANSWER)
    expect(other.locator("#obtainers")).to_have_count(0)
    text = other.content()
    for secret in ASKER:
        assert secret not in text, f"the asker ({secret}) is shown to another bidder"
