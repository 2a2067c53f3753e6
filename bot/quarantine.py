"""Mail whose processing failed unexpectedly (a bug, a full disk, a lost database connection): it was
stored before anything else, so it is tried again from the stored copy -- never from the mailbox, which
it has left so it blocks nothing -- each time it is due (`intake.record_failure` sets when), until
`[mailbox] failed_attempts` are spent; then it stays quarantined, shown with its error in the queue and
the web app, until someone runs `taskforce-intake retry MESSAGE` after fixing the cause."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import or_
from sqlmodel import Session, select

from bot.intake import RunSummary, settle
from bot.runtime import Runtime
from bot.states import MessageState
from storage.models import Message, Reply


def due(session: Session, now: dt.datetime) -> list[int]:
    """Failed messages whose next attempt has come (a row from before the retry columns has none: due)."""
    return list(session.exec(select(Message.id).where(
        Message.state == MessageState.FAILED, or_(Message.next_attempt_at == None, Message.next_attempt_at <= now))  # noqa: E711
        .order_by(Message.received_at, Message.id)).all())


def retry_due(rt: Runtime, now: dt.datetime, summary: RunSummary, replied: Callable[[], None] | None = None) -> None:
    """Each due message processed again, in its own transaction, oldest first; one that another worker
    is retrying, or has just retried (no longer due), is left to it (`settle(due=...)`)."""
    with Session(rt.engine) as session:
        ids = due(session, now)
    for row_id in ids:
        summary.retried += 1
        if settle(rt, row_id, now, summary, due=now) is not None and replied is not None:
            replied()


def find(session: Session, key: str) -> Message | None:
    """A message by its number (as the web app shows it), its Message-ID, or its sha256 (at least 8 hex
    characters of it)."""
    key = key.strip()
    if key.isdigit():
        return session.get(Message, int(key))
    if key.startswith("<") or "@" in key:
        wanted = key if key.startswith("<") else f"<{key}>"
        return session.exec(select(Message).where(Message.message_id == wanted).order_by(Message.id.desc())).first()
    if len(key) >= 8 and all(c in "0123456789abcdef" for c in key.lower()):
        found = session.exec(select(Message).where(Message.sha256.startswith(key.lower()))).all()
        return found[0] if len(found) == 1 else None
    return None


def retry(rt: Runtime, message_id: int, now: dt.datetime) -> tuple[Message, Reply | None]:
    """One failed or quarantined message processed again now, whatever its attempts.  Raises ValueError
    (Danish) for a message that is not waiting for that."""
    with Session(rt.engine) as session:
        row = session.get(Message, message_id)
        if row is None or row.state not in (MessageState.FAILED, MessageState.QUARANTINED, MessageState.STORED):
            raise ValueError("mailen er allerede behandlet" if row is not None else "mailen findes ikke")
    summary = RunSummary()
    reply = settle(rt, message_id, now, summary)
    if summary.elsewhere:
        raise ValueError("en anden proces (en af tjenestens workers) behandler mailen lige nu; se resultatet i køen om lidt")
    with Session(rt.engine) as session:
        return session.get(Message, message_id), reply
