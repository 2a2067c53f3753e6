"""The web app answers from what the service stored: no page, download or export parses a mail or
reads a document (issue 10).  The round is seeded by the real `run --once`; then every reader is made
to fail the test if it is called, and every page of the app is fetched in-process."""
from __future__ import annotations

import datetime as dt
import re

import mailparser
import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

import parsers.documents as documents
import parsers.reading as reading
from bot.readers import Readers
from bot.runtime import Runtime
from config.settings import load_settings
from storage.models import Application, Attachment, Document, Message
from tests.web import PASSWORD, USER, csrf, forbidden, installation

NOW = dt.datetime(2025, 3, 24, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))




@pytest.fixture()
def client(tmp_path, monkeypatch):
    inst = installation(tmp_path / "inst")
    rt = Runtime.open(load_settings(inst.config))
    with Session(rt.engine) as session:
        # one application's readings as if made by an older reader version: the page must not read them
        app = session.exec(select(Application).where(Application.kind == "application").order_by(Application.id)).first()
        shas = session.exec(select(Attachment.sha256).join(Message, Attachment.message_id == Message.id)
                            .where(Message.application_id == app.id)).all()
        for row in session.exec(select(Document).where(Document.sha256.in_(shas))).all():
            row.reader_version = "0-old"
            session.add(row)
        session.commit()
        stale = app.reference
    monkeypatch.setattr(mailparser, "parse_from_bytes", forbidden("mailparser.parse_from_bytes"))
    monkeypatch.setattr(reading, "classify", forbidden("parsers.reading.classify"))
    monkeypatch.setattr(Readers, "read", forbidden("bot.readers.Readers.read"))  # the reader processes
    monkeypatch.setattr(reading, "extract_text", forbidden("parsers.reading.extract_text"))
    for extractor in documents._REGISTRY:
        monkeypatch.setattr(extractor, "extract", forbidden(f"{type(extractor).__name__}.extract"))
    from triage.app import create_app

    with TestClient(create_app(rt, lambda: NOW), raise_server_exceptions=True) as web:
        token = csrf(web.get("/login").text)
        assert web.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": token}, follow_redirects=False).status_code == 303
        yield web, rt, stale


def test_every_page_answers_without_reading_a_document(client):
    web, rt, stale = client
    queue = web.get("/")
    assert queue.status_code == 200
    with Session(rt.engine) as session:
        references = session.exec(select(Application.reference)).all()
        attachments = session.exec(select(Attachment.id)).all()
        messages = session.exec(select(Message.id)).all()
    assert len(references) >= 5 and attachments and messages
    for reference in references:
        page = web.get(f"/applications/{reference}")
        assert page.status_code == 200, reference
        if reference == stale:
            assert "læses igen" in page.text  # shown as waiting for the service, not read here
    for attachment_id in attachments:
        assert web.get(f"/attachments/{attachment_id}").status_code == 200
    for message_id in messages:
        assert web.get(f"/messages/{message_id}.eml").status_code == 200
    for round_ in rt.settings.rounds:
        for what in ("export", "journal"):
            for fmt in ("csv", "xlsx"):
                assert web.get(f"/rounds/{round_.id}/{what}.{fmt}").status_code == 200
    assert web.get("/audit").status_code == 200


def test_an_override_decides_again_from_the_stored_checks(client):
    web, rt, _ = client
    with Session(rt.engine) as session:
        reference = session.exec(select(Application.reference).where(Application.status == "incomplete")).first()
    page = web.get(f"/applications/{reference}")
    token = csrf(page.text)
    done = web.post(f"/applications/{reference}/override", data={"check": "political_backing", "status": "ok",
                                                                "reason": "Referatet er modtaget pr. post", "csrf_token": token},
                    follow_redirects=False)
    assert done.status_code == 303
    assert re.search(r"overstyret", web.get(f"/applications/{reference}").text, re.I)
