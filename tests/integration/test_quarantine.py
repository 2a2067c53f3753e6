"""Quarantine (issue 11): a mail whose processing fails unexpectedly is kept, leaves the mailbox so it
blocks nothing, is listed in `queue --json` with its error, is tried again from the stored copy with
backoff, is quarantined after the configured attempts, and `taskforce-intake retry` processes it once
the cause is fixed.  The failure is made in-process (a bug in the envelope step for one subject); the
service is the same `run_once` as `taskforce-intake run --once`."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

import bot.intake as intake
from bot.runtime import Runtime
from bot.service import run_once
from config.settings import load_settings
from storage.models import Message
from tests.conftest import Installation, write_config
from tests.factories.forms import FormSpec, form_docx
from tests.factories.minutes import MinutesSpec, minutes_pdf
from tests.mails import at, mail

FILES = [("skema.docx", form_docx(FormSpec(), "table")), ("referat.pdf", minutes_pdf(MinutesSpec(), "numbered"))]
T0 = at("2025-03-20 10:05:00")


@pytest.fixture()
def broken(monkeypatch):
    """The envelope step fails for a mail whose subject says "Boom" (until the test mends it)."""
    real = intake._envelope

    def envelope(row, facts):
        if "Boom" in facts.subject:
            raise RuntimeError("disk full while writing the envelope")
        return real(row, facts)

    monkeypatch.setattr(intake, "_envelope", envelope)
    return monkeypatch


@pytest.fixture()
def inst(tmp_path) -> Installation:
    extra = "failed_attempts = 3\nfailed_retry_seconds = 60\nfailed_retry_max_seconds = 3600"
    return Installation(tmp_path, write_config(tmp_path, mailbox_extra=f'answer_from = "2025-01-01T00:00"\n{extra}'))


def _message(rt: Runtime, message_id: str) -> Message:
    with Session(rt.engine) as session:
        return session.exec(select(Message).where(Message.message_id == message_id)).one()


def test_a_failing_mail_is_kept_listed_retried_with_backoff_then_quarantined(inst, broken):
    raws = [mail(subject="Boom: ansøgning", message_id="<boom@slagelse.dk>", attachments=FILES),
            mail(sender="Lone Berg <lobe@aarhus.dk>", message_id="<ok@aarhus.dk>", received="2025-03-20 10:01:00",
                 attachments=[("skema.docx", form_docx(FormSpec(municipality="Aarhus Kommune"), "table")), FILES[1]])]
    for raw in raws:
        inst.deliver(raw)
    rt = Runtime.open(load_settings(inst.config))
    summary = run_once(rt, T0)
    assert (summary.processed, summary.failed) == (1, 1)  # the mail after it was not blocked
    assert len(inst.outbox) == 1 and not list(inst.inbox.keys())  # both left the mailbox: the failed one is stored
    moved = inst.inbox.get_folder("Behandlet")  # Maildir++ `.Behandlet`, the files renamed into it as they were
    assert sorted(moved.get_bytes(k) for k in moved.keys()) == sorted(raws)
    boom = _message(rt, "<boom@slagelse.dk>")
    assert (boom.state, boom.attempts, boom.next_attempt_at) == ("failed", 1, T0 + dt.timedelta(seconds=60))
    assert boom.error == "RuntimeError: disk full while writing the envelope"

    listed = [i for i in inst.queue() if i["kind"] == "message"]
    assert [(i["reference"], i["status"], i["attempts"]) for i in listed] == [(f"mail-{boom.id}", "failed", 1)]
    assert "prøves igen 20.03.2025 10:06" in listed[0]["reason"] and "disk full" in listed[0]["reason"]

    assert run_once(rt, T0 + dt.timedelta(seconds=30)).retried == 0  # not due yet
    assert run_once(rt, T0 + dt.timedelta(seconds=61)).retried == 1
    boom = _message(rt, "<boom@slagelse.dk>")
    assert (boom.state, boom.attempts, boom.next_attempt_at) == ("failed", 2, T0 + dt.timedelta(seconds=61 + 120))
    run_once(rt, T0 + dt.timedelta(seconds=61 + 120))
    boom = _message(rt, "<boom@slagelse.dk>")
    assert (boom.state, boom.attempts, boom.next_attempt_at) == ("quarantined", 3, None)
    assert run_once(rt, T0 + dt.timedelta(hours=5)).retried == 0  # given up: waits for a person
    listed = [i for i in inst.queue() if i["kind"] == "message"]
    assert listed[0]["status"] == "quarantined" and f"taskforce-intake retry {boom.id}" in listed[0]["reason"]
    assert len(inst.outbox) == 1  # no reply to a mail that was never judged

    broken.undo()  # the cause is fixed; the operator retries it by its Message-ID
    result = inst.cli("retry", "<boom@slagelse.dk>", now="2025-03-20T16:00:00+01:00")
    assert f"mail {boom.id} behandlet: application, svar sendt (1)" in result.stderr  # the command talks on stderr
    assert _message(rt, "<boom@slagelse.dk>").state == "processed"
    assert len(inst.outbox) == 2 and not [i for i in inst.queue() if i["kind"] == "message"]
    rt.close()


def test_retry_names_what_it_cannot_do(inst):
    inst.deliver(mail(message_id="<fine@slagelse.dk>", attachments=FILES))
    inst.cli("run", "--once", now="2025-03-20T10:05:00+01:00")
    done = inst.cli("retry", "<fine@slagelse.dk>", check=False)
    assert done.returncode == 1 and "allerede behandlet" in done.stderr
    unknown = inst.cli("retry", "999", check=False)
    assert unknown.returncode == 1 and "ingen mail svarer til '999'" in unknown.stderr


def test_the_queue_page_shows_failed_mail_with_its_error(inst, broken):
    from starlette.testclient import TestClient

    from tests.web import PASSWORD, USER, add_user, csrf
    from triage.app import create_app

    inst.deliver(mail(subject="Boom: ansøgning", message_id="<boom@slagelse.dk>", attachments=FILES))
    rt = Runtime.open(load_settings(inst.config))
    run_once(rt, T0)
    add_user(inst, USER, "laeser")
    with TestClient(create_app(rt, lambda: T0 + dt.timedelta(minutes=1))) as web:
        token = csrf(web.get("/login").text)
        web.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": token})
        page = web.get("/").text
    boom = _message(rt, "<boom@slagelse.dk>")
    assert 'id="failed-mail"' in page and f'data-message="{boom.id}" data-state="failed"' in page
    assert "Boom: ansøgning" in page and "RuntimeError: disk full while writing the envelope" in page
    assert f'href="/messages/{boom.id}.eml"' in page
    rt.close()
