"""A flusher whose claim was taken over sends nothing (issue 12 review: a pass longer than the lease let
a second flusher recover the row and send it while the first was still connecting, and both sent).
The outbox on a real database; the delivery records what it was handed (the SMTP side is covered by
tests/integration/test_imap_smtp.py and test_mail_failures.py)."""
from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot.outbox import LEASE, RetryPolicy, flush
from bot.states import ReplyState
from storage.db import make_engine
from storage.models import Reply
from storage.schema import prepare

T0 = dt.datetime(2025, 3, 20, 12, 0, tzinfo=dt.timezone.utc)


class Recording:
    """A delivery that hands `before_data` the chance to act between RCPT and DATA, then records."""

    def __init__(self, name: str, sent: list[str], before_data=None) -> None:
        self.name, self.sent, self.before_data = name, sent, before_data

    def send(self, raw, sender, recipients, on_data=None) -> None:
        if self.before_data is not None:
            self.before_data()
        if on_data:
            on_data()
        self.sent.append(self.name)

    def close(self) -> None:
        pass


def _engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'intake.db'}")
    prepare(engine)
    with Session(engine) as session:
        session.add(Reply(dedupe_key="k1", kind="receipt", message_id="<r1@taskforce>", to="meha@slagelse.dk", sender="tf@sbst.dk",
                          subject="Kvittering", raw=b"Subject: x\r\n\r\nx\r\n", created_at=T0))
        session.commit()
    return engine


def _row(engine) -> Reply:
    with Session(engine) as session:
        row = session.get(Reply, 1)
        assert row is not None
        return row


def test_a_claim_taken_over_while_connecting_is_not_sent_twice(tmp_path):
    engine, sent = _engine(tmp_path), []
    later = T0 + LEASE + dt.timedelta(minutes=1)  # another flusher, past the first one's lease

    def taken_over() -> None:
        flush(engine, Recording("B", sent), later, RetryPolicy())

    first = flush(engine, Recording("A", sent, before_data=taken_over), T0, RetryPolicy())
    assert sent == ["B"]  # once: A found its claim gone before DATA
    assert first.sent == 0
    row = _row(engine)
    assert (row.state, row.attempts, row.sent_at) == (ReplyState.SENT, 2, later)


def test_a_send_judged_in_doubt_meanwhile_is_set_right_by_the_flusher_that_sent_it(tmp_path):
    engine, sent = _engine(tmp_path), []
    later = T0 + LEASE + dt.timedelta(minutes=1)

    class SlowData(Recording):
        def send(self, raw, sender, recipients, on_data=None) -> None:
            on_data()  # DATA under way when another flusher looks at the row
            flush(engine, Recording("B", sent), later, RetryPolicy(in_doubt="hold"))
            assert _row(engine).state == ReplyState.IN_DOUBT
            self.sent.append(self.name)

    flush(engine, SlowData("A", sent), T0, RetryPolicy(in_doubt="hold"))
    assert sent == ["A"] and _row(engine).state == ReplyState.SENT  # A knows it went out


def test_the_outcome_of_a_send_is_recorded_when_the_database_was_locked_beyond_its_timeout(tmp_path, monkeypatch):
    """SQLite has one writer: a pass holding the write lock longer than the busy timeout (a long re-read in
    its transaction) must not leave a reply that went out as `sending` (later judged in doubt): the
    flusher records its outcome again once the lock is gone."""
    import sqlite3
    import threading

    import bot.outbox as outbox
    from sqlalchemy import create_engine, event

    path = tmp_path / "intake.db"
    _engine(tmp_path).dispose()  # the schema and one pending reply
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.2})  # a short busy timeout
    event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA journal_mode=WAL"))
    locked, release = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:  # the pass's long transaction
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(30)
        other.execute("COMMIT")
        other.close()

    class LockedAfterData(Recording):
        def send(self, raw, sender, recipients, on_data=None) -> None:
            on_data()
            holder.start()
            locked.wait(5)
            self.sent.append(self.name)  # handed over: now its outcome must be recorded

    failures: list[str] = []
    real_update = outbox.Claim._update

    def update(self, states, **values):
        try:
            return real_update(self, states, **values)
        except Exception as exc:
            failures.append(str(exc))
            release.set()  # the pass commits at last
            raise

    holder = threading.Thread(target=hold_the_write_lock)
    monkeypatch.setattr(outbox.Claim, "_update", update)
    sent: list[str] = []
    result = flush(engine, LockedAfterData("A", sent), T0, RetryPolicy())
    holder.join(10)
    assert sent == ["A"] and result.sent == 1
    assert failures and "locked" in failures[0]  # the first try ran into the lock
    assert _row(engine).state == ReplyState.SENT
