"""Tender documents: raw-body upload, SM3 digest, download after obtaining, and refusals that store nothing."""

from __future__ import annotations

import asyncio
import concurrent.futures
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from ggzy.common.crypto import sm3_hex
from tests.tendering.helpers import accepted_project_id, tender_body
from tests.tendering.helpers_methods import counts

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(48)
LIMIT = 50 * 1024 * 1024
OCTET = "application/octet-stream"


def _upload(client, tid: int, data: bytes, filename: str | None = "招标文件.pdf", ctype: str = OCTET, **headers):
    h = {"content-type": ctype} | headers
    if filename is not None:
        h["x-filename"] = quote(filename)
    return client.post(f"/api/v1/tenders/{tid}/documents", content=data, headers=h)


def _blobs(settings) -> list[Path]:
    root = settings.data_dir / "blobs"
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "tmp")


def _stored(db, settings) -> tuple[list[Path], int, int]:
    c = counts(db, ("tender_document", "audit_event"))
    return _blobs(settings), c["tender_document"], c["audit_event"]


@pytest.fixture
def draft(client_for, clock) -> dict:
    owner = client_for("tenderer")
    start = clock.now() + timedelta(days=1)
    r = owner.post("/api/v1/tenders", json=tender_body(accepted_project_id(owner), start))
    assert r.status_code == 201, r.text
    return r.json()


def _publish(client_for, clock, tid: int) -> None:
    assert client_for("tenderer").post(f"/api/v1/tenders/{tid}/submit").status_code == 200
    assert client_for("operator").post(f"/api/v1/tenders/{tid}/publish").status_code == 200
    clock.advance(timedelta(days=1, hours=1))  # documents are being issued


def test_upload_is_stored_under_its_sm3_digest_and_downloads_unchanged(client_for, draft, settings) -> None:
    owner = client_for("tenderer")
    r = _upload(owner, draft["id"], PDF)
    assert r.status_code == 201, r.text
    doc = r.json()
    digest = sm3_hex(PDF)
    assert (doc["filename"], doc["digest"], doc["size"], doc["kind"]) == ("招标文件.pdf", digest, len(PDF), "pdf")
    assert _blobs(settings) == [settings.data_dir / "blobs" / digest[:2] / digest[2:4] / digest]
    assert _blobs(settings)[0].read_bytes() == PDF

    listed = owner.get(f"/api/v1/tenders/{draft['id']}/documents").json()
    assert [(d["id"], d["filename"], d["digest"]) for d in listed] == [(doc["id"], "招标文件.pdf", digest)]
    r = owner.get(f"/api/v1/tenders/{draft['id']}/documents/{doc['id']}")
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["x-sm3-digest"] == digest
    assert quote("招标文件.pdf") in r.headers["content-disposition"]


def test_same_content_twice_is_one_blob(client_for, draft, settings, db) -> None:
    owner = client_for("tenderer")
    assert _upload(owner, draft["id"], PDF).status_code == 201
    r = _upload(owner, draft["id"], PDF, "招标文件（副本）.pdf")
    assert r.status_code == 201 and r.json()["digest"] == sm3_hex(PDF)
    assert len(_blobs(settings)) == 1
    assert len(owner.get(f"/api/v1/tenders/{draft['id']}/documents").json()) == 2


def test_bidder_downloads_only_after_obtaining(client_for, clock, draft, anon) -> None:
    owner, bidder = client_for("tenderer"), client_for("bidder")
    doc = _upload(owner, draft["id"], PDF).json()
    url = f"/api/v1/tenders/{draft['id']}/documents/{doc['id']}"
    assert bidder.get(url).status_code == 404  # not published yet: the tender does not exist for bidders
    _publish(client_for, clock, draft["id"])
    r = bidder.get(url)
    assert r.status_code == 403 and r.json()["code"] == "obtain_first", r.text
    assert anon.get(url).status_code in (401, 403)
    assert bidder.post(f"/api/v1/tenders/{draft['id']}/obtain").status_code == 204
    r = bidder.get(url)
    assert r.status_code == 200 and r.content == PDF and r.headers["x-sm3-digest"] == sm3_hex(PDF)
    # Another bidder that has not obtained them is still refused.
    assert client_for("bidder2").get(url).status_code == 403


def test_draft_documents_are_not_listed_to_outsiders(client_for, draft, anon) -> None:
    assert _upload(client_for("tenderer"), draft["id"], PDF).status_code == 201
    url = f"/api/v1/tenders/{draft['id']}/documents"
    for outsider in (client_for("bidder"), client_for("yongji_school"), anon):
        assert outsider.get(f"/api/v1/tenders/{draft['id']}").status_code == 404
        r = outsider.get(url)
        assert r.status_code == 404, f"unpublished tender's documents listed: {r.text}"


REFUSALS = [
    ("png named .pdf", PNG, "招标文件.pdf", OCTET, {}, 422, "file_type_mismatch"),
    ("executable", EXE, "招标文件.exe", OCTET, {}, 422, "file_type"),
    ("image is no tender document", PNG, "现场照片.png", OCTET, {}, 422, "file_type"),
    ("empty", b"", "招标文件.pdf", OCTET, {}, 422, "file_empty"),
    ("path traversal", PDF, "../../招标文件.pdf", OCTET, {}, 422, "bad_filename"),
    ("no filename", PDF, None, OCTET, {}, 422, "bad_filename"),
    ("json body", b'{"file": "x"}', "招标文件.pdf", "application/json", {}, 415, "unsupported_media_type"),
    ("declared over 50 MB", PDF, "招标文件.pdf", OCTET, {"content-length": str(LIMIT + 1)}, 413, "too_large"),
]


@pytest.mark.parametrize(("data", "filename", "ctype", "headers", "status", "code"), [r[1:] for r in REFUSALS],
                         ids=[r[0] for r in REFUSALS])  # fmt: skip
def test_refused_uploads_store_nothing(data, filename, ctype, headers, status, code, client_for, draft, db, settings):
    owner = client_for("tenderer")
    before = _stored(db, settings)
    r = _upload(owner, draft["id"], data, filename, ctype, **headers)
    assert r.status_code == status, r.text
    assert r.json()["code"] == code, r.text
    assert _stored(db, settings) == before
    tmp = settings.data_dir / "blobs" / "tmp"
    assert not tmp.exists() or not any(tmp.iterdir()), "a temporary upload was left behind"


def test_upload_after_publication_is_frozen(client_for, clock, draft, db, settings) -> None:
    owner = client_for("tenderer")
    assert _upload(owner, draft["id"], PDF).status_code == 201
    _publish(client_for, clock, draft["id"])
    before = _stored(db, settings)
    r = _upload(owner, draft["id"], PDF.replace(b"Catalog", b"Catalogue"), "补充文件.pdf")
    assert r.status_code == 409 and r.json()["code"] == "documents_frozen", r.text
    assert _stored(db, settings) == before


def test_only_the_tenders_parties_upload(client_for, draft, db, settings) -> None:
    others = [client_for(u) for u in ("bidder", "yongji_school", "operator")]
    before = _stored(db, settings)
    for c in others:
        assert _upload(c, draft["id"], PDF).status_code in (403, 404)
    assert _stored(db, settings) == before


async def _stream(app, client, url: str, chunk: bytes, times: int) -> httpx.Response:
    async def body():
        for _ in range(times):
            yield chunk

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://testserver", cookies=client.cookies, headers=client.headers
    ) as c:
        return await c.post(url, content=body(), headers={"content-type": OCTET, "x-filename": quote("招标文件.pdf")})


def test_streamed_upload_over_the_limit_stores_nothing(app, client_for, draft, db, settings) -> None:
    """Without a Content-Length the guard cuts the body off at 50 MB; the cut-off prefix must not be kept."""
    owner = client_for("tenderer")
    chunk = PDF + bytes(10 * 1024 * 1024 - len(PDF))
    before = _stored(db, settings)
    # A thread of its own: once the browser tests ran, Playwright's loop holds the main thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        coro = _stream(app, owner, f"/api/v1/tenders/{draft['id']}/documents", chunk, 6)  # 60 MiB
        r = pool.submit(asyncio.run, coro).result()
    assert r.status_code == 413, r.text
    assert _stored(db, settings) == before, "a truncated 50 MB prefix of a refused upload was stored"
