"""The real mail path: Dovecot (IMAP) in, aiosmtpd (SMTP) out, through the real command where possible.
What the municipality gets is read from what the SMTP server received, headers included."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.conftest import imap_config
from tests.factories.forms import FormSpec, form_docx
from tests.factories.minutes import MinutesSpec, minutes_pdf
from tests.mails import at, mail, out_of_office

pytestmark = pytest.mark.integration

FORM = ("Ansøgningsskema Slagelse.docx", form_docx(FormSpec(), "table"))
MINUTES = ("Referat Børne- og Ungeudvalget 30.09.2019.pdf", minutes_pdf(MinutesSpec(), "numbered"))
AARHUS_FORM = ("skema.docx", form_docx(FormSpec(municipality="Aarhus Kommune", cvr="55133018", director_name="Lone Berg",
                                                director_email="lobe@aarhus.dk"), "table"))
DONE = "Ansøgninger.Behandlet"  # "Ansøgninger/Behandlet" in Dovecot's "." hierarchy, modified UTF-7 on the wire


def test_applications_are_answered_over_smtp_by_internaldate_and_moved_once(online, dovecot, smtp):
    # Received and Date headers say "on time", the server's INTERNALDATE says one second late: late.
    dovecot.append(mail(attachments=[FORM, MINUTES], message_id="<late@slagelse.dk>", received="2025-03-25 11:59:00",
                        date_header="2025-03-25 11:58:00"), at("2025-03-25 12:00:01"))
    # Headers say late, INTERNALDATE says on time: a receipt.
    dovecot.append(mail(sender="Lone Berg <lobe@aarhus.dk>", attachments=[AARHUS_FORM, MINUTES], message_id="<ok@aarhus.dk>",
                        received="2025-03-25 12:30:00", date_header="2025-03-25 12:30:00"), at("2025-03-25 11:59:59"))
    dovecot.append(out_of_office(received="2025-03-25 11:00:00"), at("2025-03-25 11:00:00"))

    online.cli("run", "--once", now="2025-03-25T13:00:00+01:00")

    received = smtp.sink.wait_for(2)
    assert len(received) == 2
    by_to = {r.recipients[0]: r for r in received}
    assert set(by_to) == {"meha@slagelse.dk", "lobe@aarhus.dk"}
    late, receipt = by_to["meha@slagelse.dk"].message, by_to["lobe@aarhus.dk"].message
    assert late["X-Taskforce-Reply"] == "late" and receipt["X-Taskforce-Reply"] == "receipt"
    assert by_to["lobe@aarhus.dk"].sender == "taskforce@sbst.dk" and receipt["From"] == "taskforce@sbst.dk"
    assert receipt["To"] == "lobe@aarhus.dk" and receipt["Auto-Submitted"] == "auto-replied"
    assert receipt["X-Auto-Response-Suppress"] == "All"
    assert receipt["In-Reply-To"] == "<ok@aarhus.dk>" and "<ok@aarhus.dk>" in receipt["References"]
    assert receipt["Message-ID"].startswith("<taskforce-intake.receipt.")
    assert "[TFB-2025-" in receipt["Subject"] and "25.03.2025 kl. 11:59:59" in receipt.get_content()
    queue = {q["municipality"]: q for q in online.queue()}
    assert queue["Slagelse Kommune"]["received_at"].startswith("2025-03-25T12:00:01")
    assert queue["Slagelse Kommune"]["status"] == "late"

    assert dovecot.messages("INBOX") == []
    assert len(dovecot.messages(DONE)) == 3  # the out-of-office reply too: stored, never answered
    assert (dovecot.root / "mail" / "taskforce" / ".Ans&APg-gninger.Behandlet").is_dir()  # modified UTF-7 on the server

    dovecot.append(out_of_office(received="2025-03-25 13:10:00"), at("2025-03-25 13:10:00"))
    online.cli("run", "--once", now="2025-03-25T14:00:00+01:00")
    assert len(smtp.sink.received) == 2  # a second run sends nothing
    assert len(dovecot.messages(DONE)) == 4


def test_copy_and_expunge_when_move_is_not_used(tmp_path, dovecot, smtp):
    from bot.runtime import Runtime
    from bot.service import open_service_mailbox, run_pass
    from config.settings import load_settings

    rt = Runtime.open(load_settings(imap_config(tmp_path, dovecot, smtp, mailbox_extra="use_move = false")))
    dovecot.append(mail(attachments=[FORM, MINUTES]), at("2025-03-20 10:00:00"))
    mailbox = open_service_mailbox(rt)
    client = mailbox._ensure()
    client.move = lambda *args: pytest.fail("MOVE used although use_move = false")  # the real COPY + EXPUNGE must do
    try:
        run_pass(rt, mailbox, dt.datetime.fromisoformat("2025-03-20T12:00:00+01:00"))
    finally:
        mailbox.close()
    assert [r.message["X-Taskforce-Reply"] for r in smtp.sink.wait_for(1)] == ["receipt"]
    assert dovecot.messages("INBOX") == [] and len(dovecot.messages(DONE)) == 1


def test_a_pass_moves_every_mail_out_in_batches_before_it_ends(tmp_path, dovecot, smtp):
    """Moves go out together (`MOVE_BATCH`), and the last mails of a pass -- still in the lookahead when
    the mailbox's own fetch ended -- are moved by the time the pass returns, not at the next one."""
    from bot.mailboxes import imap
    from bot.runtime import Runtime
    from bot.service import open_service_mailbox, run_pass
    from config.settings import load_settings

    rt = Runtime.open(load_settings(imap_config(tmp_path, dovecot, smtp)))
    for n in range(7):  # more than the lookahead holds (two per reader process)
        dovecot.append(mail(attachments=[FORM, MINUTES], message_id=f"<batch-{n}@slagelse.dk>"), at(f"2025-03-20 10:0{n}:00"))
    mailbox = open_service_mailbox(rt)
    moves: list[int] = []
    client = mailbox._ensure()
    real_move = client.move
    client.move = lambda uids, folder: (moves.append(len(uids)), real_move(uids, folder))[1]
    try:
        summary = run_pass(rt, mailbox, dt.datetime.fromisoformat("2025-03-20T12:00:00+01:00"))
        assert summary.processed == 7
        assert dovecot.messages("INBOX") == [] and len(dovecot.messages(DONE)) == 7  # before close
        assert sum(moves) == 7 and max(moves) <= imap.MOVE_BATCH
    finally:
        mailbox.close()
        rt.close()


def test_a_reply_goes_out_only_once_its_mail_is_moved_out_though_delivery_runs_beside_the_pass(tmp_path, dovecot, smtp, monkeypatch):
    """Replies are delivered on a thread of their own while the pass goes on (bot/service.py `Courier`),
    and the pass moves its mails in batches: a delivery sends only the replies recorded when it was
    asked for, right after a move, never the reply of a mail still waiting in the batch."""
    import threading

    import bot.service
    from bot.runtime import Runtime
    from bot.service import open_service_mailbox, run_pass
    from config.settings import load_settings

    rt = Runtime.open(load_settings(imap_config(tmp_path, dovecot, smtp)))
    for n in range(3):
        dovecot.append(mail(attachments=[FORM, MINUTES], message_id=f"<beside-{n}@slagelse.dk>"), at(f"2025-03-20 10:0{n}:00"))
    mailbox = open_service_mailbox(rt)
    moved: list[int] = []
    client = mailbox._ensure()
    real_move = client.move
    client.move = lambda uids, folder: (moved.extend(uids), real_move(uids, folder))[1]
    second_done, checks = threading.Event(), []
    real_done = mailbox.done

    def done(key: str) -> None:
        real_done(key)  # queued for the next move, not moved yet
        if moved:
            second_done.set()

    real_deliver = bot.service.deliver

    def deliver(*args) -> None:
        if not checks:
            second_done.wait(30)  # the next mail's reply is recorded, its mail not yet moved
        real_deliver(*args)
        checks.append(len(smtp.sink.received))

    monkeypatch.setattr(mailbox, "done", done)
    monkeypatch.setattr(bot.service, "deliver", deliver)
    try:
        summary = run_pass(rt, mailbox, dt.datetime.fromisoformat("2025-03-20T12:00:00+01:00"))
        assert summary.processed == 3 and summary.replies_sent == 3 and len(smtp.sink.received) == 3
        assert second_done.is_set()
        assert checks[0] == 1  # the first delivery: the first mail's reply only, though the second's was recorded by then
    finally:
        mailbox.close()
        rt.close()


def test_mails_done_are_moved_in_one_move_when_the_fetch_ends(tmp_path, dovecot, smtp):
    from bot.mailboxes.imap import ImapMailbox
    from config.settings import load_settings

    for n in range(5):
        dovecot.append(mail(message_id=f"<one-move-{n}@slagelse.dk>"), at(f"2025-03-20 10:0{n}:00"))
    box = ImapMailbox(load_settings(imap_config(tmp_path, dovecot, smtp)).mailbox)
    moves: list[list[int]] = []
    client = box._ensure()
    real_move = client.move
    client.move = lambda uids, folder: (moves.append(list(uids)), real_move(uids, folder))[1]
    try:
        for incoming in box.fetch():
            box.done(incoming.key)
            assert moves == [] and len(dovecot.messages("INBOX")) == 5  # not yet: with the next ones
        assert len(moves) == 1 and len(moves[0]) == 5 and dovecot.messages("INBOX") == []
    finally:
        box.close()


def test_imaplib_does_not_trace_each_downloaded_mail_unless_its_logger_is_on(tmp_path, dovecot, smtp, caplog):
    """imapclient turns imaplib's trace on, which formats every FETCH literal (the whole mail) whether or not
    the line is logged: the service turns it off, unless an operator enables the wire logger for DEBUG."""
    import logging

    from bot.mailboxes.imap import WIRE_LOG, ImapMailbox
    from config.settings import load_settings

    dovecot.append(mail(message_id="<traced@slagelse.dk>"), at("2025-03-20 10:00:00"))
    settings = load_settings(imap_config(tmp_path, dovecot, smtp)).mailbox

    def fetched(box: ImapMailbox) -> list[str]:
        try:
            return [incoming.key for incoming in box.fetch()]
        finally:
            box.close()

    with caplog.at_level(logging.WARNING, logger=WIRE_LOG):  # the wire logger not enabled for DEBUG (whatever the root's level)
        quiet = ImapMailbox(settings)
        assert quiet._ensure()._imap.debug == 0  # imaplib formats nothing for a trace nobody reads
        quiet.close()
    with caplog.at_level(logging.DEBUG, logger=WIRE_LOG):
        assert len(fetched(ImapMailbox(settings))) == 1
    assert any("traced@slagelse.dk" in r.getMessage() for r in caplog.records if r.name == WIRE_LOG)  # the mail itself, traced


def test_stop_finishes_the_mail_in_hand_and_takes_no_more(tmp_path, dovecot, smtp):
    """What SIGTERM does to a pass: the mailbox hands out nothing after `stop`; the mail in hand is done."""
    import threading

    from bot.mailboxes.imap import ImapMailbox
    from config.settings import load_settings

    for n in range(2):
        dovecot.append(mail(message_id=f"<s{n}@slagelse.dk>"), at(f"2025-03-20 10:0{n}:00"))
    stop = threading.Event()
    box = ImapMailbox(load_settings(imap_config(tmp_path, dovecot, smtp)).mailbox, stop=stop)
    try:
        mails = box.fetch()
        first = next(mails)
        stop.set()  # SIGTERM while the first mail is being processed
        box.done(first.key)
        assert list(mails) == []
    finally:
        box.close()
    assert len(dovecot.messages(DONE)) == 1 and b"<s1@slagelse.dk>" in dovecot.messages("INBOX")[0]


@pytest.mark.parametrize("mode", ["idle", "poll"])
def test_run_picks_up_new_mail_and_stops_on_sigterm(tmp_path, dovecot, smtp, mode):
    """`taskforce-intake run`: with IDLE polling is set to an hour, so only IDLE can bring the mail in;
    with IDLE switched off, polling every second does."""
    import os
    import signal
    import subprocess
    import sys
    import threading

    from tests.conftest import ROOT

    extra = "poll_seconds = 3600" if mode == "idle" else "idle = false\npoll_seconds = 1"
    ready = "IDLE, venter på ny post" if mode == "idle" else "no IDLE, next poll"
    config = imap_config(tmp_path, dovecot, smtp, mailbox_extra=extra)
    env = {**os.environ, "TASKFORCE_INTAKE_CONFIG": str(config), "TASKFORCE_INTAKE_NOW": "2025-03-20T12:00:00+01:00"}
    proc = subprocess.Popen([sys.executable, "-m", "taskforce_intake", "--verbose", "run"], cwd=ROOT, env=env,
                            stderr=subprocess.PIPE, text=True)
    try:
        seen = []
        for line in proc.stderr:  # wait (on the process's own words) until the first pass is over
            seen.append(line)
            if ready in line:
                break
        assert ready in seen[-1], "".join(seen)  # not EOF: the service is up and waiting
        threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep the pipe drained
        dovecot.append(mail(attachments=[FORM, MINUTES], message_id="<idle@slagelse.dk>"), at("2025-03-20 11:00:00"))
        (reply,) = smtp.sink.wait_for(1, timeout=60)
        assert reply.message["In-Reply-To"] == "<idle@slagelse.dk>" and reply.message["X-Taskforce-Reply"] == "receipt"
        assert dovecot.messages("INBOX") == [] and len(dovecot.messages(DONE)) == 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert len(smtp.sink.received) == 1
