"""Demo sealed bids and openings, through the real services: one opening in progress (two bidders
have decrypted, 拉法水利 still has to) and one whose record is published on the portal.

Bidders seal with keys the demo generates; a real bidder's private key never leaves its own
machine, but a newcomer needs them to play a bidder, so the demo writes them (and the sealed
files) to ``data_dir/demo-keys``. Loaded only with a data directory (``ggzy demo``); idempotent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy import bidder_tool as tool
from ggzy.bidding import envelope, opening, responses, submission
from ggzy.bidding.enums import ResponseKind
from ggzy.bidding.store import BidStore
from ggzy.common.signing import load_or_create
from ggzy.config import Settings
from ggzy.demo_tendering import RIVER, _exists, _principal, _project_id, _schedule
from ggzy.identity import keys
from ggzy.identity import selectors as identity_selectors
from ggzy.identity.models_keys import OrgKey
from ggzy.identity.permissions import Principal
from ggzy.identity.rules import make_id_number
from ggzy.tendering import participation, services
from ggzy.tendering.enums import EvaluationMethod, Method
from ggzy.tendering.models import Tender
from ggzy.tendering.schemas import SectionIn, TenderIn

LIVE_NAME = "松花江南岸（船营段）堤防加固工程护岸石料采购招标"
DONE_NAME = "松花江南岸（船营段）堤防加固工程防汛道路施工招标"
BIDDERS = (("bidder", "19860000.00"), ("bidder2", "19712000.00"), ("bidder3", "20150000.00"))


PM_IDS = {"bidder": "22020219750301001", "bidder2": "22020219780612002", "bidder3": "22020219821109003"}

def register_key(session: Session, now: datetime, p: Principal, keys_dir: Path) -> tool.KeyPair:
    """The user's demo key (made and registered once, kept in ``keys_dir``)."""
    path = keys_dir / f"{p.username}.key"
    key = tool.load_key(path) if path.exists() else tool.keygen(path)
    if session.scalar(select(OrgKey.id).where(OrgKey.public_hex == key.public_hex)) is not None:
        return key  # kept from an earlier run, and registered in this database
    ch = keys.challenge_issue(session=session, now=now, purpose="register", user_id=p.user_id)
    keys.key_register(
        session=session,
        now=now,
        principal=p,
        public_key=key.public_hex,
        nonce=ch.nonce,
        signature=key.sign(keys.challenge_text("register", ch.nonce)),
        label="演示密钥",
    )
    return key


def _tender(session: Session, *, name: str, deadline: datetime, content: str) -> Tender:
    owner, operator = _principal(session, "tenderer"), _principal(session, "operator")
    start = deadline - timedelta(days=21)
    sched = _schedule(session, Method.CONSTRUCTION_OPEN, start + timedelta(hours=1), 0) | {
        "bid_deadline": deadline,
        "question_deadline": deadline - timedelta(days=3),
    }
    data = TenderIn.model_validate(
        sched
        | dict(
            project_id=_project_id(session, RIVER),
            name=name,
            method=Method.CONSTRUCTION_OPEN,
            content=content,
            decryption_minutes=240,
            sections=[
                SectionIn(
                    name="施工标段",
                    estimate=Decimal("20000000.00"),
                    evaluation_method=EvaluationMethod.COMPREHENSIVE,
                    qualification="水利水电工程施工总承包二级及以上",
                )
            ],
        )
    )
    t = services.tender_create(session=session, now=start, principal=owner, data=data, sandbox=False)
    services.tender_submit(session=session, now=start, principal=owner, tender_id=t.id)
    return services.tender_publish(
        session=session, now=start + timedelta(minutes=30), principal=operator, tender_id=t.id
    )


def seal_and_submit(
    session: Session,
    *,
    now: datetime,
    p: Principal,
    key: tool.KeyPair,
    t: Tender,
    price: str,
    keys_dir: Path,
    store: BidStore,
    section_seq: int = 1,
) -> Path:
    """As the bidder's tool and the upload would: obtain the documents (once), seal, store, submit."""
    assert t.docs_start is not None
    if not participation.has_obtained(session, t.id, p.org_id):
        participation.document_obtain(
            session=session, now=t.docs_start + timedelta(hours=1), principal=p, tender_id=t.id
        )
    org = identity_selectors.organization(session, p.org_id or 0)
    assert org is not None
    section = t.sections[section_seq - 1]
    out = keys_dir / f"{p.username}-{section.code}.ggzy"
    tool.seal_bid(
        key=key,
        bidder=org.credit_code,
        sealing=submission.sealing_info(session, p, section.id),
        bid={
            "price": price,
            "duration_days": 300,
            "quality": "合格",
            "project_manager": {"bidder": "王建国", "bidder2": "李振华", "bidder3": "赵永胜"}.get(p.username, "孙立"),
            "deposit": "已缴纳 400000.00 元",
            # What the supervising platforms are owed with the opening details (never public).
            "project_manager_id": make_id_number(PM_IDS.get(p.username, "22020219800101004")),
            "project_manager_certificates": "一级注册建造师（水利水电工程）",
            "deposit_form": "bank_transfer",
            "deposit_paid_at": (t.docs_start + timedelta(days=2)).isoformat(),
        },
        attachments=[],
        out=out,
    )
    reader = envelope.Reader(max_bytes=1 << 30)
    f, tmp = store.temp()
    data = out.read_bytes()
    reader.feed(data)
    f.write(data)
    header, digest = reader.finish()
    store.commit(f, tmp, digest)
    submission.bid_submit(
        session=session,
        now=now,
        principal=p,
        section_id=section.id,
        header=header,
        digest=digest,
        size=reader.size,
        platform_key=load_or_create(store.root.parent / "keys"),
    )
    return out


def _run(session: Session, now: datetime, *, name: str, deadline: datetime, settings: Settings, finish: bool) -> None:
    if _exists(session, name):
        return
    keys_dir = Path(settings.data_dir) / "demo-keys"
    keys_dir.mkdir(parents=True, exist_ok=True)
    store = BidStore(Path(settings.data_dir) / "bids")
    t = _tender(session, name=name, deadline=deadline, content="防汛抢险道路及护岸石料，单一标段。")
    sealed = {}
    for i, (username, price) in enumerate(BIDDERS):
        p = _principal(session, username)
        at = deadline - timedelta(days=2) + timedelta(hours=i)
        key = register_key(session, at, p, keys_dir)
        sealed[username] = (
            p,
            key,
            seal_and_submit(session, now=at, p=p, key=key, t=t, price=price, keys_dir=keys_dir, store=store),
        )
    opening.ensure(session, now=deadline, t=t)
    sid = t.sections[0].id
    decrypting = list(sealed.items()) if finish else list(sealed.items())[:2]
    for j, (_, (p, key, path)) in enumerate(decrypting):
        _, error = opening.key_submit(
            session=session,
            now=deadline + timedelta(minutes=3 + j),
            principal=p,
            section_id=sid,
            content_key=tool.content_key(key, path),
            store=store,
        )
        assert error is None, error
    if not finish:
        return
    operator = _principal(session, "operator")
    at = deadline + timedelta(minutes=10)
    opening.window_close_early(session=session, now=at, principal=operator, section_id=sid, store=store)
    for username in ("bidder", "bidder2", "bidder3"):
        responses.record_respond(
            session=session,
            now=at,
            principal=_principal(session, username),
            section_id=sid,
            kind=ResponseKind.CONFIRM,
            body="",
        )
    opening.record_publish(session=session, now=at + timedelta(minutes=5), principal=operator, section_id=sid)


def load(session: Session, now: datetime, settings: Settings) -> None:
    # In progress: the deadline passed ten minutes ago; the window (240 minutes) is open.
    _run(session, now, name=LIVE_NAME, deadline=now - timedelta(minutes=10), settings=settings, finish=False)
    # Done: opened three days ago, record published.
    _run(session, now, name=DONE_NAME, deadline=now - timedelta(days=3), settings=settings, finish=True)
