"""Initial classroom schema: classes, learners, questions, answers.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the four classroom tables with their keys, constraints and indexes."""
    op.create_table(
        "classroom_classes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(6), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("lesson", sa.String(80), nullable=False),
        sa.Column("run_key", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("ended", sa.Boolean(), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=False),
    )
    op.create_table(
        "classroom_learners",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("class_id", sa.Integer(), _cascade("classroom_classes.id"), nullable=False, index=True),
        sa.Column("display_name", sa.String(40), nullable=False),
        sa.Column("token_hash", sa.String(128), nullable=False),
        sa.Column("following", sa.Boolean(), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("class_id", "display_name", name="uq_classroom_learner_name"),
    )
    op.create_table(
        "classroom_questions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("class_id", sa.Integer(), _cascade("classroom_classes.id"), nullable=False, index=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("answer", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("opened", sa.Boolean(), nullable=False),
        sa.Column("revealed", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("class_id", "position", name="uq_classroom_question_position"),
        sa.CheckConstraint("source IN ('written', 'generated', 'teacher')", name="ck_classroom_question_source"),
    )
    op.create_table(
        "classroom_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("question_id", sa.Integer(), _cascade("classroom_questions.id"), nullable=False, index=True),
        sa.Column("learner_id", sa.Integer(), _cascade("classroom_learners.id"), nullable=False, index=True),
        sa.Column("choice", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("question_id", "learner_id", name="uq_classroom_answer_once"),
    )


def downgrade() -> None:
    """Drop the classroom tables, children first."""
    for table in ("classroom_answers", "classroom_questions", "classroom_learners", "classroom_classes"):
        op.drop_table(table)


def _cascade(target: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete="CASCADE")
