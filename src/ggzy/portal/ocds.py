"""Open data in OCDS 1.1 (Open Contracting Data Standard): one release per public event of a
procedure (each notice, each contract), each a snapshot of what was public at that moment, and a
record per procedure with every release and the compiled (latest) state.

What goes in is what the rules make public when it is: the tender and its sections from the
notice; the bidders only from the opening record (招标投标法第三十六条, 电子招标投标办法第三十条);
the candidates (awards "pending") from their publicity; the award with the result notice; the
contract once recorded. Nothing about bids before the opening, and no expert, ever.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, lazyload, selectinload

from ggzy.bidding.enums import BidStatus, OpeningStatus
from ggzy.bidding.models import Bid, Opening
from ggzy.identity.models import Organization
from ggzy.tendering.enums import Method, NoticeKind, TenderStatus
from ggzy.tendering.models import Notice, Section, Tender
from ggzy.tendering.models_award import AwardNotice, Candidate, Contract

if TYPE_CHECKING:
    from ggzy.db import Database

VERSION = "1.1"
# The organisation identifier scheme for a unified social credit code. Not (yet) a registered
# org-id.guide list code: configurable by the deployment with the rest of the publisher facts.
ORG_SCHEME = "CN-USCC"

TAGS = {
    NoticeKind.TENDER.value: ["tender"],
    NoticeKind.INVITATION.value: ["tender"],
    NoticeKind.CLARIFICATION.value: ["tenderAmendment"],
    NoticeKind.OPENING.value: ["tenderUpdate"],
    NoticeKind.CANDIDATES.value: ["award"],
    NoticeKind.RESULT.value: ["awardUpdate"],
    NoticeKind.FAILURE.value: ["tenderCancellation"],
    NoticeKind.TERMINATION.value: ["tenderCancellation"],
}
METHODS = {
    Method.CONSTRUCTION_OPEN: "open",
    Method.GP_OPEN: "open",
    Method.CONSTRUCTION_INVITED: "selective",
    Method.GP_INVITED: "selective",
    Method.GP_NEGOTIATION: "limited",
    Method.GP_CONSULTATION: "limited",
    Method.GP_RFQ: "limited",
    Method.GP_FRAMEWORK: "open",
    Method.GP_SINGLE_SOURCE: "direct",
}


def ocid(prefix: str, t: Tender) -> str:
    return f"{prefix}-{t.code}"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _money(amount: Decimal | str) -> dict[str, Any]:
    return {"amount": float(Decimal(amount)), "currency": "CNY"}


def _party(org: Organization, roles: list[str]) -> dict[str, Any]:
    return {
        "id": f"{ORG_SCHEME}-{org.credit_code}",
        "name": org.name,
        "identifier": {"scheme": ORG_SCHEME, "id": org.credit_code, "legalName": org.name},
        "address": {"region": org.region_code, "countryName": "中国"},
        "roles": roles,
    }


# Organisations load their roles and branch with every query by default; no release uses them.
_ORG = (lazyload(Organization.roles), lazyload(Organization.branch))


class _Facts:
    """Everything of one procedure a release may draw on."""

    def __init__(self, t: Tender, base_url: str) -> None:
        self.t, self.base = t, base_url.rstrip("/")
        self.notices: list[Notice] = []
        self.openings: dict[int, Opening] = {}
        self.bidders: dict[int, list[Organization]] = {}
        self.candidates: list[Candidate] = []
        self.awards: list[AwardNotice] = []
        self.contracts: list[Contract] = []
        self.sections: dict[int, Section] = {s.id: s for s in t.sections}


def _facts(session: Session, tenders: Sequence[Tender], base_url: str) -> list[_Facts]:
    """The facts of a batch of procedures, one statement per table for the whole batch (not six
    or more per procedure: the bulk export's cost was almost all statements), without the columns
    no release reads (notice bodies and facts, opening records, award facts)."""
    facts = {t.id: _Facts(t, base_url) for t in tenders}
    ids = list(facts)
    notices = select(Notice).where(Notice.tender_id.in_(ids)).options(defer(Notice.body), defer(Notice.facts))
    for n in session.scalars(notices.order_by(Notice.tender_id, Notice.version)):
        facts[n.tender_id].notices.append(n)
    openings = (
        select(Opening)
        .where(Opening.tender_id.in_(ids), Opening.status == OpeningStatus.PUBLISHED.value)
        .options(defer(Opening.record))
    )
    for o in session.scalars(openings):
        facts[o.tender_id].openings[o.section_id] = o
    # The bids at the deadline only: a withdrawn or replaced envelope is no tender.
    bidders: dict[int, dict[int, Organization]] = defaultdict(dict)
    opened = [sid for f in facts.values() for sid in f.openings]
    rows = session.execute(
        select(Bid.section_id, Organization)
        .join(Organization, Organization.id == Bid.bidder_org_id)
        .where(Bid.section_id.in_(opened), Bid.status == BidStatus.ACCEPTED.value)
        .options(*_ORG)
    )
    for section_id, org in rows:
        bidders[section_id][org.id] = org
    for f in facts.values():
        f.bidders = {sid: sorted(bidders[sid].values(), key=lambda o: o.credit_code) for sid in f.openings}
    candidates = select(Candidate).where(Candidate.tender_id.in_(ids))
    for c in session.scalars(candidates.options(selectinload(Candidate.org).options(*_ORG))):
        facts[c.tender_id].candidates.append(c)
    awards = select(AwardNotice).where(AwardNotice.tender_id.in_(ids))
    for a in session.scalars(awards.options(defer(AwardNotice.facts), selectinload(AwardNotice.winner).options(*_ORG))):
        facts[a.tender_id].awards.append(a)
    for k in session.scalars(select(Contract).where(Contract.tender_id.in_(ids)).order_by(Contract.id)):
        facts[k.tender_id].contracts.append(k)
    return [facts[t.id] for t in tenders]


def _tender_status(t: Tender, kinds: set[str], contracts: int) -> str:
    if NoticeKind.TERMINATION.value in kinds:
        return "cancelled"
    if NoticeKind.FAILURE.value in kinds and t.status in (TenderStatus.FAILED.value, TenderStatus.RETENDERED.value):
        return "unsuccessful"
    if contracts and contracts == len(t.sections):
        return "complete"
    return "active"


def _release(f: _Facts, prefix: str, at: datetime, rid: str, tags: list[str]) -> dict[str, Any]:
    """The procedure as it was public at ``at``."""
    t = f.t
    notices = [n for n in f.notices if n.published_at <= at]
    kinds = {n.kind for n in notices}
    contracts = [c for c in f.contracts if c.recorded_at <= at]
    buyer_roles = ["buyer", "procuringEntity"]
    parties = {t.tenderer.credit_code: _party(t.tenderer, buyer_roles)}
    tender: dict[str, Any] = {
        "id": t.code,
        "title": t.name,
        "description": t.content or t.name,
        "status": _tender_status(t, kinds, len(contracts)),
        "procuringEntity": {"id": parties[t.tenderer.credit_code]["id"], "name": t.tenderer.name},
        "procurementMethod": METHODS[Method(t.method)],
        "procurementMethodDetails": Method(t.method).label,
        "value": _money(sum((s.estimate for s in t.sections), Decimal(0))),
        "items": [
            {"id": s.code, "description": s.name, "quantity": 1, "unit": {"name": "标段（包）"}} for s in t.sections
        ],
        "tenderPeriod": {"startDate": _iso(t.docs_start), "endDate": _iso(t.bid_deadline)},
        "enquiryPeriod": {"startDate": _iso(t.docs_start), "endDate": _iso(t.question_deadline)},
        "documents": [
            {
                "id": f"notice-{n.id}",
                "documentType": "tenderNotice" if n.kind in ("tender", "invitation") else "notice",
                "title": n.title,
                "url": f"{f.base}/notices/{n.id}",
                "datePublished": _iso(n.published_at),
                "format": "text/html",
                "language": "zh",
            }
            for n in notices
        ],
    }
    if t.method.startswith("construction"):
        tender["mainProcurementCategory"] = "works"
    if t.agency is not None:
        parties[t.agency.credit_code] = _party(t.agency, ["procuringEntity"])
    opened = [sid for sid, o in f.openings.items() if o.published_at is not None and o.published_at <= at]
    if opened:
        tenderers = {o.credit_code: o for sid in opened for o in f.bidders.get(sid, [])}
        tender["numberOfTenderers"] = len(tenderers)
        tender["tenderers"] = [{"id": f"{ORG_SCHEME}-{c}", "name": o.name} for c, o in sorted(tenderers.items())]
        for c, o in tenderers.items():
            parties.setdefault(c, _party(o, []))["roles"].append("tenderer")
    awards = _awards(f, at, parties)
    release: dict[str, Any] = {
        "ocid": ocid(prefix, t),
        "id": rid,
        "date": _iso(at),
        "tag": tags,
        "initiationType": "tender",
        "language": "zh",
        "buyer": {"id": parties[t.tenderer.credit_code]["id"], "name": t.tenderer.name},
        "tender": tender,
    }
    if awards:
        release["awards"] = awards
    if contracts:
        release["contracts"] = [
            {
                "id": f"contract-{c.id}",
                "awardID": f"award-{c.award_id}",
                "title": f"{f.sections[c.section_id].name} 合同",
                "status": "active",
                "value": _money(c.amount),
                "dateSigned": f"{c.signed_on.isoformat()}T00:00:00+08:00",
            }
            for c in contracts
        ]
    release["parties"] = list(parties.values())
    return release


def _awards(f: _Facts, at: datetime, parties: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Per section: the issued award once the result is public; before that, the candidates
    under publicity as pending awards."""
    out = []
    for sid, s in f.sections.items():
        issued = next((a for a in f.awards if a.section_id == sid and a.issued_at <= at), None)
        rows: list[tuple[str, int, Organization, Decimal, str, datetime | None, str]]
        if issued is not None:
            rows = [("award", issued.id, issued.winner, issued.price, "active", issued.issued_at, "中标（成交）")]
        else:
            cands = sorted(
                (c for c in f.candidates if c.section_id == sid and c.recorded_at <= at), key=lambda c: c.rank
            )
            rows = [("candidate", c.id, c.org, c.price, "pending", None, f"第{c.rank}名中标候选人") for c in cands]
        for kind, row_id, org, price, status, date, what in rows:
            party = parties.setdefault(org.credit_code, _party(org, []))
            if "supplier" not in party["roles"]:
                party["roles"].append("supplier")
            award: dict[str, Any] = {
                "id": f"{kind}-{row_id}",
                "title": f"{s.name} {what}",
                "status": status,
                "value": _money(price),
                "suppliers": [{"id": party["id"], "name": org.name}],
                "items": [{"id": s.code, "description": s.name}],
            }
            if date is not None:
                award["date"] = _iso(date)
            out.append(award)
    return out


def releases(session: Session, t: Tender, *, prefix: str, base_url: str) -> list[dict[str, Any]]:
    """Every release of the procedure, oldest first (none before the tender is published)."""
    if t.published_at is None:
        return []
    return _releases(_facts(session, [t], base_url)[0], prefix)


def _releases(f: _Facts, prefix: str) -> list[dict[str, Any]]:
    t = f.t
    events: list[tuple[datetime, str, list[str]]] = [
        (n.published_at, f"{t.code}-notice-{n.version}", TAGS.get(n.kind, ["tenderUpdate"])) for n in f.notices
    ]
    events += [(c.recorded_at, f"{t.code}-contract-{c.id}", ["contract"]) for c in f.contracts]
    return [_release(f, prefix, at, rid, tags) for at, rid, tags in sorted(events, key=lambda e: (e[0], e[1]))]


def publisher(name: str) -> dict[str, Any]:
    return {"name": name}


def release_package(rels: list[dict[str, Any]], *, uri: str, name: str, now: datetime) -> dict[str, Any]:
    return {
        "uri": uri,
        "version": VERSION,
        "publishedDate": _iso(now),
        "publisher": publisher(name),
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "releases": rels,
    }


def record_package(rels: list[dict[str, Any]], *, uri: str, name: str, now: datetime) -> dict[str, Any]:
    """One record: every release, and the latest snapshot as the compiled release (each release
    here is a full snapshot, so the latest one is the current state)."""
    compiled = dict(rels[-1]) | {"id": f"{rels[-1]['ocid']}-compiled", "tag": ["compiled"]}
    return {
        "uri": uri,
        "version": VERSION,
        "publishedDate": _iso(now),
        "publisher": publisher(name),
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "records": [{"ocid": rels[-1]["ocid"], "releases": rels, "compiledRelease": compiled}],
    }


def export(
    db: Database, out: IO[str], *, prefix: str, base_url: str, name: str, now: datetime, batch: int = 200
) -> int:
    """Stream one release package of every release of every published procedure; returns how
    many releases were written (0: nothing is public yet, and what was written is no valid
    package: the schema wants at least one release). Memory stays bounded by one batch of
    procedures, and each batch is read in its own short read transaction, so a long export holds
    back neither PostgreSQL's vacuum nor SQLite's checkpoints; each procedure is consistent in
    itself, the export as a whole is as of each batch's reading."""
    head = release_package([], uri=f"{base_url.rstrip('/')}/api/v1/ocds/export", name=name, now=now)
    head.pop("releases")
    out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "releases": [')
    n, last = 0, 0
    while True:
        with db.session(write=False) as session:
            tenders = list(
                session.scalars(
                    select(Tender)
                    .where(Tender.id > last, Tender.published_at.is_not(None))
                    .order_by(Tender.id)
                    .limit(batch)
                    .options(
                        lazyload(Tender.project),
                        selectinload(Tender.tenderer).options(*_ORG),
                        selectinload(Tender.agency).options(*_ORG),
                        selectinload(Tender.sections),
                    )
                )
            )
            if not tenders:
                break
            for f in _facts(session, tenders, base_url):
                for r in _releases(f, prefix):
                    out.write(("," if n else "") + "\n" + json.dumps(r, ensure_ascii=False))
                    n += 1
            last = tenders[-1].id
    out.write("\n]}\n")
    return n
