"""One person's data by mail address (issue 11): `subject export` (GDPR art. 15) writes a zip with everything
about the address and an index; `subject erase` (art. 17) deletes what they sent and replaces the address
by a pseudonym, keeping the record of the application and the decisions; another sender's data is not
touched.  Real mails processed by the service in-process, the commands run as an operator runs them, on
SQLite and on PostgreSQL."""
from __future__ import annotations

import datetime as dt
import json
import re
import zipfile

import pytest
from sqlmodel import Session, SQLModel, select

from bot.runtime import Runtime
from bot.service import run_once
from bot.subjects import CANCELLED, ERASE_ACTION, ERASED_BODY, EXPORT_ACTION
from storage.files import sha256
from storage.models import Application, Assessment, Attachment, AuditEvent, Decision, Document, Message, Note, Reply
from tests.factories.forms import FormSpec, form_docx
from tests.factories.minutes import MinutesSpec, minutes_pdf
from tests.mails import at, mail
from triage import actions

ADDRESS = "meha@slagelse.dk"
OTHER = "lobe@aarhus.dk"
FORM = form_docx(FormSpec(), "table")  # names meha@slagelse.dk as the director's e-mail
MINUTES = minutes_pdf(MinutesSpec(), "numbered")
AARHUS_FORM = form_docx(FormSpec(municipality="Aarhus Kommune", cvr="55133018", director_name="Lone Berg", director_email=OTHER), "table")
GUIDE = "Vejledning: Task Force børn og unge i udsatte positioner 2025. Ansøgningsfrist 25. marts 2025 kl. 12.00.\n".encode() * 30


@pytest.fixture
def inst(each_database):
    return each_database


@pytest.fixture
def rt(each_runtime):
    return each_runtime


def _pass(inst, rt: Runtime, raw: bytes, when: str) -> None:
    inst.deliver(raw)
    run_once(rt, at(when) + dt.timedelta(seconds=5))


def _case(inst, rt: Runtime) -> dict[str, bytes]:
    """Slagelse (meha) applies and sends the minutes in the thread; Aarhus (lobe) applies; both attach the
    agency's own guideline (the same bytes); the secretariat notes, overrides, decides and asks Slagelse
    for more (a reply not sent yet)."""
    raws = {
        "first": mail(sender="Mette Hansen <MeHa@Slagelse.dk>", attachments=[("skema.docx", FORM), ("vejledning.txt", GUIDE)],
                      message_id="<a1@slagelse.dk>", received="2025-03-20 10:00:00"),
        "second": mail(sender="Mette Hansen <meha@slagelse.dk>", subject="SV: Ansøgning [TFB-2025-0001]", message_id="<a2@slagelse.dk>",
                       in_reply_to="<a1@slagelse.dk>", attachments=[("referat.pdf", MINUTES)], received="2025-03-21 10:00:00"),
        "aarhus": mail(sender="Lone Berg <lobe@aarhus.dk>", body="Hermed vores ansøgning.\n\nVenlig hilsen\nLone Berg",
                       attachments=[("ansøgning.docx", AARHUS_FORM), ("vejledning.txt", GUIDE)], message_id="<b1@aarhus.dk>",
                       received="2025-03-22 10:00:00"),
    }
    for name, when in (("first", "2025-03-20 10:00:00"), ("second", "2025-03-21 10:00:00"), ("aarhus", "2025-03-22 10:00:00")):
        _pass(inst, rt, raws[name], when)
    now = at("2025-03-24 09:00:00")
    with Session(rt.engine) as session:
        slagelse = session.exec(select(Application).where(Application.municipality == "Slagelse Kommune")).one()
        aarhus = session.exec(select(Application).where(Application.municipality == "Aarhus Kommune")).one()
        round_ = rt.settings.rounds[0]
        actions.add_note(session, slagelse, "Ringede til MeHa@slagelse.dk: referatet er det endelige.", "anna", now)
        actions.add_note(session, aarhus, "Lone Berg ringer tilbage i morgen.", "anna", now)
        actions.override_check(session, slagelse, "initial_meeting", "ok", "Mødet er bekræftet pr. mail af meha@slagelse.dk", "anna", now)
        actions.decide(session, slagelse, "approved", "", "styregruppen", now)
        actions.decide(session, aarhus, "waiting_list", "", "styregruppen", now)
        applicant = session.exec(select(Message).where(Message.application_id == slagelse.id).order_by(Message.id.desc())).first()
        actions.request_information(session, rt, round_, slagelse, applicant, "Send venligst også organisationsdiagrammet.", "anna", now)
        session.commit()
    return raws


def _texts(rt: Runtime):
    """Every text and byte value of every table: (table, column, value)."""
    with rt.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                for column, value in zip(table.columns, row):
                    if isinstance(value, (bytes, memoryview)):
                        value = bytes(value).decode("latin-1")
                    if isinstance(value, str):
                        yield table.name, column.name, value


def _lobe(session: Session) -> dict[str, list[dict]]:
    """Everything of the other sender, as it is in the database."""
    messages = session.exec(select(Message).where(Message.sender == OTHER)).all()
    attachments = session.exec(select(Attachment).where(Attachment.message_id.in_([m.id for m in messages]))).all()
    app_id = messages[0].application_id
    return {
        "messages": [m.model_dump() for m in messages], "attachments": [a.model_dump() for a in attachments],
        "documents": [d.model_dump() for d in session.exec(select(Document).where(Document.sha256.in_([a.sha256 for a in attachments])))],
        "replies": [r.model_dump() for r in session.exec(select(Reply).where(Reply.to == OTHER))],
        "application": [session.get(Application, app_id).model_dump()],
        "assessments": [a.model_dump() for a in session.exec(select(Assessment).where(Assessment.application_id == app_id))],
        "notes": [n.model_dump() for n in session.exec(select(Note).where(Note.application_id == app_id))],
        "audit": [e.model_dump() for e in session.exec(select(AuditEvent).where(AuditEvent.application_id == app_id))],
    }


def test_export_then_erase_one_sender(inst, rt, tmp_path):
    raws = _case(inst, rt)
    with Session(rt.engine) as session:
        lobe_before = _lobe(session)
        replies_to_meha = session.exec(select(Reply).where(Reply.to == ADDRESS).order_by(Reply.id)).all()
        assert [r.state for r in replies_to_meha] == ["sent", "sent", "pending"]  # missing items, receipt, the request
        assessments = len(session.exec(select(Assessment)).all())

    # --- art. 15: the export, by any spelling of the address
    out = tmp_path / "indsigt.zip"
    result = inst.cli("subject", "export", "Mette Hansen <MEHA@slagelse.DK>", "--out", str(out), "--by", "dpo")
    assert str(out) in result.stderr
    with zipfile.ZipFile(out) as archive:
        index = json.loads(archive.read("index.json"))
        files = {name: archive.read(name) for name in archive.namelist()}
    assert index["address"] == ADDRESS and index["exported_by"] == "dpo" and index["erased_at"] == []
    assert [m["subject"] for m in index["messages"]] == ["Ansøgning om Task Force-forløb", "SV: Ansøgning [TFB-2025-0001]"]
    assert [files[m["raw"]] for m in index["messages"]] == [raws["first"], raws["second"]]  # the .eml as received
    sent = {a["filename"]: files[a["file"]] for m in index["messages"] for a in m["attachments"]}
    assert sent == {"skema.docx": FORM, "vejledning.txt": GUIDE, "referat.pdf": MINUTES}
    assert [r["kind"] for r in index["replies"]] == ["missing_items", "receipt", "information_request"]
    assert all(b"To: meha@slagelse.dk" in files[r["raw"]] for r in index["replies"])
    assert [a["reference"] for a in index["applications"]] == ["TFB-2025-0001"]
    assert [d["decision"] for d in index["decisions"]] == ["approved"]
    assert [n["text"] for n in index["notes"]] == ["Ringede til MeHa@slagelse.dk: referatet er det endelige."]
    assert [o["check"] for o in index["overrides"]] == ["initial_meeting"]
    assert [r["text"] for r in index["information_requests"]] == ["Send venligst også organisationsdiagrammet."]
    assert len(index["assessments"]) == 2 and len(index["readings"]) == 3
    assert any("Til meha@slagelse.dk" in e["detail"] for e in index["audit_events"])
    everything = b"".join(files.values()).lower()
    assert OTHER.encode() not in everything and b"aarhus" not in everything  # nothing of the other sender
    with Session(rt.engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == EXPORT_ACTION)).one()
        assert event.actor == "dpo" and json.loads(event.detail)["messages"] == 2

    # --- art. 17: the erasure
    result = inst.cli("subject", "erase", ADDRESS.upper(), "--yes", "--by", "dpo", now="2025-04-02T10:00:00+02:00")
    pseudonym = re.search(r"slettet-[0-9a-f]{16}@pseudonym\.invalid", result.stderr).group(0)
    assert "2 mails" in result.stderr and "1 ikke sendt: annulleret" in result.stderr
    # nothing of the address is left anywhere in the database, and none of their files in the store
    assert [(t, c) for t, c, v in _texts(rt) if ADDRESS in v.lower()] == []
    for blob in (raws["first"], raws["second"], FORM, MINUTES):
        assert not rt.store.exists(sha256(blob))
    assert rt.store.exists(sha256(GUIDE))  # Aarhus sent the same guideline: it stays theirs
    with Session(rt.engine) as session:
        mine = session.exec(select(Message).where(Message.message_id.in_(["<a1@slagelse.dk>", "<a2@slagelse.dk>"]))).all()
        assert {(m.sender, m.subject, m.body, m.links) for m in mine} == {(pseudonym, "", ERASED_BODY, "[]")}
        assert all(m.received_at and m.kind in ("application", "supplement") for m in mine)  # the record of the mail stays
        replies = session.exec(select(Reply).where(Reply.id.in_([r.id for r in replies_to_meha])).order_by(Reply.id)).all()
        assert [(r.to, r.raw, r.subject) for r in replies] == [(pseudonym, b"", "")] * 3
        assert [r.state for r in replies] == ["sent", "sent", "failed"] and replies[2].error == CANCELLED
        # the record of the application and of the decisions stays, the address replaced in it
        app = session.exec(select(Application).where(Application.reference == "TFB-2025-0001")).one()
        assert app.status == "complete" and app.municipality == "Slagelse Kommune"
        assert len(session.exec(select(Assessment)).all()) == assessments
        assert session.exec(select(Decision).where(Decision.application_id == app.id)).one().decision == "approved"
        note = session.exec(select(Note).where(Note.application_id == app.id)).one()
        assert note.text == f"Ringede til {pseudonym}: referatet er det endelige."
        # the form's reading keeps the facts of the decision (the director who signed), not the address
        form = session.exec(select(Document).where(Document.sha256 == sha256(FORM))).one()
        assert '"lines":[]' in form.reading and "Mette Hansen" in form.reading
        guide = session.exec(select(Document).where(Document.sha256 == sha256(GUIDE))).one()
        assert "Ansøgningsfrist" in guide.reading  # Aarhus's reading of the shared file is whole
        # the other sender's data is exactly as it was
        assert _lobe(session) == lobe_before
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == ERASE_ACTION).order_by(AuditEvent.id)).all()
        assert [(e.application_id, e.actor) for e in audit] == [(None, "dpo"), (app.id, "dpo")]
        detail = json.loads(audit[0].detail)
        assert detail["pseudonym"] == pseudonym and detail["messages"] == 2 and detail["replies"] == 3 and detail["cancelled_replies"] == 1
        assert audit[0].created_at == at("2025-04-02T10:00:00+02:00")
    assert rt.store.exists(sha256(raws["aarhus"])) and rt.store.exists(sha256(AARHUS_FORM))

    # a second request finds nothing more; the export says when the address was erased
    result = inst.cli("subject", "erase", ADDRESS, "--yes", now="2025-04-03T10:00:00+02:00")
    assert "slettet: 0 mails, 0 filer" in result.stderr
    inst.cli("subject", "export", ADDRESS, "--out", str(tmp_path / "igen.zip"))
    with zipfile.ZipFile(tmp_path / "igen.zip") as archive:
        again = json.loads(archive.read("index.json"))
    assert again["messages"] == [] and again["replies"] == [] and len(again["erased_at"]) == 2


def test_another_senders_mail_naming_the_address_is_listed_not_changed(inst, rt, tmp_path):
    raws = _case(inst, rt)
    cc = mail(sender="Lone Berg <lobe@aarhus.dk>", to="taskforce@sbst.dk, meha@slagelse.dk", subject="SV: Ansøgning [TFB-2025-0002]",
              body="Til orientering, Mette (meha@slagelse.dk): vi har også søgt.", message_id="<b2@aarhus.dk>", in_reply_to="<b1@aarhus.dk>",
              received="2025-03-22 11:00:00")
    _pass(inst, rt, cc, "2025-03-22 11:00:00")
    with Session(rt.engine) as session:  # one of theirs failed: once its stored copy is erased it is never tried again
        failed = session.exec(select(Message).where(Message.sha256 == sha256(raws["second"]))).one()
        failed.state, failed.error = "failed", f"RuntimeError: {ADDRESS}"
        session.add(failed)
        session.commit()
    inst.cli("subject", "export", ADDRESS, "--out", str(tmp_path / "x.zip"))
    with zipfile.ZipFile(tmp_path / "x.zip") as archive:
        index = json.loads(archive.read("index.json"))
    assert [(m["application"], m["where"]) for m in index["mentioned_in"]] == [("TFB-2025-0002", "recipients, body")]
    assert "Lone" not in json.dumps(index["mentioned_in"])  # listed by id and date only
    result = inst.cli("subject", "erase", ADDRESS, "--yes")
    assert "andres mails der nævner adressen (bevares): 1" in result.stderr
    with Session(rt.engine) as session:
        row = session.exec(select(Message).where(Message.sha256 == sha256(cc))).one()
        assert row.sender == OTHER and ADDRESS in row.recipients and ADDRESS in row.body
        failed = session.exec(select(Message).where(Message.message_id == "<a2@slagelse.dk>")).one()
        assert failed.state == "erased" and ADDRESS not in failed.error
    assert rt.store.exists(sha256(cc)) and not rt.store.exists(sha256(raws["first"]))


def test_a_wrong_address_is_refused(inst):
    result = inst.cli("subject", "erase", "ikke-en-adresse", "--yes", check=False)
    assert result.returncode == 2 and "er ikke en mailadresse" in result.stderr
