"""Limits and isolation (issue 11): every document is read in a reader process with a time and a memory
limit, and an attachment over the size limits is not read at all.  A reader that hangs (with a program
it started) or allocates 10 GB costs its own document -- unreadable, with a Danish reason the sender
can act on -- and the mail after it is processed as usual.

In-process over Maildirs (`run_once`, as `taskforce-intake run --once`), with misbehaving OCR engines
handed to the readers the way Tesseract is (tests/factories/engines.py): a scan's OCR runs them inside a
reader process."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import time
from pathlib import Path

from sqlmodel import Session, select

from bot.readers import Readers
from bot.runtime import Runtime
from bot.service import run_once
from config.settings import load_settings
from parsers.documents import ReadOptions
from storage.models import Application, Attachment, Message
from tests.conftest import Installation, write_config
from tests.factories.engines import GreedyOcr, HangingOcr
from tests.factories.forms import FormSpec, form_docx, form_pdf
from tests.factories.minutes import MinutesSpec, minutes_pdf
from tests.factories.scans import scanned_png
from tests.mails import at, mail

MINUTES = minutes_pdf(MinutesSpec(), "numbered")
NEXT = mail(sender="Lone Berg <lobe@aarhus.dk>", message_id="<next@aarhus.dk>", received="2025-03-20 10:01:00",
            attachments=[("skema.docx", form_docx(FormSpec(municipality="Aarhus Kommune"), "table")), ("referat.pdf", MINUTES)])


def _installation(tmp_path: Path, limits: str) -> Installation:
    return Installation(tmp_path, write_config(tmp_path, extra=f"[limits]\n{limits}\n"))


def _scan_then_next(inst: Installation, options: ReadOptions) -> Runtime:
    """A scanned form (its OCR misbehaves), then another municipality's ordinary application."""
    inst.deliver(mail(message_id="<scan@slagelse.dk>", attachments=[("skema.png", scanned_png(form_pdf(FormSpec()))),
                                                                     ("referat.pdf", MINUTES)]))
    inst.deliver(NEXT)
    rt = Runtime.open(load_settings(inst.config), options=options)
    summary = run_once(rt, at("2025-03-20 10:05:00"))
    assert summary.processed == 2 and summary.failed == 0, summary.errors
    return rt


def _attachment(rt: Runtime, filename: str) -> Attachment:
    with Session(rt.engine) as session:
        return session.exec(select(Attachment).where(Attachment.filename == filename)).one()


def _next_is_complete(rt: Runtime) -> None:
    with Session(rt.engine) as session:
        row = session.exec(select(Message).where(Message.message_id == "<next@aarhus.dk>")).one()
        assert row.state == "processed" and session.get(Application, row.application_id).status == "complete"


def _reply_to(inst: Installation, message_id: str) -> str:
    for raw in inst.outbox:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        if msg["In-Reply-To"] == message_id:
            return msg.get_body(("plain",)).get_content()
    raise AssertionError(f"no reply to {message_id}")


def _running(marker: str) -> list[int]:
    """Processes whose command line is `sleep <marker>`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().split(b"\0")[:2] == [b"sleep", marker.encode()]:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _gone(marker: str, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while _running(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_reader_that_hangs_is_stopped_with_the_program_it_started_and_the_next_mail_is_processed(tmp_path):
    inst = _installation(tmp_path, "reader_seconds = 3")
    marker = f"{os.getpid() % 1000}.{time.monotonic_ns() % 1000:03d}"
    rt = _scan_then_next(inst, ReadOptions(ocr=HangingOcr(marker)))
    scan = _attachment(rt, "skema.png")
    assert scan.role == "unreadable" and scan.problem == "skema.png er ikke læst: det tog for lang tid (over 3 sekunder)"
    _next_is_complete(rt)
    assert "skema.png" in _reply_to(inst, "<scan@slagelse.dk>") and "for lang tid" in _reply_to(inst, "<scan@slagelse.dk>")
    assert _gone(marker), "the program the stopped reader started is still running"
    rt.close()


def test_a_reader_that_allocates_without_end_is_stopped_by_the_memory_limit(tmp_path):
    inst = _installation(tmp_path, "reader_memory_mb = 1536")
    rt = _scan_then_next(inst, ReadOptions(ocr=GreedyOcr(10)))
    scan = _attachment(rt, "skema.png")
    assert scan.role == "unreadable" and scan.problem == "skema.png er for stor til at blive læst (den kræver mere end 1.536 MB hukommelse)"
    _next_is_complete(rt)
    rt.close()


def test_attachments_over_the_size_limits_are_not_read(tmp_path, monkeypatch):
    handed: list[str] = []
    real = Readers.read
    monkeypatch.setattr(Readers, "read", lambda self, name, ct, data, **kw: (handed.append(name), real(self, name, ct, data, **kw))[1])
    inst = _installation(tmp_path, "attachment_mb = 1\nmessage_mb = 2")
    big = os.urandom(3 * 1024 * 1024 // 2)  # 1.5 MB
    inst.deliver(mail(message_id="<one@slagelse.dk>", attachments=[("skema.docx", form_docx(FormSpec(), "table")),
                                                                    ("referat.pdf", MINUTES), ("film.pdf", big)]))
    halves = [(f"bilag{n}.pdf", os.urandom(800 * 1024)) for n in range(3)]  # 2.4 MB together, each under 1 MB
    inst.deliver(mail(sender="Lone Berg <lobe@aarhus.dk>", message_id="<many@aarhus.dk>", received="2025-03-20 10:01:00",
                      attachments=halves))
    video = os.urandom(3 * 1024 * 1024)  # over the attachment limit, and alone over the mail's: it does not count
    inst.deliver(mail(sender="Karsten Lund <kalu@odense.dk>", message_id="<video@odense.dk>", received="2025-03-20 10:02:00",
                      attachments=[("hilsen.mp4", video), ("ansøgning.docx", form_docx(FormSpec(municipality="Odense Kommune",
                                                                                                    cvr="35209115"), "table"))]))
    rt = Runtime.open(load_settings(inst.config))
    summary = run_once(rt, at("2025-03-20 10:05:00") + dt.timedelta(seconds=1))
    assert summary.processed == 3 and summary.failed == 0
    assert _attachment(rt, "ansøgning.docx").role == "application_form"
    assert _attachment(rt, "hilsen.mp4").problem == "hilsen.mp4 er for stor til at blive læst (3,0 MB; højst 1,0 MB)"
    film = _attachment(rt, "film.pdf")
    assert film.role == "unreadable" and film.problem == "film.pdf er for stor til at blive læst (1,5 MB; højst 1,0 MB)"
    assert film.size == len(big)  # kept as a file all the same
    for name, _ in halves:
        assert _attachment(rt, name).problem == (f"{name} er ikke læst: mailens bilag fylder tilsammen for meget (2,3 MB; højst 2,0 MB); "
                                                 "send dem gerne fordelt på flere mails")
    assert "film.pdf" not in handed and not any(name.startswith("bilag") for name in handed)
    assert {"skema.docx", "referat.pdf"} <= set(handed)
    assert "film.pdf" in _reply_to(inst, "<one@slagelse.dk>")
    rt.close()


def _priority() -> tuple[int, int]:
    """In the worker: its scheduling policy and its niceness."""
    return os.sched_getscheduler(0), os.nice(0)


def test_the_painter_takes_only_cpu_time_nobody_else_wants(installation):
    """The evidence pictures' process (Runtime.painters) is SCHED_IDLE and niced, so a backlog's reading
    is never slowed by them; the reader processes keep the normal priority."""
    rt = Runtime.open(load_settings(installation.config))
    try:
        assert rt.painters.run(_priority).result(timeout=60) == (os.SCHED_IDLE, 10)
        assert rt.readers.run(_priority).result(timeout=60) == (os.SCHED_OTHER, 0)
    finally:
        rt.close()
