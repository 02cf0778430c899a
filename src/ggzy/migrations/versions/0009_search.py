"""search index: notices cut into words (jieba) for the portal's Chinese search

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 05:08:01.680608
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ggzy.common.orm

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("docs", sa.Integer(), nullable=False),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_state")),
    )
    op.create_table(
        "search_vocab",
        sa.Column("term", sa.String(length=40), nullable=False),
        sa.Column("df", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_search_vocab")),
    )
    op.create_table(
        "search_doc",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("tender_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("trading_type", sa.String(length=30), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("published_at", ggzy.common.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"], name=op.f("fk_search_doc_notice_id_notice")),
        sa.ForeignKeyConstraint(["tender_id"], ["tender.id"], name=op.f("fk_search_doc_tender_id_tender")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_doc")),
        sa.UniqueConstraint("notice_id", name=op.f("uq_search_doc_notice_id")),
    )
    with op.batch_alter_table("search_doc", schema=None) as batch_op:
        batch_op.create_index("ix_search_doc_filter", ["trading_type", "region", "published_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_doc_published_at"), ["published_at"], unique=False)
    op.create_table(
        "search_term",
        sa.Column("term", sa.String(length=40), nullable=False),
        sa.Column("doc_id", sa.Integer(), nullable=False),
        sa.Column("in_title", sa.Integer(), nullable=False),
        sa.Column("in_body", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["doc_id"], ["search_doc.id"], name=op.f("fk_search_term_doc_id_search_doc")),
        sa.PrimaryKeyConstraint("term", "doc_id", name=op.f("pk_search_term")),
    )
    with op.batch_alter_table("search_term", schema=None) as batch_op:
        batch_op.create_index("ix_search_term_doc", ["doc_id"], unique=False)


def downgrade() -> None:
    for table in ("search_term", "search_vocab", "search_state", "search_doc"):
        op.drop_table(table)
