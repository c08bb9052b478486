"""A log of messages sent per channel, for rate limits.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from monitor.store.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("sent_at", UTCDateTime, nullable=False),
        sa.Column("alerts", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
    )
    op.create_index("ix_deliveries_channel_sent", "deliveries", ["channel", "sent_at"])


def downgrade() -> None:
    op.drop_table("deliveries")
