"""The web app sends through the service's send function: with aiosmtpd refusing, a request for
information or a held reply sent from the application page is scheduled by the configured retry policy
(`[delivery] retry_seconds`, `max_attempts`), not by a default of its own, and `run --once` then
delivers it when due, once.  The page names every reply state in Danish."""
from __future__ import annotations

import datetime as dt
import re
import sqlite3

import pytest
from sqlmodel import Session, create_engine, select

from storage.models import Reply
from tests.conftest import Installation, write_config
from tests.factories.forms import FormSpec, form_docx
from tests.mails import mail
from tests.web import PASSWORD, USER, Server, csrf, login

pytestmark = pytest.mark.integration

SERVE_NOW = "2025-03-21T14:00:00+01:00"
T = dt.datetime.fromisoformat(SERVE_NOW)
ODENSE = FormSpec(municipality="Odense Kommune", cvr="35209115", director_name="Karsten Lund", director_email="kalu@odense.dk")


def smtp_installation(root, smtp, delivery_extra: str, answer_from: str = "2025-01-01T00:00") -> Installation:
    config = write_config(root, mailbox_extra=f'answer_from = "{answer_from}"')
    text = config.read_text(encoding="utf-8").replace(
        f'[delivery]\nkind = "maildir"\npath = "{root}/outbox"\n',
        f'[delivery]\nkind = "smtp"\nhost = "127.0.0.1"\nport = {smtp.port}\ntls = "none"\n{delivery_extra}\n')
    config.write_text(text, encoding="utf-8")
    inst = Installation(root, config)
    inst.deliver(mail(sender="kalu@odense.dk", attachments=[("skema.docx", form_docx(ODENSE, "table"))],
                      message_id="<o1@odense.dk>", received="2025-03-20 10:00:00"))
    inst.cli("run", "--once", now="2025-03-21T12:00:00+01:00")
    inst.cli("user", "add", USER, stdin=PASSWORD + "\n")
    return inst


def replies(inst: Installation) -> list[Reply]:
    with Session(create_engine(f"sqlite:///{inst.root}/intake.db")) as session:
        return list(session.exec(select(Reply).order_by(Reply.id)).all())


def flash(html: str) -> str:
    match = re.search(r'<p class="flash (\w+)" role="status">(.*?)</p>', html, re.S)
    assert match, "no message on the page"
    return f"{match.group(1)}: {match.group(2)}"


def test_information_request_waits_for_the_configured_retry(tmp_path, smtp):
    inst = smtp_installation(tmp_path, smtp, "retry_seconds = 300")
    assert [m.message["X-Taskforce-Reply"] for m in smtp.sink.wait_for(1)] == ["missing_items"]  # the service's own reply
    smtp.sink.refuse = "451 4.3.0 Midlertidig fejl, prøv igen"
    server = Server.start(inst, now=SERVE_NOW)
    try:
        with server.client() as client:
            login(client)
            page = client.get("/applications/TFB-2025-0001").text
            response = client.post("/applications/TFB-2025-0001/information-request",
                                   data={"csrf_token": csrf(page), "text": "Send venligst referatet af udvalgets møde."})
            assert response.status_code == 303
            page = client.get("/applications/TFB-2025-0001").text
            assert flash(page).startswith("error: Anmodningen om oplysninger er lagt i udbakken. Mailen kunne ikke sendes endnu")
            assert "451" in flash(page) and "21.03.2025 14:05" in flash(page)  # 300 s, not the default 60 s
            request = replies(inst)[-1]
            assert (request.kind, request.state, request.attempts) == ("information_request", "pending", 1)
            assert request.next_attempt_at == T + dt.timedelta(seconds=300) and "451" in request.error
            reply_block = page[page.index('data-kind="information_request"'):]
            assert '>Venter</span>' in reply_block and "næste forsøg 21.03.2025 14:05:00" in reply_block

            with sqlite3.connect(inst.root / "intake.db") as db:  # a crash left another row in doubt
                db.execute("update reply set state = 'in_doubt' where id = ?", (replies(inst)[0].id,))
            page = client.get("/applications/TFB-2025-0001").text
            assert ">Måske sendt: kontrollér</span>" in page and ">in_doubt<" not in page
    finally:
        server.stop()

    smtp.sink.refuse = None
    inst.cli("run", "--once", now="2025-03-21T14:02:00+01:00")  # the default policy would retry now; the configured one not
    assert len(smtp.sink.received) == 1 and replies(inst)[-1].attempts == 1
    inst.cli("run", "--once", now="2025-03-21T14:05:00+01:00")
    sent = smtp.sink.wait_for(2)[-1].message
    assert sent["X-Taskforce-Reply"] == "information_request" and sent["In-Reply-To"] == "<o1@odense.dk>"
    assert sent.get_content().strip() == "Send venligst referatet af udvalgets møde." and "[TFB-2025-0001]" in sent["Subject"]
    assert replies(inst)[-1].state == "sent" and replies(inst)[-1].attempts == 2
    inst.cli("run", "--once", now="2025-03-21T15:00:00+01:00")
    assert len(smtp.sink.received) == 2


def test_held_reply_gives_up_after_the_configured_attempts(tmp_path, smtp):
    inst = smtp_installation(tmp_path, smtp, "max_attempts = 1", answer_from="2025-03-21T00:00")  # the mail is held
    assert replies(inst) == [] and smtp.sink.received == []
    smtp.sink.refuse = "451 4.3.0 Midlertidig fejl, prøv igen"
    server = Server.start(inst, now=SERVE_NOW)
    try:
        with server.client() as client:
            login(client)
            page = client.get("/applications/TFB-2025-0001").text
            assert "Ikke besvaret: modtaget før botten blev slået til" in page
            action = re.search(r'action="(/applications/TFB-2025-0001/messages/\d+/answer)"', page).group(1)
            assert client.post(action, data={"csrf_token": csrf(page)}).status_code == 303
            page = client.get("/applications/TFB-2025-0001").text
            assert flash(page).startswith("error: Svaret er lagt i udbakken. Mailen blev ikke sendt:") and "451" in flash(page)
            ((reply),) = replies(inst)
            assert (reply.kind, reply.state, reply.attempts, reply.next_attempt_at) == ("missing_items", "failed", 1, None)
            assert ">Fejlet</span>" in page and "Send svaret nu" not in page
    finally:
        server.stop()
    smtp.sink.refuse = None
    inst.cli("run", "--once", now="2025-03-21T16:00:00+01:00")  # failed for good: never sent behind the secretariat's back
    assert smtp.sink.received == []
