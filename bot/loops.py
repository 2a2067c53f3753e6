"""Loop and abuse protection on top of RFC 3834 (parsers/message.py `automatic_reason`).

A government mailbox that answers a robot that answers back is an incident; so is a mail bomb that
makes us send hundreds of receipts.  Besides robots we never answer our own addresses (the rounds',
the mailbox and SMTP accounts, `[loops] own_addresses`), never answer one Message-ID twice (a mailbox
migrated with a new UIDVALIDITY may hand the same mail over in other bytes), and cap automatic replies
per sender per day and per application per ten minutes (after Zammad's trigger loop protection).
Mail over a cap is stored, assessed and queued as usual; only the automatic reply is held back."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, select

from config.settings import Settings
from storage.models import Message, Reply


def own_addresses(settings: Settings) -> frozenset[str]:
    accounts = (settings.mailbox.username, settings.delivery.username)
    return frozenset({*settings.loops.own_addresses, *(a.lower() for a in accounts if "@" in a)})


def own_address(settings: Settings, sender: str) -> str | None:
    """A reason when the mail comes from one of our own addresses, else None."""
    return f"afsender er vores egen adresse ({sender})" if sender.lower() in own_addresses(settings) else None


def hold_reason(session: Session, settings: Settings, row: Message, application_id: int | None, now: dt.datetime) -> str | None:
    """Why the automatic reply to `row` must not be sent, or None."""
    if row.message_id:
        earlier = session.exec(select(Reply.id).join(Message, Reply.answers_message_id == Message.id).where(
            Message.message_id == row.message_id, Message.id != row.id)).first()
        if earlier is not None:
            return f"Message-ID {row.message_id} er allerede besvaret"
    caps = settings.loops
    per_sender = session.exec(select(func.count()).select_from(Reply).where(
        func.lower(Reply.to) == row.sender.lower(), Reply.created_at > now - dt.timedelta(days=1))).one()
    if per_sender >= caps.per_sender_per_day:
        return f"{per_sender} automatiske svar til {row.sender} det seneste døgn (grænse {caps.per_sender_per_day})"
    if application_id is not None:
        per_thread = session.exec(select(func.count()).select_from(Reply).where(
            Reply.application_id == application_id, Reply.created_at > now - dt.timedelta(minutes=10))).one()
        if per_thread >= caps.per_thread_per_10min:
            return f"{per_thread} automatiske svar i samme sag de seneste 10 minutter (grænse {caps.per_thread_per_10min})"
    return None
