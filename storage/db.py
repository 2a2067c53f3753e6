"""Engine and sessions.  SQLite by default (WAL, foreign keys on), PostgreSQL in production."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine, select

from storage import models  # noqa: F401  (tables)
from storage.models import ServiceState

SCHEMA_VERSION = "1"


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


def migrate(engine: Engine) -> None:
    """Create missing tables and record the schema version (a fresh database needs nothing else yet)."""
    SQLModel.metadata.create_all(engine)
    _add_missing_columns(engine)
    with Session(engine) as session:
        if session.get(ServiceState, "schema_version") is None:
            session.add(ServiceState(key="schema_version", value=SCHEMA_VERSION))
            session.commit()


def _add_missing_columns(engine: Engine) -> None:
    """Nullable columns added to a table after a database was made (e.g. reply.next_attempt_at)."""
    inspector = inspect(engine)
    with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            have = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have and column.nullable:
                    kind = column.type.compile(dialect=engine.dialect)
                    conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'))


def first_start(session: Session, now: dt.datetime) -> dt.datetime:
    """When the service first started on this database (recorded on the first call)."""
    row = session.get(ServiceState, "first_start")
    if row is None:
        row = ServiceState(key="first_start", value=now.isoformat())
        session.add(row)
        session.commit()
    return dt.datetime.fromisoformat(row.value)


def state(session: Session, key: str) -> str | None:
    row = session.exec(select(ServiceState).where(ServiceState.key == key)).first()
    return row.value if row else None
