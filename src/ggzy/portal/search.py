"""Chinese full-text search over the published notices.

The index follows the change feed (``common/outbox.py``): ``catch_up`` indexes every notice
published after its cursor, in one transaction with the cursor's move, so nothing is indexed
twice or missed; the background runner calls it every tick and every search calls it first, so a
notice is findable within seconds of publication. Ranking is BM25 (k1 = 1.2, b = 0.75, a title
word counting three times) computed in Python from the index rows over a query's most recent
matches (``CANDIDATES``), with ties broken by date and id: SQLite and PostgreSQL return the same
results in the same order. Totals are exact up to ``CAP`` and flagged as capped beyond.
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

from sqlalchemy import Row, Select, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from ggzy.common import outbox
from ggzy.common.errors import InvalidInput
from ggzy.identity.models import Branch
from ggzy.portal.models import SearchDoc, SearchState, SearchTerm, SearchVocab
from ggzy.registration.models import Project
from ggzy.tendering.models import Notice, Tender

K1, B, TITLE_WEIGHT = 1.2, 0.75, 3
CANDIDATES = 2000  # the most recent matches ranked for a query (see docs/portal.md)
CAP = 10_000  # matches counted exactly up to this many; beyond, the total reads "10,000+"
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
    found = {
        row[0].id: row
        for row in session.execute(
            select(Notice, Project.trading_type, Branch.code)
            .join(Tender, Tender.id == Notice.tender_id)
            .join(Project, Project.id == Tender.project_id)
            .outerjoin(Branch, Branch.id == Tender.branch_id)
            .where(Notice.id.in_(ids))
        )
    }
    vocab: Counter[str] = Counter()
    # In the feed's order, not the rows' (which the database chooses): doc ids break ranking ties,
    # so they must come out the same on SQLite and PostgreSQL.
    for n, trading_type, region in (found[i] for i in dict.fromkeys(ids) if i in found):
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
        session.add_all(
            SearchTerm(
                term=t,
                doc_id=doc.id,
                in_title=title[t],
                in_body=body[t],
                published_at=doc.published_at,
                trading_type=doc.trading_type,
                region=doc.region,
                stage=doc.stage,
                length=doc.length,
            )
            for t in terms
        )
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
#
# A query's candidates are its CANDIDATES most recent matches (after the filters), ranked by BM25;
# its total is counted exactly up to CAP. Both come off ``ix_search_term_recent``: the postings
# of the query's rarest word, newest first, each checked for the filters (on the posting's own
# copy of them) and, for more than one word, matched with the same notice's postings of the other
# words. The scan stops after CANDIDATES matches and the count goes on from there, so a query
# reads about (CANDIDATES, or CAP with the count) / (the share of the rarest word's postings
# that match) postings, at most all of that word's, however many notices match in all.


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


@dataclass(frozen=True)
class Found:
    total: int  # the matches, counted up to CAP
    capped: bool  # more than CAP match: shown as "10,000+"
    hits: list[Hit]


@dataclass(frozen=True)
class Stats:
    docs: int
    avg_length: float
    df: dict[str, int]  # notices having each query word


def parse(text: str) -> list[str]:
    words = query_words(text)
    if not words:
        raise InvalidInput("请输入至少两个字的检索词（如“招标”“土地”）", code="query_too_short")
    if len(words) > 8:
        raise InvalidInput("检索词过多，请精简到 8 个词以内", code="query_too_long")
    return words


def stats(session: Session, words: Sequence[str]) -> Stats:
    st = session.get(SearchState, 1)
    docs = max(st.docs if st else 0, 1)
    avg = (st.words / docs) if st and st.words else 1.0
    rows = session.execute(select(SearchVocab.term, SearchVocab.df).where(SearchVocab.term.in_(list(words))))
    return Stats(docs, avg, {term: n for term, n in rows})


def _conditions(f: Filters) -> list[Any]:
    t = SearchTerm
    out: list[Any] = []
    if f.trading_type:
        out.append(t.trading_type == f.trading_type)
    if f.region:
        out.append(t.region == f.region)
    if f.stage:
        out.append(t.stage == f.stage)
    if f.since:
        out.append(t.published_at >= f.since)
    if f.until:
        out.append(t.published_at < f.until)
    return out


def in_row_order(words: Sequence[str], driver: str) -> list[str]:
    """The words in the order a candidate row holds their counts: the driver, then the others."""
    return [driver, *(w for w in words if w != driver)]


def candidates_query(words: Sequence[str], driver: str, f: Filters) -> Select[Any]:
    """The most recent matches, newest first (ties by id), as rows (doc_id, length, then
    in_title and in_body of each word in ``in_row_order``)."""
    t = SearchTerm
    others = [(w, aliased(SearchTerm)) for w in in_row_order(words, driver)[1:]]
    cols: list[Any] = [t.doc_id, t.length, t.in_title, t.in_body]
    q = select(*cols, *(c for _, o in others for c in (o.in_title, o.in_body)))
    for w, o in others:
        # The same notice's posting of the other word, found by all three leading columns of
        # ix_search_term_recent, which also holds its counts: no visit to the table.
        q = q.join(o, and_(o.term == w, o.published_at == t.published_at, o.doc_id == t.doc_id))
    q = q.where(t.term == driver, *_conditions(f))
    return q.order_by(t.published_at.desc(), t.doc_id.desc()).limit(CANDIDATES)


def candidates(session: Session, words: Sequence[str], driver: str, f: Filters) -> Sequence[Row[Any]]:
    return session.connection().execute(candidates_query(words, driver, f)).all()


def count_after_query(words: Sequence[str], driver: str, f: Filters, last: datetime, last_id: int, limit: int) -> Any:
    t = SearchTerm
    older = or_(t.published_at < last, t.doc_id < last_id)
    # The plain ``<=`` is what both databases turn into a range of the index; ``older`` then
    # drops the candidates published at the same moment as the last one.
    q = select(t.doc_id).where(t.term == driver, *_conditions(f), t.published_at <= last, older)
    for w in in_row_order(words, driver)[1:]:
        o = aliased(SearchTerm)
        q = q.where(exists().where(o.term == w, o.doc_id == t.doc_id))
    return select(func.count()).select_from(q.limit(limit).subquery())


def count_after(session: Session, words: Sequence[str], driver: str, f: Filters, last_id: int, limit: int) -> int:
    """The matches older than the candidate ``last_id`` (the oldest), counted up to ``limit``: the
    scan goes on where the candidates' stopped rather than start again."""
    t = SearchTerm
    # The candidates leave the date out (2,000 conversions from text on SQLite): one lookup here.
    last = session.scalar(select(t.published_at).where(t.term == driver, t.doc_id == last_id))
    assert last is not None  # the posting was just read in the same transaction
    return session.scalar(count_after_query(words, driver, f, last, last_id, limit)) or 0


def rank(
    rows: Sequence[Sequence[int]], order: Sequence[str], st: Stats, words: Sequence[str]
) -> list[tuple[float, int]]:
    """(score, doc_id) of each candidate row (doc_id, length, then in_title and in_body of each
    word of ``order``), best first by BM25; equal scores keep the rows' order (newest first,
    then the higher id)."""
    at = {w: 2 + 2 * i for i, w in enumerate(order)}
    # Summed in the query's order whatever the rows' order: float sums depend on the order.
    terms = [(at[w], math.log(1 + (st.docs - st.df.get(w, 0) + 0.5) / (st.df.get(w, 0) + 0.5))) for w in words]
    scored = []
    for r in rows:
        s, norm = 0.0, K1 * (1 - B + B * r[1] / st.avg_length)
        for i, idf in terms:
            x = TITLE_WEIGHT * r[i] + r[i + 1]
            s += idf * x * (K1 + 1) / (x + norm)
        scored.append((round(s, 9), r[0]))  # the same float on both databases; ties keep their order
    scored.sort(key=lambda x: -x[0])  # stable
    return scored


def page(session: Session, ranked: Sequence[tuple[float, int]], words: Sequence[str]) -> list[Hit]:
    if not ranked:
        return []
    d = SearchDoc
    rows = session.execute(
        select(
            d.id, d.notice_id, d.tender_id, d.title, d.body, d.stage, d.region, d.trading_type, d.published_at
        ).where(d.id.in_([i for _, i in ranked]))
    )
    docs = {r.id: r for r in rows}
    return [
        Hit(
            notice_id=r.notice_id,
            tender_id=r.tender_id,
            title_html=highlight(r.title, words),
            snippet_html=highlight(snippet(r.body, words), words),
            stage=r.stage,
            region=r.region,
            trading_type=r.trading_type,
            published_at=r.published_at,
            score=s,
        )
        for s, r in ((s, docs[i]) for s, i in ranked)
    ]


def search(session: Session, text: str, f: Filters, *, offset: int = 0, limit: int = 20) -> Found:
    words = parse(text)
    st = stats(session, words)
    if any(st.df.get(w, 0) == 0 for w in words):
        return Found(0, False, [])
    # The rarest word's postings are the shortest list to walk when the words seldom meet.
    driver = min(words, key=lambda w: (st.df[w], w))
    rows = candidates(session, words, driver, f)
    if not rows:
        return Found(0, False, [])
    total = len(rows)
    if total == CANDIDATES and total <= CAP:
        total += count_after(session, words, driver, f, rows[-1][0], CAP + 1 - total)
    ranked = rank(rows, in_row_order(words, driver), st, words)
    return Found(min(total, CAP), total > CAP, page(session, ranked[offset : offset + limit], words))


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
