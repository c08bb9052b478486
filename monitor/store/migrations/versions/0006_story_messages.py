"""One outbox row per story and channel, with the rules inside: a story that fires four
rules is one message. Which rules have fired for a story on a channel (the promise never to
alert twice) moves from the outbox's unique index to the `alert_rules` table; the rows
already there each become the message of their one rule.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from monitor.store.schema import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # First, while nothing refers to `alerts`: SQLite drops a constraint by copying the
    # table, and a table referred to by a foreign key cannot be dropped for the copy.
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint("uq_alerts_once", type_="unique")
        batch.create_index("ix_alerts_story_channel", ["story", "channel"])
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("story", sa.String(64), nullable=False),
        sa.Column("watchlist", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id")),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("story", "watchlist", "rule", "channel",
                            name="uq_alert_rules_once"),
    )
    op.create_index("ix_alert_rules_alert", "alert_rules", ["alert_id"])
    op.create_index("ix_alert_rules_watchlist", "alert_rules", ["watchlist", "alert_id"])
    op.execute("INSERT INTO alert_rules (story, watchlist, rule, channel, alert_id, created_at) "
               "SELECT story, watchlist, rule, channel, id, created_at FROM alerts")


def downgrade() -> None:
    """Back to one row per rule: only safe while no message names two rules."""
    op.drop_index("ix_alert_rules_watchlist", "alert_rules")
    op.drop_index("ix_alert_rules_alert", "alert_rules")
    op.drop_table("alert_rules")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index("ix_alerts_story_channel")
        batch.create_unique_constraint("uq_alerts_once", ["story", "watchlist", "rule", "channel"])
