"""Delivering recorded replies: the `reply` table is the outbox.

A reply row exists (with its raw bytes and a deterministic Message-ID) before any send is attempted.
States: pending -> claimed -> sending -> sent, where
  claimed  a flusher took the row (atomic UPDATE ... WHERE state = 'pending'; `claimed_at` is its lease)
           and is connecting; nothing has been handed over, so a crash here is retried safely;
  sending  the DATA command is under way: the server may have the mail even if we never hear back;
  pending  again after a temporary failure, with `next_attempt_at` (exponential backoff: 1, 2, 4 …
           minutes, at most an hour apart) and the reason in `error`;
  failed   refused permanently (5xx) or `max_attempts` used up, with the reason;
  in_doubt a row left in `sending` by a crash: the one case where we cannot know whether the mail went
           out.  `[delivery] in_doubt = "hold"` (default) keeps it for the secretariat rather than risk a
           second reply; "resend" sends it again with the same Message-ID (at-least-once).

`send_pending` is the one way replies leave: the service's passes and the web app's actions both call
it, so every send applies the configured retry policy (`[delivery] retry_seconds`, `retry_max_seconds`,
`max_attempts`, `in_doubt`).  The states are `bot.states.ReplyState`."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import or_, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_fixed

from bot.delivery import Delivery, DeliveryError, DeliveryUnavailable, open_delivery
from bot.states import ReplyState
from config.settings import DeliverySettings
from storage.models import Reply

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 12
LEASE = dt.timedelta(minutes=10)  # a send never takes longer (SMTP timeout 60 s): older claims are dead


@dataclass(frozen=True)
class RetryPolicy:
    first: dt.timedelta = dt.timedelta(minutes=1)
    longest: dt.timedelta = dt.timedelta(hours=1)
    max_attempts: int = MAX_ATTEMPTS
    in_doubt: str = "hold"  # or "resend" (config.settings.DeliverySettings.in_doubt)

    @classmethod
    def of(cls, settings: DeliverySettings) -> "RetryPolicy":
        return cls(dt.timedelta(seconds=settings.retry_seconds), dt.timedelta(seconds=settings.retry_max_seconds),
                   settings.max_attempts, settings.in_doubt)

    def next_attempt(self, attempts: int, now: dt.datetime) -> dt.datetime:
        return now + min(self.first * 2 ** max(attempts - 1, 0), self.longest)


@dataclass(frozen=True)
class FlushResult:
    sent: int = 0
    failed: int = 0
    in_doubt: int = 0

    def __iter__(self):  # (sent, failed), as callers unpacked it before
        return iter((self.sent, self.failed))


IN_DOUBT = ("afsendelsen blev afbrudt efter at mailen var overdraget til SMTP-serveren; "
            "den er måske sendt. Kontrollér og send manuelt om nødvendigt")


def _set(engine: Engine, reply_id: int, only_if: str | None = None, claimed_before: dt.datetime | None = None,
         **values: object) -> bool:
    """One atomic state change, committed at once; with `only_if` it happens only from that state, with
    `claimed_before` only while the claim is older than that (safe across processes: a concurrent
    UPDATE of the same row waits for the first and then finds the condition false)."""
    stmt = update(Reply).where(Reply.id == reply_id)
    if only_if:
        stmt = stmt.where(Reply.state == only_if)
    if claimed_before is not None:
        stmt = stmt.where(Reply.claimed_at < claimed_before)
    with engine.begin() as conn:
        return conn.execute(stmt.values(**values)).rowcount == 1


def recover(engine: Engine, now: dt.datetime, policy: RetryPolicy) -> int:
    """Rows whose flusher died: a dead claim goes back to pending, a dead send is in doubt.  Each change
    is conditional on the row still being the stale one that was read (state and lease), so two workers
    recovering at once, or one recovering while another has just re-claimed the row, never undo a
    newer claim or a `sent` (every state change in this module is such an atomic UPDATE ... WHERE)."""
    stale = now - LEASE
    with Session(engine) as session:
        dead = session.exec(select(Reply.id, Reply.state, Reply.message_id).where(
            Reply.state.in_((ReplyState.CLAIMED, ReplyState.SENDING)), Reply.claimed_at < stale)).all()
    doubtful = 0
    for reply_id, state, message_id in dead:
        if state == ReplyState.CLAIMED:
            _set(engine, reply_id, only_if=state, claimed_before=stale, state=ReplyState.PENDING, claimed_at=None)
        elif policy.in_doubt == "resend":
            _set(engine, reply_id, only_if=state, claimed_before=stale, state=ReplyState.PENDING, claimed_at=None,
                 error="afbrudt under afsendelse; sendes igen")
        elif _set(engine, reply_id, only_if=state, claimed_before=stale, state=ReplyState.IN_DOUBT, error=IN_DOUBT):
            doubtful += 1
            log.error("reply %s in doubt: %s", message_id, IN_DOUBT)
    return doubtful


def send_pending(engine: Engine, settings: DeliverySettings, now: dt.datetime, delivery: Delivery | None = None,
                 upto: int | None = None) -> FlushResult:
    """Deliver every recorded reply that is due, with the retry policy of `settings`: the one send
    function of the service and the web app.  Without `delivery` the configured one is opened for this
    call and closed after it; with `upto`, only the replies recorded up to that row id (`newest_reply`
    at some moment: a pass's replies whose mails were moved out by then)."""
    own = delivery is None
    channel = open_delivery(settings) if delivery is None else delivery
    try:
        return flush(engine, channel, now, RetryPolicy.of(settings), upto)
    finally:
        if own:
            channel.close()


def newest_reply(engine: Engine) -> int | None:
    """The id of the newest reply row: the replies recorded so far are the ones up to it."""
    with Session(engine) as session:
        return session.exec(select(func.max(Reply.id))).one()


def flush(engine: Engine, delivery: Delivery, now: dt.datetime, policy: RetryPolicy, upto: int | None = None) -> FlushResult:
    """Send every pending reply that is due, oldest first, over an open delivery.  Stops at the first
    sign that the server is unavailable (the rest keep their schedule).  The policy is required: a send
    without the configured one would retry on another schedule than the service's (use `send_pending`)."""
    in_doubt = recover(engine, now, policy)
    sent = failed = 0
    query = select(Reply.id).where(Reply.state == ReplyState.PENDING, or_(Reply.next_attempt_at.is_(None), Reply.next_attempt_at <= now))
    if upto is not None:
        query = query.where(Reply.id <= upto)
    with Session(engine) as session:
        due = session.exec(query.order_by(Reply.id)).all()
    for reply_id in due:
        with Session(engine) as session:
            reply = session.get(Reply, reply_id)
            if reply is None or reply.state != ReplyState.PENDING:
                continue
            attempts = reply.attempts + 1
            if not _set(engine, reply_id, only_if=ReplyState.PENDING, state=ReplyState.CLAIMED, claimed_at=now, attempts=attempts):
                continue  # another flusher took it
            claim = Claim(engine, reply_id, attempts)
            try:
                delivery.send(reply.raw, reply.sender, [reply.to], on_data=claim.sending)
            except ClaimLost:
                log.warning("reply %s: another flusher took it over before DATA; not sent from here", reply.message_id)
            except DeliveryError as exc:
                failed += 1
                give_up = exc.permanent or attempts >= policy.max_attempts
                claim.end(state=ReplyState.FAILED if give_up else ReplyState.PENDING, error=str(exc)[:1000],
                          next_attempt_at=None if give_up else policy.next_attempt(attempts, now), claimed_at=None)
                log.warning("reply %s not delivered (attempt %d): %s", reply.message_id, attempts, exc)
                if isinstance(exc, DeliveryUnavailable):
                    break
            else:
                claim.end(state=ReplyState.SENT, sent_at=now, error="", next_attempt_at=None)
                sent += 1
    return FlushResult(sent, failed, in_doubt)


class ClaimLost(Exception):
    """Raised before DATA when the row is no longer this flusher's (recovered as stale and claimed again
    by another one): the mail is not handed over, so it goes out once."""


@dataclass(frozen=True)
class Claim:
    """One flusher's claim on a reply row.  Each claim counts an attempt, so `attempts` tells this claim
    from a later one: every change this flusher makes is conditional on it, and one whose row was
    recovered and claimed again meanwhile (a pass longer than `LEASE`, a paused process) changes nothing."""

    engine: Engine
    reply_id: int
    attempts: int

    def _update(self, states: tuple[str, ...], **values: object) -> bool:
        stmt = update(Reply).where(Reply.id == self.reply_id, Reply.attempts == self.attempts, Reply.state.in_(states))
        with self.engine.begin() as conn:
            return conn.execute(stmt.values(**values)).rowcount == 1

    def sending(self) -> None:
        """Just before DATA: from here the server may have the mail."""
        if not self._update((ReplyState.CLAIMED,), state=ReplyState.SENDING):
            raise ClaimLost(self.reply_id)

    def end(self, **values: object) -> None:
        """The outcome, unless another claim has the row by now; a send recovered as in doubt meanwhile
        (`recover` judged the claim dead) is set right, since this flusher knows how it ended.  A
        database locked beyond its busy timeout (SQLite: a pass holding the write lock through a long
        re-read) is waited for again, for up to `RECORD_PATIENCE`: the outcome of a send that happened
        must not be lost, or the row would be judged in doubt and held for the secretariat."""
        for attempt in Retrying(retry=retry_if_exception(_locked), stop=stop_after_delay(RECORD_PATIENCE.total_seconds()),
                                wait=wait_fixed(0.5), reraise=True,
                                before_sleep=lambda state: log.warning("reply %s: the database is locked; its outcome is recorded again",
                                                                        self.reply_id)):
            with attempt:
                self._update((ReplyState.CLAIMED, ReplyState.SENDING, ReplyState.IN_DOUBT), **values)


RECORD_PATIENCE = dt.timedelta(minutes=5)  # well inside LEASE


def _locked(exc: BaseException) -> bool:
    """SQLite's "database is locked" (its busy timeout ran out), which waiting longer cures."""
    return isinstance(exc, OperationalError) and "locked" in str(exc).lower()
