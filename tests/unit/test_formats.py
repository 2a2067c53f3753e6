"""Every format municipalities send, read with the expected facts: .odt, .doc/.rtf (LibreOffice or
"needs conversion"), ZIP (with its limits), forwarded mails (.eml, message/rfc822), Outlook .msg,
winmail.dat, and password-protected or corrupt files (unreadable, with the reason)."""
import datetime as dt
import email
import email.policy
import io
import shutil
import stat

import pytest

from bot.engines import read_options
from parsers.documents.archive import ZipLimits, unpack_zip
from parsers.message import parse_message
from parsers.reading import read_attachments, read_document, read_documents
from tests.factories.containers import forwarded_eml, outlook_msg, winmail_dat, zip_bomb, zip_of
from tests.factories.forms import FORM_LAYOUTS, FormSpec, form_docx, form_pdf
from tests.factories.minutes import MINUTES_LAYOUTS, MinutesSpec, minutes_pdf
from tests.factories.odt import form_odt, minutes_odt
from tests.mails import mail

FORM = FormSpec(municipality="Aarhus Kommune", cvr="55133018", director_name="Jens Peter Holm",
                director_phone="89 40 20 00", director_email="jph@aarhus.dk", signature="image")
MINUTES = MinutesSpec(n_items=20, item_number=14, body="Socialudvalget", meeting_date=dt.date(2024, 11, 12))


def assert_form(reading, filename):
    assert reading.role == "application_form", reading.problem
    form = reading.form
    assert (form.municipality.value, form.cvr.value, form.director_name.value) == ("Aarhus Kommune", "55133018", "Jens Peter Holm")
    assert form.initial_meeting.date == dt.date(2019, 10, 4) and form.signature.image
    assert form.cvr.evidence.file == filename and form.cvr.evidence.location


def assert_minutes(reading):
    assert reading.role == "minutes", reading.problem
    m = reading.minutes
    assert (m.kind, m.body, m.meeting_date, m.decision) == ("referat", "Socialudvalget", dt.date(2024, 11, 12), "approved")
    assert "task" in m.item.snippet.lower()


# --------------------------------------------------------------------------- OpenDocument

@pytest.mark.parametrize("layout", FORM_LAYOUTS)
def test_odt_form(layout):
    reading = read_document("Ansøgning.odt", "application/vnd.oasis.opendocument.text", form_odt(FORM, layout))
    assert_form(reading, "Ansøgning.odt")
    assert reading.text.format == "odt"
    assert all(s.answered for s in reading.form.sections)


@pytest.mark.parametrize("layout", MINUTES_LAYOUTS)
def test_odt_minutes_among_twenty_items(layout):
    assert_minutes(read_document("referat.odt", "", minutes_odt(MINUTES, layout)))


def test_corrupt_odt_is_unreadable():
    reading = read_document("skema.odt", "", b"PK\x03\x04 broken")
    assert reading.role == "unreadable" and "OpenDocument" in reading.problem


# --------------------------------------------------------------------------- .doc / .rtf

RTF = rb"{\rtf1\ansi\deff0 {\fonttbl {\f0 Arial;}} Skema til ans\'f8gning om et Task Force-forl\'f8b\par}"


def test_doc_without_libreoffice_needs_conversion(monkeypatch, tmp_path):
    monkeypatch.delenv("TASKFORCE_INTAKE_SOFFICE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    for name, data in (("skema.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)), ("skema.rtf", RTF)):
        reading = read_document(name, "", data, options=read_options())
        assert reading.role == "unreadable" and "skal konverteres" in reading.problem


def test_doc_is_converted_by_libreoffice_when_present(monkeypatch, tmp_path):
    """The conversion path, with a stand-in for soffice that writes what LibreOffice would."""
    converted = tmp_path / "converted.docx"
    converted.write_bytes(form_docx(FORM, "headings"))
    fake = tmp_path / "soffice"
    fake.write_text('#!/bin/sh\nwhile [ $# -gt 1 ]; do [ "$1" = --outdir ] && out="$2"; shift; done\n'
                    f'cp "{converted}" "$out/dokument.docx"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("TASKFORCE_INTAKE_SOFFICE", str(fake))
    reading = read_document("Ansøgning.rtf", "application/rtf", RTF, options=read_options())
    assert_form(reading, "Ansøgning.rtf")
    assert reading.text.format == "rtf"


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")), reason="LibreOffice not installed")
def test_rtf_through_real_libreoffice(monkeypatch):
    monkeypatch.delenv("TASKFORCE_INTAKE_SOFFICE", raising=False)
    reading = read_document("skema.rtf", "", RTF, options=read_options())
    assert "Task Force-forløb" in reading.text.text


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")), reason="LibreOffice not installed")
def test_old_word_doc_through_real_libreoffice(monkeypatch, tmp_path):
    """A real .doc (Word 97), made from the generated form by LibreOffice itself, read back."""
    import subprocess

    monkeypatch.delenv("TASKFORCE_INTAKE_SOFFICE", raising=False)
    (tmp_path / "skema.docx").write_bytes(form_docx(FORM, "table"))
    subprocess.run([shutil.which("soffice") or shutil.which("libreoffice"), f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--headless", "--convert-to", "doc:MS Word 97", "--outdir", str(tmp_path), str(tmp_path / "skema.docx")],
                   check=True, capture_output=True, timeout=120)
    reading = read_document("Ansøgning.doc", "application/msword", (tmp_path / "skema.doc").read_bytes(), options=read_options())
    assert reading.text.format == "doc"
    assert_form(reading, "Ansøgning.doc")


# --------------------------------------------------------------------------- ZIP

def test_zip_gives_each_document_with_its_path():
    data = zip_of({"Ansøgning.docx": form_docx(FORM, "table"), "bilag/referat.pdf": minutes_pdf(MINUTES, "econ"),
                   "inner.zip": zip_of({"organisation.txt": "Organisationsdiagram".encode()})})
    readings = read_documents("bilag.zip", "application/zip", data)
    names = [r.filename for r in readings]
    assert names == ["bilag.zip/Ansøgning.docx", "bilag.zip/bilag/referat.pdf", "bilag.zip/inner.zip/organisation.txt"]
    assert_form(readings[0], "bilag.zip/Ansøgning.docx")
    assert_minutes(readings[1])


def test_zip_limits_and_path_escapes():
    bomb = read_documents("referat.zip", "", zip_bomb(60))
    assert [r.role for r in bomb] == ["unreadable"] and "komprimering" in bomb[0].problem
    escape = read_documents("x.zip", "", zip_of({"../../etc/passwd": b"x", "ok.txt": b"Hej"}))
    assert [(r.filename, r.role) for r in escape] == [("x.zip/ok.txt", "other"), ("x.zip/../../etc/passwd", "unreadable")]
    assert "uden for arkivet" in escape[1].problem
    many = unpack_zip("many.zip", zip_of({f"{i}.txt": b"x" for i in range(5)}), ZipLimits(members=4))
    assert many.problem and "5 filer" in many.problem
    big = unpack_zip("big.zip", zip_of({"a.txt": b"a" * 5000}), ZipLimits(total_bytes=4000))
    assert big.problem and "MB" in big.problem


def test_zip_depth_is_limited():
    data = b"Referat"
    for level in range(5):
        data = zip_of({f"niveau{level}.{'zip' if level else 'txt'}": data})
    readings = read_documents("dyb.zip", "", data)
    assert readings[-1].role == "unreadable" and "lag" in readings[-1].problem


def test_corrupt_zip_is_unreadable():
    reading = read_documents("bilag.zip", "application/zip", b"PK\x03\x04 not a zip")[0]
    assert reading.role == "unreadable" and "ZIP-filen er beskadiget" in reading.problem


# --------------------------------------------------------------------------- mail in mail

def test_forwarded_message_part_is_read_once():
    inner = forwarded_eml("Referat fra Socialudvalget", "Hermed referatet.", {"referat.pdf": ("application/pdf", minutes_pdf(MINUTES, "table"))})
    outer = email.message_from_bytes(mail(subject="VS: Referat fra Socialudvalget"), policy=email.policy.default)
    outer.add_attachment(email.message_from_bytes(inner, policy=email.policy.default))
    facts = parse_message(bytes(outer))
    readings = read_attachments(facts.attachments)
    minutes = [r for r in readings if r.role == "minutes"]
    assert len(minutes) == 1
    assert_minutes(minutes[0])
    body = next(r for r in readings if r.text.format == "eml")
    assert body.filename == "Referat fra Socialudvalget.eml" and body.role == "other"
    assert "Hermed referatet." in body.text.text


def test_eml_file_attachment_is_expanded():
    inner = forwarded_eml("Ansøgning", "Se vedhæftede", {"skema.docx": ("application/octet-stream", form_docx(FORM, "inline"))})
    readings = read_documents("Ansøgning.eml", "application/octet-stream", inner)
    assert [r.filename for r in readings] == ["Ansøgning.eml", "Ansøgning.eml/skema.docx"]
    assert_form(readings[1], "Ansøgning.eml/skema.docx")


def test_outlook_msg():
    data = outlook_msg("VS: Referat", "Referatet ligger også på https://dagsorden.aarhus.dk/123", {"Referat Socialudvalget.pdf": minutes_pdf(MINUTES, "prose")})
    readings = read_documents("VS Referat.msg", "application/vnd.ms-outlook", data)
    assert [r.filename for r in readings] == ["VS Referat.msg", "VS Referat.msg/Referat Socialudvalget.pdf"]
    assert "https://dagsorden.aarhus.dk/123" in readings[0].text.text
    assert_minutes(readings[1])


def test_winmail_dat():
    data = winmail_dat({"Ansøgning.pdf": form_pdf(FORM, "table")}, "Hermed vores ansøgning")
    readings = read_documents("winmail.dat", "application/ms-tnef", data)
    assert readings[-1].filename == "winmail.dat/Ansøgning.pdf"
    assert_form(readings[-1], "winmail.dat/Ansøgning.pdf")


def test_broken_msg_and_tnef_are_unreadable():
    assert "Outlook" in read_documents("x.msg", "", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))[0].problem
    assert "ingen dokumenter" in read_documents("winmail.dat", "", b"\x78\x9f\x3e\x22\x01\x00\x02")[0].problem
    assert "TNEF" in read_documents("winmail.dat", "", b"\x78\x9f\x3e\x22\x01\x00" + b"\x02" * 40)[0].problem


# --------------------------------------------------------------------------- protected and corrupt

def test_password_protected_pdf():
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, encrypt=pdfencrypt.StandardEncryption("hemmelig", canPrint=0))
    page.drawString(72, 720, "Skema til ansøgning om et Task Force-forløb")
    page.save()
    reading = read_document("skema.pdf", "", out.getvalue())
    assert reading.role == "unreadable" and "adgangskode" in reading.problem


def test_password_protected_docx():
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(form_docx(FORM, "table"))).encrypt("hemmelig", out)
    reading = read_document("skema.docx", "", out.getvalue())
    assert reading.role == "unreadable" and "adgangskode" in reading.problem


def test_corrupt_pdf_and_docx():
    assert "beskadiget" in read_document("skema.pdf", "", b"%PDF-1.4\n garbage").problem
    assert read_document("skema.docx", "", b"PK\x03\x04 garbage").role == "unreadable"
