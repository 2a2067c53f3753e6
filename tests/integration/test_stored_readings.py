"""Read each document once (issue 10): readings are stored in the `document` table when the message is
processed, a dossier is assembled from them, bytes seen before are not read again, a reading by an
older reader version is made again lazily, and `reread` does it on purpose and says what changed.

The service runs in-process over Maildirs (the same `run_once` as `taskforce-intake run --once`), so a
counter around the reader can tell how often a document was read."""
from __future__ import annotations

import datetime as dt
import email
import json
from collections import Counter

import pytest
from sqlmodel import Session, select

from bot.readers import Readers
from bot.runtime import Runtime
from bot.service import run_once
from config.settings import load_settings
from parsers.reading import READER_VERSION
from storage.models import Application, Attachment, Document
from storage.models import Assessment as AssessmentRow
from storage.readings import dump_reading, load_reading
from tests.factories.forms import FormSpec, form_docx
from tests.factories.minutes import MinutesSpec, minutes_pdf
from tests.mails import at, mail
from tests.conftest import on_each_database


installation = pytest.fixture(on_each_database)  # on SQLite and on PostgreSQL (issue 12)

FORM = form_docx(FormSpec(), "table")
MINUTES = minutes_pdf(MinutesSpec(), "numbered")


@pytest.fixture()
def reads(monkeypatch) -> Counter:
    """How many times each attachment was handed to the reader processes (bot/readers.py: the only way
    the service reads a document)."""
    counts: Counter = Counter()
    real = Readers.read

    def counting(self, filename, content_type, data, **kwargs):
        counts[filename] += 1
        return real(self, filename, content_type, data, **kwargs)

    monkeypatch.setattr(Readers, "read", counting)
    return counts


def _runtime(installation) -> Runtime:
    return Runtime.open(load_settings(installation.config))


def _pass(installation, rt: Runtime, raw: bytes, when: str) -> None:
    installation.deliver(raw)
    run_once(rt, at(when) + dt.timedelta(seconds=5))


def test_each_document_is_read_once_however_often_it_is_sent(installation, reads):
    rt = _runtime(installation)
    _pass(installation, rt, mail(attachments=[("skema.docx", FORM)], message_id="<a1@slagelse.dk>",
                                 received="2025-03-20 10:00:00"), "2025-03-20 10:00:00")
    for n in range(1, 4):  # three supplements, each with the minutes again (as people do) and a new annex
        annex = f"Bilag {n}: organisationsdiagram for forvaltningen, version {n}.".encode()
        _pass(installation, rt, mail(subject="SV: Ansøgning [TFB-2025-0001]", message_id=f"<s{n}@slagelse.dk>",
                                     in_reply_to="<a1@slagelse.dk>", received=f"2025-03-2{n} 10:00:00",
                                     attachments=[("Referat.pdf", MINUTES), (f"bilag{n}.txt", annex)]), f"2025-03-2{n} 10:00:00")
    assert reads["skema.docx"] == 1 and reads["Referat.pdf"] == 1
    assert [reads[f"bilag{n}.txt"] for n in (1, 2, 3)] == [1, 1, 1]
    with Session(rt.engine) as session:
        app = session.exec(select(Application)).one()
        assert app.status == "complete"
        documents = session.exec(select(Document)).all()
        assert len(documents) == 5 and {d.reader_version for d in documents} == {READER_VERSION}
        form = next(d for d in documents if d.role == "application_form")
        assert load_reading(form.reading).form.director_name.value == FormSpec().director_name
        assert len(session.exec(select(Attachment)).all()) == 7  # every file is kept, each reading once


def test_an_older_reader_version_is_read_again_lazily(installation, reads):
    rt = _runtime(installation)
    _pass(installation, rt, mail(attachments=[("skema.docx", FORM)], message_id="<a1@slagelse.dk>"), "2025-03-20 10:00:00")
    with Session(rt.engine) as session:
        for row in session.exec(select(Document)).all():
            row.reader_version = "2025.1"
            session.add(row)
        session.commit()
    _pass(installation, rt, mail(subject="SV: Ansøgning [TFB-2025-0001]", message_id="<s1@slagelse.dk>", in_reply_to="<a1@slagelse.dk>",
                                 received="2025-03-21 10:00:00", attachments=[("Referat.pdf", MINUTES)]), "2025-03-21 10:00:00")
    assert reads["skema.docx"] == 2  # once when it came, once more for the new reader version
    with Session(rt.engine) as session:
        assert session.exec(select(Application)).one().status == "complete"
        versions = Counter(d.reader_version for d in session.exec(select(Document)).all())
        assert versions == Counter({READER_VERSION: 2, "2025.1": 1})


def test_reread_reads_again_on_purpose_and_reports_what_changed(installation):
    installation.deliver(mail(attachments=[("skema.docx", FORM), ("Referat.pdf", MINUTES)], message_id="<a1@slagelse.dk>"))
    installation.cli("run", "--once", now="2025-03-20T10:05:00+01:00")
    rt = _runtime(installation)
    with Session(rt.engine) as session:
        # as an older reader would have left it: the minutes taken for an annex, the application incomplete
        minutes = session.exec(select(Document).where(Document.role == "minutes")).one()
        wrong = load_reading(minutes.reading)
        minutes.role, minutes.reading = "other", dump_reading(type(wrong)(**{**wrong.__dict__, "role": "other", "minutes": None})).decode()
        session.add(minutes)
        attachment = session.exec(select(Attachment).where(Attachment.filename == "Referat.pdf")).one()
        attachment.role = "other"
        session.add(attachment)
        app = session.exec(select(Application)).one()
        app.status = "incomplete"
        session.add(app)
        latest = session.exec(select(AssessmentRow)).one()
        checks = json.loads(latest.checks_json)
        checks["political_backing"]["status"] = "missing"
        latest.checks_json = json.dumps(checks)
        session.add(latest)
        session.commit()
    out = installation.cli("reread", "--round", "boern-unge-2025", now="2025-03-21T09:00:00+01:00")
    text = out.stdout + out.stderr
    assert "læst igen: 2 dokumenter i 1 ansøgninger" in text
    assert "Referat.pdf: other" in text and "→ minutes" in text
    assert "TFB-2025-0001: incomplete → complete (political_backing: missing → ok)" in text
    queue = json.loads(installation.cli("queue", "--json").stdout)
    assert queue[0]["status"] == "complete" and queue[0]["checks"]["political_backing"]["status"] == "ok"
    assert len(installation.outbox) == 1  # the receipt of the first pass; a re-read answers no one


def test_a_supplement_refused_as_late_and_a_robots_mail_are_not_read(installation, reads):
    rt = _runtime(installation)
    _pass(installation, rt, mail(attachments=[("skema.docx", FORM)], message_id="<a1@slagelse.dk>"), "2025-03-20 10:00:00")
    _pass(installation, rt, mail(subject="SV: Ansøgning [TFB-2025-0001]", message_id="<s1@slagelse.dk>", in_reply_to="<a1@slagelse.dk>",
                                 received="2025-03-25 12:00:01", attachments=[("Referat.pdf", MINUTES)]), "2025-03-25 12:00:01")
    _pass(installation, rt, mail(subject="Automatisk svar: Ansøgning", headers={"Auto-Submitted": "auto-replied"}, message_id="<ooo@slagelse.dk>",
                                 received="2025-03-21 10:00:00", attachments=[("fravær.pdf", MINUTES + b"\n% other bytes")]),
          "2025-03-21 10:00:00")
    assert reads["Referat.pdf"] == 0 and reads["fravær.pdf"] == 0
    with Session(rt.engine) as session:
        roles = {a.filename: a.role for a in session.exec(select(Attachment)).all()}
        assert roles == {"skema.docx": "application_form", "Referat.pdf": "unread", "fravær.pdf": "unread"}
        assert session.exec(select(Application)).one().status == "incomplete_at_deadline"  # as it stood at the deadline
    replies = [email.message_from_bytes(raw) for raw in installation.outbox]
    late = [m for m in replies if m["In-Reply-To"] == "<s1@slagelse.dk>"]
    assert [m["X-Taskforce-Reply"] for m in late] == ["late"] and "efter fristen" in late[0]["Subject"]
    assert not [m for m in replies if m["In-Reply-To"] == "<ooo@slagelse.dk>"]


def test_the_same_mail_twice_in_one_pass_is_processed_once(installation, reads):
    """Both copies are fetched into the lookahead before the first is decided: the second is a duplicate."""
    raw = mail(attachments=[("skema.docx", FORM), ("Referat.pdf", MINUTES)], message_id="<twice@slagelse.dk>")
    installation.deliver(raw)
    installation.deliver(raw)
    rt = _runtime(installation)
    summary = run_once(rt, at("2025-03-20 10:00:05"))
    assert (summary.fetched, summary.processed, summary.duplicates) == (2, 1, 1)
    with Session(rt.engine) as session:
        assert len(session.exec(select(Attachment)).all()) == 2
        assert len(session.exec(select(AssessmentRow)).all()) == 1
    assert len(installation.outbox) == 1 and not list(installation.inbox.keys())


def test_a_container_sent_again_is_unpacked_but_its_documents_are_not_read_again(installation, reads):
    """A ZIP is unpacked in a reader process; each document in it is read only when there is no stored
    reading of its bytes -- also when the same ZIP comes twice in one pass (the lookahead)."""
    from tests.factories.containers import zip_of

    bilag = zip_of({"referat.pdf": MINUTES, "skema.docx": FORM})
    installation.deliver(mail(attachments=[("bilag.zip", bilag)], message_id="<z1@slagelse.dk>", received="2025-03-20 10:00:00"))
    installation.deliver(mail(subject="SV: Ansøgning [TFB-2025-0001]", message_id="<z2@slagelse.dk>", in_reply_to="<z1@slagelse.dk>",
                              attachments=[("bilag.zip", bilag)], received="2025-03-20 10:01:00"))
    rt = _runtime(installation)
    run_once(rt, at("2025-03-20 10:01:05"))
    _pass(installation, rt, mail(subject="SV: Ansøgning [TFB-2025-0001]", message_id="<z3@slagelse.dk>", in_reply_to="<z1@slagelse.dk>",
                                 attachments=[("bilag-igen.zip", bilag)], received="2025-03-21 10:00:00"), "2025-03-21 10:00:00")
    assert reads["bilag.zip/referat.pdf"] == 1 and reads["bilag.zip/skema.docx"] == 1
    assert reads["bilag.zip"] == 2 and reads["bilag-igen.zip"] == 1 and not reads["bilag-igen.zip/referat.pdf"]  # unpacked only
    with Session(rt.engine) as session:
        app = session.exec(select(Application)).one()
        assert app.status == "complete"
        names = sorted(a.filename for a in session.exec(select(Attachment)).all())
        assert names.count("bilag-igen.zip/referat.pdf") == 1 and names.count("bilag.zip/skema.docx") == 2


def test_a_document_stored_by_two_workers_at_once_is_kept_once_the_first_reading(installation):
    """Two workers that read the same new document at once both store it: the second waits for the first's
    commit and keeps the first reading, with no error that would fail
    its mail.  Readings and a document already kept are left as they are."""
    import dataclasses
    import threading

    from parsers.documents import ReadOptions
    from parsers.reading import expand
    from storage.readings import store_readings

    rt = _runtime(installation)
    try:
        form = expand("skema.docx", "", FORM, ReadOptions())[0].reading
        minutes = expand("referat.pdf", "", MINUTES, ReadOptions())[0].reading
        now = at("2025-03-20 10:00:00")
        first = Session(rt.engine)
        store_readings(first, [(form, 11)], now)  # the first worker's insert, not yet committed
        second_done = threading.Event()

        def second() -> None:
            with Session(rt.engine) as session:
                store_readings(session, [(minutes, 33), (dataclasses.replace(form, filename="andet navn.docx"), 22)], now)
                session.commit()
            second_done.set()

        worker = threading.Thread(target=second)
        worker.start()
        worker.join(timeout=1.0)
        assert not second_done.is_set()  # waits for the first worker's commit (its row; SQLite: its write lock), rather than fail
        first.commit()
        first.close()
        worker.join(timeout=30)
        assert second_done.is_set()
        with Session(rt.engine) as session:
            rows = {(d.sha256, d.reader_version): d for d in session.exec(select(Document))}
        assert len(rows) == 2
        kept = rows[(form.sha256, READER_VERSION)]
        assert (kept.filename, kept.read_ms) == ("skema.docx", 11)  # the first one stayed
        assert load_reading(kept.reading) == form
        assert rows[(minutes.sha256, READER_VERSION)].read_ms == 33
        assert rows[(minutes.sha256, READER_VERSION)].role == "minutes"
    finally:
        rt.close()
