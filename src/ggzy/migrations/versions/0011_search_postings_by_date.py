"""search postings carry their notice's date and filters, indexed newest first per word

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 09:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import ggzy.common.orm

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# search_doc's columns that each of its postings gets a copy of (the same names and types).
COPIED: list[tuple[str, sa.types.TypeEngine[Any]]] = [
    ("published_at", ggzy.common.orm.UTCDateTime(timezone=True)),
    ("trading_type", sa.String(length=30)),
    ("region", sa.String(length=6)),
    ("stage", sa.String(length=20)),
    ("length", sa.Integer()),
]


def upgrade() -> None:
    # Nullable first so the columns can be added to a filled table, then filled from search_doc
    # (UPDATE ... FROM: PostgreSQL, and SQLite from 3.33), then made NOT NULL (on SQLite that
    # rebuilds the table, which also packs the rows the UPDATE lengthened in place).
    with op.batch_alter_table("search_term", schema=None) as batch_op:
        for name, type_ in COPIED:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    op.execute(
        "UPDATE search_term SET published_at = search_doc.published_at, "
        "trading_type = search_doc.trading_type, region = search_doc.region, stage = search_doc.stage, "
        "length = search_doc.length FROM search_doc WHERE search_doc.id = search_term.doc_id"
    )
    with op.batch_alter_table("search_term", schema=None) as batch_op:
        for name, type_ in COPIED:
            batch_op.alter_column(name, existing_type=type_, nullable=False)
    # Outside the batch: its table copy on SQLite cannot carry an index with DESC columns.
    op.create_index(
        "ix_search_term_recent",
        "search_term",
        [
            "term",
            sa.text("published_at DESC"),
            sa.text("doc_id DESC"),
            "region",
            "trading_type",
            "stage",
            "length",
            "in_title",
            "in_body",
        ],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_search_term_recent", table_name="search_term")
    with op.batch_alter_table("search_term", schema=None) as batch_op:
        for name, _ in reversed(COPIED):
            batch_op.drop_column(name)
