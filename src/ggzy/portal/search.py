"""Chinese full-text search over the published notices.

The index follows the change feed (``common/outbox.py``): ``catch_up`` indexes every notice
published after its cursor, in one transaction with the cursor's move, so nothing is indexed
twice or missed; the background runner calls it every tick and every search calls it first, so a
notice is findable within seconds of publication. Ranking is BM25 (k1 = 1.2, b = 0.75, a title
word counting three times) computed in Python from the index rows, with ties broken by date and
id: SQLite and PostgreSQL return the same results in the same order.
"""

from __future__ import annotations

import html
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ggzy.common import outbox
from ggzy.common.errors import InvalidInput
from ggzy.identity.models import Branch
from ggzy.portal.models import SearchDoc, SearchState, SearchTerm, SearchVocab
from ggzy.registration.models import Project
from ggzy.tendering.models import Notice, Tender

K1, B, TITLE_WEIGHT = 1.2, 0.75, 3
CANDIDATES = 2000  # the most recent matches ranked for a query (see docs/portal.md)
WORD = re.compile(r"[\w]", re.UNICODE)
_jieba_lock = threading.Lock()
_jieba: Any = None


def _cutter() -> Any:
    """jieba loads its dictionary once (about a second); later calls share it."""
    global _jieba
    with _jieba_lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(60)
            jieba.initialize()
            _jieba = jieba
    return _jieba


def _keep(word: str) -> str | None:
    word = word.strip().lower()
    # Single characters are left out: too common to rank and to index a million notices by.
    if len(word) < 2 or not all(WORD.match(ch) for ch in word):
        return None
    return word[:40]


def index_words(text: str) -> Counter[str]:
    """Search-mode cut: long words and their parts, so a two-character query finds them."""
    return Counter(w for w in map(_keep, _cutter().cut_for_search(text)) if w)


def query_words(text: str) -> list[str]:
    """Precise cut of the query: 堤防加固 → 堤防, 加固 (each must occur)."""
    seen: dict[str, None] = {}
    for w in map(_keep, _cutter().cut(text)):
        if w:
            seen[w] = None
    return list(seen)


# --- indexing ----------------------------------------------------------------------------------


def _state(session: Session) -> SearchState:
    st = session.get(SearchState, 1, with_for_update=True)
    if st is None:
        st = SearchState(id=1, cursor=0, docs=0, words=0)
        session.add(st)
        session.flush()
    return st


def catch_up(session: Session, *, batch: int = 500) -> int:
    """Index the notices published since the cursor; returns how many changes were consumed."""
    st = _state(session)
    changes = outbox.since(session, after=st.cursor, limit=batch, kinds=("notice.published",))
    if not changes:
        return 0
    ids = [int(c.object_id) for c in changes]
    rows = session.execute(
        select(Notice, Tender.project_id, Project.trading_type, Branch.code)
        .join(Tender, Tender.id == Notice.tender_id)
        .join(Project, Project.id == Tender.project_id)
        .outerjoin(Branch, Branch.id == Tender.branch_id)
        .where(Notice.id.in_(ids))
    ).all()
    vocab: Counter[str] = Counter()
    for n, _project, trading_type, region in rows:
        title, body = index_words(n.title), index_words(n.body)
        doc = SearchDoc(
            notice_id=n.id,
            tender_id=n.tender_id,
            title=n.title,
            body=n.body,
            trading_type=trading_type,
            region=region or "",
            stage=n.kind,
            published_at=n.published_at,
            length=sum(title.values()) + sum(body.values()),
        )
        session.add(doc)
        session.flush()
        terms = set(title) | set(body)
        session.add_all(SearchTerm(term=t, doc_id=doc.id, in_title=title[t], in_body=body[t]) for t in terms)
        vocab.update(terms)
        st.docs += 1
        st.words += doc.length
    _add_vocab(session, vocab)
    st.cursor = changes[-1].seq
    return len(changes)


def catch_up_all(db: Any) -> int:
    """Index everything new, batch by batch (each batch its own transaction)."""
    done = 0
    while True:
        with db.transaction() as s:
            n = catch_up(s)
        done += n
        if n == 0:
            return done


def _add_vocab(session: Session, vocab: Counter[str]) -> None:
    known = set(session.scalars(select(SearchVocab.term).where(SearchVocab.term.in_(list(vocab)))))
    for term, n in vocab.items():
        if term in known:
            session.execute(update(SearchVocab).where(SearchVocab.term == term).values(df=SearchVocab.df + n))
        else:
            session.add(SearchVocab(term=term, df=n))
    session.flush()


# --- searching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    trading_type: str | None = None
    region: str | None = None
    stage: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Hit:
    notice_id: int
    tender_id: int
    title_html: str
    snippet_html: str
    stage: str
    region: str
    trading_type: str
    published_at: datetime
    score: float


def _filtered(q: Any, f: Filters) -> Any:
    if f.trading_type:
        q = q.where(SearchDoc.trading_type == f.trading_type)
    if f.region:
        q = q.where(SearchDoc.region == f.region)
    if f.stage:
        q = q.where(SearchDoc.stage == f.stage)
    if f.since:
        q = q.where(SearchDoc.published_at >= f.since)
    if f.until:
        q = q.where(SearchDoc.published_at < f.until)
    return q


def search(session: Session, text: str, f: Filters, *, offset: int = 0, limit: int = 20) -> tuple[int, list[Hit]]:
    words = query_words(text)
    if not words:
        raise InvalidInput("请输入至少两个字的检索词（如“招标”“土地”）", code="query_too_short")
    if len(words) > 8:
        raise InvalidInput("检索词过多，请精简到 8 个词以内", code="query_too_long")
    has_all = (
        select(SearchTerm.doc_id)
        .where(SearchTerm.term.in_(words))
        .group_by(SearchTerm.doc_id)
        .having(func.count() == len(words))
    )
    matching = _filtered(select(SearchDoc.id).where(SearchDoc.id.in_(has_all)), f)
    total = session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    if total == 0:
        return 0, []
    recent = matching.order_by(SearchDoc.published_at.desc(), SearchDoc.id.desc()).limit(CANDIDATES)
    docs = {d.id: d for d in session.scalars(select(SearchDoc).where(SearchDoc.id.in_(recent)))}
    tf: dict[int, dict[str, tuple[int, int]]] = {}
    for row in session.execute(
        select(SearchTerm.doc_id, SearchTerm.term, SearchTerm.in_title, SearchTerm.in_body).where(
            SearchTerm.term.in_(words), SearchTerm.doc_id.in_(list(docs))
        )
    ):
        tf.setdefault(row.doc_id, {})[row.term] = (row.in_title, row.in_body)
    st = session.get(SearchState, 1)
    n_docs = max(st.docs if st else len(docs), 1)
    avg = (st.words / n_docs) if st and st.words else 1.0
    rows = session.execute(select(SearchVocab.term, SearchVocab.df).where(SearchVocab.term.in_(words)))
    df = {term: n for term, n in rows}
    idf = {w: math.log(1 + (n_docs - df.get(w, 0) + 0.5) / (df.get(w, 0) + 0.5)) for w in words}

    def score(d: SearchDoc) -> float:
        s = 0.0
        for w, (t, b) in tf.get(d.id, {}).items():
            x = TITLE_WEIGHT * t + b
            s += idf[w] * x * (K1 + 1) / (x + K1 * (1 - B + B * d.length / avg))
        return round(s, 9)  # the same float on both databases, ties then fall to date and id

    ranked = sorted(docs.values(), key=lambda d: (-score(d), -d.published_at.timestamp(), -d.id))
    page = ranked[offset : offset + limit]
    return total, [
        Hit(
            notice_id=d.notice_id,
            tender_id=d.tender_id,
            title_html=highlight(d.title, words),
            snippet_html=highlight(snippet(d.body, words), words),
            stage=d.stage,
            region=d.region,
            trading_type=d.trading_type,
            published_at=d.published_at,
            score=score(d),
        )
        for d in page
    ]


def snippet(body: str, words: Sequence[str], width: int = 60) -> str:
    low = body.lower()
    at = min((i for i in (low.find(w) for w in words) if i >= 0), default=0)
    start = max(0, at - width // 3)
    text = body[start : start + width]
    return ("…" if start else "") + text + ("…" if start + width < len(body) else "")


def highlight(text: str, words: Iterable[str]) -> str:
    """HTML-escaped text with each query word marked (longest first, case-insensitive)."""
    pattern = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    if not pattern:
        return html.escape(text)
    out, last = [], 0
    for m in re.finditer(pattern, text, flags=re.IGNORECASE):
        out += [html.escape(text[last : m.start()]), "<mark>", html.escape(m.group(0)), "</mark>"]
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)
