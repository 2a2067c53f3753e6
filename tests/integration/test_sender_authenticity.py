"""Sender authenticity (issue 11): `Authentication-Results` are believed only from the configured trusted
receiving server.  A DMARC fail there flags the application in the queue, and a supplement from that
sender is not merged into the application: it waits, with the reason, until the secretariat answers
it.  The same header from another hop changes nothing.  A From whose municipality differs from the
envelope sender's is flagged.  In-process over Maildirs (`run_once`, as `run --once`)."""
from __future__ import annotations

import datetime as dt
import email

from sqlmodel import Session, select

from bot.intake import answer_held
from bot.queue import queue
from bot.runtime import Runtime
from bot.service import run_once
from config.settings import load_settings
from storage.models import Application, Message
from tests.conftest import Installation, write_config
from tests.factories.forms import FormSpec, form_docx
from tests.factories.minutes import MinutesSpec, minutes_pdf
from tests.mails import at, mail

FORM = form_docx(FormSpec(), "table")
MINUTES = minutes_pdf(MinutesSpec(), "numbered")
DMARC_FAIL = ("{id}; spf=fail (sender IP is 203.0.113.9) smtp.mailfrom=slagelse.dk; dkim=none (message not signed); "
              "dmarc=fail (p=REJECT sp=REJECT dis=NONE) header.from=slagelse.dk")


def _inst(tmp_path) -> Installation:
    return Installation(tmp_path, write_config(tmp_path, mailbox_extra='answer_from = "2025-01-01T00:00"\ntrusted_authserv_id = "mx.sbst.dk"'))


def _apply_then_supplement(inst: Installation, authserv_id: str) -> Runtime:
    """The form alone (incomplete), then "the minutes" in its thread with a DMARC fail from `authserv_id`."""
    inst.deliver(mail(message_id="<a@slagelse.dk>", attachments=[("skema.docx", FORM)]))
    inst.deliver(mail(subject="SV: Ansøgning [TFB-2025-0001]", message_id="<s@slagelse.dk>", in_reply_to="<a@slagelse.dk>",
                      received="2025-03-21 09:00:00", attachments=[("referat.pdf", MINUTES)],
                      headers={"Authentication-Results": DMARC_FAIL.format(id=authserv_id)}))
    rt = Runtime.open(load_settings(inst.config))
    run_once(rt, at("2025-03-21 09:00:05"))
    return rt


def _row(session: Session, message_id: str) -> Message:
    return session.exec(select(Message).where(Message.message_id == message_id)).one()


def test_a_supplement_that_fails_dmarc_at_the_trusted_server_is_held_and_flagged(tmp_path):
    inst = _inst(tmp_path)
    rt = _apply_then_supplement(inst, "mx.sbst.dk")
    assert len(inst.outbox) == 1  # the missing-items notice for the form; nothing to the spoofed supplement
    with Session(rt.engine) as session:
        held = _row(session, "<s@slagelse.dk>")
        assert (held.kind, held.auth_verdict, held.answered) == ("supplement", "fail", "unauthenticated")
        assert "DMARC" in held.automatic_reason and "slagelse.dk" in held.automatic_reason
        app = session.exec(select(Application)).one()
        assert app.status == "incomplete"  # the minutes were not merged
        [item] = queue(session, rt.settings)
        assert item.status == "incomplete" and any("ægthed" in f for f in item.sender_flags)
        assert item.to_json(rt.settings.timezone)["not_answered"] == 1

        page = _application_page(rt, item.reference)
        assert 'class="small sender-flag"' in page and "DMARC" in page and "Send svaret nu" in page

        reply = answer_held(session, rt, held, at("2025-03-21 10:00:00"))  # the secretariat has checked it
        session.commit()
        assert reply is not None and reply.kind == "receipt"
        assert session.get(Application, app.id).status == "complete"


def test_the_same_header_from_an_untrusted_hop_is_ignored(tmp_path):
    inst = _inst(tmp_path)
    rt = _apply_then_supplement(inst, "mx.evil.example")
    assert len(inst.outbox) == 2
    with Session(rt.engine) as session:
        merged = _row(session, "<s@slagelse.dk>")
        assert merged.auth_verdict == "none" and merged.answered == "auto"
        assert session.exec(select(Application)).one().status == "complete"
        [item] = queue(session, rt.settings)
        assert item.sender_flags == ()


def test_a_from_of_one_municipality_sent_by_another_is_flagged(tmp_path):
    inst = _inst(tmp_path)
    inst.deliver(mail(message_id="<m@slagelse.dk>", attachments=[("skema.docx", FORM), ("referat.pdf", MINUTES)],
                      headers={"Return-Path": "<bounce@aarhus.dk>"}))
    rt = Runtime.open(load_settings(inst.config))
    run_once(rt, at("2025-03-20 10:00:05") + dt.timedelta(seconds=1))
    with Session(rt.engine) as session:
        [item] = queue(session, rt.settings)
        assert item.status == "complete" and any("aarhus.dk" in f for f in item.sender_flags)


def _application_page(rt: Runtime, reference: str) -> str:
    """The application's page as a `sagsbehandler` sees it, with the button (in-process)."""
    from starlette.testclient import TestClient

    from tests.web import PASSWORD, csrf
    from triage.app import create_app
    from triage.auth import add_user
    from config.settings import Role

    add_user(rt.engine, "sofie", PASSWORD, at("2025-03-21 09:30:00"), Role.SAGSBEHANDLER)
    with TestClient(create_app(rt, lambda: at("2025-03-21 09:30:00"))) as web:
        web.post("/login", data={"username": "sofie", "password": PASSWORD, "csrf_token": csrf(web.get("/login").text)})
        return web.get(f"/applications/{reference}").text


def test_no_reminder_answers_the_held_supplement(tmp_path):
    """The reminder goes in the thread of the application's own mail, never to the spoofed one."""
    inst = _inst(tmp_path)
    rt = _apply_then_supplement(inst, "mx.sbst.dk")
    run_once(rt, at("2025-03-22 09:00:05"))  # three days before the deadline: the reminder is due
    replies = [email.message_from_bytes(raw) for raw in inst.outbox]
    reminders = [m for m in replies if m["X-Taskforce-Reply"] == "reminder"]
    assert len(reminders) == 1 and reminders[0]["In-Reply-To"] == "<a@slagelse.dk>"
    assert not [m for m in replies if m["In-Reply-To"] == "<s@slagelse.dk>"]
