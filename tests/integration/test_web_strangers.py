"""Answer people, not strangers (issue 11): a mail with attachments from an address that is no
municipality's, carrying neither the form nor minutes, is assessed and queued as "ukendt afsender" but
not answered, and not reminded; the secretariat answers it from its page.  Through the real command
and web server."""
from __future__ import annotations

import re

from tests.conftest import Installation, write_config
from tests.mails import mail
from tests.web import Server, add_user, csrf, login


def kinds(inst: Installation) -> list[str]:
    return [re.search(rb"X-Taskforce-Reply: (\S+)", raw).group(1).decode() for raw in inst.outbox]


def test_a_stranger_is_queued_not_answered_and_the_secretariat_answers(tmp_path):
    inst = Installation(tmp_path, write_config(tmp_path))
    inst.deliver(mail(sender="Sales <sales@quotation-request.example>", subject="Urgent Request for Order Quotation",
                      body="Please see the attached order and quote your best price.", message_id="<spam@quotation-request.example>",
                      attachments=[("PO-2291.pdf", b"%PDF-1.4 not really a purchase order")]))
    inst.cli("run", "--once", now="2025-03-20T10:05:00+01:00")
    assert kinds(inst) == []
    [item] = inst.queue()
    assert item["unknown_sender"] and item["not_answered"] == 1 and item["status"] == "incomplete"
    inst.cli("run", "--once", now="2025-03-22T09:00:00+01:00")  # the first reminder day (3 days before the deadline)
    assert kinds(inst) == []  # not reminded either

    add_user(inst, "sofie", "sagsbehandler")
    server = Server.start(inst, now="2025-03-22T10:00:00+01:00")
    try:
        with server.client() as client:
            login(client, "sofie")
            assert "ukendt afsender" in client.get("/").text
            page = client.get(f"/applications/{item['reference']}").text
            assert "Ikke besvaret: ukendt afsender" in page and "Send svaret nu" in page
            action = re.search(r'action="(/applications/[^/]+/messages/\d+/answer)"', page).group(1)
            assert client.post(action, data={"csrf_token": csrf(page)}).status_code == 303
        assert kinds(inst) == ["missing_items"]
    finally:
        server.stop()


def test_a_consultant_sending_the_form_is_answered(tmp_path):
    from tests.factories.forms import FormSpec, form_docx

    inst = Installation(tmp_path, write_config(tmp_path))
    inst.deliver(mail(sender="Rådgiver <ra@konsulenthuset.example>", message_id="<c@konsulenthuset.example>",
                      attachments=[("skema.docx", form_docx(FormSpec(), "table"))]))
    inst.cli("run", "--once", now="2025-03-20T10:05:00+01:00")
    assert kinds(inst) == ["missing_items"] and not inst.queue()[0]["unknown_sender"]
