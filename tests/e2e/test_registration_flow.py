"""In Chromium: a tenderer registers a project and submits it; the city operator reviews it from
the queue and accepts it; the public then finds it, with its code, on the portal."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from ggzy.demo import DEMO_PASSWORD

NAME = "磐石市明城镇供水管网延伸工程"


def login(browser: Browser, base: str, username: str) -> Page:
    page = browser.new_context(locale="zh-CN").new_page()
    page.on("dialog", lambda d: d.accept())  # the confirm() before submitting a form
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{base}/workbench")
    return page


def register_and_submit(browser: Browser, base: str) -> None:
    page = login(browser, base, "tenderer")
    page.goto(f"{base}/projects/new")
    page.fill("input[name=name]", NAME)
    page.select_option("select[name=trading_type]", "construction")
    page.select_option("select[name=catalogue_item_code]", "GC-01")
    page.select_option("select[name=funding_source]", "fiscal")
    page.fill("input[name=estimated_amount]", "12000000")
    page.select_option("select[name=region_code]", "220284")
    page.fill("input[name=contact_name]", "张伟")
    page.fill("input[name=contact_phone]", "0432-62000001")
    page.select_option("select[name=jurisdiction]", "construction")
    regulator = page.locator("select[name=regulator_org_id] option", has_text="住房和城乡建设局").first
    page.select_option("select[name=regulator_org_id]", regulator.get_attribute("value"))

    # Where will it go, and why: 12,000,000 is above the city threshold for construction.
    page.get_by_role("button", name="预判受理分中心").click()
    box = page.locator(".routing-box")
    expect(box).to_contain_text("由市本级")
    expect(box).to_contain_text("1,000.0000 万元")

    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("h1")).to_contain_text(NAME)
    page.locator("button[data-action=submit]").click()
    expect(page.locator("body")).to_contain_text("待审核")


def test_tenderer_registers_operator_accepts_public_sees(browser: Browser, live_server: str) -> None:
    register_and_submit(browser, live_server)

    op = login(browser, live_server, "operator")
    op.get_by_role("link", name=NAME).click()
    expect(op.locator("body")).to_contain_text("待审核")
    op.locator("button[data-action=accept]").click()
    expect(op.locator("body")).to_contain_text("已进场")
    code = op.locator("body").inner_text()
    found = re.search(r"E2202002026\d{6}", code)
    assert found, "the accepted project shows its 17-character code"

    public = browser.new_context().new_page()
    public.goto(f"{live_server}/entered")
    row = public.locator("tr", has_text=NAME)
    expect(row).to_contain_text(found.group(0))


def test_county_operator_cannot_see_city_queue_and_return_needs_reason(browser: Browser, live_server: str) -> None:
    register_and_submit(browser, live_server)

    county = login(browser, live_server, "yongji_op")
    expect(county.locator("body")).not_to_contain_text(NAME)

    op = login(browser, live_server, "operator")
    op.get_by_role("link", name=NAME).click()
    op.locator("textarea[name=reason]").first.fill("请补充项目审批文件扫描件")
    op.locator("button[data-action=return]").click()
    expect(op.locator("body")).to_contain_text("已退回")

    tenderer = login(browser, live_server, "tenderer")
    tenderer.goto(f"{live_server}/projects")
    tenderer.get_by_role("link", name=NAME).click()
    expect(tenderer.locator("body")).to_contain_text("请补充项目审批文件扫描件")
