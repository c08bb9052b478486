"""Follow-ups: a story that alerted on a channel has a thread there, which its updates
build on (what the channel was last told, how many updates went, when).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from monitor.store.schema import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "story_threads",
        sa.Column("story", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(200), primary_key=True),
        sa.Column("first_alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("first_sent_at", UTCDateTime, nullable=False),
        sa.Column("updates", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_at", UTCDateTime, nullable=False),
        sa.Column("outlets", sa.Integer, nullable=False),
        sa.Column("concepts", sa.Text, nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("pending_update", sa.Integer),
    )


def downgrade() -> None:
    op.drop_table("story_threads")
