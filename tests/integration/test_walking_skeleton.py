"""The whole path through the real command: Maildir inbox -> SQLite -> rules -> Danish reply in the outbox."""
import email
import email.policy
import json

import pytest

from tests.factories.forms import FormSpec, form_docx, form_pdf
from tests.factories.minutes import MinutesSpec, minutes_pdf
from tests.mails import mail, out_of_office

FORM = ("Ansøgningsskema Slagelse.docx", form_docx(FormSpec(), "table"))
MINUTES = ("Referat Børne- og Ungeudvalget 30.09.2019.pdf", minutes_pdf(MinutesSpec(), "numbered"))


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def check(installation, tmp_path, raw: bytes) -> dict:
    path = tmp_path / "message.eml"
    path.write_bytes(raw)
    return json.loads(installation.cli("check", str(path), "--json").stdout)


def test_check_complete_application(installation, tmp_path):
    result = check(installation, tmp_path, mail(attachments=[FORM, MINUTES], received="2025-03-25 11:59:59"))
    assert result["complete"] is True and result["reply"] == "receipt"
    assert result["round"] == "boern-unge-2025" and result["kind"] == "application"
    assert result["received_at"] == "2025-03-25T11:59:59+01:00"
    assert result["municipality"] == {"name": "Slagelse Kommune", "cvr": "29188505"}
    assert result["director"]["name"] == "Mette Hansen"
    assert [a["role"] for a in result["attachments"]] == ["application_form", "minutes"]
    assert result["checks"]["director_signature"]["evidence"] == "typed"
    assert result["checks"]["political_backing"]["meeting_date"] == "2019-09-30"
    assert result["checks"]["initial_meeting"]["date"] == "2019-10-04"
    assert all(c["detail"] for c in result["checks"].values())


def test_check_without_minutes(installation, tmp_path):
    result = check(installation, tmp_path, mail(attachments=[FORM]))
    assert result["checks"]["political_backing"]["status"] == "missing"
    assert result["complete"] is False and result["reply"] == "missing_items"


def test_check_one_second_late_by_the_received_header_not_the_date_header(installation, tmp_path):
    raw = mail(attachments=[FORM, MINUTES], received="2025-03-25 12:00:01", date_header="2025-03-25 11:30:00")
    result = check(installation, tmp_path, raw)
    assert result["checks"]["deadline"]["status"] == "late" and result["reply"] == "late"


def test_check_automatic_message(installation, tmp_path):
    result = check(installation, tmp_path, out_of_office())
    assert result["kind"] == "automatic" and result["reply"] == "none"


def test_run_once_twice_replies_exactly_once_and_never_to_robots(installation):
    installation.deliver(mail(attachments=[FORM, MINUTES], message_id="<app1@slagelse.dk>", received="2025-03-20 10:00:00"))
    installation.deliver(mail(sender="Lone Berg <lobe@aarhus.dk>", attachments=[("skema.pdf", form_pdf(FormSpec(
        municipality="Aarhus Kommune", cvr="55133018", director_name="Lone Berg", director_email="lobe@aarhus.dk"), "headings"))],
        message_id="<app2@aarhus.dk>", received="2025-03-20 11:00:00"))
    installation.deliver(out_of_office())
    installation.cli("run", "--once", now="2025-03-20T12:00:00+01:00")
    installation.cli("run", "--once", now="2025-03-20T12:05:00+01:00")
    replies = [parse(r) for r in installation.outbox]
    assert sorted(r["X-Taskforce-Reply"] for r in replies) == ["missing_items", "receipt"]
    assert {r["To"] for r in replies} == {"meha@slagelse.dk", "lobe@aarhus.dk"}
    receipt = next(r for r in replies if r["X-Taskforce-Reply"] == "receipt")
    assert receipt["In-Reply-To"] == "<app1@slagelse.dk>" and "<app1@slagelse.dk>" in receipt["References"]
    assert receipt["Auto-Submitted"] == "auto-replied" and receipt["From"] == "taskforce@sbst.dk"
    assert "[TFB-2025-0001]" in receipt["Subject"]
    notice = next(r for r in replies if r["X-Taskforce-Reply"] == "missing_items").get_content()
    assert "Politisk opbakning" in notice and "Vi mangler" in notice and "skema.pdf" in notice
    assert "20.03.2025 kl. 11:00:00" in notice
    queue = installation.queue()
    assert [(q["reference"], q["status"]) for q in queue] == [("TFB-2025-0001", "complete"), ("TFB-2025-0002", "incomplete")]


def test_supplement_in_the_same_thread_completes_the_application(installation):
    installation.deliver(mail(attachments=[FORM], message_id="<first@slagelse.dk>", received="2025-03-20 10:00:00"))
    installation.cli("run", "--once", now="2025-03-20T10:01:00+01:00")
    installation.deliver(mail(subject="SV: Ansøgning om Task Force-forløb", attachments=[MINUTES],
                              in_reply_to="<first@slagelse.dk>", received="2025-03-21 09:00:00"))
    installation.cli("run", "--once", now="2025-03-21T09:01:00+01:00")
    replies = [parse(r)["X-Taskforce-Reply"] for r in installation.outbox]
    assert replies == ["missing_items", "receipt"]
    (item,) = installation.queue()
    assert item["status"] == "complete" and item["messages"] == 2


def test_mail_from_before_answer_from_is_queued_not_answered(tmp_path):
    from tests.conftest import Installation, write_config

    inst = Installation(tmp_path, write_config(tmp_path, mailbox_extra=""))  # default: the first start
    inst.deliver(mail(attachments=[FORM, MINUTES], received="2025-03-20 10:00:00"))
    inst.cli("run", "--once", now="2025-03-24T08:00:00+01:00")
    assert inst.outbox == []
    (item,) = inst.queue()
    assert item["status"] == "complete" and item["not_answered"] == 1


def test_bad_config_names_file_and_key(tmp_path):
    from tests.conftest import Installation

    bad = tmp_path / "bad.toml"
    bad.write_text('[mailbox]\nkind = "pop3"\n', encoding="utf-8")
    result = Installation(tmp_path, bad).cli("queue", "--json", check=False)
    assert result.returncode == 2
    assert "bad.toml" in result.stderr and "[mailbox] kind" in result.stderr


@pytest.mark.parametrize("garbage", [b"", b"\x00\x01\x02 not a mail", b"From: x\n\n" + b"A" * 10])
def test_garbage_is_stored_and_never_crashes_the_run(installation, garbage):
    installation.deliver(garbage)
    installation.deliver(mail(attachments=[FORM, MINUTES]))
    installation.cli("run", "--once", now="2025-03-20T12:00:00+01:00")
    assert [parse(r)["X-Taskforce-Reply"] for r in installation.outbox] == ["receipt"]
