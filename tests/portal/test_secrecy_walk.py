"""Secrecy holds on the portal: a walk of every public (anonymous) GET route, pages and API, with
every id that makes sense, plus the change feed from 0 to its end, the search, the Atom feeds and
the OCDS bulk export, in a world where secrets exist:

* a tender still in bidding whose documents three organisations obtained and two of them sealed
  bids on (one at a distinctive price): who obtained, who bid, how many, at what price, and the
  envelopes' digests and receipts stay secret until the opening (招标投标法第二十二条、第二十八条);
* a section past its opening whose committee was drawn, formed, signed in, evaluated and signed,
  with the candidates under publicity but no result notice: the experts' names stay secret until
  the result (评标专家和评标专家库管理办法; issue 5).

Organisation names legitimately appear in the public market-entity directory and on the pages of
procedures they were opened on, so the bidder checks are scoped to what concerns the tender still
in bidding; the price, the experts, the digests and the receipts are checked everywhere.
"""

from __future__ import annotations

import html
import itertools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from ggzy.bidding.models import Bid
from ggzy.common.outbox import Change
from ggzy.db import Database
from ggzy.evaluation.models import Evaluation
from ggzy.experts.models import Expert
from ggzy.identity.models import Organization
from ggzy.identity.permissions import ANONYMOUS, allows
from ggzy.registration.enums import RuleTableKind
from ggzy.tendering.enums import NoticeKind, TenderStatus
from ggzy.tendering.models import DocumentObtain, Notice, Section, Tender, TenderDocument
from ggzy.tendering.models_award import AwardNotice
from tests.api.test_permission_matrix import routes_of
from tests.bidding.helpers import CANARY, Bidder, World, bidder, obtain_and_bid, published_tender
from tests.evaluation.helpers import PIN, Ready, add_sites, code_for, login, ready

SECRET_PRICE = "12345678.90"
# The price as the platform might render it: plain (JSON floats drop the trailing 0), with
# thousands separators (the ``yuan`` filter), or in 万元.
PRICE_FORMS = ("12345678.9", "12,345,678.9", "1234.5678")
# Only bidder4 (江南办公) takes part in nothing but the tender still in bidding: its name and code
# may appear in the public directory and nowhere else. bidder2 and bidder3 also bid on the opened
# procedure, whose opening record names them lawfully, so they are checked where the tender still
# in bidding is concerned.
ONLY_HERE = "bidder4"
ALSO_BID_ELSEWHERE = "bidder2"
ONLY_OBTAINED = "bidder3"
WORDS = ("招标", "堤防", "专家", "评标", "开标", "中标候选人", "投标人")
# The public market-entity directory lists every organisation: names there are not a leak.
DIRECTORY = re.compile(r"^/(?:api/v1/)?organizations(?:/|\?|$)")
# Keys that would tell how many bids (or obtainers) a procedure has, or list its envelopes.
COUNT_KEYS = {"numberOfTenderers", "tenderers", "bids", "bid_count", "obtainers", "receipt", "digests", "rows"}
SHANGHAI = ZoneInfo("Asia/Shanghai")
MISSING = "999999"  # an id no row has: the walk also sees every route's "not found"


# --- the world --------------------------------------------------------------------------------


def _publicity_before_result(
    app: FastAPI, client_for: Callable[[str], TestClient], clock: Any, db: Database, r0: Ready
) -> int:
    """Form the committee, sign in at two sites, review, score, sign the report and publish the
    candidates (as tests/evaluation/test_flow.py does): the last public step before the result
    notice, with the members' names in the signed report. Returns the evaluation's id."""
    add_sites(client_for)
    experts = {u: login(app, u) for u in r0.experts}
    for c in experts.values():
        assert c.post(f"/api/v1/extractions/{r0.extraction_id}/respond", json={"accept": True}).status_code == 204
    operator = client_for("operator")
    r = operator.post(
        f"/api/v1/sections/{r0.section_id}/evaluation", json={"host_site": "CITY-1", "remote_sites": ["YJ-1"]}
    )
    assert r.status_code == 201, r.text
    eid = int(r.json()["id"])
    clock.set(datetime.combine(r0.day, time(9), tzinfo=SHANGHAI))
    sites = {"市中心第一评标室": "CITY-1", "永吉分中心评标室": "YJ-1"}
    for c in experts.values():
        view = c.get(f"/api/v1/evaluations/{eid}").json()
        mine = next(m for m in view["members"] if m["id"] == view["me"])
        r = c.post(f"/api/v1/evaluations/{eid}/sign-in", json={"code": code_for(db, sites[mine["site"]], clock.now())})
        assert r.status_code == 200, r.text
    chair = experts[r0.experts[0]]
    chair_id = chair.get(f"/api/v1/evaluations/{eid}").json()["me"]
    for c in list(experts.values())[:3]:  # a majority elects the chair
        assert c.post(f"/api/v1/evaluations/{eid}/chair", json={"member_id": chair_id}).status_code == 200
    bids = [b["id"] for b in chair.get(f"/api/v1/evaluations/{eid}").json()["bids"]]
    for c in experts.values():
        findings = [{"bid_id": b, "passed": True, "reason": ""} for b in bids]
        assert c.post(f"/api/v1/evaluations/{eid}/review", json={"findings": findings}).status_code == 200
    for n, c in enumerate(experts.values()):
        scores = {str(b): {"technical": str(40 + n + i), "commercial": "15"} for i, b in enumerate(bids)}
        assert c.post(f"/api/v1/evaluations/{eid}/scores", json={"scores": scores}).status_code == 200
    assert chair.post(f"/api/v1/evaluations/{eid}/report").status_code == 200
    for c in experts.values():
        r = c.post(f"/api/v1/evaluations/{eid}/sign", json={"pin": PIN})
        assert r.status_code == 200, r.text
    assert r.json()["status"] == "signed"
    r = client_for("tenderer").post(f"/api/v1/tenders/{r0.tender['id']}/candidates/from-reports")
    assert r.status_code == 200 and r.json()["status"] == "publicity", r.text
    return eid


@dataclass
class Secrets:
    """What no anonymous response may show, by where it may not show it."""

    bidding: World  # the tender still in bidding that this test built
    # Everywhere: the price, plaintext bid content, experts, envelope digests, receipts.
    anywhere: dict[str, str] = field(default_factory=dict)  # text -> what it is
    # Everywhere but the public directory: the organisation that took part only in the secret tender.
    only_directory: dict[str, str] = field(default_factory=dict)
    # Per tender still in bidding: who obtained or bid (names, credit codes) and its receipt numbers.
    scoped: dict[int, dict[str, str]] = field(default_factory=dict)
    receipt_seqs: dict[int, set[int]] = field(default_factory=dict)
    counts: dict[int, set[int]] = field(default_factory=dict)  # how many bids, how many obtainers


def _org(db: Database, credit_code: str) -> Organization:
    with db.session(write=False) as s:
        org = s.scalar(select(Organization).where(Organization.credit_code == credit_code))
        assert org is not None
        s.expunge(org)
        return org


def _secrets(db: Database, world: World, only_here: Bidder) -> Secrets:
    sec = Secrets(world)
    org = _org(db, only_here.credit_code)
    sec.only_directory = {org.name: f"name of {ONLY_HERE}", org.credit_code: f"credit code of {ONLY_HERE}"}
    for form in (SECRET_PRICE, *PRICE_FORMS):
        sec.anywhere[form] = "the sealed price of a bid still in bidding"
    sec.anywhere[CANARY] = "plaintext of a sealed bid"
    with db.session(write=False) as s:
        experts = list(s.scalars(select(Expert)))
        assert len(experts) >= 5, "the library holds the drawn committee"
        for e in experts:  # the library is not public, and the committee not before the result
            sec.anywhere[e.name] = f"expert name (expert {e.id})"
            sec.anywhere[e.id_number] = f"expert id number (expert {e.id})"
            if e.phone:
                sec.anywhere[e.phone] = f"expert phone (expert {e.id})"
        # A project manager's ID number goes upstream with the opening details, never to the public.
        pm_ids = {
            b.sheet["project_manager_id"] for b in s.scalars(select(Bid)) if (b.sheet or {}).get("project_manager_id")
        }
        assert pm_ids, "the demo's opened bids carry their project managers' ID numbers"
        for pm in pm_ids:
            sec.anywhere[pm] = "a project manager's ID number (personal data)"
        # Every procedure still in bidding: the demo's open tender (obtained by one bidder) and ours.
        for t in s.scalars(select(Tender).where(Tender.status == TenderStatus.BIDDING.value)):
            obtainers = select(Organization).join(DocumentObtain).where(DocumentObtain.tender_id == t.id)
            bids = list(s.scalars(select(Bid).where(Bid.tender_id == t.id)))
            bidders = select(Organization).where(Organization.id.in_([b.bidder_org_id for b in bids]))
            orgs = {o.id: o for o in [*s.scalars(obtainers), *s.scalars(bidders)]}
            sec.scoped[t.id] = {}
            for o in orgs.values():
                sec.scoped[t.id][o.name] = f"name of an organisation that obtained or bid on tender {t.code}"
                sec.scoped[t.id][o.credit_code] = f"credit code of an organisation in tender {t.code}"
            sec.receipt_seqs[t.id] = {b.seq for b in bids}
            sec.counts[t.id] = {len(bids), len(orgs)} - {0, 1}  # 0 and 1 are too common to look for
            for b in bids:
                sec.anywhere[b.digest] = f"envelope digest of a bid on tender {t.code}"
                sec.anywhere[b.receipt_signature] = f"receipt signature of a bid on tender {t.code}"
                sec.anywhere[b.receipt["received_at"]] = f"receipt time of a bid on tender {t.code}"
        mine = sec.scoped[world.tender["id"]]
        assert len(sec.receipt_seqs[world.tender["id"]]) == 2 and len(mine) == 6, "3 obtainers, 2 of them bid"
        others = set(s.scalars(select(Bid.tender_id).where(Bid.bidder_org_id == org.id)))
        others |= set(s.scalars(select(DocumentObtain.tender_id).where(DocumentObtain.org_id == org.id)))
        assert others == {world.tender["id"]}, f"{ONLY_HERE} takes part in the secret tender only"
    return sec


# --- the walk ---------------------------------------------------------------------------------


@dataclass
class Fetched:
    url: str
    status: int
    text: str
    json: Any  # the parsed body for JSON responses, else None


@dataclass
class Ids:
    """Every id a public route's path may take, from the database."""

    values: dict[str, list[str]]
    attachments: list[tuple[str, str]]  # (notice_id, document_id): every document under every notice of its tender
    notice_tender: dict[int, int]
    section_tender: dict[int, int]
    evaluation_tender: dict[int, int]
    award_tender: dict[str, int]
    code_tender: dict[str, int]


def _ids(db: Database) -> Ids:
    with db.session(write=False) as s:
        tenders = list(s.scalars(select(Tender)))
        notices = list(s.scalars(select(Notice)))
        sections = list(s.scalars(select(Section)))
        evaluations = list(s.scalars(select(Evaluation)))
        awards = list(s.scalars(select(AwardNotice)))
        docs = list(s.scalars(select(TenderDocument)))
        orgs = list(s.scalars(select(Organization.id)))
        pairs = sorted(
            {(str(n.id), str(d.id)) for n in notices for d in docs if d.tender_id == n.tender_id}
            | {(str(d.notice_id), str(d.id)) for d in docs if d.notice_id is not None}
        )
        return Ids(
            values={
                "tender_id": [str(t.id) for t in tenders] + [MISSING],
                "section_id": [str(x.id) for x in sections] + [MISSING],
                "notice_id": [str(n.id) for n in notices] + [MISSING],
                "evaluation_id": [str(e.id) for e in evaluations] + [MISSING],
                "org_id": [str(o) for o in orgs] + [MISSING],
                "kind": [k.value for k in RuleTableKind],
                "code": [a.verify_code for a in awards] + ["NOSUCHCODE000"],
            },
            attachments=[*pairs, (str(notices[0].id), MISSING)],
            notice_tender={n.id: n.tender_id for n in notices},
            section_tender={x.id: x.tender_id for x in sections},
            evaluation_tender={e.id: e.tender_id for e in evaluations},
            award_tender={a.verify_code: a.tender_id for a in awards},
            code_tender={t.code: t.id for t in tenders},
        )


def _queries(path: str, sec: Secrets) -> list[dict[str, str]]:
    """The query strings a route is walked with (one empty query unless it takes some)."""
    # Besides common words, the secrets themselves: searching for one must find nothing about them.
    probes = [*WORDS, *sec.scoped[sec.bidding.tender["id"]], SECRET_PRICE]
    probes += [name for name, what in sec.anywhere.items() if what.startswith("expert name")][:2]
    kinds: list[dict[str, str]] = [{}, *({"kind": k.value} for k in NoticeKind)]
    return {
        "/api/v1/search": [{"q": q} for q in probes]
        + [{"q": "堤防", "stage": "opening"}, {"q": "堤防", "limit": "100"}],
        "/search": [{"q": q} for q in probes] + [{}, {"q": "招标", "page": "2"}],
        "/notices": [*kinds, {"page": "2"}],
        "/notices.atom": kinds,
        "/api/v1/notices": kinds,
        "/tenders": [{}, {"status": "bidding"}],
        "/api/v1/tenders/earliest": [{"method": "construction_open", "docs_start": "2026-12-01T09:00:00+08:00"}],
        "/api/v1/calendar/days": [{"start": "2026-11-01", "end": "2027-01-31"}],
        "/api/v1/calendar/add-workdays": [{"start": "2026-12-01", "n": "20"}],
    }.get(path, [{}])


def _urls(path: str, ids: Ids, sec: Secrets) -> list[str]:
    names = re.findall(r"{(\w+)}", path)
    if names == ["notice_id", "document_id"]:
        fills = [dict(zip(names, pair, strict=True)) for pair in ids.attachments]
    else:
        unknown = [n for n in names if n not in ids.values]
        assert not unknown, f"{path}: the walk has no ids for {unknown}; add them to _ids"
        fills = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(ids.values[n] for n in names))]
    out = []
    for fill, query in itertools.product(fills, _queries(path, sec)):
        url = path.format(**{k: quote(v, safe="") for k, v in fill.items()})
        out.append(url + (f"?{urlencode(query)}" if query else ""))
    return out


def _without_echo(url: str, body: str) -> str:
    """The search page repeats its query (title, search box, next-page link): searching for a
    secret must not count as showing it. Only the results list is kept whole."""
    q = parse_qs(urlsplit(url).query).get("q", [""])[0]
    if not url.startswith("/search?") or not q:
        return body
    m = re.search(r'<ol class="search-results".*?</ol>', body, re.S)
    results = m.group(0) if m else ""
    rest = body.replace(results, "") if results else body
    for form in (q, html.escape(q), quote(q)):
        rest = rest.replace(form, "")
    return rest + results


def _fetch(client: TestClient, url: str) -> Fetched:
    r = client.get(url, follow_redirects=False)
    body = r.content.decode("utf-8", errors="replace")
    parsed = r.json() if r.headers.get("content-type", "").startswith("application/json") else None
    # Normalise JSON (escapes, spacing) so a secret is found however the serializer wrote it.
    text = json.dumps(parsed, ensure_ascii=False) if parsed is not None else _without_echo(url, body)
    # Headers too (ETag, Content-Disposition, X-SM3-Digest...): a secret in a header is as public.
    headers = "\n".join(f"{k}: {v}" for k, v in r.headers.items() if k != "set-cookie")
    return Fetched(url, r.status_code, f"{headers}\n\n{text}", parsed)


def _change_feed(client: TestClient) -> list[Fetched]:
    """The feed from 0 to its end in small pages (and in one page per kind), as a crawler reads it."""
    out, after = [], 0
    while True:
        f = _fetch(client, f"/api/v1/changes?after={after}&limit=7")
        assert f.status == 200, f.text
        out.append(f)
        after = f.json["next"]
        if not f.json["more"]:
            break
    for kind in ("notice.published", "contract.recorded"):
        out.append(_fetch(client, f"/api/v1/changes?after=0&limit=1000&kind={kind}"))
    return out


def _bulk_export(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Fetched:
    """``ggzy export ocds --out FILE`` against the test database (as tests/portal/test_ocds.py)."""
    from ggzy.cli import app as cli
    from ggzy.config import get_settings

    monkeypatch.setenv("GGZY_DATABASE_URL", db.url.replace("postgresql+psycopg://", "postgresql://"))
    monkeypatch.setenv("GGZY_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        out = tmp_path / "ocds-export.json"
        r = CliRunner().invoke(cli, ["export", "ocds", "--out", str(out)])
        assert r.exit_code == 0, r.output
    finally:
        get_settings.cache_clear()
    doc = json.loads(out.read_text(encoding="utf-8"))
    return Fetched("ggzy export ocds", 200, json.dumps(doc, ensure_ascii=False), doc)


# --- what a response says about a tender --------------------------------------------------------


def _about(url: str, ids: Ids) -> int | None:
    """The tender a URL is about (None: a listing, or nothing tender-specific)."""
    path = url.split("?")[0]
    if m := re.match(r"^/(?:api/v1/)?tenders/(\d+)", path) or re.match(r"^/api/v1/ocds/\w+/(\d+)", path):
        return int(m.group(1))
    if m := re.match(r"^/notices/(\d+)", path):
        return ids.notice_tender.get(int(m.group(1)), -1)
    if m := re.match(r"^/api/v1/sections/(\d+)", path):
        return ids.section_tender.get(int(m.group(1)), -1)
    if m := re.match(r"^/api/v1/evaluations/(\d+)", path):
        return ids.evaluation_tender.get(int(m.group(1)), -1)
    if m := re.match(r"^/(?:api/v1/awards|verify)/([^/?]+)", path):
        return ids.award_tender.get(m.group(1), -1)
    return None


def _dict_tender(d: dict[str, Any], ids: Ids) -> int | None:
    if isinstance(d.get("tender_id"), int):
        return int(d["tender_id"])
    if isinstance(d.get("ocid"), str):
        return next((t for code, t in ids.code_tender.items() if d["ocid"].endswith(f"-{code}")), None)
    if isinstance(d.get("tender"), str) and d["tender"] in ids.code_tender:
        return ids.code_tender[d["tender"]]
    if isinstance(d.get("notice_id"), int):
        return ids.notice_tender.get(d["notice_id"])
    return None


def _prune_json(obj: Any, keep: int, ids: Ids) -> Any:
    """The listing without the parts that are about another tender."""
    if isinstance(obj, dict):
        owner = _dict_tender(obj, ids)
        if owner is not None and owner != keep:
            return None
        return {k: _prune_json(v, keep, ids) for k, v in obj.items()}
    if isinstance(obj, list):
        return [p for p in (_prune_json(v, keep, ids) for v in obj) if p is not None]
    return obj


ITEM_EDGES = re.compile(r"(?=<(?:tr|li|entry|article)[\s>])|(?<=</tr>)|(?<=</li>)|(?<=</entry>)|(?<=</article>)")


def _prune_markup(text: str, keep: int, ids: Ids) -> str:
    """The page without the rows, list items and feed entries that link only to other tenders."""
    kept = []
    for part in ITEM_EDGES.split(text):
        owners = {ids.notice_tender.get(int(n), -1) for n in re.findall(r"/notices/(\d+)", part)}
        owners |= {int(t) for t in re.findall(r"/tenders/(\d+)", part)}
        if not owners or keep in owners:
            kept.append(part)
    return "".join(kept)


def _keys(obj: Any) -> Iterable[str]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from _keys(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _keys(v)


def _leaks(f: Fetched, sec: Secrets, ids: Ids) -> list[str]:
    found = [f"{f.url} [{f.status}]: {what}: {text!r}" for text, what in sec.anywhere.items() if text in f.text]
    path = f.url.split("?")[0]
    if DIRECTORY.match(path):
        return found
    found += [f"{f.url} [{f.status}]: {what}: {text!r}" for text, what in sec.only_directory.items() if text in f.text]
    about = _about(f.url, ids)
    for tid, words in sec.scoped.items():
        if about is not None and about != tid:
            continue  # another procedure's own page: its lawful content may name these organisations
        if about == tid:
            text, doc = f.text, f.json
        elif f.json is not None:
            doc = _prune_json(f.json, tid, ids)
            text = json.dumps(doc, ensure_ascii=False)
        else:
            text, doc = _prune_markup(f.text, tid, ids), None
        found += [f"{f.url} [{f.status}]: {what}: {w!r}" for w, what in words.items() if w in text]
        if about == tid or doc is not None:
            found += [f"{f.url} [{f.status}]: key {k!r} about tender {tid}" for k in set(_keys(doc)) & COUNT_KEYS]
        for seq in sec.receipt_seqs[tid]:
            if re.search(rf'data-seq="{seq}"|回执号\D{{0,40}}\b{seq}\b', text):
                found.append(f"{f.url} [{f.status}]: receipt number {seq} of a bid on tender {tid}")
        # How many took part, in words, is looked for on the tender's own pages only (elsewhere
        # "3 个工作日" and the like are rules, not counts).
        for n in sec.counts[tid] if about == tid else ():
            if re.search(
                rf"(?:投标|递交|获取|收到)[^<>\"\n]{{0,15}}?\b{n}\s*(?:份|家|个)|\b{n}\s*(?:份|家|个)(?:投标|单位)",
                text,
            ):
                found.append(f"{f.url} [{f.status}]: the count {n} of bids or obtainers on tender {tid}")
    return found


# --- the test ---------------------------------------------------------------------------------


def test_no_public_page_feed_or_export_shows_what_is_secret(
    app: FastAPI,
    client_for: Callable[[str], TestClient],
    clock: Any,
    db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    r0 = ready(client_for, clock, db, tmp_path)
    evaluation_id = _publicity_before_result(app, client_for, clock, db, r0)
    # The tender still in bidding: three obtain the documents, two seal bids (one at the price to find).
    world = published_tender(client_for, clock)
    only_here = bidder(client_for, ONLY_HERE, tmp_path)
    obtain_and_bid(only_here, world, tmp_path, price=SECRET_PRICE)
    also = next(b for b in r0.bidders if b.username == ALSO_BID_ELSEWHERE)
    obtain_and_bid(also, world, tmp_path)
    obtained = next(b for b in r0.bidders if b.username == ONLY_OBTAINED)
    assert obtained.client.post(f"/api/v1/tenders/{world.tender['id']}/obtain").status_code == 204
    sec = _secrets(db, world, only_here)
    ids = _ids(db)

    routes, problems = routes_of(app)
    assert not problems, problems
    public = sorted({r.path for r in routes if r.method == "GET" and allows(ANONYMOUS, r.actions[0])})
    anon = TestClient(app, base_url="https://testserver")  # never signed in
    fetched: list[Fetched] = []
    walked: dict[str, int] = {}  # route -> URLs fetched for it
    for path in public:
        got = _change_feed(anon) if path == "/api/v1/changes" else [_fetch(anon, u) for u in _urls(path, ids, sec)]
        walked[path] = len(got)
        fetched += got
    fetched.append(_bulk_export(db, tmp_path, monkeypatch))

    # The walk is not vacuous: every public route was called, the pages that must answer did.
    assert all(walked.values()), walked
    assert len(public) >= 40 and len(fetched) >= 180, (len(public), len(fetched))  # 42 routes, 194 URLs
    status = {f.url: f.status for f in fetched}
    tid, eid = world.tender["id"], evaluation_id
    must_answer = [
        "/", "/notices", "/notices.atom", "/api/v1/notices", "/search?q=%E5%A0%A4%E9%98%B2",
        "/api/v1/search?q=%E5%A0%A4%E9%98%B2", f"/tenders/{tid}", f"/api/v1/tenders/{tid}",
        f"/api/v1/tenders/{tid}/notices", f"/api/v1/ocds/releases/{tid}", f"/api/v1/ocds/records/{tid}",
        f"/api/v1/ocds/releases/{r0.tender['id']}", f"/tenders/{r0.tender['id']}",
        *(f"/api/v1/sections/{s}/sealing" for s in world.sections),
        *(f"/notices/{n}" for n, t in ids.notice_tender.items() if t in (tid, r0.tender["id"])),
    ]  # fmt: skip
    assert [u for u in must_answer if status.get(u) != 200] == [], {u: status.get(u) for u in must_answer}
    assert sum(s == 200 for s in status.values()) >= 140  # 152 today: the rest are 404s for ids the public may not see
    with db.session(write=False) as s:
        head = s.scalar(select(Change.seq).order_by(Change.seq.desc()).limit(1))
    feed_items = [
        i
        for f in fetched
        if f.url.startswith("/api/v1/changes?after=") and "kind" not in f.url
        for i in f.json["items"]
    ]
    assert [i["seq"] for i in feed_items] == list(range(1, (head or 0) + 1)), "the feed was read from 0 to its end"
    assert any(i["data"].get("tender_id") == tid for i in feed_items), "the secret tender is in the feed"
    server_errors = [f"{f.url}: {f.status}" for f in fetched if f.status >= 500]
    assert not server_errors, server_errors

    leaks = sorted({leak for f in fetched for leak in _leaks(f, sec, ids)})
    assert not leaks, f"{len(leaks)} leak(s) in {len(fetched)} anonymous responses:\n" + "\n".join(leaks)
    assert status[f"/api/v1/evaluations/{eid}/public"] == 404, "the committee is named only with the result"
