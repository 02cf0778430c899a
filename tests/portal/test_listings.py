"""The portal's listings: notices by stage, trading type, region and date, in pages, each listing
also as an Atom feed; a notice's public attachments download for anyone, tender documents proper
do not (bidders obtain them, and who did stays secret)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote
from xml.etree import ElementTree

from fastapi.testclient import TestClient

from ggzy.common.crypto import sm3_hex
from ggzy.demo_tendering import tender_pdf
from tests.tendering.helpers import accepted_project_id, tender_body

ATOM = "{http://www.w3.org/2005/Atom}"


def _upload(client, tid: int, name: str, body: bytes, public: bool):
    headers = {"x-filename": quote(name), "content-type": "application/octet-stream"}
    if public:
        headers["x-public"] = "1"
    r = client.post(f"/api/v1/tenders/{tid}/documents", content=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_attachments_public_and_tender_documents_obtained(app, client_for, clock):
    owner, centre = client_for("tenderer"), client_for("operator")
    start = clock.now() + timedelta(days=1)
    t = owner.post("/api/v1/tenders", json=tender_body(accepted_project_id(owner), start)).json()
    notice_pdf, docs_pdf = tender_pdf("notice attachment"), tender_pdf("tender documents")
    att = _upload(owner, t["id"], "招标公告附件.pdf", notice_pdf, public=True)
    doc = _upload(owner, t["id"], "招标文件.pdf", docs_pdf, public=False)
    assert owner.post(f"/api/v1/tenders/{t['id']}/submit").status_code == 200
    clock.set(start - timedelta(hours=1))
    assert centre.post(f"/api/v1/tenders/{t['id']}/publish").status_code == 200
    notice = next(n for n in owner.get(f"/api/v1/tenders/{t['id']}/notices").json() if n["kind"] == "tender")

    anonymous = TestClient(app, base_url="https://testserver")
    page = anonymous.get(f"/notices/{notice['id']}")
    assert page.status_code == 200 and "招标公告附件.pdf" in page.text and "招标文件.pdf" in page.text
    r = anonymous.get(f"/notices/{notice['id']}/attachments/{att['id']}")
    assert r.status_code == 200 and r.content == notice_pdf and r.headers["x-sm3-digest"] == sm3_hex(notice_pdf)
    # The tender documents are not a public download, neither here nor through the API.
    assert anonymous.get(f"/notices/{notice['id']}/attachments/{doc['id']}").status_code == 404
    assert anonymous.get(f"/api/v1/tenders/{t['id']}/documents/{doc['id']}").status_code in (401, 403, 404)
    # An attachment of another notice is not served under this one.
    assert anonymous.get(f"/notices/{notice['id'] + 1000}/attachments/{att['id']}").status_code == 404


def test_listings_filter_page_and_feed(app, client_for, clock):
    anonymous = TestClient(app, base_url="https://testserver")
    r = anonymous.get("/notices", params={"type": "construction", "kind": "tender"})
    assert r.status_code == 200
    feed = anonymous.get("/notices.atom", params={"type": "construction"})
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(feed.content)
    entries = root.findall(f"{ATOM}entry")
    assert entries, "the demo has construction notices"
    for e in entries:
        link = e.find(f"{ATOM}link").get("href")
        nid = int(link.rsplit("/", 1)[1])
        detail = anonymous.get(f"/notices/{nid}")
        assert detail.status_code == 200
    # A region with no notices gives an empty, still valid feed; unknown filters are ignored.
    empty = ElementTree.fromstring(anonymous.get("/notices.atom", params={"region": "999999"}).content)
    assert empty.findall(f"{ATOM}entry") == []
    assert anonymous.get("/notices", params={"type": "nonsense", "since": "not-a-date"}).status_code == 200
    # A date range: nothing before the platform existed.
    r = anonymous.get("/notices", params={"until": "2000-01-01"})
    assert "暂无公告" in r.text
