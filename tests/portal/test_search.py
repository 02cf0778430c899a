"""Chinese full-text search: two-character words (招标, 土地) as well as phrases, ranked, with
highlights and filters; the same results in the same order on SQLite and PostgreSQL (each test
runs on both and asserts the exact order); a notice is findable as soon as it is published."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ggzy.common import outbox
from ggzy.common.crypto import sm3_hex
from ggzy.identity.models import Branch
from ggzy.portal import search
from ggzy.registration.models import Project
from ggzy.tendering.models import Notice, Tender
from tests.bidding.helpers import published_tender

CORPUS = [
    # (title, body, days ago)
    ("国有土地使用权挂牌出让公告", "本次挂牌出让国有土地一幅，土地用途为住宅，土地出让年限七十年。", 1),
    ("堤防加固工程施工招标公告", "松花江堤防加固工程施工，招标人为城投集团，欢迎投标。", 2),
    ("实验室设备采购中标结果公告", "经评审，确定中标供应商，中标金额见附件。", 3),
    ("道路养护服务招标公告", "道路养护服务项目招标，服务期一年。", 4),
    ("复垦工程招标公告", "土地复垦与堤防修复工程，招标文件可在平台获取。", 5),
]


def _seed(db, region_of) -> dict[str, int]:
    """Five notices under existing tenders (each published through the outbox like real ones)."""
    ids = {}
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    with db.transaction() as s:
        tenders = list(s.scalars(select(Tender).order_by(Tender.id)))
        assert len(tenders) >= 2
        for i, (title, body, days) in enumerate(CORPUS):
            t = tenders[i % 2]
            n = Notice(
                tender_id=t.id, kind="tender" if "中标" not in title else "result", version=100 + i,
                title=title, body=body, facts={}, published_at=now - timedelta(days=days), digest=sm3_hex(title),
            )  # fmt: skip
            s.add(n)
            s.flush()
            outbox.emit(s, now=now, kind="notice.published", object_type="notice", object_id=n.id, data={})
            ids[title] = n.id
            region_of[title] = s.get(Branch, t.branch_id).code if t.branch_id else ""
    return ids


def _titles(r) -> list[str]:
    assert r.status_code == 200, r.text
    return [h["title_html"].replace("<mark>", "").replace("</mark>", "") for h in r.json()["items"]]


def test_two_character_words_phrases_ranking_and_highlights(client_for, db):
    regions: dict[str, str] = {}
    _seed(db, regions)
    public = client_for("bidder")
    mine = {title for title, _, _ in CORPUS}

    r = public.get("/api/v1/search", params={"q": "土地", "limit": 100})
    found = [t for t in _titles(r) if t in mine]
    # Both 土地 notices: the one with 土地 in its title ranks above the one with it only in its body.
    assert found == ["国有土地使用权挂牌出让公告", "复垦工程招标公告"]
    hit = r.json()["items"][0]
    assert "<mark>土地</mark>" in hit["title_html"] and "<mark>土地</mark>" in hit["snippet_html"]

    r = public.get("/api/v1/search", params={"q": "堤防加固", "limit": 100})
    assert [t for t in _titles(r) if t in mine] == ["堤防加固工程施工招标公告"], "both words must occur"

    r = public.get("/api/v1/search", params={"q": "招标", "limit": 100})
    # Each has 招标 once in its title and once in its body: the shorter notice ranks higher (BM25's
    # length normalisation), and the same order must come back from either database.
    assert [t for t in _titles(r) if t in mine] == [
        "复垦工程招标公告",
        "道路养护服务招标公告",
        "堤防加固工程施工招标公告",
    ]
    r = public.get("/api/v1/search", params={"q": "中标", "stage": "result", "limit": 100})
    assert "实验室设备采购中标结果公告" in _titles(r) and all(h["stage"] == "result" for h in r.json()["items"])

    # Filters: a region keeps only its notices.
    region = regions["复垦工程招标公告"]
    r = public.get("/api/v1/search", params={"q": "土地", "region": region, "limit": 100})
    assert all(h["region"] == region for h in r.json()["items"])
    assert "复垦工程招标公告" in _titles(r)

    # Bad input: a single character or an over-long query is a clear 4xx.
    r = public.get("/api/v1/search", params={"q": "地"})
    assert r.status_code == 422 and r.json()["code"] == "query_too_short"
    assert public.get("/api/v1/search", params={"q": "x" * 101}).status_code == 422


def test_a_notice_is_found_as_soon_as_it_is_published(client_for, clock):
    world = published_tender(client_for, clock)
    r = client_for("bidder").get("/api/v1/search", params={"q": "堤防", "limit": 100})
    assert world.tender["id"] in {h["tender_id"] for h in r.json()["items"]}


def test_the_search_page_marks_the_words_and_escapes_the_rest(client_for, db):
    _seed(db, {})
    page = client_for("bidder").get("/search", params={"q": "土地"})
    assert page.status_code == 200
    assert "<mark>土地</mark>" in page.text and "共 " in page.text


# (title, body, tender: 0 the city's construction / 1 the county's procurement, kind, minutes ago).
# b and c have the same words and the same moment (a tie on score and on date); so do d and e on
# date alone. Doc ids follow this order (the index follows the change feed).
IRRIGATION = [
    ("灌区续建配套工程招标公告", "灌区续建配套工程施工，灌区范围见附件。", 0, "tender", 10),  # a
    ("灌区节水改造采购公告", "灌区节水改造设备采购。", 1, "tender", 20),  # b
    ("灌区节水改造采购公告", "灌区节水改造设备采购。", 0, "result", 20),  # c
    ("灌区渠道衬砌中标结果公告", "灌区渠道衬砌工程中标结果。", 1, "result", 30),  # d
    ("灌区泵站更新招标公告", "灌区泵站更新改造。", 0, "tender", 30),  # e
    ("灌区管护服务采购公告", "灌区管护服务，服务期三年。", 1, "tender", 50),  # f
]
NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


def _seed_irrigation(db) -> tuple[dict[str, int], dict[str, str]]:
    """The six 灌区 notices; returns notice ids by letter and the two tenders' regions and types."""
    ids: dict[str, int] = {}
    with db.transaction() as s:
        tenders = list(s.scalars(select(Tender).order_by(Tender.id)))[:2]
        for letter, (title, body, k, kind, minutes) in zip("abcdef", IRRIGATION, strict=True):
            n = Notice(
                tender_id=tenders[k].id, kind=kind, version=200 + len(ids), title=title, body=body, facts={},
                published_at=NOW - timedelta(minutes=minutes), digest=sm3_hex(letter + title),
            )  # fmt: skip
            s.add(n)
            s.flush()
            outbox.emit(s, now=NOW, kind="notice.published", object_type="notice", object_id=n.id, data={})
            ids[letter] = n.id
        regions = [s.get(Branch, t.branch_id).code for t in tenders]
        types = [s.get(Project, t.project_id).trading_type for t in tenders]
    assert regions[0] != regions[1] and types[0] != types[1], (regions, types)
    search.catch_up_all(db)
    return ids, {"city": regions[0], "county": regions[1], "city_type": types[0], "county_type": types[1]}


def _run(db, f=None, **kw) -> search.Found:
    with db.session(write=False) as s:
        return search.search(s, "灌区", f or search.Filters(), **kw)


def test_the_candidates_are_the_most_recent_matches_after_the_filters(db, monkeypatch):
    ids, at = _seed_irrigation(db)
    letter = {v: k for k, v in ids.items()}

    full = _run(db, limit=100)
    assert (full.total, full.capped) == (6, False)
    ranking = "".join(letter[h.notice_id] for h in full.hits)
    assert sorted(ranking) == list("abcdef")
    # b and c score the same and were published at the same moment: the higher id (c) first.
    assert ranking.index("c") + 1 == ranking.index("b"), ranking
    assert full.hits[ranking.index("c")].score == full.hits[ranking.index("b")].score

    # Two candidates: the two newest matches of each query, ranked as in the full ranking, and the
    # total still exact (counted on past them, including b, published with c but a lower id).
    monkeypatch.setattr(search, "CANDIDATES", 2)
    cases = [
        (search.Filters(), "ac", 6),
        (search.Filters(region=at["county"]), "bd", 3),
        (search.Filters(stage="tender"), "ab", 4),
        (search.Filters(trading_type=at["city_type"]), "ac", 3),
        (search.Filters(trading_type=at["county_type"], stage="result"), "d", 1),
        (search.Filters(until=NOW - timedelta(minutes=25)), "de", 3),
        (search.Filters(since=NOW - timedelta(minutes=40), until=NOW - timedelta(minutes=25)), "de", 2),
        (search.Filters(region=at["city"], since=NOW - timedelta(minutes=15)), "a", 1),
        (search.Filters(region=at["county"], stage="clarification"), "", 0),
    ]
    for f, newest, total in cases:
        got = _run(db, f)
        assert (got.total, got.capped) == (total, False), f
        assert [letter[h.notice_id] for h in got.hits] == [x for x in ranking if x in newest], f

    # Paging stays inside the candidates.
    assert [letter[h.notice_id] for h in _run(db, offset=1, limit=5).hits] == [x for x in ranking if x in "ac"][1:]


def test_a_total_beyond_the_cap_is_flagged(client_for, db, monkeypatch):
    ids, _ = _seed_irrigation(db)
    public = client_for("bidder")
    r = public.get("/api/v1/search", params={"q": "灌区"})
    assert r.status_code == 200 and (r.json()["total"], r.json()["total_capped"]) == (6, False)
    items = r.json()["items"]
    assert "共 6 条结果" in public.get("/search", params={"q": "灌区"}).text

    for cap, candidates in ((5, 2000), (1, 2), (2, 2), (3, 2)):
        monkeypatch.setattr(search, "CAP", cap)
        monkeypatch.setattr(search, "CANDIDATES", candidates)
        r = public.get("/api/v1/search", params={"q": "灌区"})
        assert (r.json()["total"], r.json()["total_capped"]) == (cap, True), (cap, candidates)
        if candidates > len(ids):
            assert r.json()["items"] == items  # the cap limits the count, not what is ranked
        page = public.get("/search", params={"q": "灌区"}).text
        assert f"共 {cap}+ 条结果" in page
    # Only the ranked candidates are paged: no link to a page past them.
    assert "按相关度排列其中最近发布的 2 条" in page and 'data-action="next-page"' not in page

    monkeypatch.setattr(search, "CAP", 6)
    r = public.get("/api/v1/search", params={"q": "灌区", "region": "220221"})
    assert (r.json()["total"], r.json()["total_capped"]) == (3, False)
    r = public.get("/api/v1/search", params={"q": "灌区"})
    assert (r.json()["total"], r.json()["total_capped"]) == (6, False)
