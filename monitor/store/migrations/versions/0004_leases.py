"""Leases, so several replicas can share one database: a claimed source or outbox row
names its owner and an expiry; a `leases` table holds named ones (a channel's delivery).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from monitor.store.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("sources", "alerts"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("lease_owner", sa.String(100)))
            batch.add_column(sa.Column("lease_until", UTCDateTime))
    op.create_table(
        "leases",
        sa.Column("name", sa.String(300), primary_key=True),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("until", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("leases")
    for table in ("sources", "alerts"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("lease_until")
            batch.drop_column("lease_owner")
