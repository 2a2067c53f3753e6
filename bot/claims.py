"""Who does what when several `run` processes share one PostgreSQL database and one mailbox.

Correctness rests on the database, never on timing:
  * storing: the same bytes stored by two workers at once give one `message` row (`insert_new`:
    INSERT ... ON CONFLICT (sha256) DO NOTHING, then the row that is there);
  * processing: `take_message` locks the row for the processing transaction (SELECT ... FOR UPDATE
    SKIP LOCKED); a row another worker holds is skipped and left to it, mail and all.  A killed
    worker's transaction aborts, so its row is free again at once (the mail is still in INBOX: it is
    moved only after processing);
  * deciding: `decide_alone` serialises the decision per round (a transaction-level advisory lock), so
    two mails of one municipality decided at once never make two applications, lose a supplement or
    take the same reference number (`applications._new` counts `max(sequence) + 1` in the round);
  * deadlines: every processing transaction holds the "mail in hand" lock shared, the reminders,
    the closing and retention hold it exclusive (`no_mail_in_hand`), so a round never closes while a
    mail received before its deadline is half processed, and two workers never record one reminder.
Spreading the work is `MailClaims`: a worker claims a mailbox mail (a session-level advisory lock on a
connection of its own) before downloading it, and one that another worker has in hand is skipped, so
two workers do not both read the same documents.  A claim only saves work; the row lock above is what
keeps a mail from being processed twice.

On SQLite everything here is a no-op: it is the single-process embedded default, and `WorkerGuard`
refuses a second `run` on the same database file."""
from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, or_, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col, select

from bot.states import MessageState
from storage.db import first_start, insert_skipping
from storage.models import Application, Message

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for an advisory lock (Python's hash() differs between processes)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


MAIL_IN_HAND = lock_key("taskforce-intake:mail-in-hand")


def on_postgresql(bind: Session | Engine | Connection) -> bool:
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name == "postgresql"


# -- storing --------------------------------------------------------------------------------------
def insert_new(session: Session, row: Message) -> Message | None:
    """Insert a new message row unless its sha256 is there already (stored by another worker a moment
    ago): returns the new row, or None when the existing one should be used.  ON CONFLICT waits for a
    concurrent insert of the same bytes to commit, so it never raises an IntegrityError."""
    values = {c.name: getattr(row, c.name) for c in Message.__table__.columns if c.name != "id"}  # type: ignore[attr-defined]
    statement = insert_skipping(session, Message).on_conflict_do_nothing(index_elements=["sha256"]).returning(Message.__table__.c.id)  # type: ignore[attr-defined]
    new_id = session.connection().execute(statement, values).scalar()  # Core: RETURNING gives nothing when the row was there
    session.commit()
    return session.get(Message, new_id) if new_id is not None else None


def recorded_first_start(engine: Engine, now: dt.datetime) -> dt.datetime:
    """`storage.db.first_start`, when two workers start on a new database at the same moment."""
    with Session(engine) as session:
        try:
            return first_start(session, now)
        except IntegrityError:
            session.rollback()
            return first_start(session, now)


# -- processing -----------------------------------------------------------------------------------
def take_message(session: Session, row_id: int, due: dt.datetime | None = None) -> Message | None:
    """The message row, locked for this transaction, with the "mail in hand" lock held shared (the
    deadlines wait for it); None when it is gone or another worker holds it (that worker settles and
    moves it; a killed worker's lock is gone with its connection).  With `due`: only a failed message
    whose next attempt has come by then, so two workers retrying at once do not both spend an attempt."""
    query = select(Message).where(Message.id == row_id)
    if due is not None:
        query = query.where(Message.state == MessageState.FAILED,
                            or_(col(Message.next_attempt_at).is_(None), col(Message.next_attempt_at) <= due))
    if on_postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": MAIL_IN_HAND})
        query = query.with_for_update(skip_locked=True)
    return session.exec(query).first()


def lock_message(session: Session, row_id: int) -> Message | None:
    """The message row, waiting for a worker that holds it (recording a failure after a rollback:
    another worker may have taken the row meanwhile and settled it)."""
    query = select(Message).where(Message.id == row_id)
    return session.exec(query.with_for_update() if on_postgresql(session) else query).first()


def decide_alone(session: Session, round_id: str) -> None:
    """The rest of this transaction is the only decision in `round_id` across workers: which
    application a mail joins, a new reference number, the application's state.  A lock per round, not
    per municipality, because a municipality is only known for sure once it is decided (the form's CVR,
    the thread, the reference) and the reference sequence is per round; the decision itself takes
    milliseconds, the reading before it is not under the lock.  Applications this session loaded
    before the lock are expired, so they are read again as the other worker left them."""
    if not on_postgresql(session):
        return
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(f"taskforce-intake:round:{round_id}")})
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Application) and obj not in session.dirty:
            session.expire(obj)


@contextmanager
def no_mail_in_hand(engine: Engine) -> Iterator[None]:
    """While inside, no worker processes a mail (the reminders and closing of rounds, retention): the
    "mail in hand" lock exclusive, on a connection of its own, released on leaving (or with the
    connection when the process dies)."""
    if not on_postgresql(engine):
        yield
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MAIL_IN_HAND})
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MAIL_IN_HAND})


# -- the mailbox ----------------------------------------------------------------------------------
class MailClaims:
    """The mailbox mails this worker has in hand, from before their download until they are moved out
    (`imap.ImapMailbox.fetch` and `done`): session-level advisory locks on one autocommit connection
    of the worker's own, so a killed worker's claims end with its connection.  `batch` is how many mails
    a worker claims and downloads at once: the lookahead's size, so one worker does not hold a backlog
    another could take.  On SQLite (one process) every claim is granted and `batch` is None."""

    def __init__(self, engine: Engine, scope: str, batch: int) -> None:
        self.engine, self.scope = engine, scope
        self.shared = on_postgresql(engine)
        self.batch: int | None = batch if self.shared else None
        self.held: set[str] = set()
        self.conn: Connection | None = None

    def _key(self, key: str) -> int:
        return lock_key(f"taskforce-intake:mail:{self.scope}:{key}")

    def _execute(self, sql: str, key: str) -> bool:
        if self.conn is None:
            self.conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return bool(self.conn.execute(text(sql), {"key": self._key(key)}).scalar())

    def take(self, key: str) -> bool:
        """True when this worker now has the mail in hand (or had it already); False when another has."""
        if not self.shared or key in self.held:
            return True
        try:
            taken = self._execute("SELECT pg_try_advisory_lock(:key)", key)
        except DBAPIError as exc:  # the claims' connection is gone: the row lock still keeps the mail from being done twice
            log.warning("kunne ikke reservere mailen %s i databasen (%s); behandler den alligevel", key, exc.orig)
            self._drop()
            return True
        if taken:
            self.held.add(key)
        return taken

    def release(self, key: str) -> None:
        if key not in self.held:
            return
        self.held.discard(key)
        try:
            self._execute("SELECT pg_advisory_unlock(:key)", key)
        except DBAPIError:
            self._drop()  # its locks went with the connection

    def release_all(self) -> None:
        for key in list(self.held):
            self.release(key)

    def _drop(self) -> None:
        self.held.clear()
        if self.conn is not None:
            try:
                self.conn.close()
            except DBAPIError:
                pass
        self.conn = None

    def close(self) -> None:
        self.release_all()
        self._drop()


# -- processes ------------------------------------------------------------------------------------
class AnotherWorker(Exception):
    """A second `run` on an SQLite database; the message is the Danish line the operator reads."""


class WorkerGuard:
    """Taken by `run` for the life of the process.  SQLite: an exclusive lock file next to the database
    (fcntl.flock, released by the OS when the process dies, however it dies), so a second `run` on the
    same file refuses to start; `serve` next to one `run` is fine (SQLite's WAL allows one writer and
    readers).  PostgreSQL: any number of workers (storage/schema.py creates a new database's tables under a lock)."""

    def __init__(self, url: str, handle: IO[str] | None) -> None:
        self.url, self.handle = url, handle

    @classmethod
    def take(cls, url: str) -> "WorkerGuard":
        if not url.startswith("sqlite:///"):
            return cls(url, None)
        database = Path(url.removeprefix("sqlite:///"))
        database.parent.mkdir(parents=True, exist_ok=True)
        path = database.with_name(database.name + ".run.lock")
        handle = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid = handle.read().strip()
            handle.close()
            raise AnotherWorker(f"En anden proces{f' (pid {pid})' if pid else ''} kører allerede `run` på SQLite-databasen "
                                f"{database} (låsefil {path}); stop den først, eller brug PostgreSQL ([storage] url) "
                                "for at køre flere samtidigt.") from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        return cls(url, handle)

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()  # the flock goes with the descriptor
            self.handle = None
