"""Scores: the secretariat's scoring of the guideline's five weighing criteria, for the steering group
(storage/models.py `Score`, bot/steering.py).  A new table only, so SQLite needs no batch copy.

Chained after 0002 (pictures, written at the same time): with both revising the baseline the
migrations had two heads and no program would start, so this one revises "0002".

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("criterion", sa.String(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["application.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_score_application_id", "score", ["application_id"])


def downgrade() -> None:
    op.drop_index("ix_score_application_id", table_name="score")
    op.drop_table("score")
