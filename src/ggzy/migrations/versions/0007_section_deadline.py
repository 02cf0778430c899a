"""tender sections may have their own bid deadline

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 04:37:00.715201
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ggzy.common.orm

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A section may close and open before the tender's last deadline (None: the tender's).
    with op.batch_alter_table("tender_section", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bid_deadline", ggzy.common.orm.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tender_section", schema=None) as batch_op:
        batch_op.drop_column("bid_deadline")
