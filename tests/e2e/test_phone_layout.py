"""On a phone: the public pages, and a bidder's and an operator's pages, in Chromium at two phone
viewports (375×667 and 360×740, twice the pixel density, a touch screen).

What a phone user relies on, checked on every page:

- the viewport meta tag (``width=device-width, initial-scale=1``, zooming not forbidden), so the page
  is laid out at the phone's width instead of a shrunk desktop page;
- no sideways scrolling of the page, and no element wider than the screen, except inside a
  container that scrolls by itself (``overflow-x: auto``, as wide tables do in ``.table-wrap``);
- body text of at least 14 px (fine print, marked ``.small``, ``.hint``, ``.badge`` ..., at least
  12 px), and form fields of at least 16 px, below which a phone zooms the page when a field is
  tapped;
- tap targets (the menu, the header's buttons, buttons, and the links and fields of forms) at
  least 32 px high and 24 px wide, or, if lower, with nothing else to tap within that height;
- the main navigation: every item on screen, the header leaving most of the first screen to the
  page, and a tap on an item opens it.

Each test gathers every problem of every page it opens and fails once, listing them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from ggzy.demo import DEMO_PASSWORD

PHONES = [pytest.param((375, 667), id="375x667"), pytest.param((360, 740), id="360x740")]

BODY_TEXT_PX = 14
FINE_PRINT_PX = 12
FIELD_PX = 16
TAP_HEIGHT_PX = 32
TAP_MIN_PX = 24
HEADER_SHARE = 0.5  # the header and menu take at most half of the first screen

# One pass over the rendered page, in the browser. Returns a list of problems, one line each.
LAYOUT_JS = r"""
({W, BODY, FINE, FIELD, TAP_H, TAP_MIN}) => {
  const out = [];
  const desc = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    for (const c of el.classList) s += '.' + c;
    let t = (el.getAttribute('aria-label') || el.innerText || el.value || el.getAttribute('name') || '');
    t = t.trim().replace(/\s+/g, ' ');
    if (t.length > 24) t = t.slice(0, 24) + '…';
    return t ? `${s}「${t}」` : s;
  };
  const rendered = (el) => {
    if (el.getClientRects().length === 0) return false;
    const cs = getComputedStyle(el);
    return cs.visibility === 'visible' && cs.display !== 'none';
  };
  const px = (n) => Math.round(n * 10) / 10;

  // 1. The page itself does not scroll sideways (measured against the phone's width, not
  //    innerWidth: a mobile browser widens its layout viewport to fit content that overflows).
  const doc = document.documentElement;
  if (window.innerWidth !== W || doc.clientWidth !== W)
    out.push(`layout viewport is ${window.innerWidth}px (clientWidth ${doc.clientWidth}), not the phone's ${W}px`);
  if (doc.scrollWidth > W + 1)
    out.push(`page scrolls sideways: document is ${doc.scrollWidth}px wide on a ${W}px screen`);
  if (document.body.scrollWidth > W + 1)
    out.push(`body is ${document.body.scrollWidth}px wide on a ${W}px screen`);

  // 2. No element wider than the screen unless a scrolling container holds it.
  const offenders = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!rendered(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.left >= -1 && r.right <= W + 1) continue;
    let scroller = null;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === 'auto' || ox === 'scroll') { scroller = a; break; }
    }
    if (scroller) continue;  // e.g. a wide table inside .table-wrap: it scrolls by itself
    if (offenders.some((o) => o.contains(el))) continue;  // report the outermost only
    offenders.push(el);
    out.push(`${desc(el)} spans x=${px(r.left)}…${px(r.right)} on a ${W}px screen, outside any scrolling container`);
  }
  // ... nor text sticking out of its box (a long command in a <pre>, a code without break points).
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || !rendered(el) || el.closest('option, script, style')) continue;
    if (offenders.some((o) => o.contains(el))) continue;
    range.selectNodeContents(n);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0);
    const bad = rects.find((r) => r.left < -1 || r.right > W + 1);
    if (!bad) continue;
    let scrolls = false;
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === 'auto' || ox === 'scroll') { scrolls = true; break; }
    }
    if (scrolls) continue;
    offenders.push(el);
    out.push(`text in ${desc(el)} runs to x=${px(bad.right)} on a ${W}px screen, outside any scrolling container`);
  }

  // 3. Text sizes: body text >= BODY px, fine print >= FINE px, form fields >= FIELD px.
  const FINE_SEL = ['.small', '.hint', 'small', '.badge', '.hash', '.mark', 'sup', 'sub', '.legend',
                    '.visually-hidden', '.site-footer', '.brand-sub', '.userbox'].join(', ');
  const FIELD_SEL = ['input:not([type=hidden]):not([type=checkbox]):not([type=radio])',
                     ':not([type=file]):not([type=submit]):not([type=button])', ', select, textarea'].join('');
  const seen = new Set();
  for (const el of document.body.querySelectorAll('*')) {
    if (!rendered(el)) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const field = el.matches(FIELD_SEL);
    if (!own && !field) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    let need = BODY, what = 'body text';
    if (field) { need = FIELD; what = 'form field (a phone zooms in below 16px)'; }
    else if (el.closest(FINE_SEL)) { need = FINE; what = 'fine print'; }
    if (size + 0.05 < need) {
      const key = `${what}|${el.tagName}|${el.className}|${size}`;
      if (seen.has(key)) continue;  // one line per kind of element
      seen.add(key);
      out.push(`${what} ${desc(el)} is ${px(size)}px (< ${need}px)`);
    }
  }

  // 4. Tap targets: the menu, the header, buttons, and what is in forms.
  const TARGET_SEL = [
    'nav a', '.site-header a', '.site-header button',
    'main button', 'main .btn', 'main input[type=submit]', 'main .buttons a', 'main .actions a',
    'main form a', 'main form input:not([type=hidden])', 'main form select', 'main form textarea',
    'main summary',
  ].join(', ');
  const targetBox = (el) => {
    // A checkbox or radio is tapped through its label.
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      const label = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`));
      if (label) return label.getBoundingClientRect();
    }
    return el.getBoundingClientRect();
  };
  const targets = [...document.querySelectorAll(TARGET_SEL)].filter(rendered)
    .map((el) => ({el, r: targetBox(el)})).filter(({r}) => r.width > 0 && r.height > 0);
  const overlaps = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const tapSeen = new Set();
  for (const t of targets) {
    const {el, r} = t;
    let problem = null;
    if (r.height < TAP_MIN || r.width < TAP_MIN) {
      problem = `is ${px(r.width)}×${px(r.height)}px (< ${TAP_MIN}px)`;
    } else if (r.height < TAP_H) {
      // Lower than TAP_H: fine only if nothing else to tap lies within a TAP_H-high band around it.
      const cy = (r.top + r.bottom) / 2;
      const band = {left: r.left - 4, right: r.right + 4, top: cy - TAP_H / 2, bottom: cy + TAP_H / 2};
      const near = targets.find((o) => o !== t && !o.el.contains(el) && !el.contains(o.el) && overlaps(band, o.r));
      if (near) problem = `is ${px(r.height)}px high (< ${TAP_H}px) and ${desc(near.el)} is right next to it`;
    }
    if (problem) {
      const key = `${el.tagName}|${el.className}|${problem.replace(/「.*?」/g, '')}`;
      if (tapSeen.has(key)) continue;
      tapSeen.add(key);
      out.push(`tap target ${desc(el)} ${problem}`);
    }
  }
  return out;
}
"""

NAV_JS = r"""
(W) => {
  const out = [];
  const nav = document.querySelector('nav[aria-label="主导航"]');
  if (!nav) return ['no main navigation (nav[aria-label=主导航])'];
  const links = [...nav.querySelectorAll('a')];
  if (links.length < 3) out.push(`main navigation has ${links.length} links`);
  for (const a of links) {
    const r = a.getBoundingClientRect();
    const cs = getComputedStyle(a);
    if (r.width === 0 || r.height === 0 || cs.visibility !== 'visible')
      out.push(`menu item 「${a.textContent.trim()}」 is hidden`);
    else if (r.left < -1 || r.right > W + 1)
      out.push(`menu item 「${a.textContent.trim()}」 is off screen (x=${Math.round(r.left)}…${Math.round(r.right)})`);
  }
  const header = document.querySelector('.site-header') || nav;
  return [out, header.getBoundingClientRect().height];
}
"""


def phone_context(browser: Browser, size: tuple[int, int]) -> BrowserContext:
    width, height = size
    return browser.new_context(
        viewport={"width": width, "height": height},
        screen={"width": width, "height": height},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )


class Phone:
    """One phone; collects the problems of every page it opens."""

    def __init__(self, page: Page, size: tuple[int, int], base: str) -> None:
        self.page, self.width, self.height, self.base = page, size[0], size[1], base
        self.problems: list[str] = []
        self.checked: list[str] = []

    def open(self, path: str, status: int = 200) -> None:
        response = self.page.goto(f"{self.base}{path}")
        assert response is not None and response.status == status, f"{path}: HTTP {response and response.status}"
        self.check(path)

    def check(self, label: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        self.checked.append(label)
        found: list[str] = []

        metas = page.locator('meta[name="viewport"]')
        if metas.count() != 1:
            found.append(f"{metas.count()} viewport meta tags (want one)")
        else:
            content = (metas.get_attribute("content") or "").replace(" ", "").lower()
            if "width=device-width" not in content or "initial-scale=1" not in content:
                found.append(f"viewport meta is {content!r}, not width=device-width, initial-scale=1")
            if "user-scalable=no" in content or "user-scalable=0" in content or "maximum-scale=1" in content:
                found.append(f"viewport meta forbids zooming: {content!r}")

        found += page.evaluate(
            LAYOUT_JS,
            {
                "W": self.width,
                "BODY": BODY_TEXT_PX,
                "FINE": FINE_PRINT_PX,
                "FIELD": FIELD_PX,
                "TAP_H": TAP_HEIGHT_PX,
                "TAP_MIN": TAP_MIN_PX,
            },
        )
        nav = page.evaluate(NAV_JS, self.width)
        if isinstance(nav, list) and len(nav) == 2 and isinstance(nav[0], list):
            nav_problems, header_height = nav
            found += nav_problems
            if header_height > self.height * HEADER_SHARE:
                found.append(
                    f"header and menu are {round(header_height)}px high, more than half of a {self.height}px screen"
                )
        else:
            found += nav
        self.problems += [f"{label} @{self.width}px: {p}" for p in found]

    def links(self, pattern: str) -> list[str]:
        """The distinct hrefs on the current page matching ``pattern`` (a regex on the path)."""
        hrefs = self.page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))")
        out: list[str] = []
        for h in hrefs:
            if re.fullmatch(pattern, h) and h not in out:
                out.append(h)
        return out

    def tap_menu(self, name: str, path: str) -> None:
        """The menu works by touch: tapping an item opens its page."""
        item = self.page.get_by_role("navigation", name="主导航").get_by_role("link", name=name, exact=True)
        expect(item).to_be_visible()
        item.tap()
        expect(self.page).to_have_url(re.compile(re.escape(f"{self.base}{path}") + r"(\?.*)?$"))

    def login(self, username: str) -> None:
        self.open("/login")
        self.page.locator("#username").fill(username)
        self.page.locator("#password").fill(DEMO_PASSWORD)
        self.page.get_by_role("button", name="登录").tap()
        expect(self.page).to_have_url(f"{self.base}/workbench")

    def assert_fine(self) -> None:
        assert self.checked, "no page was checked"
        if self.problems:
            head = f"{len(self.problems)} phone layout problems on {len(self.checked)} pages:"
            pytest.fail("\n".join([head, *self.problems]), pytrace=False)


@pytest.fixture(params=PHONES)
def phone(request: pytest.FixtureRequest, browser: Browser, live_server: str) -> Iterator[Phone]:
    size: tuple[int, int] = request.param
    context = phone_context(browser, size)
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())
    yield Phone(page, size, live_server)
    context.close()


def test_public_pages_fit_a_phone(phone: Phone) -> None:
    phone.open("/")
    phone.tap_menu("交易公告", "/notices")
    phone.check("/notices (tapped from the menu)")

    # The notices and their filters: a filter chosen and applied by touch, then filtered listings.
    page = phone.page
    filters = page.locator("#notice-filters")
    expect(filters).to_be_visible()
    page.locator("#kind").select_option("tender")
    page.locator("#notice-filters button[data-action=filter]").tap()
    expect(page).to_have_url(re.compile(r"/notices\?.*kind=tender"))
    phone.check("/notices?kind=tender (filtered by touch)")
    phone.open("/notices?kind=opening&type=construction&region=220200&since=2026-01-01&until=2027-12-31")
    phone.open("/notices?region=220221")

    # One notice of each kind the demo has published, and the tender pages they belong to.
    phone.open("/notices")
    notices = phone.links(r"/notices/\d+")
    assert notices, "the demo has published notices"
    kinds: set[str] = set()
    tenders: list[str] = []
    for href in notices:
        response = phone.page.goto(f"{phone.base}{href}")
        assert response is not None and response.status == 200, href
        kind = phone.page.locator(".page-head .badge").first.get_attribute("class") or ""
        if kind in kinds:
            continue
        kinds.add(kind)
        phone.check(href)
        tenders += [t for t in phone.links(r"/tenders/\d+") if t not in tenders]
    for href in tenders[:3]:
        phone.open(href)

    phone.open("/search")
    phone.open("/search?q=%E6%8B%9B%E6%A0%87")  # 招标
    assert phone.page.locator("#results li.card").count() > 0, "searching 招标 finds notices"
    phone.open("/search?q=%E6%8B%9B%E6%A0%87&region=220200&stage=tender")
    phone.open("/entered")
    phone.open("/entered?trading_type=construction")
    phone.open("/chain")
    phone.open("/catalogue")
    phone.open("/calendar")
    phone.open("/organizations")
    phone.open("/disclosure")
    phone.open("/verify")
    phone.open("/verify/NOSUCHCODE0000", status=404)  # what a mistyped code shows
    phone.open("/login")
    phone.open("/signup")
    phone.assert_fine()


def signed_in_menu(phone: Phone) -> list[str]:
    """The signed-in part of the menu (工作台 onwards), every page of which is checked."""
    hrefs: list[str] = phone.page.eval_on_selector_all(
        'nav[aria-label="主导航"] a[href]', "els => els.map(e => e.getAttribute('href'))"
    )
    assert "/workbench" in hrefs, hrefs
    return hrefs[hrefs.index("/workbench") + 1 :]


def test_bidder_pages_fit_a_phone(phone: Phone) -> None:
    phone.login("bidder")
    phone.check("/workbench (bidder)")
    openings = phone.links(r"/sections/\d+/opening")
    menu = signed_in_menu(phone)
    phone.tap_menu("招标项目", "/tenders")
    phone.check("/tenders (bidder)")
    tenders = phone.links(r"/tenders/\d+")
    assert tenders, "the bidder sees tenders"
    bids: list[str] = []
    for href in tenders[:4]:
        phone.open(href)
        bids += [s for s in phone.links(r"/sections/\d+/bid") if s not in bids]
    assert bids, "the bidder can bid on a section"
    for href in bids[:2] + openings[:2]:
        phone.open(href)
    for path in menu:
        if path != "/tenders":
            phone.open(path)
    phone.assert_fine()


def test_operator_pages_fit_a_phone(phone: Phone) -> None:
    phone.login("operator")
    phone.check("/workbench (operator)")
    menu = signed_in_menu(phone)
    phone.tap_menu("招标项目", "/tenders")
    phone.check("/tenders (operator)")
    tenders = phone.links(r"/tenders/\d+")
    assert tenders, "the operator sees tenders"
    for href in tenders[:3]:
        phone.open(href)
    phone.open("/projects")
    projects = phone.links(r"/projects/\d+")
    assert projects, "the operator sees projects"
    for href in projects[:2]:
        phone.open(href)
    for path in menu:
        if path not in ("/tenders", "/projects"):
            phone.open(path)
    # The evaluation sites: register one with the form, by touch, then open its sign-in screen
    # (the big code an expert reads off it).
    phone.open("/sites")
    form = phone.page.locator("form[action='/sites']")
    form.locator("[name=branch_code]").fill("220200")
    form.locator("[name=code]").fill("PHONE-1")
    form.locator("[name=name]").fill("手机测试评标室")
    form.locator("[name=seats]").fill("9")
    form.get_by_role("button", name="登记").tap()
    expect(phone.page.locator("#sites")).to_contain_text("手机测试评标室")
    phone.check("/sites (after registering a site)")
    screens = phone.links(r"/sites/\d+/screen")
    assert screens, "the new site has a screen"
    phone.open(screens[-1])
    phone.assert_fine()
