"""Rejoin codes: a learner who reloads the page comes back as themselves by typing a short code.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the salted hash of each learner's rejoin code (NULL for learners who joined before it existed)."""
    with op.batch_alter_table("classroom_learners") as batch:
        batch.add_column(sa.Column("rejoin_hash", sa.String(128), nullable=True))


def downgrade() -> None:
    """Drop the rejoin codes."""
    with op.batch_alter_table("classroom_learners") as batch:
        batch.drop_column("rejoin_hash")
