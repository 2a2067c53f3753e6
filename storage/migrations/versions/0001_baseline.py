"""Baseline: the schema taskforce-intake 0.1.0 made before Alembic (storage/models.py then).

Written by autogenerate against an empty database, then tidied into Table definitions kept here: a
database made before Alembic is compared with exactly these tables (storage/schema.py) before it is
stamped 0001, so they are data, not only statements.  Names, types, indexes, unique constraints and
foreign keys are what SQLModel.metadata.create_all made then, on SQLite and PostgreSQL alike.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

metadata = sa.MetaData()

sa.Table(
    "application",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("reference", sa.String(), nullable=False),
    sa.Column("round_id", sa.String(), nullable=False),
    sa.Column("sequence", sa.Integer(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("municipality", sa.String(), nullable=False),
    sa.Column("cvr", sa.String(), nullable=False),
    sa.Column("sender_domain", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("closed", sa.Boolean(), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("round_id", "sequence"),
    sa.Index("ix_application_reference", "reference", unique=True),
    sa.Index("ix_application_round_id", "round_id"),
    sa.Index("ix_application_sender_domain", "sender_domain"),
)
sa.Table(
    "document",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("sha256", sa.String(), nullable=False),
    sa.Column("reader_version", sa.String(), nullable=False),
    sa.Column("filename", sa.String(), nullable=False),
    sa.Column("role", sa.String(), nullable=False),
    sa.Column("problem", sa.String(), nullable=False),
    sa.Column("format", sa.String(), nullable=False),
    sa.Column("parts", sa.String(), nullable=False),
    sa.Column("reading", sa.Text(), nullable=False),
    sa.Column("read_ms", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("sha256", "reader_version"),
    sa.Index("ix_document_sha256", "sha256"),
)
sa.Table(
    "loginattempt",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("scope", sa.String(), nullable=False),
    sa.Column("key", sa.String(), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_loginattempt_at", "at"),
    sa.Index("ix_loginattempt_scope_key_at", "scope", "key", "at"),
)
sa.Table(
    "servicestate",
    metadata,
    sa.Column("key", sa.String(), nullable=False),
    sa.Column("value", sa.String(), nullable=False),
    sa.PrimaryKeyConstraint("key"),
)
sa.Table(
    "user",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("username", sa.String(), nullable=False),
    sa.Column("password_hash", sa.String(), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("role", sa.String(), nullable=True),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_user_username", "username", unique=True),
)
sa.Table(
    "auditevent",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("application_id", sa.Integer(), nullable=True),
    sa.Column("actor", sa.String(), nullable=False),
    sa.Column("action", sa.String(), nullable=False),
    sa.Column("detail", sa.Text(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["application_id"], ["application.id"]),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_auditevent_actor", "actor"),
    sa.Index("ix_auditevent_application_id", "application_id"),
)
sa.Table(
    "checkoverride",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("application_id", sa.Integer(), nullable=False),
    sa.Column("check_name", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("by", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["application_id"], ["application.id"]),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_checkoverride_application_id", "application_id"),
)
sa.Table(
    "decision",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("application_id", sa.Integer(), nullable=False),
    sa.Column("decision", sa.String(), nullable=False),
    sa.Column("comment", sa.Text(), nullable=True),
    sa.Column("by", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["application_id"], ["application.id"]),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_decision_application_id", "application_id"),
)
sa.Table(
    "inquiryanswered",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("application_id", sa.Integer(), nullable=False),
    sa.Column("by", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["application_id"], ["application.id"]),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_inquiryanswered_application_id", "application_id", unique=True),
)
sa.Table(
    "message",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("sha256", sa.String(), nullable=False),
    sa.Column("mailbox_key", sa.String(), nullable=False),
    sa.Column("message_id", sa.String(), nullable=False),
    sa.Column("in_reply_to", sa.String(), nullable=False),
    sa.Column("references", sa.Text(), nullable=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("received_source", sa.String(), nullable=False),
    sa.Column("sender", sa.String(), nullable=False),
    sa.Column("recipients", sa.String(), nullable=False),
    sa.Column("subject", sa.String(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("automatic_reason", sa.String(), nullable=False),
    sa.Column("round_id", sa.String(), nullable=True),
    sa.Column("application_id", sa.Integer(), nullable=True),
    sa.Column("state", sa.String(), nullable=False),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("attempts", sa.Integer(), nullable=True),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("answered", sa.String(), nullable=False),
    sa.Column("late", sa.String(), nullable=False),
    sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("body", sa.Text(), nullable=True),
    sa.Column("links", sa.Text(), nullable=True),
    sa.Column("auth_verdict", sa.String(), nullable=True),
    sa.Column("auth_flags", sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(["application_id"], ["application.id"]),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_message_application_id", "application_id"),
    sa.Index("ix_message_mailbox_key", "mailbox_key"),
    sa.Index("ix_message_message_id", "message_id"),
    sa.Index("ix_message_round_id", "round_id"),
    sa.Index("ix_message_sender", "sender"),
    sa.Index("ix_message_sha256", "sha256", unique=True),
)
sa.Table(
    "note",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("application_id", sa.Integer(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("by", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["application_id"], ["application.id"]),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_note_application_id", "application_id"),
)
sa.Table(
    "websession",
    metadata,
    sa.Column("id_hash", sa.String(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("csrf_nonce", sa.String(), nullable=False),
    sa.Column("flash", sa.Text(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
    sa.PrimaryKeyConstraint("id_hash"),
    sa.Index("ix_websession_expires_at", "expires_at"),
    sa.Index("ix_websession_user_id", "user_id"),
)
sa.Table(
    "assessment",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("application_id", sa.Integer(), nullable=False),
    sa.Column("message_id", sa.Integer(), nullable=True),
    sa.Column("complete", sa.Boolean(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("reply", sa.String(), nullable=False),
    sa.Column("checks_json", sa.Text(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["application_id"], ["application.id"]),
    sa.ForeignKeyConstraint(["message_id"], ["message.id"]),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_assessment_application_id", "application_id"),
)
sa.Table(
    "attachment",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("message_id", sa.Integer(), nullable=False),
    sa.Column("filename", sa.String(), nullable=False),
    sa.Column("content_type", sa.String(), nullable=False),
    sa.Column("sha256", sa.String(), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("role", sa.String(), nullable=False),
    sa.Column("problem", sa.String(), nullable=False),
    sa.Column("problem_detail", sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(["message_id"], ["message.id"]),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_attachment_message_id", "message_id"),
    sa.Index("ix_attachment_sha256", "sha256"),
)
sa.Table(
    "reply",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("dedupe_key", sa.String(), nullable=False),
    sa.Column("application_id", sa.Integer(), nullable=True),
    sa.Column("answers_message_id", sa.Integer(), nullable=True),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("template", sa.String(), nullable=False),
    sa.Column("message_id", sa.String(), nullable=False),
    sa.Column("to", sa.String(), nullable=False),
    sa.Column("sender", sa.String(), nullable=False),
    sa.Column("subject", sa.String(), nullable=False),
    sa.Column("raw", sa.LargeBinary(), nullable=False),
    sa.Column("state", sa.String(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("error", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["answers_message_id"], ["message.id"]),
    sa.ForeignKeyConstraint(["application_id"], ["application.id"]),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_reply_application_id", "application_id"),
    sa.Index("ix_reply_dedupe_key", "dedupe_key", unique=True),
    sa.Index("ix_reply_message_id", "message_id", unique=True),
    sa.Index("ix_reply_state", "state"),
)
sa.Table(
    "informationrequest",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("application_id", sa.Integer(), nullable=False),
    sa.Column("text", sa.Text(), nullable=True),
    sa.Column("requested_by", sa.String(), nullable=False),
    sa.Column("reply_id", sa.Integer(), nullable=True),
    sa.Column("open", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["application_id"], ["application.id"]),
    sa.ForeignKeyConstraint(["reply_id"], ["reply.id"]),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_informationrequest_application_id", "application_id"),
)


def upgrade() -> None:
    metadata.create_all(op.get_bind(), checkfirst=False)


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), checkfirst=False)
