"""From the queue: send the reply held back for mail from before `answer_from`, and close a request
for information so a late supplement is refused again."""
import email
import email.policy
import re
import sqlite3

from tests.conftest import Installation, write_config
from tests.factories.forms import FormSpec, form_docx
from tests.factories.minutes import MinutesSpec, minutes_pdf
from tests.mails import mail
from tests.web import PASSWORD, USER, Server, csrf, login


def kinds(inst: Installation) -> list[str]:
    return [email.message_from_bytes(r, policy=email.policy.default)["X-Taskforce-Reply"] for r in inst.outbox]


def test_held_reply_and_closing_a_request(tmp_path):
    inst = Installation(tmp_path, write_config(tmp_path, mailbox_extra='answer_from = "2025-03-21T00:00"'))
    odense = FormSpec(municipality="Odense Kommune", cvr="35209115", director_name="Karsten Lund", director_email="kalu@odense.dk")
    inst.deliver(mail(sender="kalu@odense.dk", attachments=[("skema.docx", form_docx(odense, "table"))],
                      message_id="<o1@odense.dk>", received="2025-03-20 10:00:00"))  # before answer_from: held
    inst.cli("run", "--once", now="2025-03-21T12:00:00+01:00")
    inst.cli("user", "add", USER, stdin=PASSWORD + "\n")
    assert kinds(inst) == [] and inst.queue()[0]["not_answered"] == 1

    server = Server.start(inst, now="2025-03-21T14:00:00+01:00")
    try:
        with server.client() as client:
            login(client)
            page = client.get("/applications/TFB-2025-0001").text
            action = re.search(r'action="(/applications/TFB-2025-0001/messages/\d+/answer)"', page).group(1)
            assert "Send svaret nu" in page
            assert client.post(action, data={"csrf_token": csrf(page)}).status_code == 303
            assert kinds(inst) == ["missing_items"]
            assert client.post(action, data={"csrf_token": csrf(page)}).status_code == 303  # twice: refused, nothing sent
            assert kinds(inst) == ["missing_items"]
            assert inst.queue()[0]["not_answered"] == 0

            page = client.get("/applications/TFB-2025-0001").text
            client.post("/applications/TFB-2025-0001/information-request",
                        data={"csrf_token": csrf(page), "text": "Send det underskrevne skema og referatet."})
            page = client.get("/applications/TFB-2025-0001").text
            close = re.search(r'action="(/applications/TFB-2025-0001/information-request/\d+/close)"', page).group(1)
            assert client.post(close, data={"csrf_token": csrf(page)}).status_code == 303
            audit = client.get("/audit").text
            assert "Tilbageholdt svar sendt" in audit and "Anmodning om oplysninger lukket" in audit
    finally:
        server.stop()
    db = sqlite3.connect(inst.root / "intake.db")
    assert db.execute("select open from informationrequest").fetchall() == [(0,)]
    # with the request closed, a supplement after the deadline is refused again
    inst.deliver(mail(sender="kalu@odense.dk", subject="SV: Anmodning", in_reply_to="<o1@odense.dk>",
                      attachments=[("referat.pdf", minutes_pdf(MinutesSpec(municipality="Odense Kommune"), "table"))],
                      received="2025-03-26 10:00:00"))
    inst.cli("run", "--once", now="2025-03-26T10:00:30+01:00")
    assert kinds(inst)[-2:] == ["late", "closing"]  # intake first (refused: late), then the round closes
