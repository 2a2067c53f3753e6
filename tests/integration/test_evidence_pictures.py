"""The evidence pictures are made by the service (`run --once`, after the replies), never by a web
request: with every renderer and reader made to fail the test, the pages, the viewer and the pictures
answer from what is stored, a picture not made yet is shown as being made, and the next `run --once`
makes it."""
from __future__ import annotations

import datetime as dt
import re

import pypdfium2
import pytest
from sqlmodel import Session, col, delete, select
from starlette.testclient import TestClient

import bot.pictures
import parsers.pictures
from bot.readers import Readers
from bot.runtime import Runtime
from config.settings import load_settings
from storage.models import Application, Attachment, Picture
from tests.evidence import FORM, MINUTES, evidence_installation, vejle_reference
from tests.web import PASSWORD, USER, csrf, forbidden

NOW = dt.datetime(2025, 3, 24, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))




@pytest.fixture(scope="module")
def inst(tmp_path_factory):
    return evidence_installation(tmp_path_factory.mktemp("evidence"))


@pytest.fixture()
def web(inst, monkeypatch):
    rt = Runtime.open(load_settings(inst.config))
    for module, name in ((parsers.pictures, "document_pictures"), (parsers.pictures, "pdf_pictures"), (parsers.pictures, "image_pictures"),
                         (bot.pictures, "make_pictures"), (bot.pictures, "render")):
        monkeypatch.setattr(module, name, forbidden(f"{module.__name__}.{name}"))
    monkeypatch.setattr(Readers, "run", forbidden("Readers.run"))
    monkeypatch.setattr(Readers, "read", forbidden("Readers.read"))
    from triage.app import create_app

    with TestClient(create_app(rt, lambda: NOW), raise_server_exceptions=True) as client:
        token = csrf(client.get("/login").text)
        assert client.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": token}, follow_redirects=False).status_code == 303
        yield client, rt
    rt.close()


def _document(rt: Runtime, filename: str) -> Attachment:
    with Session(rt.engine) as session:
        return session.exec(select(Attachment).where(Attachment.filename == filename)).one()


def test_run_once_made_the_pictures_and_pages_answer_from_them(inst, web):
    client, rt = web
    form, minutes = _document(rt, FORM), _document(rt, MINUTES)
    with Session(rt.engine) as session:
        rows = session.exec(select(Picture).where(col(Picture.document_sha256).in_([form.sha256, minutes.sha256]))).all()
    purposes = {(p.document_sha256, p.purpose) for p in rows}
    assert (form.sha256, "signature") in purposes and (minutes.sha256, "decision") in purposes
    pages = len(pypdfium2.PdfDocument(rt.store.get(form.sha256)))
    assert sorted(p.page for p in rows if p.document_sha256 == form.sha256 and p.purpose == "page") == list(range(1, pages + 1))

    page = client.get(f"/applications/{vejle_reference(inst)}")
    assert page.status_code == 200
    signature = next(p for p in rows if p.purpose == "signature" and p.document_sha256 == form.sha256)
    decision = next(p for p in rows if p.purpose == "decision")
    section = re.search(r'id="check-director_signature".*?</article>', page.text, re.S).group(0)
    assert f'src="/pictures/{signature.id}.png"' in section and 'alt="Underskriftsfeltet i ' + FORM in section
    assert f'src="/pictures/{decision.id}.png"' in re.search(r'id="check-political_backing".*?</article>', page.text, re.S).group(0)
    for row in rows:
        if row.image_sha256:
            shown = client.get(f"/pictures/{row.id}.png")
            assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
            assert shown.headers["cache-control"].startswith("private") and shown.headers["x-content-type-options"] == "nosniff"
            assert shown.content == rt.store.get(row.image_sha256)
    second = client.get(f"/attachments/{form.id}/view?page=2")
    assert second.status_code == 200 and f"Side 2 af {pages}" in second.text
    page_two = next(p for p in rows if p.document_sha256 == form.sha256 and p.purpose == "page" and p.page == 2)
    assert f'src="/pictures/{page_two.id}.png"' in second.text and 'rel="prev"' in second.text
    with Session(rt.engine) as session:
        word = session.exec(select(Attachment).where(Attachment.filename == "Ansøgningsskema Slagelse.docx")).one()
    text = client.get(f"/attachments/{word.id}/view")
    assert text.status_code == 200 and '<table class="doc-table">' in text.text and "Slagelse Kommune" in text.text
    with Session(rt.engine) as session:  # a Word form's cited cell is shown as its read text, framed
        slagelse = session.exec(select(Application.reference).where(Application.municipality == "Slagelse Kommune")).first()
    section = re.search(r'id="check-director_signature".*?</article>', client.get(f"/applications/{slagelse}").text, re.S).group(0)
    assert re.search(r'<blockquote class="preview" data-preview="text"><p>[^<]*Mette Hansen', section)
    assert f'href="/attachments/{word.id}/view"' in section
    client.cookies.clear()
    assert client.get(f"/pictures/{signature.id}.png", follow_redirects=False).status_code == 303  # only signed in


def test_a_picture_not_made_yet_is_made_by_the_next_run_not_by_the_page(inst, web):
    client, rt = web
    minutes = _document(rt, MINUTES)
    with Session(rt.engine) as session:
        session.exec(delete(Picture).where(Picture.document_sha256 == minutes.sha256))  # type: ignore[call-overload]
        session.commit()
    reference = vejle_reference(inst)
    page = client.get(f"/applications/{reference}")
    assert page.status_code == 200
    assert "Billedet laves" in re.search(r'id="check-political_backing".*?</article>', page.text, re.S).group(0)
    assert "Siderne vises, når" in client.get(f"/attachments/{minutes.id}/view?page=2").text
    with Session(rt.engine) as session:
        assert session.exec(select(Picture).where(Picture.document_sha256 == minutes.sha256)).first() is None  # the page made none
    inst.cli("run", "--once", now="2025-03-22T14:00:00+01:00")
    with Session(rt.engine) as session:
        decision = session.exec(select(Picture).where(Picture.document_sha256 == minutes.sha256, Picture.purpose == "decision")).one()
    page = client.get(f"/applications/{reference}")
    assert f'src="/pictures/{decision.id}.png"' in page.text and "Billedet laves" not in page.text


def test_a_deleted_document_shows_no_picture_of_it(web):
    """`retention apply` and an erasure delete the document's file: its pictures are refused with it."""
    client, rt = web
    form = _document(rt, FORM)
    with Session(rt.engine) as session:
        signature = session.exec(select(Picture).where(Picture.document_sha256 == form.sha256, Picture.purpose == "signature")).one()
    assert client.get(f"/pictures/{signature.id}.png").status_code == 200
    rt.store.delete(form.sha256)
    assert client.get(f"/pictures/{signature.id}.png").status_code == 410
    assert client.get(f"/attachments/{form.id}/view?page=2").status_code == 410
    page = client.get(f"/applications/{vejle_reference_of(rt)}")
    assert page.status_code == 200 and f"/pictures/{signature.id}.png" not in page.text


def vejle_reference_of(rt: Runtime) -> str:
    with Session(rt.engine) as session:
        return session.exec(select(Application.reference).where(Application.municipality == "Vejle Kommune",
                                                                Application.round_id == "boern-unge-2025")).one()
