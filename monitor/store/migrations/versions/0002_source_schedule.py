"""What adaptive scheduling and `status` need: kind, first seen, current interval.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from monitor.store.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False,
                                   server_default="feed"))
        batch.add_column(sa.Column("created_at", UTCDateTime))
        batch.add_column(sa.Column("interval", sa.Float))
    op.create_index("ix_entries_source_published", "entries", ["source", "published_at"])


def downgrade() -> None:
    op.drop_index("ix_entries_source_published", "entries")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("interval")
        batch.drop_column("created_at")
        batch.drop_column("kind")
