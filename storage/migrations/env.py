"""Alembic's environment, driven by storage/schema.py: the connection (inside the transaction the
upgrade runs in) and, for `db revision`, the models' metadata come in `config.attributes`, so neither an
alembic.ini nor a URL is needed.  `render_as_batch` lets a later migration alter an SQLite table (which
ALTER TABLE mostly cannot: batch mode copies it)."""
from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from alembic import context


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """A model's own column type (storage.models.AwareDateTime, SQLModel's AutoString) is written as
    the plain SQLAlchemy type it stores as, so a generated migration does not import the models."""
    if type_ == "type" and isinstance(obj, sa.TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("migrations run through storage.schema (taskforce-intake db upgrade), not the alembic command")
context.configure(connection=connection, target_metadata=context.config.attributes.get("target_metadata"),
                  render_as_batch=True, compare_type=True, render_item=render_item)
with context.begin_transaction():
    context.run_migrations()
