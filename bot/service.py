"""One pass of the service: intake from the mailbox, then delivery of every recorded reply that is due.

Several `run` processes may share one PostgreSQL database and one mailbox: what keeps them from doing a
mail or a reply twice is in bot/claims.py (and the outbox's atomic claims, bot/outbox.py)."""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Callable

from sqlmodel import Session, select

from bot.claims import MailClaims, no_mail_in_hand, recorded_first_start
from bot.deadlines import close_rounds, send_reminders
from bot.health import record_poll
from bot.intake import RunSummary, intake, lookahead
from bot.runtime import Runtime
from bot.mailboxes import Mailbox, open_mailbox
from bot.outbox import newest_reply, send_pending
from bot.pictures import make_pictures
from bot.quarantine import retry_due
from storage.models import Message

log = logging.getLogger(__name__)


def processed_keys(rt: Runtime) -> Callable[[str], bool]:
    """`known` for the IMAP mailbox: this UIDVALIDITY:UID was stored and processed already."""

    def known(key: str) -> bool:
        with Session(rt.engine) as session:
            return session.exec(select(Message.id).where(Message.mailbox_key == key, Message.state == "processed")).first() is not None

    return known


def open_service_mailbox(rt: Runtime, stop: threading.Event | None = None) -> Mailbox:
    """The configured mailbox; over IMAP with claims, so other workers on the same mailbox and
    database take the mails this one does not have in hand (no-ops on SQLite)."""
    settings = rt.settings.mailbox
    claims = MailClaims(rt.engine, f"{settings.username}@{settings.host}:{settings.port}/{settings.folder}", lookahead(rt.settings.limits))
    return open_mailbox(settings, known=processed_keys(rt), stop=stop, claims=claims)


def deliver(rt: Runtime, now: dt.datetime, summary: RunSummary, upto: int | None = None) -> None:
    result = send_pending(rt.engine, rt.settings.delivery, now, upto=upto)  # the web app's "send now" is the same call
    summary.replies_sent += result.sent
    if result.failed:
        summary.errors.append(f"{result.failed} svar kunne ikke afleveres (prøves igen senere eller er afvist)")
    if result.in_doubt:
        summary.errors.append(f"{result.in_doubt} svar blev afbrudt under afsendelsen og er måske sendt: kontrollér dem")


PROGRESS_SECONDS = 10.0


class Pacer:
    """Runs `send` at most once per `every` seconds while a pass goes on, so the replies of a backlog
    go out as their mails are done (the first at once), not all after the last mail."""

    def __init__(self, send: Callable[[], None], every: float = 1.0) -> None:
        self.send, self.every, self.last = send, every, -every

    def __call__(self) -> None:
        if time.monotonic() - self.last >= self.every:
            self.send()
            self.last = time.monotonic()


class Courier:
    """Delivers a pass's replies beside it, on a thread of its own, so the intake never waits for an
    SMTP conversation (a round trip to Microsoft 365 is tens of milliseconds, a few per reply, and a
    server that stalls would stall the reading of new mail).  `__call__(upto)` asks for a delivery of
    the replies up to that row id (those whose mails are out of the mailbox: a reply never goes before
    its mail is moved); one runs at a time, a request during one is served after it, with the newest
    bound.  `finish` waits for the last one.  A delivery that fails is logged and noted in the pass's
    summary; the outbox keeps the replies for the next."""

    def __init__(self, deliver: Callable[[int | None], None], summary: RunSummary) -> None:
        self.deliver, self.summary = deliver, summary
        self.wanted, self.ending, self.upto = threading.Event(), False, 0
        self.thread: threading.Thread | None = None

    def __call__(self, upto: int | None) -> None:
        if upto is None:
            return  # no reply recorded yet
        self.upto = max(self.upto, upto)
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="courier", daemon=True)
            self.thread.start()
        self.wanted.set()

    def _run(self) -> None:
        while True:
            self.wanted.wait()
            self.wanted.clear()
            if self.ending:
                return
            try:
                self.deliver(self.upto)
            except Exception as exc:  # noqa: BLE001 - the outbox keeps the replies; the pass goes on
                log.exception("delivery during the pass failed")
                self.summary.errors.append(f"svarene kunne ikke afleveres under kørslen ({type(exc).__name__}); de sendes senere")

    def finish(self) -> None:
        if self.thread is not None:
            self.ending = True
            self.wanted.set()
            self.thread.join()


def run_pass(rt: Runtime, mailbox: Mailbox, now: dt.datetime, progress: Callable[[], None] | None = None) -> RunSummary:
    """Intake over an open mailbox (its replies sent as it goes, beside it: `Courier`), the failed mail
    that is due again, then delivery of the rest.  `progress` is told as mails are done during a long
    pass, at most every `PROGRESS_SECONDS` (the scheduler records a poll: /healthz does not call a
    worker stale while it takes in a large backlog, answered or not)."""
    summary = RunSummary()
    recorded_first_start(rt.engine, now)  # the default `answer_from`: mail from before the bot ran is not answered
    began = time.monotonic()

    def later() -> dt.datetime:
        """`now` moved on by the time the pass has taken: a send's claim (its lease, bot/outbox.py) and
        its `sent_at` are stamped when they happen, not when a long pass began."""
        return now + dt.timedelta(seconds=time.monotonic() - began)

    courier = Courier(lambda upto: deliver(rt, later(), summary, upto), summary)

    def send() -> None:  # the mails done are moved out (on this thread: the mailbox's connection), then their replies go
        mailbox.flush()
        courier(newest_reply(rt.engine))

    pacer = Pacer(send)
    try:
        intake(rt, mailbox, now, summary, replied=pacer, settled=Pacer(progress, every=PROGRESS_SECONDS) if progress else None)
        retry_due(rt, now, summary, replied=pacer)  # mail that failed before, from its stored copy
    finally:
        courier.finish()
    deadlines(rt, now, summary)
    deliver(rt, later(), summary)
    return summary


def deadlines(rt: Runtime, now: dt.datetime, summary: RunSummary) -> None:
    """After the intake, so mail received before the deadline is judged before the round closes; with
    no mail in hand in any worker (`claims.no_mail_in_hand`), so another worker's mail received before
    the deadline is judged first too, and two workers never record the same notice."""
    with no_mail_in_hand(rt.engine):
        summary.closed += close_rounds(rt, now)
        summary.reminders += send_reminders(rt, now)


def run_once(rt: Runtime, now: dt.datetime) -> RunSummary:
    mailbox = open_service_mailbox(rt)
    try:
        summary = run_pass(rt, mailbox, now)
        record_poll(rt.engine, now)
        make_pictures(rt, now)  # after the replies went out: evidence pictures never delay one
        return summary
    finally:
        mailbox.close()
