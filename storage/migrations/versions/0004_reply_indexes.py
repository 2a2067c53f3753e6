"""Two indexes on `reply` for the loop caps weighed before each automatic reply (bot/loops.py
`hold_reason`): the replies to a Message-ID (by `answers_message_id`) and the replies to one sender in
the last day (by `lower("to")` and `created_at`).  Without them both were a scan of every reply ever
recorded, raw bytes and all, for each mail.  Indexes only: no data changes, no batch copy on SQLite.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_reply_answers_message_id", "reply", ["answers_message_id"])
    op.create_index("ix_reply_to_lower_created_at", "reply", [sa.text('lower("to")'), "created_at"])


def downgrade() -> None:
    op.drop_index("ix_reply_to_lower_created_at", table_name="reply")
    op.drop_index("ix_reply_answers_message_id", table_name="reply")
