"""One pass of the service: intake from the mailbox, then delivery of every recorded reply that is due."""
from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Callable

from sqlmodel import Session, select

from bot.deadlines import close_rounds, send_reminders
from bot.intake import RunSummary, intake
from bot.runtime import Runtime
from bot.mailboxes import Mailbox, open_mailbox
from bot.outbox import send_pending
from bot.quarantine import retry_due
from storage.db import first_start
from storage.models import Message


def processed_keys(rt: Runtime) -> Callable[[str], bool]:
    """`known` for the IMAP mailbox: this UIDVALIDITY:UID was stored and processed already."""

    def known(key: str) -> bool:
        with Session(rt.engine) as session:
            return session.exec(select(Message.id).where(Message.mailbox_key == key, Message.state == "processed")).first() is not None

    return known


def open_service_mailbox(rt: Runtime, stop: threading.Event | None = None) -> Mailbox:
    return open_mailbox(rt.settings.mailbox, known=processed_keys(rt), stop=stop)


def deliver(rt: Runtime, now: dt.datetime, summary: RunSummary) -> None:
    result = send_pending(rt.engine, rt.settings.delivery, now)  # the web app's "send now" is the same call
    summary.replies_sent += result.sent
    if result.failed:
        summary.errors.append(f"{result.failed} svar kunne ikke afleveres (prøves igen senere eller er afvist)")
    if result.in_doubt:
        summary.errors.append(f"{result.in_doubt} svar blev afbrudt under afsendelsen og er måske sendt: kontrollér dem")


class Pacer:
    """Runs `send` at most once per `every` seconds while a pass goes on, so the replies of a backlog
    go out as their mails are done (the first at once), not all after the last mail."""

    def __init__(self, send: Callable[[], None], every: float = 1.0) -> None:
        self.send, self.every, self.last = send, every, -every

    def __call__(self) -> None:
        if time.monotonic() - self.last >= self.every:
            self.send()
            self.last = time.monotonic()


def run_pass(rt: Runtime, mailbox: Mailbox, now: dt.datetime) -> RunSummary:
    """Intake over an open mailbox (its replies sent as it goes), the failed mail that is due again,
    then delivery of the rest."""
    summary = RunSummary()
    with Session(rt.engine) as session:
        first_start(session, now)  # the default `answer_from`: mail from before the bot ran is not answered
    pacer = Pacer(lambda: deliver(rt, now, summary))
    intake(rt, mailbox, now, summary, replied=pacer)
    retry_due(rt, now, summary, replied=pacer)  # mail that failed before, from its stored copy
    deadlines(rt, now, summary)
    deliver(rt, now, summary)
    return summary


def deadlines(rt: Runtime, now: dt.datetime, summary: RunSummary) -> None:
    """After the intake, so mail received before the deadline is judged before the round closes."""
    summary.closed += close_rounds(rt, now)
    summary.reminders += send_reminders(rt, now)


def run_once(rt: Runtime, now: dt.datetime) -> RunSummary:
    mailbox = open_service_mailbox(rt)
    try:
        return run_pass(rt, mailbox, now)
    finally:
        mailbox.close()
