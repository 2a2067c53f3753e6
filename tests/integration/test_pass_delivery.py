"""A pass over a backlog sends each reply as its mail is done, not after the last mail (issue 10: on
deadline day dozens of mails arrive in the last hour, and the first municipality must not wait for
the rest).  In-process over Maildirs, the same `run_pass` as `taskforce-intake run`."""
from __future__ import annotations

import datetime as dt
import threading

from bot.runtime import Runtime
from bot.service import open_service_mailbox, run_pass
from config.settings import load_settings
from tests.factories.forms import FormSpec, form_docx
from tests.factories.minutes import MinutesSpec, minutes_pdf
from tests.mails import at, mail
import pytest
from tests.conftest import on_each_database


installation = pytest.fixture(on_each_database)  # on SQLite and on PostgreSQL (issue 12)


class Watched:
    """The service's mailbox, noting how many replies were out each time a mail is done with (moved out:
    the pass fetches a few mails ahead, so that its reader processes read while it decides).  Replies go
    out beside the pass (bot/service.py `Courier`): before noting the second mail, it waits (up to
    `patience` seconds) for a delivery to have ended after the first was done."""

    def __init__(self, mailbox, installation, delivered: threading.Event, patience: float = 30) -> None:
        self.mailbox, self.installation, self.out_before = mailbox, installation, []
        self.delivered, self.patience = delivered, patience

    def done(self, key):
        if not self.out_before:
            self.delivered.clear()
        if len(self.out_before) == 1:
            self.delivered.wait(self.patience)
        self.out_before.append(len(self.installation.outbox))
        self.mailbox.done(key)

    def __getattr__(self, name):
        return getattr(self.mailbox, name)


def test_the_first_reply_goes_out_before_the_rest_of_the_backlog_is_read(installation, monkeypatch):
    import bot.service

    delivered = threading.Event()
    real = bot.service.deliver
    monkeypatch.setattr(bot.service, "deliver", lambda *args: (real(*args), delivered.set())[0])
    form, minutes = form_docx(FormSpec(), "table"), minutes_pdf(MinutesSpec(), "numbered")
    senders = ("meha@slagelse.dk", "lobe@aarhus.dk", "peho@odense.dk")
    for n, sender in enumerate(senders):
        installation.deliver(mail(sender=sender, message_id=f"<b{n}@kommune.dk>", received=f"2025-03-20 10:0{n}:00",
                                  attachments=[("skema.docx", form), ("referat.pdf", minutes)]))
    rt = Runtime.open(load_settings(installation.config))
    mailbox = Watched(open_service_mailbox(rt), installation, delivered)
    progress: list[int] = []  # the scheduler records a poll here (/healthz): mails done at each call
    summary = run_pass(rt, mailbox, at("2025-03-20 10:05:00") + dt.timedelta(seconds=1),
                       progress=lambda: progress.append(len(mailbox.out_before)))
    assert summary.processed == 3 and summary.replies_sent == 3
    assert mailbox.out_before[:2] == [0, 1]  # the first reply was out before the second mail was done
    assert len(installation.outbox) == 3
    assert progress and progress[0] == 1  # told during the pass, as the first mail was done, not only at its end
