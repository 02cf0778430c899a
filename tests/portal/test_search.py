"""Chinese full-text search: two-character words (招标, 土地) as well as phrases, ranked, with
highlights and filters; the same results in the same order on SQLite and PostgreSQL (each test
runs on both and asserts the exact order); a notice is findable as soon as it is published."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ggzy.common import outbox
from ggzy.common.crypto import sm3_hex
from ggzy.identity.models import Branch
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
