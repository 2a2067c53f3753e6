"""What a mail is, through the real command: minutes sent first ("skemaet eftersendes") make an
application with the form missing, not a supplement to nothing; a question whose only parts are the
pictures of its HTML body (a logo in the signature, `cid:`) is an inquiry and gets no notice."""
from __future__ import annotations

import email
import email.policy
import json
from email.message import EmailMessage

import pytest

from tests.factories.forms import FormSpec, form_docx
from tests.factories.images import signature_png
from tests.factories.minutes import MinutesSpec, minutes_pdf
from tests.mails import mail

MINUTES = ("Referat Børne- og Ungeudvalget.pdf", minutes_pdf(MinutesSpec(), "numbered"))
MINUTES_FIRST = "Hermed referatet fra udvalgets møde. Skemaet eftersendes, når direktøren har underskrevet.\n\nMvh Mette"


def html_question(logo: bytes, disposition: str = "inline", subject: str = "Hvornår er fristen?") -> bytes:
    """An Outlook-style HTML mail: the text, and the municipality's logo shown in the signature."""
    msg = EmailMessage()
    msg["Received"] = "from mail.slagelse.dk by mx.sbst.dk with ESMTPS; Thu, 20 Mar 2025 10:00:00 +0100"
    msg["From"] = "Mette Hansen <meha@slagelse.dk>"
    msg["To"] = "taskforce@sbst.dk"
    msg["Subject"] = subject
    msg["Message-ID"] = "<q1@slagelse.dk>"
    msg.set_content("Hej Task Force\n\nHvornår er fristen for ansøgningen?\n\nMvh Mette Hansen\nSlagelse Kommune")
    msg.add_alternative('<p>Hej Task Force</p><p>Hvornår er fristen for ansøgningen?</p>'
                        '<p>Mvh Mette Hansen<br><img src="cid:image001.png@01DB8A2C"></p>', subtype="html")
    html = msg.get_payload()[1]
    html.add_related(logo, "image", "png", cid="<image001.png@01DB8A2C>", filename="image001.png", disposition=disposition)
    return msg.as_bytes()


def check(installation, tmp_path, raw: bytes) -> dict:
    path = tmp_path / "message.eml"
    path.write_bytes(raw)
    return json.loads(installation.cli("check", str(path), "--json").stdout)


@pytest.mark.parametrize("disposition", ["inline", "attachment"])
def test_a_question_with_a_logo_in_its_signature_is_an_inquiry(installation, tmp_path, disposition):
    logo = signature_png("Slagelse Kommune", width=200, height=60)
    result = check(installation, tmp_path, html_question(logo, disposition))
    assert result["kind"] == "inquiry" and result["reply"] == "none"
    assert result["attachments"] == []


def test_a_pasted_scan_in_the_body_is_still_read(installation, tmp_path):
    """A big picture shown in the body is no logo: it stays an attachment (maybe the signed form)."""
    from PIL import Image
    import io
    import random

    rng = random.Random(3)
    image = Image.frombytes("L", (900, 900), bytes(rng.randrange(256) for _ in range(900 * 900)))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    result = check(installation, tmp_path, html_question(buf.getvalue(), subject="Ansøgning"))
    assert [a["filename"] for a in result["attachments"]] == ["image001.png"]


def test_minutes_first_is_an_application_with_the_form_missing_in_check(installation, tmp_path):
    result = check(installation, tmp_path, mail(body=MINUTES_FIRST, attachments=[MINUTES]))
    assert result["kind"] == "application"
    assert result["checks"]["application_form"]["status"] == "missing"
    assert result["checks"]["political_backing"]["status"] == "ok"
    assert result["reply"] == "missing_items"


def test_a_reply_with_minutes_is_a_supplement_in_check(installation, tmp_path):
    result = check(installation, tmp_path, mail(subject="SV: Ansøgning om Task Force-forløb", in_reply_to="<a1@sbst.dk>",
                                                attachments=[MINUTES]))
    assert result["kind"] == "supplement"


def _replies(installation) -> list:
    return [email.message_from_bytes(raw, policy=email.policy.default) for raw in installation.outbox]


def test_minutes_first_then_the_form_in_run(installation):
    installation.deliver(mail(body=MINUTES_FIRST, attachments=[MINUTES], message_id="<m1@slagelse.dk>", received="2025-03-18 09:00:00"))
    installation.cli("run", "--once", now="2025-03-18T09:05:00+01:00")
    replies = _replies(installation)
    assert [r["X-Taskforce-Reply"] for r in replies] == ["missing_items"]
    assert "ansøgningsskema" in replies[0].get_body(("plain",)).get_content().lower()
    [item] = installation.queue()
    assert item["kind"] == "application" and item["status"] == "incomplete"
    assert item["checks"]["application_form"]["status"] == "missing"
    assert item["checks"]["political_backing"]["status"] == "ok"

    installation.deliver(mail(subject="SV: " + replies[0]["Subject"], in_reply_to=replies[0]["Message-ID"],
                              attachments=[("Ansøgningsskema.docx", form_docx(FormSpec(), "table"))],
                              message_id="<m2@slagelse.dk>", received="2025-03-19 09:00:00"))
    installation.cli("run", "--once", now="2025-03-19T09:05:00+01:00")
    replies = _replies(installation)
    assert [r["X-Taskforce-Reply"] for r in replies] == ["missing_items", "receipt"]
    [item] = installation.queue()
    assert item["status"] == "complete" and item["messages"] == 2


def test_a_question_with_a_logo_gets_no_notice_in_run(installation):
    installation.deliver(html_question(signature_png("Slagelse Kommune", width=200, height=60)))
    installation.cli("run", "--once", now="2025-03-20T10:05:00+01:00")
    assert [r["X-Taskforce-Reply"] for r in _replies(installation)] == []
    [item] = installation.queue()
    assert item["kind"] == "inquiry"
