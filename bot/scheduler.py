"""The long-running service (APScheduler 3) until SIGTERM or SIGINT.

The jobs, one instance each, missed runs coalesced:
  mailbox  a pass over the mailbox (intake, then delivery of what it queued); over IMAP with IDLE the job
           stays in the pass loop, IDLEs until the server reports new mail and takes it at once; without
           IDLE (or over a Maildir) it returns and runs again every `poll_seconds` (polling).  A dropped
           connection ends the job; it reconnects on its next run (tenacity backoff within a run).
  outbox   delivery of due replies (retries after SMTP trouble) every `flush_seconds`.
  deadlines reminders and the closing of rounds every 30 s, also while the mailbox job IDLEs; it takes
           the same lock as a mailbox pass, so a round never closes while a mail received before the
           deadline is half processed.
  pictures the evidence pictures of newly processed documents (bot/pictures.py) every 10 s, a few
           documents at a time and only while no pass is taking in mail, in a process of their own
           that gets the CPU only when nothing else wants it (SCHED_IDLE): never before a reply,
           never holding up the reading of new mail.
  retention (only with `[retention] run_daily_at`) once a day at that local time: `retention apply`
           (bot/retention.py), under the same lock, so no mail is half stored while its files are weighed.
The lock above is within this process; across several `run` processes on one PostgreSQL the deadlines
job and retention also wait until no worker has a mail in hand (bot/claims.py `no_mail_in_hand`).  A
pass that skipped mails another worker had in hand IDLEs at most `OTHERS_SECONDS`, then looks again:
if that worker was killed, its mails are taken over within seconds, not at the next new mail.
On a signal, `stop` is set: the mailbox hands out no further mail, the mail in hand is finished, IDLE
ends within a second, and the scheduler waits for both jobs before the process exits."""
from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from typing import Callable

from apscheduler.schedulers.blocking import BlockingScheduler

from bot import clock
from bot.claims import no_mail_in_hand
from bot.health import record_poll
from bot.intake import RunSummary
from bot.runtime import Runtime
from bot.mailboxes import Mailbox
from bot.pictures import make_pictures
from bot.retention import apply_retention
from bot.service import deadlines, deliver, open_service_mailbox, run_pass

log = logging.getLogger(__name__)
POLL_SECONDS = 30
DEADLINE_SECONDS = 30
PICTURES_SECONDS = 10
PICTURES_PER_RUN = 4  # documents between two looks at `stop` (a scan's OCR takes seconds a page)
OTHERS_SECONDS = 5  # the longest wait while another worker has mails of this mailbox in hand
RETENTION_ACTOR = "taskforce-intake (daglig oprydning)"  # auditevent.actor of the daily retention job


class MailboxJob:
    """Keeps one mailbox connection across runs of the job; reopens it after a failure."""

    def __init__(self, rt: Runtime, stop: threading.Event, now: Callable = clock.now, lock: threading.Lock | None = None) -> None:
        self.rt, self.stop, self.now = rt, stop, now
        self.lock = lock or threading.Lock()
        self.mailbox: Mailbox | None = None

    def __call__(self) -> None:
        try:
            if self.mailbox is None:
                self.mailbox = open_service_mailbox(self.rt, self.stop)
            while not self.stop.is_set():
                with self.lock:
                    summary = run_pass(self.rt, self.mailbox, self.now(), progress=lambda: record_poll(self.rt.engine, self.now()))
                record_poll(self.rt.engine, self.now())  # /healthz: the mailbox answered
                _report(summary)
                if summary.fetched:
                    continue  # more may have come while we worked
                wait = getattr(self.mailbox, "wait", None)
                can_idle = getattr(self.mailbox, "can_idle", lambda: False)
                if wait is None or not can_idle():
                    log.info("mailbox: no IDLE, next poll in %s s", self.rt.settings.mailbox.poll_seconds)
                    return  # polling: the next run of the job
                others = getattr(self.mailbox, "held_elsewhere", 0)
                wait(min(self.rt.settings.mailbox.idle_seconds, OTHERS_SECONDS) if others else self.rt.settings.mailbox.idle_seconds)
                record_poll(self.rt.engine, self.now())  # an idle mailbox is a healthy one
        except Exception:  # noqa: BLE001 - the job must survive any server trouble and try again
            log.exception("mailbox pass failed; reconnecting on the next run")
            self.close()

    def close(self) -> None:
        if self.mailbox is not None:
            try:
                self.mailbox.close()
            except Exception:  # noqa: BLE001
                pass
        self.mailbox = None


def _report(summary: RunSummary) -> None:
    if summary.fetched or summary.errors or summary.closed or summary.reminders:
        log.warning("pass: %s", summary)


def run_forever(rt: Runtime, poll_seconds: int | None = None) -> None:
    stop = threading.Event()
    scheduler = BlockingScheduler(timezone=rt.settings.timezone)
    lock = threading.Lock()
    mailbox_job = MailboxJob(rt, stop, lock=lock)

    def deadlines_job() -> None:
        summary = RunSummary()
        try:
            with lock:
                deadlines(rt, clock.now(), summary)
        except Exception:  # noqa: BLE001
            log.exception("reminders/closing failed")
        _report(summary)

    def flush_job() -> None:
        summary = RunSummary()
        try:
            deliver(rt, clock.now(), summary)
        except Exception:  # noqa: BLE001
            log.exception("outbox flush failed")
        _report(summary)

    start = dt.datetime.now(rt.settings.timezone)  # when jobs run is wall-clock time, whatever "now" is replayed
    common = dict(max_instances=1, coalesce=True, misfire_grace_time=None, next_run_time=start)
    scheduler.add_job(mailbox_job, "interval", seconds=poll_seconds or rt.settings.mailbox.poll_seconds, id="mailbox", **common)
    scheduler.add_job(flush_job, "interval", seconds=rt.settings.delivery.flush_seconds, id="outbox", **common)
    scheduler.add_job(deadlines_job, "interval", seconds=DEADLINE_SECONDS, id="deadlines", **common)

    def pictures_job() -> None:
        try:  # a few documents at a time, while no pass is taking in mail (a backlog's pictures come after it)
            while not stop.is_set() and not lock.locked() and make_pictures(rt, clock.now(), PICTURES_PER_RUN):
                pass
        except Exception:  # noqa: BLE001
            log.exception("evidence pictures failed")

    scheduler.add_job(pictures_job, "interval", seconds=PICTURES_SECONDS, id="pictures", **common)
    daily = rt.settings.retention.run_daily_at
    if daily is not None:
        def retention_job() -> None:
            try:
                with lock, no_mail_in_hand(rt.engine):
                    report = apply_retention(rt, clock.now(), RETENTION_ACTOR)
                if report.removal:
                    log.warning("retention: %s", report.to_json())
            except Exception:  # noqa: BLE001
                log.exception("retention failed")

        scheduler.add_job(retention_job, "cron", hour=daily.hour, minute=daily.minute, id="retention", max_instances=1, coalesce=True,
                          misfire_grace_time=None)
    stopping: list[threading.Thread] = []

    def on_signal(signum, _frame) -> None:
        log.warning("signal %s: stopping after the mail in hand", signum)
        stop.set()
        if not stopping:  # shutdown(wait=True) waits for the jobs: not inside the signal handler
            stopping.append(threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}))
            stopping[0].start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        scheduler.start()
    finally:
        for thread in stopping:
            thread.join()
        mailbox_job.close()
