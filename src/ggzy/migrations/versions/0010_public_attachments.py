"""tender documents may be public notice attachments

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 05:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing documents stay what they were: tender documents bidders obtain.
    with op.batch_alter_table("tender_document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("tender_document", schema=None) as batch_op:
        batch_op.drop_column("public")
