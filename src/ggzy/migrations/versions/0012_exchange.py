"""upward exchange: deliveries of the national datasets; organisations' e-mail

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 08:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ggzy.common.orm

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=100), nullable=False, server_default=""))
    op.create_table(
        "exchange_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cursor", BIG, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_state")),
    )
    when = ggzy.common.orm.UTCDateTime(timezone=True)
    op.create_table(
        "exchange_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_no", sa.String(length=3), nullable=False),
        sa.Column("record_key", sa.String(length=120), nullable=False),
        sa.Column("parent_dataset", sa.String(length=3), nullable=True),
        sa.Column("parent_key", sa.String(length=120), nullable=True),
        sa.Column("change_seq", BIG, nullable=False),
        sa.Column("tender_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", when, nullable=True),
        sa.Column("lease_until", when, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("receipt", sa.String(length=120), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.Column("sent_at", when, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_delivery")),
        sa.UniqueConstraint("dataset_no", "record_key", "digest", name="uq_exchange_delivery_content"),
    )
    op.create_index("ix_exchange_delivery_due", "exchange_delivery", ["status", "next_attempt_at"])
    op.create_index("ix_exchange_delivery_record", "exchange_delivery", ["dataset_no", "record_key"])


def downgrade() -> None:
    op.drop_index("ix_exchange_delivery_record", table_name="exchange_delivery")
    op.drop_index("ix_exchange_delivery_due", table_name="exchange_delivery")
    op.drop_table("exchange_delivery")
    op.drop_table("exchange_state")
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_column("email")
