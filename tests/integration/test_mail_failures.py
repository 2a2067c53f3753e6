"""Failure drills against the real servers: after each, nothing is lost and no reply goes out twice.

A process killed at a given point is simulated in-process by `Killed`, a BaseException nothing in the
service catches (only what was committed before survives, as after SIGKILL), or, for the SMTP hand-over,
by a real SIGKILL sent from inside the SMTP server while it holds the mail."""
from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import sqlite3
import subprocess
import sys

import pytest

from bot.runtime import Runtime
from bot.mailboxes.imap import ImapMailbox
from bot.service import open_service_mailbox, run_once, run_pass
from config.settings import load_settings
from tests.conftest import ROOT, Installation
from tests.integration.conftest import imap_config
from tests.integration.test_imap_smtp import DONE, FORM, MINUTES
from tests.mails import at, mail
from tests.servers import start_smtp

pytestmark = pytest.mark.integration

NOW = dt.datetime.fromisoformat("2025-03-20T12:00:00+01:00")


class Killed(BaseException):
    """The process dies here: nothing after this point runs."""


def runtime(config) -> Runtime:
    return Runtime.open(load_settings(config))


def replies(root) -> list[tuple[str, int, str]]:
    with sqlite3.connect(root / "intake.db") as db:
        return db.execute("select state, attempts, error from reply order by id").fetchall()


def test_imap_connection_dropped_mid_batch_reconnects_and_loses_nothing(tmp_path, dovecot, smtp):
    config = imap_config(tmp_path, dovecot, smtp, mailbox_extra="batch_size = 1")
    for n in range(3):
        dovecot.append(mail(sender=f"Person {n} <p{n}@slagelse.dk>", attachments=[FORM, MINUTES], message_id=f"<m{n}@slagelse.dk>",
                            to="taskforcehandicap@sbst.dk"), at(f"2025-03-20 10:0{n}:00"))
    rt = runtime(config)
    mailbox = open_service_mailbox(rt)
    connects, moved = [], []
    real_connect, real_done = mailbox._connect, mailbox.done

    def connect():
        connects.append(1)
        return real_connect()

    def done(key):
        real_done(key)
        moved.append(key)
        if len(moved) == 1:  # the server goes away between the first and the second mail of the pass
            mailbox.client.socket().shutdown(socket.SHUT_RDWR)

    mailbox._connect, mailbox.done = connect, done
    try:
        summary = run_pass(rt, mailbox, NOW)
    finally:
        mailbox.close()
    assert len(connects) == 2  # one reconnect
    assert summary.processed == 3 and summary.replies_sent == 3
    assert sorted(r.recipients[0] for r in smtp.sink.received) == ["p0@slagelse.dk", "p1@slagelse.dk", "p2@slagelse.dk"]
    assert dovecot.messages("INBOX") == [] and len(dovecot.messages(DONE)) == 3
    run_once(rt, NOW + dt.timedelta(minutes=5))
    assert len(smtp.sink.received) == len(replies(tmp_path)) and all(r[0] == "sent" for r in replies(tmp_path))


def test_killed_between_storing_and_moving(tmp_path, dovecot, smtp):
    config = imap_config(tmp_path, dovecot, smtp)
    dovecot.append(mail(attachments=[FORM, MINUTES]), at("2025-03-20 10:00:00"))
    rt = runtime(config)
    mailbox = open_service_mailbox(rt)

    def die(key):
        raise Killed

    mailbox.done = die
    with pytest.raises(Killed):
        run_pass(rt, mailbox, NOW)
    mailbox.close()
    assert len(dovecot.messages("INBOX")) == 1 and replies(tmp_path)[0][0] == "pending" and smtp.sink.received == []

    fetched: list[str] = []
    mailbox = open_service_mailbox(rt)  # a fresh connection, as after a restart
    original = ImapMailbox.fetch

    def fetch(self):
        for m in original(self):
            fetched.append(m.key)
            yield m

    ImapMailbox.fetch = fetch
    try:
        summary = run_pass(rt, mailbox, NOW + dt.timedelta(minutes=1))
    finally:
        ImapMailbox.fetch = original
        mailbox.close()
    assert fetched == []  # the UID was known as processed: moved without downloading it again
    assert summary.replies_sent == 1 and len(smtp.sink.received) == 1
    assert dovecot.messages("INBOX") == [] and len(dovecot.messages(DONE)) == 1
    run_once(rt, NOW + dt.timedelta(minutes=2))
    assert len(smtp.sink.received) == 1


def test_uidvalidity_change_never_reanswers(tmp_path, dovecot, smtp):
    """The mailbox is rebuilt (new UIDVALIDITY) while a processed mail is still in it, and a migration
    hands one mail over again in other bytes with the same Message-ID."""
    config = imap_config(tmp_path, dovecot, smtp, mailbox_extra='folder = "Indbakke"')
    raw = mail(attachments=[FORM, MINUTES], message_id="<app@slagelse.dk>")
    with dovecot.client() as c:
        c.create_folder("Indbakke")
    dovecot.append(raw, at("2025-03-20 10:00:00"), folder="Indbakke")
    rt = runtime(config)
    mailbox = open_service_mailbox(rt)
    mailbox.done = lambda key: (_ for _ in ()).throw(Killed())
    with pytest.raises(Killed):
        run_pass(rt, mailbox, NOW)
    before = mailbox.uidvalidity
    mailbox.close()

    with dovecot.client() as c:
        c.rename_folder("Indbakke", "Gammel")
        c.create_folder("Indbakke")
    dovecot.append(raw, at("2025-03-20 10:00:00"), folder="Indbakke")
    dovecot.append(b"X-MS-Exchange-Migrated: yes\r\n" + raw, at("2025-03-20 10:00:00"), folder="Indbakke")

    mailbox = open_service_mailbox(rt)
    try:
        summary = run_pass(rt, mailbox, NOW + dt.timedelta(minutes=1))
        assert mailbox.uidvalidity != before
    finally:
        mailbox.close()
    assert summary.duplicates == 1 and summary.replies_queued == 0
    assert [m.message["X-Taskforce-Reply"] for m in smtp.sink.wait_for(1)] == ["receipt"]
    assert dovecot.messages("Indbakke") == []
    run_once(rt, NOW + dt.timedelta(minutes=2))
    assert len(smtp.sink.received) == 1


def test_smtp_down_for_an_hour(tmp_path, dovecot, smtp):
    config = imap_config(tmp_path, dovecot, smtp)
    dovecot.append(mail(attachments=[FORM, MINUTES]), at("2025-03-20 10:00:00"))
    smtp.stop()
    rt = runtime(config)
    summary = run_once(rt, NOW)
    assert summary.replies_sent == 0 and dovecot.messages("INBOX") == []  # the mail is safe in the database
    ((state, attempts, error),) = replies(tmp_path)
    assert (state, attempts) == ("pending", 1) and "kan ikke nås" in error and f"127.0.0.1:{smtp.port}" in error

    run_once(rt, NOW + dt.timedelta(seconds=30))  # not due yet (backoff): no attempt
    assert replies(tmp_path)[0][:2] == ("pending", 1)
    for minutes in (2, 5, 10, 20, 40):  # still down: the attempts thin out
        run_once(rt, NOW + dt.timedelta(minutes=minutes))
    assert replies(tmp_path)[0][0] == "pending" and replies(tmp_path)[0][1] < 7

    back = start_smtp(port=smtp.port)
    try:
        run_once(rt, NOW + dt.timedelta(minutes=61))  # back, but the next attempt is due at 72 minutes
        assert back.sink.received == []
        run_once(rt, NOW + dt.timedelta(minutes=72))
        run_once(rt, NOW + dt.timedelta(minutes=73))
        assert [m.message["X-Taskforce-Reply"] for m in back.sink.wait_for(1)] == ["receipt"]
        assert len(back.sink.received) == 1 and replies(tmp_path)[0][0] == "sent"
    finally:
        back.stop()


def test_smtp_refusing_temporarily_then_permanently(tmp_path, dovecot, smtp):
    config = imap_config(tmp_path, dovecot, smtp)
    dovecot.append(mail(attachments=[FORM, MINUTES]), at("2025-03-20 10:00:00"))
    dovecot.append(mail(sender="Lone Berg <lobe@aarhus.dk>", attachments=[], subject="Hvornår er fristen?",
                        body="Hej, vedhæftet ansøgningsskema", to="taskforce@sbst.dk"), at("2025-03-20 10:01:00"))
    rt = runtime(config)
    smtp.sink.refuse = "451 4.3.0 Midlertidig fejl, prøv igen"
    run_once(rt, NOW)
    ((state, attempts, error),) = replies(tmp_path)
    assert (state, attempts) == ("pending", 1) and "451" in error
    smtp.sink.refuse = None
    run_once(rt, NOW + dt.timedelta(minutes=2))
    assert replies(tmp_path)[0][0] == "sent" and len(smtp.sink.received) == 1

    dovecot.append(mail(sender="Kim Lund <kilu@odense.dk>", to="taskforcehandicap@sbst.dk", attachments=[FORM, MINUTES]),
                   at("2025-03-20 10:02:00"))
    smtp.sink.refuse = "550 5.1.1 Modtageren findes ikke"
    run_once(rt, NOW + dt.timedelta(minutes=3))
    smtp.sink.refuse = None
    run_once(rt, NOW + dt.timedelta(hours=3))
    assert replies(tmp_path)[1][:2] == ("failed", 1) and "550" in replies(tmp_path)[1][2]
    assert len(smtp.sink.received) == 1


@pytest.mark.parametrize("policy", ["hold", "resend"])
def test_killed_between_sending_and_recording(tmp_path, dovecot, smtp, policy):
    """SIGKILL from inside the SMTP server, after it has kept the mail and before it answers 250."""
    config = imap_config(tmp_path, dovecot, smtp, delivery_extra=f'in_doubt = "{policy}"')
    inst = Installation(tmp_path, config)
    dovecot.append(mail(attachments=[FORM, MINUTES]), at("2025-03-20 10:00:00"))
    env = {**os.environ, "TASKFORCE_INTAKE_CONFIG": str(config), "TASKFORCE_INTAKE_NOW": "2025-03-20T12:00:00+01:00"}
    proc = subprocess.Popen([sys.executable, "-m", "taskforce_intake", "run", "--once"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    smtp.sink.on_data = lambda: os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=120) == -signal.SIGKILL
    smtp.sink.on_data = None
    assert len(smtp.sink.received) == 1 and replies(tmp_path)[0][0] == "sending"

    inst.cli("run", "--once", now="2025-03-20T12:05:00+01:00")  # within the lease: still unknown, untouched
    assert len(smtp.sink.received) == 1 and replies(tmp_path)[0][0] == "sending"
    result = inst.cli("run", "--once", now="2025-03-20T12:15:00+01:00")
    if policy == "hold":
        assert len(smtp.sink.received) == 1 and replies(tmp_path)[0][0] == "in_doubt"
        assert "måske sendt" in result.stderr
    else:  # at-least-once: the same mail again, recognisable by its Message-ID
        first, second = smtp.sink.wait_for(2)
        assert first.message["Message-ID"] == second.message["Message-ID"] and replies(tmp_path)[0][0] == "sent"
    inst.cli("run", "--once", now="2025-03-20T13:00:00+01:00")
    assert len(smtp.sink.received) == (1 if policy == "hold" else 2)
    assert dovecot.messages("INBOX") == []


def test_unreachable_imap_server_is_named_and_exits_non_zero(tmp_path, dovecot, smtp):
    config = imap_config(tmp_path, dovecot, smtp, mailbox_extra="reconnect_attempts = 1")
    dovecot.stop()
    result = Installation(tmp_path, config).cli("run", "--once", now="2025-03-20T12:00:00+01:00", check=False)
    assert result.returncode == 1
    assert f"127.0.0.1:{dovecot.port}/INBOX kan ikke nås" in result.stderr and "Traceback" not in result.stderr
