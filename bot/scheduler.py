"""The long-running service (APScheduler 3): a polling job that runs one pass at a time, coalescing
missed runs, until SIGTERM or SIGINT; the pass in hand is finished before exit."""
from __future__ import annotations

import logging
import signal

from apscheduler.schedulers.blocking import BlockingScheduler

from bot import clock
from bot.intake import Runtime
from bot.service import run_once

log = logging.getLogger(__name__)
POLL_SECONDS = 30


def run_forever(rt: Runtime, poll_seconds: int = POLL_SECONDS) -> None:
    scheduler = BlockingScheduler(timezone=rt.settings.timezone)

    def poll() -> None:
        summary = run_once(rt, clock.now())
        if summary.fetched or summary.errors:
            log.warning("pass: %s", summary)

    scheduler.add_job(poll, "interval", seconds=poll_seconds, id="poll", max_instances=1, coalesce=True, next_run_time=clock.now())

    def stop(signum, _frame) -> None:
        log.warning("signal %s: stopping after the current pass", signum)
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start()
