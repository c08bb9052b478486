"""Follow-ups on a rising toll: a story's thread keeps the killed figure the channel was
last told (its count and qualifier), so a later entry with a higher one queues an update
("Toll rose: at least 32 → 45 killed"). Threads opened before it have none: they follow
up on outlets and places as before.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("story_threads") as batch:
        batch.add_column(sa.Column("killed", sa.Integer))
        batch.add_column(sa.Column("killed_qualifier", sa.String(16)))


def downgrade() -> None:
    with op.batch_alter_table("story_threads") as batch:
        batch.drop_column("killed_qualifier")
        batch.drop_column("killed")
