"""Is the service alive?  Two facts, both read from the database every process shares (two `run`
workers, the web app, the `health` command may each be a container of its own): when the mailbox was
last polled successfully (`servicestate` key `last_poll`, written by the worker after each pass and
after each IDLE wait that ended normally) and whether the database answers at all.

`health` is the verdict, a pure function of those facts and the limit `[monitoring]
poll_stale_seconds`; `/healthz`, `/metrics` and `taskforce-intake health` all give this one verdict.
Before any poll is recorded the service counts as starting, not dead, until `poll_stale_seconds` after
it started (see `health`)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel

from storage.db import FIRST_START, state
from storage.models import ServiceState
from storage.schema import SchemaState, current

LAST_POLL = "last_poll"  # servicestate.key: the time of the last successful mailbox poll (UTC, ISO 8601)
UNREACHABLE = "Databasen kan ikke nås"


@dataclass(frozen=True)
class Health:
    """The verdict with its reasons (Danish, for the operator), and the facts it was made from."""

    healthy: bool
    reasons: tuple[str, ...]
    database: bool
    limit: int
    last_poll: dt.datetime | None = None
    last_poll_age: float | None = None  # seconds; None: no poll recorded (or the database did not answer)

    def to_json(self) -> dict[str, object]:
        """The body of /healthz: no secret, no personal data."""
        return {
            "status": "ok" if self.healthy else "fejl",
            "database": "ok" if self.database else "fejl",
            "last_poll": self.last_poll.isoformat() if self.last_poll else None,
            "last_poll_age_seconds": round(self.last_poll_age) if self.last_poll_age is not None else None,
            "poll_stale_seconds": self.limit,
            "reasons": list(self.reasons),
        }


def health(now: dt.datetime, last_poll: dt.datetime | None, database_ok: bool, limit: int,
           started: dt.datetime | None = None) -> Health:
    """The verdict.  Unhealthy when the database does not answer, or when the last successful poll is
    more than `limit` seconds before `now`.  No poll recorded yet: healthy until `limit` seconds after
    `started` (when the service started; None: unknown, so unhealthy), so a fresh container is not killed
    while its first pass runs.  `limit` 0 watches no poll (a web app with no worker beside it)."""
    if not database_ok:
        return Health(False, (UNREACHABLE,), False, limit)
    if limit <= 0:
        return Health(True, (), True, limit, last_poll, _age(now, last_poll))
    if last_poll is None:
        since = _age(now, started)
        if since is not None and since <= limit:
            return Health(True, (f"Ingen postkassekontrol er registreret endnu; tjenesten startede for {since:.0f} sekunder siden "
                                 f"(grænse {limit})",), True, limit)
        return Health(False, (f"Ingen vellykket postkassekontrol er registreret (grænse {limit} sekunder): "
                              "kører `taskforce-intake run`, og kan den nå postkassen?",), True, limit)
    age = _age(now, last_poll) or 0.0
    if age > limit:
        return Health(False, (f"Sidste vellykkede postkassekontrol var for {age:.0f} sekunder siden (grænse {limit})",), True, limit,
                      last_poll, age)
    return Health(True, (), True, limit, last_poll, age)


def _age(now: dt.datetime, then: dt.datetime | None) -> float | None:
    """Seconds from `then` to `now`, never negative (a replayed clock behind the recorded poll)."""
    return None if then is None else max(0.0, (now - then).total_seconds())


def record_poll(engine: Engine, now: dt.datetime) -> None:
    """The mailbox was polled successfully at `now`: one upsert of `servicestate.last_poll`, safe when
    two workers write it at once (the later write wins)."""
    value = now.astimezone(dt.timezone.utc).isoformat()
    table = SQLModel.metadata.tables[str(ServiceState.__tablename__)]
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(key=LAST_POLL, value=value)
    with engine.begin() as conn:
        conn.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"value": value}))


def last_poll(session: Session) -> dt.datetime | None:
    value = state(session, LAST_POLL)
    return dt.datetime.fromisoformat(value) if value else None


def first_start(session: Session) -> dt.datetime | None:
    """When the service first started on this database (read only; storage.db.first_start writes it)."""
    value = state(session, FIRST_START)
    return dt.datetime.fromisoformat(value) if value else None


def check(engine: Engine, now: dt.datetime, limit: int, started: dt.datetime | None = None) -> Health:
    """The verdict over the database.  No poll yet: the grace period runs from the later of `started`
    (this process's start) and the service's first start on this database."""
    try:
        with Session(engine) as session:
            polled, first = last_poll(session), first_start(session)
    except SQLAlchemyError:
        return health(now, None, False, limit)
    begun = max((t for t in (started, first) if t is not None), default=None)
    return health(now, polled, True, limit, begun)


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"status": "ok" if self.ready else "fejl", "reasons": list(self.reasons)}


def readiness(engine: Engine) -> Readiness:
    """Ready to serve: the database answers and its schema is the one this version uses
    (storage/schema.py); no poll needed: the web app can serve while the worker is down."""
    try:
        schema = current(engine)
    except SQLAlchemyError:
        return Readiness(False, (UNREACHABLE,))
    if schema.state is not SchemaState.HEAD:
        return Readiness(False, (f"Databasens skema: {schema.describe()}",))  # describe(), not refusal(): no URL in a public answer
    return Readiness(True, ())
