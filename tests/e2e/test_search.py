"""In Chromium: the public searches for a two-character word, filters by county, opens a notice and
its attachment.

The demo's published notices are all the city's (市本级, 220200). The county one is set up through
the API first: 永吉县分中心 returns the demo's consultation procurement of 永吉县第一中学 for its
documents, the school uploads them and resubmits, and the county centre publishes it. Once the
documents are issued a supplier obtains them, so there is a secret to keep (招标投标法第二十二条).

Then an anonymous visitor, in a browser, opens the home page, goes to 全文检索 from the menu,
searches 采购 (in city and county notices alike), sees the word marked in every result, narrows the
results to 永吉县分中心, opens the school's notice and downloads its attachment, checking it against
the SM3 digest the notice shows. None of the pages names who obtained the documents."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from ggzy.common.crypto import sm3_hex
from ggzy.demo_tendering import GP_NAME, OPEN_NAME, tender_pdf
from ggzy.tendering.models import Tender
from tests.e2e.helpers_evaluation import World, world

WORD = "采购"
COUNTY, COUNTY_NAME = "220221", "永吉县分中心"
CITY_NAME = "市本级（吉林市公共资源交易中心）"
FILENAME = "竞争性磋商文件.pdf"
DOCUMENT = tender_pdf("Yongji No.1 Middle School laboratory equipment - consultation documents")
# Who obtained the documents (bidder4 the school's, bidder the demo's city tender), and the section
# where the centre alone sees them.
SECRETS = (
    "吉林市江南办公设备有限公司",
    "91220202MA1000022",
    "冯雪",
    "吉林市松原建筑工程有限公司",
    "91220204MA1000019",
    "吴刚",
    "获取招标文件的单位",
)


@pytest.fixture
def live(sqlite_templates: dict[str, Path], tmp_path: Path) -> Iterator[World]:
    """Like ``live_server``, but the test holds the database, the clock and API clients."""
    with world(sqlite_templates, tmp_path) as w:
        yield w


def publish_county_procurement(live: World) -> int:
    """The school's consultation procurement, published by the county centre with its documents;
    then obtained by a supplier. Returns the tender's id."""
    with live.db.session(write=False) as s:
        tid = s.scalar(select(Tender.id).where(Tender.name == GP_NAME))
    assert tid is not None, GP_NAME
    county, school, supplier = live.api("yongji_op"), live.api("yongji_school"), live.api("bidder4")

    r = county.post(f"/api/v1/tenders/{tid}/return", json={"reason": "请上传磋商文件后重新提交"})
    assert r.status_code == 200, r.text
    r = school.post(
        f"/api/v1/tenders/{tid}/documents",
        content=DOCUMENT,
        # A public notice attachment (公告附件): anyone downloads it from the notice; tender
        # documents proper are obtained by bidders, and that list stays secret.
        headers={"x-filename": quote(FILENAME), "content-type": "application/octet-stream", "x-public": "1"},
    )
    assert r.status_code == 201 and r.json()["public"] is True, r.text
    assert r.json()["digest"] == sm3_hex(DOCUMENT)
    r = school.post(f"/api/v1/tenders/{tid}/submit")
    assert r.status_code == 200, r.text
    r = county.post(f"/api/v1/tenders/{tid}/publish")
    assert r.status_code == 200, r.text
    published = r.json()
    assert published["status"] == "bidding", published

    # The documents are issued from the next day on: a supplier obtains them then.
    with live.db.session(write=False) as s:
        t = s.get(Tender, tid)
        assert t is not None and t.docs_start is not None
        docs_start = t.docs_start
    live.clock.set(docs_start + timedelta(minutes=5))
    r = supplier.post(f"/api/v1/tenders/{tid}/obtain")
    assert r.status_code == 204, r.text
    return tid


def api_total(live: World, **params: str) -> int:
    r = httpx.get(f"{live.url}/api/v1/search", params={"q": WORD, **params}, timeout=60)
    assert r.status_code == 200, r.text
    return int(r.json()["total"])


def keeps_secrets(page: Page) -> None:
    text = page.content()
    for secret in SECRETS:
        assert secret not in text, f"{page.url} shows {secret!r} before the opening"
    expect(page.locator("#obtainers")).to_have_count(0)


def test_public_searches_filters_by_county_and_downloads_an_attachment(browser: Browser, live: World) -> None:
    tid = publish_county_procurement(live)
    everywhere, in_county = api_total(live), api_total(live, region=COUNTY)
    assert everywhere > in_county >= 1, (everywhere, in_county)
    assert everywhere <= 20, "all results fit the first page"

    # --- an anonymous visitor: home page, then 全文检索 from the menu ---
    page = browser.new_context(locale="zh-CN", accept_downloads=True).new_page()
    page.goto(f"{live.url}/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="全文检索", exact=True).click()
    expect(page).to_have_url(f"{live.url}/search")
    expect(page.locator("h1")).to_have_text("交易公告全文检索")

    # --- a two-character word, in the city's notices and the county's ---
    page.locator("#q").fill(WORD)
    page.locator("button[data-action=search]").click()
    expect(page).to_have_url(re.compile(r"/search\?q=%E9%87%87%E8%B4%AD"))
    expect(page.locator("#search-total")).to_have_text(f"共 {everywhere} 条结果")
    results = page.locator("#results li.card")
    expect(results).to_have_count(everywhere)
    for i in range(everywhere):  # the word is marked in every result, in its title or its snippet
        expect(results.nth(i).locator("mark").first).to_have_text(WORD)
    expect(page.locator("#results")).to_contain_text(OPEN_NAME)
    expect(page.locator("#results")).to_contain_text(GP_NAME)
    expect(results.filter(has_text=CITY_NAME)).to_have_count(everywhere - in_county)
    keeps_secrets(page)

    # --- narrowed to the county: only its notices ---
    page.locator("#region").select_option(COUNTY)
    page.locator("button[data-action=search]").click()
    expect(page).to_have_url(re.compile(rf"[?&]region={COUNTY}(&|$)"))
    expect(page.locator("#q")).to_have_value(WORD)  # the form keeps the query and the filter
    expect(page.locator("#region")).to_have_value(COUNTY)
    expect(page.locator("#search-total")).to_have_text(f"共 {in_county} 条结果")
    expect(results).to_have_count(in_county)
    expect(results.filter(has_text=COUNTY_NAME)).to_have_count(in_county)
    expect(page.locator("#results")).not_to_contain_text(CITY_NAME)
    expect(page.locator("#results")).not_to_contain_text(OPEN_NAME)

    # --- the school's notice ---
    hit = results.filter(has_text=GP_NAME).first.locator("a[data-notice]")
    expect(hit.locator("mark").first).to_have_text(WORD)
    notice_id = hit.get_attribute("data-notice")
    assert notice_id and notice_id.isdigit(), notice_id
    hit.click()
    expect(page).to_have_url(f"{live.url}/notices/{notice_id}")
    expect(page.locator("h1")).to_contain_text(GP_NAME)
    expect(page.locator("body")).to_contain_text("永吉县第一中学")
    keeps_secrets(page)

    # --- its attachment: listed with its size and SM3 digest, and downloadable by anyone ---
    attachments = page.locator("#attachments")
    expect(attachments).to_contain_text(FILENAME)
    expect(attachments).to_contain_text(f"{len(DOCUMENT):,} 字节")
    expect(attachments).to_contain_text(sm3_hex(DOCUMENT))
    link = attachments.get_by_role("link", name=FILENAME)
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.failure() is None, download.failure()
    assert download.suggested_filename == FILENAME
    data = Path(download.path()).read_bytes()
    assert len(data) == len(DOCUMENT) and data.startswith(b"%PDF-")
    assert sm3_hex(data) == sm3_hex(DOCUMENT), "the download is the file the notice was published with"
    keeps_secrets(page)

    # --- the tender's public page, one click on: still nobody's name ---
    page.locator(".facts").get_by_role("link", name=GP_NAME).click()
    expect(page).to_have_url(f"{live.url}/tenders/{tid}")
    expect(page.locator("#notices")).to_contain_text(GP_NAME)
    keeps_secrets(page)
    page.context.close()
