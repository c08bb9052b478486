"""Source health as alerts: what the store needs to announce a source failing, recovering
or falling silent exactly once — when its run of errors began, when it last brought a new
entry, the health state last announced — and a queue of health notices per channel.

`last_new_at` is filled from the entries already recorded, so a database upgraded from
0004 knows at once when each source last brought something new.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from monitor.store.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("failing_since", UTCDateTime))
        batch.add_column(sa.Column("last_new_at", UTCDateTime))
        batch.add_column(sa.Column("health", sa.String(16)))
        batch.add_column(sa.Column("health_at", UTCDateTime))
    op.execute("UPDATE sources SET last_new_at = (SELECT max(entries.seen_at) FROM entries "
               "WHERE entries.source = sources.name)")
    op.create_table(
        "health_notices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("sent_at", UTCDateTime),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_health_notices_due", "health_notices",
                    ["state", "channel", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_health_notices_due", "health_notices")
    op.drop_table("health_notices")
    with op.batch_alter_table("sources") as batch:
        for column in ("health_at", "health", "last_new_at", "failing_since"):
            batch.drop_column(column)
