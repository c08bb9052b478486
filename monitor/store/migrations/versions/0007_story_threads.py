"""Follow-ups: a story that alerted on a channel has a thread there, which its updates
build on (what the channel was last told, how many updates went, when). Surges: the stories
each watched topic matched, each topic's surge state, and every surge.

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


    op.create_table(
        "topic_stories",
        sa.Column("topic", sa.String(300), primary_key=True),
        sa.Column("story", sa.String(64), primary_key=True),
        sa.Column("seen_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_topic_stories_seen", "topic_stories", ["topic", "seen_at"])
    op.create_table(
        "surge_topics",
        sa.Column("topic", sa.String(300), primary_key=True),
        sa.Column("since", UTCDateTime, nullable=False),
        sa.Column("window", sa.Float, nullable=False),
        sa.Column("min_stories", sa.Integer, nullable=False),
        sa.Column("channels", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("watchlist", sa.String(200), nullable=False),
        sa.Column("active_since", UTCDateTime),
        sa.Column("calm_since", UTCDateTime),
        sa.Column("peak", sa.Integer, nullable=False, server_default="0"),
        sa.Column("surge_id", sa.Integer),
    )
    op.create_table(
        "surges",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("topic", sa.String(300), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("ended_at", UTCDateTime),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("expected", sa.Float, nullable=False),
        sa.Column("peak", sa.Integer, nullable=False),
        sa.Column("line", sa.Text, nullable=False),
    )
    op.create_index("ix_surges_started", "surges", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_surges_started", "surges")
    op.drop_table("surges")
    op.drop_table("surge_topics")
    op.drop_index("ix_topic_stories_seen", "topic_stories")
    op.drop_table("topic_stories")
    op.drop_table("story_threads")
