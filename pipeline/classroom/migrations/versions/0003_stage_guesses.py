"""Stage guesses: a question the teacher asks before a stage is revealed ("what will the model answer?").

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the stage a question is a guess about (NULL for a quiz question, as every earlier one is) and the input
    the stage shows (empty for a quiz question)."""
    with op.batch_alter_table("classroom_questions") as batch:
        batch.add_column(sa.Column("stage", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("about", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    """Drop the guesses' stage and input (they stay as plain quiz questions)."""
    with op.batch_alter_table("classroom_questions") as batch:
        batch.drop_column("about")
        batch.drop_column("stage")
