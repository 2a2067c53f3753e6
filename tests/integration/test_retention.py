"""Retention (issue 11): `[retention] after_close_days` after a case ended, its raw mails, files, text and
the replies' bytes go; the record (rows, assessments, decisions, audit trail) stays; a file another,
still kept message also carries stays.  Real mails processed by the service in-process (the same
`run_once` as `taskforce-intake run --once`), on SQLite and on PostgreSQL."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlmodel import Session, select

from bot.applications import load_dossier
from bot.assessment import assess
from bot.retention import PURGED_BODY, RETENTION_ACTION, apply_retention
from bot.runtime import Runtime
from bot.service import run_once
from config.settings import load_settings
from storage.files import sha256
from storage.models import Application, Assessment, Attachment, AuditEvent, Decision, Document, InformationRequest, Message, Picture, Reply
from storage.readings import load_reading
from tests.factories.containers import zip_of
from tests.factories.forms import FormSpec, form_docx
from tests.factories.minutes import MinutesSpec, minutes_pdf
from tests.mails import at, mail, out_of_office

FORM = form_docx(FormSpec(), "table")
MINUTES = minutes_pdf(MinutesSpec(), "numbered")
BILAG = zip_of({"referat.pdf": MINUTES})  # the minutes in a ZIP: the ZIP's own file has no attachment row
CHART = "Organisationsdiagram: Børn og Unge, Familieafdelingen, Myndighed, PPR.\n".encode() * 20  # sent by both municipalities
ODENSE = FormSpec(municipality="Odense Kommune", cvr="35209115", director_name="Karsten Lund", director_email="kalu@odense.dk",
                  programme="handicap")
CLOSING_PASS = at("2025-03-25 12:05:00")
DAYS = dt.timedelta(days=365)


@pytest.fixture
def inst(each_database):
    return each_database


@pytest.fixture
def rt(each_runtime):
    return each_runtime


def _pass(inst, rt: Runtime, raw: bytes | None, when: str | dt.datetime) -> None:
    if raw is not None:
        inst.deliver(raw)
    run_once(rt, (at(when) if isinstance(when, str) else when) + dt.timedelta(seconds=5))


def _mails(inst, rt: Runtime) -> dict[str, bytes]:
    """Slagelse applies in the børn og unge round (form, then minutes in a ZIP and the org chart), a robot
    answers, a mail reaches no round, Odense applies in the rolling handicap round with the same org chart;
    the børn og unge round closes."""
    raws = {
        "slagelse": mail(attachments=[("skema.docx", FORM)], message_id="<a1@slagelse.dk>", received="2025-03-20 10:00:00"),
        "supplement": mail(subject="SV: Ansøgning [TFB-2025-0001]", message_id="<a2@slagelse.dk>", in_reply_to="<a1@slagelse.dk>",
                           body="Her er referatet, se https://dagsordener.slagelse.dk/referat/2019-09-30",
                           attachments=[("bilag.zip", BILAG), ("organisationsdiagram.txt", CHART)], received="2025-03-21 10:00:00"),
        "robot": out_of_office(received="2025-03-21 10:05:00"),
        "unrouted": mail(sender="Ole Olsen <olol@kolding.dk>", to="post@sbst.dk", subject="Nyhedsbrev?", received="2025-03-21 11:00:00"),
        "odense": mail(sender="Karsten Lund <kalu@odense.dk>", to="taskforcehandicap@sbst.dk", message_id="<h1@odense.dk>",
                       attachments=[("ansøgning.docx", form_docx(ODENSE, "table")), ("organisationsdiagram.txt", CHART)],
                       received="2025-03-22 10:00:00"),
    }
    for name, when in (("slagelse", "2025-03-20 10:00:00"), ("supplement", "2025-03-21 10:00:00"), ("robot", "2025-03-21 10:05:00"),
                       ("unrouted", "2025-03-21 11:00:00"), ("odense", "2025-03-22 10:00:00")):
        _pass(inst, rt, raws[name], when)
    _pass(inst, rt, None, CLOSING_PASS)
    return raws


def _counts(session: Session) -> dict[str, int]:
    return {model.__name__: len(session.exec(select(model)).all()) for model in (Message, Attachment, Application, Assessment, Reply, Document)}


def _message(session: Session, raw: bytes) -> Message:
    return session.exec(select(Message).where(Message.sha256 == sha256(raw))).one()


def test_retention_deletes_content_after_the_close_and_keeps_the_record(inst, rt):
    raws = _mails(inst, rt)
    store = rt.store
    with Session(rt.engine) as session:
        before = _counts(session)
        app = session.exec(select(Application).where(Application.reference == "TFB-2025-0001")).one()
        assert app.status == "complete" and app.closed
        bot_checks = {n: c["status"] for n, c in json.loads(session.exec(select(Assessment).where(Assessment.application_id == app.id)
                                                                             .order_by(Assessment.id.desc())).first().checks_json).items()}
    slagelse_files = [raws["slagelse"], raws["supplement"], FORM, MINUTES, BILAG]
    assert all(store.exists(sha256(b)) for b in [*slagelse_files, CHART, raws["robot"], raws["unrouted"], raws["odense"]])
    with Session(rt.engine) as session:  # the minutes' decision paragraph and pages, pictured after the pass
        images = [p.image_sha256 for p in session.exec(select(Picture).where(Picture.document_sha256 == sha256(MINUTES))) if p.image_sha256]
    assert images and all(store.exists(i) for i in images)

    # a minute before the first time is up: nothing goes, nothing is audited
    early = apply_retention(rt, at("2025-03-21 11:00:00") + DAYS - dt.timedelta(minutes=1), "tester", dry_run=True)
    assert not early.removal and early.waiting == 5
    # mail that reached no round goes a year after it came; the round's mail a year after the round closed
    first = apply_retention(rt, CLOSING_PASS + DAYS - dt.timedelta(days=1), "tester", dry_run=True)
    with Session(rt.engine) as session:
        assert first.removal.messages == [_message(session, raws["unrouted"]).id] and first.removal.blobs == [sha256(raws["unrouted"])]
    # a dry run says what would go and changes nothing
    dry = apply_retention(rt, CLOSING_PASS + DAYS + dt.timedelta(minutes=1), "tester", dry_run=True)
    assert dry.removal.messages and sha256(FORM) in dry.removal.blobs
    assert all(store.exists(sha256(b)) for b in slagelse_files)
    with Session(rt.engine) as session:
        assert not session.exec(select(AuditEvent).where(AuditEvent.action == RETENTION_ACTION)).all()

    report = apply_retention(rt, CLOSING_PASS + DAYS + dt.timedelta(minutes=1), "tester")
    removal = report.removal
    # the files of the closed round are gone: raw mails, attachments, the ZIP as it was sent, the robot's mail
    for blob in [*slagelse_files, raws["robot"], raws["unrouted"]]:
        assert not store.exists(sha256(blob)) and sha256(blob) in removal.blobs
    # the org chart is also Odense's, whose rolling-round case has not ended: kept, and so is its reading
    assert store.exists(sha256(CHART)) and removal.shared == [sha256(CHART)]
    assert store.exists(sha256(raws["odense"]))
    assert report.applications == ["TFB-2025-0001"] and removal.bytes > len(FORM)
    # the pictures show the same content (the decision, the pages): rows and images go with the document
    assert removal.pictures == len(images) and all(i in removal.blobs and not store.exists(i) for i in images)
    with Session(rt.engine) as session:
        assert _counts(session) == before  # every row is kept
        for name in ("slagelse", "supplement", "robot", "unrouted"):
            row = _message(session, raws[name])
            assert row.body == PURGED_BODY and row.links == "[]"
            assert row.sender and row.received_at and row.kind  # the metadata stays
        assert not session.exec(select(Picture).where(Picture.document_sha256 == sha256(MINUTES))).all()
        odense = _message(session, raws["odense"])
        assert odense.body and "Hermed fremsendes" in odense.body
        # the form's reading keeps the facts the assessment rests on, without the text, phone and e-mail
        form = load_reading(session.exec(select(Document).where(Document.sha256 == sha256(FORM))).one().reading)
        assert form.text.lines == () and form.form.director_email is None and form.form.director_phone is None
        assert form.form.director_name.value == "Mette Hansen" and form.role == "application_form"
        chart = load_reading(session.exec(select(Document).where(Document.sha256 == sha256(CHART))).one().reading)
        assert chart.text.lines  # shared: still whole
        # the assessment record stands, and the reduced readings assess the same
        app = session.exec(select(Application).where(Application.reference == "TFB-2025-0001")).one()
        round_ = next(r for r in rt.settings.rounds if r.id == app.round_id)
        again = assess(load_dossier(session, round_, app), CLOSING_PASS + DAYS)
        assert {c.name: c.status for c in again.checks} == bot_checks and app.status == "complete"
        # replies: the bytes of the closed case's replies go, their metadata stays; Odense's stay whole
        replies = session.exec(select(Reply)).all()
        for reply in replies:
            if reply.application_id == app.id:
                assert reply.raw == b"" and reply.kind and reply.to == "meha@slagelse.dk" and reply.state == "sent"
            else:
                assert reply.raw
        assert sorted(removal.replies) == sorted(r.id for r in replies if r.application_id == app.id)
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == RETENTION_ACTION).order_by(AuditEvent.id)).all()
        assert [e.application_id for e in audit] == [None, app.id] and {e.actor for e in audit} == {"tester"}
        detail = json.loads(audit[0].detail)
        assert detail["files"] == len(removal.blobs) and detail["applications"] == ["TFB-2025-0001"]
        assert sha256(FORM) in detail["sha256"] and "Mette" not in audit[0].detail  # references, not content

    # idempotent: the next day's run finds nothing and writes nothing
    again_report = apply_retention(rt, CLOSING_PASS + DAYS + dt.timedelta(days=1), "tester")
    assert not again_report.removal and again_report.removal.shared == [sha256(CHART)]
    with Session(rt.engine) as session:
        assert len(session.exec(select(AuditEvent).where(AuditEvent.action == RETENTION_ACTION)).all()) == 2

    # the service still works over the purged case: a late mail in its thread is judged from the kept facts
    late = mail(subject="SV: Ansøgning [TFB-2025-0001]", message_id="<a3@slagelse.dk>", in_reply_to="<a1@slagelse.dk>",
                attachments=[("nyt bilag.txt", "Endnu et bilag.".encode())], received=CLOSING_PASS + DAYS + dt.timedelta(days=2))
    _pass(inst, rt, late, CLOSING_PASS + DAYS + dt.timedelta(days=2))
    with Session(rt.engine) as session:
        row = _message(session, late)
        assert (row.state, row.kind, row.late, row.application_id) == ("processed", "supplement", "refused", app.id)


def test_a_rolling_round_ends_with_its_decision_and_then_the_shared_file_goes(inst, rt):
    raws = _mails(inst, rt)
    apply_retention(rt, CLOSING_PASS + DAYS + dt.timedelta(minutes=1), "tester")
    decided = at("2025-04-01 14:00:00")
    with Session(rt.engine) as session:
        odense = session.exec(select(Application).where(Application.round_id == "handicap")).one()
        odense_id, reference = odense.id, odense.reference
        session.add(Decision(application_id=odense.id, decision="waiting_list", by="anna", created_at=at("2025-03-28 09:00:00")))
        session.commit()
    # on the waiting list the case is still open
    assert not apply_retention(rt, decided + DAYS * 2, "tester").removal
    assert rt.store.exists(sha256(raws["odense"]))
    with Session(rt.engine) as session:
        session.add(Decision(application_id=odense_id, decision="approved", by="anna", created_at=decided))
        session.commit()
    assert not apply_retention(rt, decided + DAYS - dt.timedelta(minutes=1), "tester").removal
    out = inst.cli("retention", "apply", "--by", "cron", now=(decided + DAYS + dt.timedelta(minutes=1)).isoformat())
    # Odense's mail, and Slagelse's supplement, whose last file (the org chart) goes now
    assert "slettet: indholdet af 2 mails, 3 filer" in out.stderr and f"TFB-2025-0001, {reference}" in out.stderr
    assert not rt.store.exists(sha256(raws["odense"])) and not rt.store.exists(sha256(CHART))  # nothing keeps the org chart now
    with Session(rt.engine) as session:
        chart = load_reading(session.exec(select(Document).where(Document.sha256 == sha256(CHART))).one().reading)
        assert chart.text.lines == ()
        assert session.exec(select(AuditEvent).where(AuditEvent.application_id == odense_id, AuditEvent.action == RETENTION_ACTION)).one().actor == "cron"
    out = inst.cli("retention", "apply", "--dry-run", "--json", now=(decided + DAYS + dt.timedelta(days=2)).isoformat())
    assert json.loads(out.stdout)["messages"] == 0  # idempotent


def test_unprocessed_mail_is_kept(inst, rt):
    """A mail that failed is retried from its raw bytes: retention leaves it alone."""
    raws = _mails(inst, rt)
    with Session(rt.engine) as session:
        row = _message(session, raws["unrouted"])
        row.state, row.error = "failed", "ValueError: test"
        session.add(row)
        session.commit()
    report = apply_retention(rt, CLOSING_PASS + DAYS + dt.timedelta(minutes=1), "tester")
    assert report.unprocessed == 1 and rt.store.exists(sha256(raws["unrouted"]))
    assert not rt.store.exists(sha256(raws["robot"]))


def test_the_retention_settings(tmp_path):
    from config.settings import ConfigError
    from tests.conftest import write_config

    assert load_settings(write_config(tmp_path)).retention.after_close_days == 365
    assert load_settings(write_config(tmp_path)).retention.run_daily_at is None
    settings = load_settings(write_config(tmp_path, extra='[retention]\nafter_close_days = 30\nrun_daily_at = "03:30"'))
    assert settings.retention.after_close_days == 30 and settings.retention.run_daily_at == dt.time(3, 30)
    with pytest.raises(ConfigError, match=r"\[retention\] after_close_days = -1"):
        load_settings(write_config(tmp_path, extra="[retention]\nafter_close_days = -1"))
    with pytest.raises(ConfigError, match=r"\[retention\] run_daily_at = 'kl. 3'"):
        load_settings(write_config(tmp_path, extra='[retention]\nrun_daily_at = "kl. 3"'))


def test_after_a_reader_upgrade_a_purged_case_is_judged_from_its_kept_facts(inst, rt):
    """The files are gone, so a newer reader cannot read them again: `reread` and the service's lazy
    re-read use the newest stored reading, and the web app says the file was deleted."""
    from starlette.testclient import TestClient

    from bot.reread import reread
    from tests.web import PASSWORD, USER, add_user, csrf
    from triage.app import create_app

    raws = _mails(inst, rt)
    apply_retention(rt, CLOSING_PASS + DAYS + dt.timedelta(minutes=1), "tester")
    with Session(rt.engine) as session:
        for row in session.exec(select(Document)).all():  # as if READER_VERSION had been raised since
            row.reader_version = "0-old"
            session.add(row)
        session.commit()
    later = CLOSING_PASS + DAYS + dt.timedelta(days=2)
    with Session(rt.engine) as session:  # the secretariat asked for more: the late supplement is accepted and assessed
        app = session.exec(select(Application).where(Application.reference == "TFB-2025-0001")).one()
        session.add(InformationRequest(application_id=app.id, text="Send organisationsdiagrammet.", created_at=later))
        session.commit()
    report = reread(rt, later)
    assert "TFB-2025-0001" not in [c.reference for c in report.changed_applications]
    late = mail(subject="SV: Ansøgning [TFB-2025-0001]", message_id="<a3@slagelse.dk>", in_reply_to="<a1@slagelse.dk>",
                attachments=[("nyt bilag.txt", "Endnu et bilag.".encode())], received=later)
    _pass(inst, rt, late, later)
    with Session(rt.engine) as session:
        row = _message(session, late)
        assert (row.state, row.late) == ("processed", "accepted")
        app = session.exec(select(Application).where(Application.reference == "TFB-2025-0001")).one()
        latest = session.exec(select(Assessment).where(Assessment.application_id == app.id).order_by(Assessment.id.desc())).first()
        assert latest.message_id == row.id and latest.status == "complete"  # the form and minutes from their kept facts
        form = session.exec(select(Attachment).where(Attachment.sha256 == sha256(FORM))).first()
        first = _message(session, raws["slagelse"])
    add_user(inst, USER, "laeser")
    with TestClient(create_app(rt, lambda: later)) as web:
        web.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": csrf(web.get("/login").text)})
        gone = web.get(f"/attachments/{form.id}")
        assert gone.status_code == 410 and "slettet" in gone.text
        assert web.get(f"/messages/{first.id}.eml").status_code == 410
