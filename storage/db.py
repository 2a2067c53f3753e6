"""Engine and sessions.  SQLite by default (WAL, foreign keys on), PostgreSQL in production.  The
schema itself (created, checked, upgraded) is storage/schema.py's."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine, select

from storage import models  # noqa: F401  (tables)
from storage.models import ServiceState


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record) -> None:  # pragma: no cover - exercised by every SQLite test
            cursor = conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def insert_skipping(session: Session, table: type[SQLModel]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `table` in this database's own dialect, which can say ON CONFLICT DO NOTHING (the
    same bytes stored, the same document read, by another worker a moment ago)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


FIRST_START = "first_start"  # the servicestate key of the service's first start on this database


def first_start(session: Session, now: dt.datetime) -> dt.datetime:
    """When the service first started on this database (recorded on the first call)."""
    row = session.get(ServiceState, FIRST_START)
    if row is None:
        row = ServiceState(key=FIRST_START, value=now.isoformat())
        session.add(row)
        session.commit()
    return dt.datetime.fromisoformat(row.value)


def state(session: Session, key: str) -> str | None:
    row = session.exec(select(ServiceState).where(ServiceState.key == key)).first()
    return row.value if row else None
