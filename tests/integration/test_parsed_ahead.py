"""The service's one thread stores and decides; the reader processes parse each mail and keep its
attachments' files (bot/intake.py `arrivals`, bot/readers.py `read_attachment`), a few mails ahead.
Readers are forked when first used, so what is changed in this process after that does not reach them:
that is how these tests tell where the work was done."""
from __future__ import annotations

import concurrent.futures
import datetime as dt
from concurrent.futures.process import BrokenProcessPool

from pebble import ProcessExpired
from sqlmodel import Session, select

import bot.intake as intake
from bot.runtime import Runtime
from bot.service import run_once
from config.settings import load_settings
from storage.files import FileStore
from storage.models import Attachment, Message
from tests.factories.forms import FormSpec, form_docx
from tests.factories.minutes import MinutesSpec, minutes_pdf
from tests.mails import at, mail

FORM = form_docx(FormSpec(), "table")
MINUTES = minutes_pdf(MinutesSpec(), "numbered")
WHEN = "2025-03-20 10:00:00"


def _mails(installation, count: int = 3) -> None:
    for n in range(count):
        installation.deliver(mail(attachments=[("skema.docx", FORM), ("Referat.pdf", MINUTES), (f"bilag{n}.txt", f"Bilag {n}".encode())],
                                  message_id=f"<m{n}@slagelse.dk>", received=WHEN))


def _processed(rt: Runtime) -> list[Message]:
    with Session(rt.engine) as session:
        return list(session.exec(select(Message).where(Message.state == "processed")).all())


def test_mails_are_parsed_and_their_files_kept_in_the_reader_processes(sqlite_installation, monkeypatch):
    rt = Runtime.open(load_settings(sqlite_installation.config))
    try:
        rt.readers.run(len, b"").result()  # the reader processes are forked now, before the changes below
        written: list[str] = []
        real_put = FileStore.put

        def put(self, data: bytes) -> str:  # what this process writes itself (a file not yet there)
            if not self.exists(intake.sha256(data)):
                written.append(intake.sha256(data))
            return real_put(self, data)

        def not_here(raw: bytes):
            raise AssertionError("parsed in the service's own process")

        monkeypatch.setattr(FileStore, "put", put)
        monkeypatch.setattr(intake, "parse_message", not_here)
        _mails(sqlite_installation)
        summary = run_once(rt, at(WHEN) + dt.timedelta(seconds=5))
        assert (summary.processed, summary.failed) == (3, 0)
        attachments = _attachments(rt)
        assert len(attachments) == 9 and all(rt.store.exists(a.sha256) for a in attachments)
        with Session(rt.engine) as session:
            assert {m.sha256 for m in session.exec(select(Message)).all()} <= set(written)  # the raw mails: here, first
        assert not {a.sha256 for a in attachments} & set(written)  # every attachment's file: in a reader process
    finally:
        rt.close()


def _attachments(rt: Runtime) -> list[Attachment]:
    with Session(rt.engine) as session:
        return list(session.exec(select(Attachment)).all())


def _parse_failing(rt: Runtime, monkeypatch, error: BaseException) -> None:
    def failed(raw: bytes) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        future.set_exception(error)
        return future

    monkeypatch.setattr(rt.readers, "parse", failed)


def test_a_mail_that_stopped_its_reader_process_is_kept_failed_not_parsed_without_limits(sqlite_installation, monkeypatch):
    rt = Runtime.open(load_settings(sqlite_installation.config))
    try:
        _parse_failing(rt, monkeypatch, ProcessExpired("Abnormal termination", code=-9, pid=1))
        monkeypatch.setattr(intake, "parse_message", lambda raw: (_ for _ in ()).throw(AssertionError("parsed without limits")))
        _mails(sqlite_installation, 2)
        summary = run_once(rt, at(WHEN) + dt.timedelta(seconds=5))
        assert (summary.processed, summary.failed) == (0, 2)
        with Session(rt.engine) as session:
            rows = session.exec(select(Message)).all()
        assert all(m.state == "failed" and "mailen stoppede læserprocessen" in m.error and m.next_attempt_at for m in rows)
    finally:
        rt.close()


def test_a_mail_that_stopped_its_reader_process_is_tried_again_under_the_same_limits(sqlite_installation, monkeypatch):
    """The retry from the stored copy (bot/quarantine.py, after the backoff) parses the mail in a reader
    process too: a mail that stopped its reader must never be parsed in the service without limits."""
    from bot.quarantine import retry_due
    from bot.intake import RunSummary

    rt = Runtime.open(load_settings(sqlite_installation.config))
    try:
        _parse_failing(rt, monkeypatch, ProcessExpired("Abnormal termination", code=-9, pid=1))
        monkeypatch.setattr(intake, "parse_message", lambda raw: (_ for _ in ()).throw(AssertionError("parsed without limits")))
        _mails(sqlite_installation, 1)
        first = at(WHEN) + dt.timedelta(seconds=5)
        assert run_once(rt, first).failed == 1
        with Session(rt.engine) as session:
            row = session.exec(select(Message)).one()
        summary = RunSummary()
        retry_due(rt, row.next_attempt_at + dt.timedelta(seconds=1), summary)
        assert (summary.retried, summary.failed) == (1, 1)
        with Session(rt.engine) as session:
            again = session.get(Message, row.id)
        assert again.attempts == 2 and "mailen stoppede læserprocessen" in again.error  # not "parsed without limits"
    finally:
        rt.close()


def test_a_mail_the_reader_processes_could_not_take_is_parsed_in_the_service(sqlite_installation, monkeypatch):
    rt = Runtime.open(load_settings(sqlite_installation.config))
    try:
        _parse_failing(rt, monkeypatch, BrokenProcessPool("All workers expired"))
        _mails(sqlite_installation, 2)
        summary = run_once(rt, at(WHEN) + dt.timedelta(seconds=5))
        assert (summary.processed, summary.failed) == (2, 0)
        assert all(m.kind == "application" and m.answered == "auto" for m in _processed(rt))
    finally:
        rt.close()


def test_a_mail_over_the_bound_is_parsed_in_the_service(sqlite_installation, monkeypatch):
    rt = Runtime.open(load_settings(sqlite_installation.config))
    try:
        monkeypatch.setattr(intake, "PARSED_AHEAD_BYTES", 0)
        monkeypatch.setattr(rt.readers, "parse", lambda raw: (_ for _ in ()).throw(AssertionError("sent to a reader")))
        _mails(sqlite_installation, 1)
        summary = run_once(rt, at(WHEN) + dt.timedelta(seconds=5))
        assert (summary.processed, summary.failed) == (1, 0)
    finally:
        rt.close()
