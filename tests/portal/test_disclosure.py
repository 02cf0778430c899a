"""The information disclosure catalogue: every entry names its rule, and counts what is public."""

from __future__ import annotations

from ggzy.portal.disclosure import CATALOGUE


def test_the_catalogue_lists_each_item_with_its_basis_and_live_counts(anon, db):
    from sqlalchemy import func, select

    from ggzy.tendering.models import Notice

    page = anon.get("/disclosure")
    assert page.status_code == 200
    for e in CATALOGUE:
        assert e.item in page.text and e.basis in page.text
    assert "国办发〔2017〕97号" in page.text
    # What the platform does not run yet is said, not hidden.
    assert page.text.count("本平台尚未开展") == sum(1 for e in CATALOGUE if not e.link)
    with db.session(write=False) as s:
        n = s.scalar(select(func.count()).select_from(Notice).where(Notice.kind == "tender"))
    assert n and f'<td class="num">{n}</td>' in page.text
    # Every link the catalogue gives opens.
    for e in CATALOGUE:
        if e.link:
            assert anon.get(e.link).status_code == 200, e.link
