"""Several workers: two real `taskforce-intake run` processes on one PostgreSQL and one Dovecot mailbox,
answering through aiosmtpd.  Every mail is processed once and answered once, both workers do work,
neither logs a traceback, and killing one mid-pass loses nothing (bot/claims.py)."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from parsers.municipalities import all_municipalities
from tests.conftest import ROOT, Installation
from tests.factories.forms import FormSpec, form_docx
from tests.integration.conftest import imap_config
from tests.mails import at, mail

pytestmark = pytest.mark.integration
NOW = "2025-03-20T12:00:00+01:00"
UP = "IDLE, venter på ny post"  # the worker's words once its first pass is over (bot/mailboxes/imap.py)


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def processed(self) -> int:
        """Mails this worker processed, from its own pass reports (bot/scheduler.py `_report`)."""
        return sum(int(n) for n in re.findall(r"pass: RunSummary\(.*?\bprocessed=(\d+)", self.text()))


def pg_online(tmp_path: Path, dovecot, smtp, postgres_server: str, name: str) -> Installation:
    from tests.pg import create_database

    url = create_database(postgres_server, name)
    config = imap_config(tmp_path, dovecot, smtp)
    config.write_text(config.read_text(encoding="utf-8").replace(f'url = "sqlite:///{tmp_path}/intake.db"', f'url = "{url}"'),
                      encoding="utf-8")
    return Installation(tmp_path, config)


def start(inst: Installation, name: str, now: str = NOW) -> Worker:
    log = inst.root / f"{name}.log"
    env = {**os.environ, "TASKFORCE_INTAKE_CONFIG": str(inst.config), "TASKFORCE_INTAKE_NOW": now}
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "taskforce_intake", "--verbose", "run"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    return Worker(process, log)


def wait_until(condition, timeout: float, what: str) -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


def applications(count: int) -> list[tuple[str, bytes]]:
    """`count` first applications from as many municipalities (so none joins another's application and
    no loop cap holds a reply back): (Message-ID, raw mail)."""
    out = []
    for n, town in enumerate([m for m in all_municipalities() if m.domains][:count]):
        domain, address = town.domains[0], f"anbe{n}@{town.domains[0]}"
        form = form_docx(FormSpec(municipality=town.name, cvr=town.cvr, director_name="Anna Berg", director_email=address), "table")
        message_id = f"<worker-{n}@{domain}>"
        out.append((message_id, mail(sender=f"Anna Berg <{address}>", message_id=message_id,
                                     attachments=[(f"Ansøgningsskema {town.short_name}.docx", form)])))
    return out


def database(inst: Installation):
    url = [line for line in inst.config.read_text(encoding="utf-8").splitlines() if line.startswith("url")][0].split('"')[1]
    return create_engine(url)


def stop(*workers: Worker) -> list[int]:
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.send_signal(signal.SIGTERM)
    return [worker.process.wait(timeout=60) for worker in workers]


def kill_all(*workers: Worker) -> None:
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()


def test_two_workers_answer_every_mail_once_and_share_the_work(tmp_path, dovecot, smtp, postgres_server):
    inst = pg_online(tmp_path, dovecot, smtp, postgres_server, "t_two_workers_share")
    mails = applications(40)
    workers = [start(inst, "worker-a"), start(inst, "worker-b")]  # at once, on an empty database, as a new user would
    try:
        wait_until(lambda: all(UP in w.text() for w in workers), 120, "both workers to IDLE")
        for _, raw in mails:
            dovecot.append(raw, at("2025-03-20 10:00:00"))
        received = smtp.sink.wait_for(40, timeout=600)
        wait_until(lambda: dovecot.messages("INBOX") == [], 60, "the inbox to be emptied")
        assert stop(*workers) == [0, 0]
    finally:
        kill_all(*workers)
    answered = Counter(r.message["In-Reply-To"] for r in smtp.sink.received)
    assert len(received) == 40 and set(answered) == {mid for mid, _ in mails} and max(answered.values()) == 1
    assert Counter(r.recipients[0] for r in smtp.sink.received).most_common(1)[0][1] == 1
    assert len(dovecot.messages("Ansøgninger.Behandlet")) == 40
    logs = [w.text() for w in workers]
    assert [w.processed() > 0 for w in workers] == [True, True], [w.processed() for w in workers]
    assert sum(w.processed() for w in workers) == 40
    assert not any("Traceback" in log for log in logs), "\n\n".join(logs)
    with database(inst).connect() as conn:
        assert conn.execute(text("select state, count(*) from message group by state")).all() == [("processed", 40)]
        assert conn.execute(text("select state, count(*) from reply group by state")).all() == [("sent", 40)]
        assert conn.execute(text("select count(*) from assessment")).scalar() == 40  # each mail decided once
        assert conn.execute(text("select count(distinct reference) from application")).scalar() == 40


def test_killing_one_worker_mid_pass_loses_nothing(tmp_path, dovecot, smtp, postgres_server):
    inst = pg_online(tmp_path, dovecot, smtp, postgres_server, "t_two_workers_kill")
    mails = applications(30)
    victim, survivor = start(inst, "victim"), start(inst, "survivor")
    try:
        wait_until(lambda: UP in victim.text() and UP in survivor.text(), 120, "both workers to IDLE")
        for _, raw in mails:
            dovecot.append(raw, at("2025-03-20 10:00:00"))
        smtp.sink.wait_for(6, timeout=300)
        victim.process.send_signal(signal.SIGKILL)  # mid-pass: 24 and more mails are still to do
        assert victim.process.wait(timeout=30) == -signal.SIGKILL
        engine = database(inst)

        def processed() -> int:
            with engine.connect() as conn:
                return conn.execute(text("select count(*) from message where state = 'processed'")).scalar()

        wait_until(lambda: processed() == 30 and dovecot.messages("INBOX") == [], 600, "the survivor to do the rest")
        # the lease of a reply the victim held (10 minutes) has passed: it is sent, or in doubt if caught mid-SMTP
        inst.cli("run", "--once", now="2025-03-20T12:15:00+01:00")
        assert stop(survivor) == [0]
    finally:
        kill_all(victim, survivor)
    assert "Traceback" not in survivor.text(), survivor.text()
    assert survivor.processed() > 0
    answered = Counter(r.message["In-Reply-To"] for r in smtp.sink.received)
    assert max(answered.values()) == 1  # no reply twice
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from message where state <> 'processed'")).scalar() == 0
        assert conn.execute(text("select count(*) from assessment")).scalar() == 30  # each mail decided once
        assert conn.execute(text("select max(n) from (select count(*) n from attachment group by message_id) a")).scalar() == 1
        rows = conn.execute(text("select m.message_id, r.state from message m join reply r on r.answers_message_id = m.id")).all()
    assert sorted(mid for mid, _ in rows) == sorted(mid for mid, _ in mails)  # one reply row per mail
    for message_id, state in rows:
        assert state in ("sent", "in_doubt"), (message_id, state)
        if state == "sent":
            assert answered[message_id] == 1
    assert len(dovecot.messages("Ansøgninger.Behandlet")) == 30


def test_a_second_run_on_sqlite_is_refused(installation):
    first = start(installation, "first")
    try:
        wait_until(lambda: "next poll" in first.text(), 120, "the first worker's first pass")
        second = installation.cli("run", "--once", check=False)
        assert installation.cli("queue", "--json").returncode == 0  # reading next to it stays allowed
    finally:
        assert stop(first) == [0]
        kill_all(first)
    assert second.returncode == 1
    line = " ".join(second.stderr.split())
    assert f"En anden proces (pid {first.process.pid}) kører allerede `run` på SQLite-databasen" in line, second.stderr
    assert "PostgreSQL" in line and "Traceback" not in second.stderr
    assert installation.cli("run", "--once").returncode == 0  # once the first has stopped, the lock is free


def test_a_mail_the_other_worker_moved_meanwhile_is_no_error(tmp_path, dovecot, smtp, caplog):
    """The IMAP side on its own: this worker has fetched the UIDs, the other moves the mails out, then
    this one downloads the next (gone: nothing) and moves the first (gone: skipped), quietly."""
    from bot.mailboxes.imap import ImapMailbox
    from config.settings import load_settings

    settings = load_settings(imap_config(tmp_path, dovecot, smtp, mailbox_extra="batch_size = 1")).mailbox
    for n in range(2):
        dovecot.append(mail(message_id=f"<moved-{n}@slagelse.dk>"), at(f"2025-03-20 10:0{n}:00"))
    mine, theirs = ImapMailbox(settings), ImapMailbox(settings)
    try:
        mails = mine.fetch()
        first = next(mails)  # one downloaded (batch_size 1), both UIDs searched
        for other in list(theirs.fetch()):
            theirs.done(other.key)
        theirs.flush()  # the other worker moved both
        assert list(mails) == []  # the second is gone: a FETCH of it yields nothing
        mine.done(first.key)
        mine.flush()  # and moving the first again is no error
    finally:
        mine.close()
        theirs.close()
    assert dovecot.messages("INBOX") == [] and len(dovecot.messages("Ansøgninger.Behandlet")) == 2
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR") or r.exc_info], caplog.text
