"""One pass of the service: intake from the mailbox, then delivery of every recorded reply."""
from __future__ import annotations

import datetime as dt

from bot.deadlines import close_rounds, send_reminders
from bot.delivery import open_delivery
from bot.intake import RunSummary, Runtime, intake
from bot.mailboxes import open_mailbox
from bot.outbox import flush
from sqlmodel import Session

from storage.db import first_start


def run_once(rt: Runtime, now: dt.datetime) -> RunSummary:
    summary = RunSummary()
    with Session(rt.engine) as session:
        first_start(session, now)  # the default `answer_from`: mail from before the bot ran is not answered
    mailbox = open_mailbox(rt.settings.mailbox)
    try:
        intake(rt, mailbox, now, summary)
    finally:
        mailbox.close()
    summary.closed = close_rounds(rt, now)
    summary.reminders = send_reminders(rt, now)
    delivery = open_delivery(rt.settings.delivery)
    try:
        summary.replies_sent, failed = flush(rt.engine, delivery, now)
        if failed:
            summary.errors.append(f"{failed} svar kunne ikke afleveres (prøves igen)")
    finally:
        delivery.close()
    return summary
