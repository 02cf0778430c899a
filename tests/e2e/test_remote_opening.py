"""In Chromium: a remote opening (不见面开标) with three bidders, one of whom fails to decrypt.

Sealing happens on each bidder's own machine, so the tender, the keys and the sealed bids are set
up through the API (httpx against the live server, as the bidder's tool would). From the deadline
on, everything happens in browsers: the operator hosts the opening room; two bidders paste their
content keys and decrypt; the third pastes a wrong key, sees the error, and does nothing more; the
operator's room updates live; when the decryption window is over the third bid is deemed revoked
(电子招标投标办法第三十一条); a bidder confirms, another objects, the tenderer answers, the
operator publishes the record; the public reads it, with every bid's digest, in the opening notice.

The server's clock is a ``FixedClock`` this file keeps, so the test moves time and applies the
deadlines itself (``run_due``), as the chronograph would."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from ggzy import bidder_tool as tool
from ggzy.common.chronograph import run_due
from ggzy.common.clock import FixedClock
from ggzy.dated_events import HANDLERS
from ggzy.db import Database
from ggzy.demo import DEMO_PASSWORD
from tests.bidding.helpers import bidder, obtain_and_bid, published_tender
from tests.e2e.conftest import movable_world, serving
from tests.e2e.test_registration_flow import login

USERS = ("bidder", "bidder2", "bidder3")
PRICES = ("19800000.00", "19650000.50", "20010000.00")
SHOWN = ("19,800,000.00 元", "19,650,000.50 元")  # as the record table shows the two decrypted prices
REVOKED = "解密失败，视为撤销"
OBJECTION = "第三家投标文件未解密，是否因平台故障？请当场说明。"
ANSWER = "经核查平台运行正常，系该投标人提交的内容密钥有误且未在时限内重新提交。"
LIVE = 10_000  # ms: the room polls every 3 s and reloads on a change
SHOTS = os.environ.get("GGZY_E2E_SCREENSHOTS", "")  # a directory: keep pictures of the room and the notice


@dataclass
class Room:
    """The live server, with the clock, database and data directory the test controls."""

    url: str
    db: Database
    clock: FixedClock
    tmp_path: Path
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def run_due(self) -> int:
        return run_due(self.db, now=self.clock.now(), handlers=HANDLERS)

    def api(self, username: str) -> httpx.Client:
        """A signed-in API client for a demo user (cookie session plus its CSRF header)."""
        if username not in self.clients:
            c = httpx.Client(base_url=self.url, timeout=60)
            r = c.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
            assert r.status_code == 200, r.text
            # The session cookie is Secure and httpx (unlike Chromium) won't send it to plain-HTTP
            # 127.0.0.1, so carry it by hand.
            cookie = "; ".join(f"{k}={v}" for k, v in r.cookies.items())
            assert cookie, "login set no session cookie"
            c.cookies.clear()
            c.headers.update({"cookie": cookie, "x-csrf-token": r.json()["csrf_token"]})
            self.clients[username] = c
        return self.clients[username]

    @property
    def client_for(self) -> Callable[[str], httpx.Client]:
        return self.api


@pytest.fixture
def room(sqlite_templates: dict[str, Path], tmp_path: Path) -> Iterator[Room]:
    """Like ``live_server``, but the test holds the database, the data directory and a clock it can move."""
    db, clock, app = movable_world(sqlite_templates, tmp_path, "e2e-opening.db")
    with serving(app) as url:
        r = Room(url, db, clock, tmp_path)
        yield r
        for c in r.clients.values():
            c.close()
    db.dispose()


def row(page: Page, seq: int) -> Locator:
    return page.locator(f"#record tbody tr[data-seq='{seq}']")


def price(page: Page, seq: int) -> Locator:
    return row(page, seq).locator("td").nth(2)


def outcome(page: Page, seq: int) -> Locator:
    return row(page, seq).locator("td.outcome")


def flash(page: Page) -> Locator:
    return page.locator(".notice[role=status]")


def test_three_bidders_one_fails_to_decrypt(browser: Browser, room: Room) -> None:
    # --- before the deadline, on the bidders' own machines: keys, sealed bids, receipts ---
    world = published_tender(room.client_for, room.clock)
    tid, sid = world.tender["id"], world.sections[0]
    bidders = [bidder(room.client_for, u, room.tmp_path) for u in USERS]
    receipts = [obtain_and_bid(b, world, room.tmp_path, price=p) for b, p in zip(bidders, PRICES, strict=True)]
    assert [r["status"] for r in receipts] == ["accepted"] * 3
    seqs = [int(r["receipt"]["seq"]) for r in receipts]
    digests = [str(r["receipt"]["digest"]) for r in receipts]
    assert len(set(seqs)) == 3 and len(set(digests)) == 3
    names = []
    for b in bidders:
        me = b.client.get("/api/v1/me").json()
        names.append(b.client.get(f"/api/v1/organizations/{me['organization_id']}").json()["name"])
    # What `ggzy bidder decrypt-key` prints on each bidder's machine; the third bidder mistypes its own.
    keys = [tool.content_key(b.key, b.sealed[sid].path) for b in bidders]
    wrong = keys[2][:-1] + ("0" if keys[2][-1] != "0" else "1")
    assert wrong != keys[2]
    url = f"{room.url}/sections/{sid}/opening"

    # The host looks into the room before the deadline: nothing to open yet.
    host = login(browser, room.url, "operator")
    host.goto(url)
    expect(host.locator("#not-started")).to_contain_text("开标尚未开始")
    expect(host.locator("#opening-room")).to_have_count(0)

    # --- the deadline: bidding closes and the opening starts ---
    room.clock.set(world.deadline)
    assert room.run_due() >= 1
    host.reload()
    expect(host.locator("#room-status")).to_have_text("解密中")
    expect(host.locator("#record tbody tr")).to_have_count(3)
    for seq in seqs:
        expect(price(host, seq)).to_have_text("—")
        expect(outcome(host, seq)).to_have_text("待解密")
    expect(host.locator("#seconds-left")).to_be_visible()  # the window counts down
    expect(host.locator("button[data-action=decrypt]")).to_have_count(0)  # the host holds no keys
    expect(host.locator("button[data-action=close]")).to_have_count(0)  # nothing decrypted yet

    # Each bidder signs in (its own browser context) and enters the room.
    pages = [login(browser, room.url, u) for u in USERS]
    for page, seq in zip(pages, seqs, strict=True):
        page.goto(url)
        expect(page.locator("#room-status")).to_have_text("解密中")
        expect(page.locator("#my-outcome")).to_have_text("待解密")
        expect(page.locator("dd", has=page.locator("#my-outcome"))).to_contain_text(f"回执号 {seq}")
        expect(page.locator("#decrypt-form")).to_be_visible()

    # Two bidders decrypt in turn; each waits until its room shows the previous one's result (live).
    for i in (0, 1):
        page = pages[i]
        for j in range(i):
            expect(outcome(page, seqs[j])).to_contain_text("解密成功", timeout=LIVE)
        page.get_by_label("内容密钥").fill(keys[i])
        page.locator("button[data-action=decrypt]").click()
        expect(flash(page)).to_have_text("解密成功")
        expect(page.locator("#my-outcome")).to_have_text("解密成功")
        expect(page.locator("#decrypt-form")).to_have_count(0)
        # Prices are announced only when decryption is over (电子招标投标办法第三十条).
        expect(price(page, seqs[i])).to_have_text("—")

    # The third pastes a wrong key: a Chinese error, nothing decrypted, and it may still retry.
    third = pages[2]
    for j in (0, 1):
        expect(outcome(third, seqs[j])).to_contain_text("解密成功", timeout=LIVE)
    third.get_by_label("内容密钥").fill(wrong)
    third.locator("button[data-action=decrypt]").click()
    expect(flash(third)).to_contain_text("解密失败：内容密钥错误或密文已损坏")
    expect(flash(third)).to_contain_text("可在解密时限内重试")
    expect(third.locator("#my-outcome")).to_have_text("待解密")
    expect(third.locator("#decrypt-form")).to_be_visible()
    expect(price(third, seqs[2])).to_have_text("—")

    # The host's room (open all along) shows the decryptions as they come in, but no price or
    # name until decryption is over (电子招标投标办法第三十条).
    expect(outcome(host, seqs[0])).to_have_text("解密成功", timeout=LIVE)
    expect(outcome(host, seqs[1])).to_have_text("解密成功", timeout=LIVE)
    for seq in seqs:
        expect(price(host, seq)).to_have_text("—")
    expect(host.locator("#record")).not_to_contain_text("松原")
    expect(outcome(host, seqs[2])).to_have_text("待解密")
    expect(host.locator("#room-status")).to_have_text("解密中")
    expect(host.locator("button[data-action=close]")).to_have_count(0)  # one bid is still pending

    # --- the decryption window (30 minutes) runs out ---
    room.clock.advance(timedelta(minutes=31))
    assert room.run_due() == 1
    host.reload()
    expect(host.locator("#room-status")).to_have_text("开标记录确认中")
    expect(row(host, seqs[2])).to_have_attribute("data-outcome", "revoked")
    expect(outcome(host, seqs[2])).to_contain_text(REVOKED)
    expect(outcome(host, seqs[2])).to_contain_text("投标人未在解密时限内完成解密")
    expect(price(host, seqs[2])).to_have_text("—")
    expect(price(host, seqs[0])).to_have_text(SHOWN[0])
    expect(price(host, seqs[1])).to_have_text(SHOWN[1])
    expect(host.locator("button[data-action=publish]")).to_be_visible()
    expect(host.locator("button[data-action=classify]")).to_have_count(0)  # nothing left to classify
    # The third bidder's room, untouched since its failed attempt, tells it so.
    expect(third.locator("#my-outcome")).to_have_text(REVOKED, timeout=LIVE)
    expect(third.locator("#decrypt-form")).to_have_count(0)

    # The first bidder confirms the record.
    first, objector = pages[0], pages[1]
    expect(first.locator("#room-status")).to_have_text("开标记录确认中", timeout=LIVE)
    first.locator("button[data-action=confirm]").click()
    expect(flash(first)).to_have_text("已确认开标记录")
    expect(first.locator("#responses")).to_contain_text(f"{names[0]} 已确认开标记录")
    expect(first.locator("button[data-action=confirm]")).to_have_count(0)

    # The second bidder objects, once its room shows the confirmation (so no live reload is pending).
    expect(objector.locator("#responses")).to_contain_text("已确认开标记录", timeout=LIVE)
    objector.get_by_label("对开标提出异议").fill(OBJECTION)
    objector.locator("button[data-action=object]").click()
    expect(flash(objector)).to_have_text("已提出异议，待招标人答复")
    objection = objector.locator("#responses li[data-kind=objection]")
    expect(objection).to_contain_text(f"{names[1]} 提出异议：{OBJECTION}")
    expect(objection).to_contain_text("待答复")

    # The tenderer, in its own room, answers on the spot.
    owner = login(browser, room.url, "tenderer")
    owner.goto(url)
    expect(owner.locator("#room-status")).to_have_text("开标记录确认中")
    expect(owner.locator("#responses")).to_contain_text(OBJECTION)
    expect(owner.locator("button[data-action=publish]")).to_have_count(0)  # only the centre publishes
    owner.get_by_label("答复", exact=True).fill(ANSWER)
    owner.locator("button[data-action=answer]").click()
    expect(flash(owner)).to_have_text("已答复异议")
    expect(owner.locator("#responses li[data-kind=objection]")).to_contain_text(f"答复：{ANSWER}")
    expect(owner.locator("button[data-action=answer]")).to_have_count(0)

    # The host's room shows the objection and its answer, then the host publishes the record.
    expect(host.locator("#responses")).to_contain_text(f"答复：{ANSWER}", timeout=LIVE)
    expect(host.locator("#responses")).to_contain_text(f"{names[0]} 已确认开标记录")
    # login() registered page.on("dialog", lambda d: d.accept()): the form's data-confirm is accepted.
    host.locator("button[data-action=publish]").click()
    expect(flash(host)).to_have_text("开标记录已公布")
    expect(host.locator("#room-status")).to_have_text("开标记录已公布")
    if SHOTS:
        host.screenshot(path=str(Path(SHOTS) / "opening-room.png"), full_page=True)
    expect(host.locator("dd.digest")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    expect(host.locator("#actions")).to_have_count(0)
    # The objector's room follows.
    expect(objector.locator("#room-status")).to_have_text("开标记录已公布", timeout=LIVE)
    expect(objector.locator("#objection-body")).to_have_count(0)

    # --- anyone reads the published opening record ---
    public = browser.new_context(locale="zh-CN").new_page()
    notices = public.request.get(f"{room.url}/api/v1/tenders/{tid}/notices")
    assert notices.ok, notices.text()
    opening = [n for n in notices.json() if n["kind"] == "opening"]
    assert len(opening) == 1, notices.json()
    public.goto(f"{room.url}/notices/{opening[0]['id']}")
    expect(public.locator("h1")).to_contain_text("（开标记录）")
    expect(public.locator("#record tbody tr")).to_have_count(3)
    for i in (0, 1):
        expect(row(public, seqs[i]).locator("td.name")).to_have_text(names[i])
        expect(price(public, seqs[i])).to_have_text(SHOWN[i])
        expect(outcome(public, seqs[i])).to_have_text("解密成功")
    expect(row(public, seqs[2]).locator("td.name")).to_have_text(names[2])
    expect(price(public, seqs[2])).to_have_text("—")
    expect(outcome(public, seqs[2])).to_contain_text(REVOKED)
    digest_rows = public.locator("#digests tbody tr")
    expect(digest_rows).to_have_count(3)
    for seq, digest in zip(seqs, digests, strict=True):
        expect(public.locator("#digests tbody tr", has_text=digest).locator("td").first).to_have_text(str(seq))
    expect(public.locator("#digests")).not_to_contain_text(keys[0])  # no content key is published
    if SHOTS:
        public.screenshot(path=str(Path(SHOTS) / "opening-notice.png"), full_page=True)
    for p in (host, owner, public, *pages):  # stop the rooms' polling before the server goes away
        p.context.close()
