"""The portal's Chinese full-text index: notices cut into words with jieba (search mode, so a long
word also yields its two-character parts: 招标文件 → 招标, 文件, 招标文件), kept in plain tables
that behave the same on SQLite and PostgreSQL (FTS5's trigram tokenizer misses two-character
words; pg_trgm depends on the collation), and ranked in Python, so both give identical results."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.common.orm import Base


class SearchDoc(Base):
    __tablename__ = "search_doc"
    __table_args__ = (Index("ix_search_doc_filter", "trading_type", "region", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), unique=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    trading_type: Mapped[str] = mapped_column(String(30))
    region: Mapped[str] = mapped_column(String(6))  # the branch's code: the city or a county
    stage: Mapped[str] = mapped_column(String(20))  # the notice's kind
    published_at: Mapped[datetime] = mapped_column(index=True)
    length: Mapped[int]  # words, for the ranking's length normalisation


class SearchTerm(Base):
    """A word of a notice (a posting): how often it occurs in the title and in the body, and a
    copy of what the search filters, orders and ranks by, so the newest matches of a word come
    straight off one index without a look at search_doc (see ``ix_search_term_recent``)."""

    __tablename__ = "search_term"
    __table_args__ = (Index("ix_search_term_doc", "doc_id"),)

    term: Mapped[str] = mapped_column(String(40), primary_key=True)
    doc_id: Mapped[int] = mapped_column(ForeignKey("search_doc.id"), primary_key=True)
    in_title: Mapped[int]
    in_body: Mapped[int]
    # Copies of its search_doc row's columns, written with it (search_doc rows are never updated).
    published_at: Mapped[datetime]
    trading_type: Mapped[str] = mapped_column(String(30))
    region: Mapped[str] = mapped_column(String(6))
    stage: Mapped[str] = mapped_column(String(20))
    length: Mapped[int]


# A word's postings newest first: the candidates of a query are the first rows of one range of it
# (filters checked on the way, since/until narrowing the range), and it holds every column that
# the candidates and their ranking read, so neither database visits the table for them.
Index(
    "ix_search_term_recent",
    SearchTerm.term,
    SearchTerm.published_at.desc(),
    SearchTerm.doc_id.desc(),
    SearchTerm.region,
    SearchTerm.trading_type,
    SearchTerm.stage,
    SearchTerm.length,
    SearchTerm.in_title,
    SearchTerm.in_body,
)


class SearchVocab(Base):
    """How many notices contain each word (the ranking's rarity weight)."""

    __tablename__ = "search_vocab"

    term: Mapped[str] = mapped_column(String(40), primary_key=True)
    df: Mapped[int]


class SearchState(Base):
    """How far the index has followed the change feed."""

    __tablename__ = "search_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    cursor: Mapped[int]
    docs: Mapped[int]
    words: Mapped[int]  # total words of all notices, for the average length
