"""The claims that let several workers share one PostgreSQL (bot/claims.py), each against the real
database: two sessions storing the same bytes at once, a row one worker holds skipped by another, the
mailbox claims, and the deadlines waiting for the mail in hand."""
from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from bot import claims
from bot.intake import RunSummary, settle, store_incoming
from bot.mailboxes import IncomingMail
from storage.files import sha256
from storage.models import Message
from tests.factories.forms import FormSpec, form_docx
from tests.mails import at, mail

NOW = at("2025-03-20 12:00:00")
FORM = ("skema.docx", form_docx(FormSpec(), "table"))


@pytest.fixture
def pg_runtime(pg_installation):
    from bot.runtime import Runtime
    from config.settings import load_settings

    runtime = Runtime.open(load_settings(pg_installation.config))
    yield runtime
    runtime.close()


def waiting_on_a_lock(rt) -> bool:
    with rt.engine.connect() as conn:
        return bool(conn.execute(text("select count(*) from pg_stat_activity where wait_event_type in ('Lock', 'Advisory') "
                                      "and datname = current_database()")).scalar())


def wait_until(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_same_bytes_stored_by_two_workers_at_once_give_one_row(pg_runtime):
    rt = pg_runtime
    incoming = IncomingMail(key="imap:1:7", raw=mail(attachments=[FORM]), internal_date=at("2025-03-20 10:00:00"))
    other = Session(rt.engine)  # the other worker, in the middle of storing the same bytes: inserted, not committed
    theirs = Message(sha256=sha256(incoming.raw), mailbox_key="imap:1:7", received_at=incoming.internal_date, stored_at=NOW)
    other.add(theirs)
    other.flush()
    results: list = []

    def ours() -> None:
        with Session(rt.engine) as session:
            try:
                row, new = store_incoming(session, rt, incoming, NOW)
                results.append((row.id, new))
            except Exception as exc:  # noqa: BLE001 - the test reports it
                results.append(exc)

    worker = threading.Thread(target=ours)
    worker.start()
    wait_until(lambda: waiting_on_a_lock(rt))  # our INSERT waits for theirs to commit or roll back
    other.commit()
    worker.join(timeout=30)
    assert results == [(theirs.id, False)]
    with Session(rt.engine) as session:
        assert session.exec(text("select count(*) from message")).scalar() == 1  # type: ignore[call-overload]
    other.close()


def test_a_message_another_worker_holds_is_skipped_and_taken_once_it_lets_go(pg_runtime):
    rt = pg_runtime
    with Session(rt.engine) as session:
        row, new = store_incoming(session, rt, IncomingMail(key="imap:1:8", raw=mail(attachments=[FORM]),
                                                            internal_date=at("2025-03-20 10:00:00")), NOW)
        row_id = row.id
    assert new
    holder = Session(rt.engine)  # the other worker is processing it
    assert claims.take_message(holder, row_id) is not None
    summary = RunSummary()
    assert settle(rt, row_id, NOW, summary) is None
    assert (summary.elsewhere, summary.processed, summary.duplicates) == (1, 0, 0)
    with Session(rt.engine) as session:
        assert session.get(Message, row_id).state == "stored"
    holder.rollback()  # it died: its transaction aborted, the row is free at once
    holder.close()
    reply = settle(rt, row_id, NOW, summary)
    assert reply is not None and summary.processed == 1
    assert settle(rt, row_id, NOW, summary) is None and summary.duplicates == 1  # processed: never again


def test_mailbox_claims_are_one_workers_until_released(pg_runtime):
    first, second = claims.MailClaims(pg_runtime.engine, "inbox", 4), claims.MailClaims(pg_runtime.engine, "inbox", 4)
    other_box = claims.MailClaims(pg_runtime.engine, "another inbox", 4)
    try:
        assert first.take("imap:1:1") and first.take("imap:1:1")  # taking it again is no second lock
        assert not second.take("imap:1:1") and other_box.take("imap:1:1")
        assert second.take("imap:1:2")
        first.release("imap:1:1")
        assert second.take("imap:1:1")
        second.close()  # a killed worker's claims go with its connection
        assert first.take("imap:1:2")
    finally:
        for c in (first, second, other_box):
            c.close()


def test_the_deadlines_wait_for_the_mail_in_hand(pg_runtime):
    rt = pg_runtime
    holder = Session(rt.engine)
    claims.take_message(holder, 0)  # a processing transaction: the "mail in hand" lock, shared
    entered = threading.Event()

    def deadlines() -> None:
        with claims.no_mail_in_hand(rt.engine):
            entered.set()

    job = threading.Thread(target=deadlines)
    job.start()
    wait_until(lambda: waiting_on_a_lock(rt))
    assert not entered.is_set()
    holder.commit()
    job.join(timeout=30)
    assert entered.is_set()
    holder.close()


def test_a_round_is_not_closed_while_a_mail_from_before_its_deadline_waits_to_be_judged(pg_runtime):
    """Another worker has stored a mail received a second before the deadline and not yet processed it
    (its lookahead): the deadlines job leaves the round open until it is judged, then closes it, and the
    application gets its closing notice like every other."""
    from bot.service import deadlines
    from storage.models import Application, Reply

    rt = pg_runtime
    raw = mail(attachments=[FORM], message_id="<late-judged@slagelse.dk>", received="2025-03-25 11:59:59")
    with Session(rt.engine) as session:
        row, _ = store_incoming(session, rt, IncomingMail(key="lookahead", raw=raw), at("2025-03-25 12:00:01"))
        row_id = row.id
    after = at("2025-03-25 12:00:05")
    summary = RunSummary()
    deadlines(rt, after, summary)
    assert summary.closed == 0
    settle(rt, row_id, after, summary)
    deadlines(rt, after + dt.timedelta(seconds=30), summary)
    with Session(rt.engine) as session:
        app = session.exec(select(Application)).one()
        kinds = sorted(r.kind for r in session.exec(select(Reply)))
    assert (app.status, app.closed) == ("incomplete_at_deadline", True) and summary.closed == 1
    assert kinds == ["closing", "missing_items"]
