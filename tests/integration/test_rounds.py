"""An application followed through supplements, reminders, the deadline and after it (issue 5)."""
import email
import email.policy
import sqlite3

from tests.factories.forms import FormSpec, form_docx, form_pdf
from tests.factories.minutes import MinutesSpec, minutes_docx, minutes_pdf
from tests.mails import mail

SLAGELSE_FORM = ("Ansøgningsskema.docx", form_docx(FormSpec(), "table"))
SLAGELSE_MINUTES = ("Referat BUU.pdf", minutes_pdf(MinutesSpec(), "numbered"))
AARHUS = FormSpec(municipality="Aarhus Kommune", cvr="55133018", director_name="Lone Berg", director_email="lobe@aarhus.dk")
ODENSE = FormSpec(municipality="Odense Kommune", cvr="35209115", director_name="Karsten Lund", director_email="kalu@odense.dk")


def replies(installation) -> list:
    return [email.message_from_bytes(r, policy=email.policy.default) for r in installation.outbox]


def by_reference(installation) -> dict[str, dict]:
    return {q["reference"]: q for q in installation.queue()}


def test_an_application_through_supplements_reminders_closing_and_after(installation):
    inst = installation
    # 1. Slagelse without minutes, then "SV:" with the minutes in the same thread.
    inst.deliver(mail(attachments=[SLAGELSE_FORM], message_id="<s1@slagelse.dk>", received="2025-03-20 10:00:00"))
    inst.cli("run", "--once", now="2025-03-20T10:00:30+01:00")
    inst.deliver(mail(subject="SV: Ansøgningen mangler oplysninger [TFB-2025-0001]", attachments=[SLAGELSE_MINUTES],
                      in_reply_to="<taskforce-intake.missing_items@sbst.dk>", received="2025-03-20 15:00:00"))
    inst.cli("run", "--once", now="2025-03-20T15:00:30+01:00")
    out = replies(inst)
    assert [r["X-Taskforce-Reply"] for r in out] == ["missing_items", "receipt"]
    assert "Vi har nu modtaget: Politisk opbakning (referat)" in out[1].get_content()
    assert "komplet" in out[1]["Subject"]
    queue = by_reference(inst)
    assert queue["TFB-2025-0001"]["status"] == "complete" and queue["TFB-2025-0001"]["messages"] == 2

    # 2. A resend of the whole application, no thread headers: it joins, the history stays.
    inst.deliver(mail(subject="Ansøgning (rettet udgave)", attachments=[SLAGELSE_FORM, SLAGELSE_MINUTES], received="2025-03-21 08:00:00"))
    # 3. Aarhus without minutes; later the minutes from the same domain with no thread headers at all.
    inst.deliver(mail(sender="lobe@aarhus.dk", attachments=[("skema.pdf", form_pdf(AARHUS, "headings"))], received="2025-03-21 09:00:00"))
    inst.cli("run", "--once", now="2025-03-21T09:00:30+01:00")
    inst.deliver(mail(sender="Sekretær <sekr@aarhus.dk>", subject="Referat", body="Hermed referatet.",
                      attachments=[("referat.docx", minutes_docx(MinutesSpec(municipality="Aarhus Kommune"), "table"))],
                      received="2025-03-21 11:00:00"))
    # 4. Odense, unsigned.
    inst.deliver(mail(sender="kalu@odense.dk", attachments=[("skema.docx", form_docx(ODENSE.__class__(**{**ODENSE.__dict__, "signature": "none"}), "inline")),
                                                              ("referat.pdf", minutes_pdf(MinutesSpec(municipality="Odense Kommune"), "econ"))],
                      message_id="<o1@odense.dk>", received="2025-03-21 12:00:00"))
    inst.cli("run", "--once", now="2025-03-21T12:00:30+01:00")
    queue = by_reference(inst)
    assert [(r, q["status"], q["messages"]) for r, q in sorted(queue.items())] == [
        ("TFB-2025-0001", "complete", 3), ("TFB-2025-0002", "complete", 2), ("TFB-2025-0003", "incomplete", 1)]

    # 5. Reminders: 22 March 09:00 to Odense only, once however often the service runs.
    inst.cli("run", "--once", now="2025-03-22T08:59:59+01:00")
    assert [r["X-Taskforce-Reply"] for r in replies(inst)].count("reminder") == 0
    inst.cli("run", "--once", now="2025-03-22T09:00:00+01:00")
    inst.cli("run", "--once", now="2025-03-22T09:30:00+01:00")
    reminders = [r for r in replies(inst) if r["X-Taskforce-Reply"] == "reminder"]
    assert [r["To"] for r in reminders] == ["kalu@odense.dk"]
    assert "Direktørens underskrift" in reminders[0].get_content()
    assert reminders[0]["In-Reply-To"] == "<o1@odense.dk>"

    # 6. The deadline passes: Odense is incomplete at the deadline and gets the closing notice.
    inst.cli("run", "--once", now="2025-03-25T12:00:00+01:00")
    assert by_reference(inst)["TFB-2025-0003"]["status"] == "incomplete"
    inst.cli("run", "--once", now="2025-03-25T12:00:01+01:00")
    inst.cli("run", "--once", now="2025-03-25T12:30:00+01:00")
    queue = by_reference(inst)
    assert queue["TFB-2025-0003"]["status"] == "incomplete_at_deadline"
    assert queue["TFB-2025-0001"]["status"] == "complete"
    closing = [r for r in replies(inst) if r["X-Taskforce-Reply"] == "closing"]
    assert [r["To"] for r in closing] == ["kalu@odense.dk"]

    # 7. A late supplement without a request for information: refused, state unchanged.
    signed = ("skema underskrevet.docx", form_docx(ODENSE, "inline"))
    inst.deliver(mail(sender="kalu@odense.dk", subject="SV: underskrift", attachments=[signed],
                      in_reply_to="<o1@odense.dk>", received="2025-03-25 13:00:00"))
    inst.cli("run", "--once", now="2025-03-25T13:00:30+01:00")
    last = replies(inst)[-1]
    assert last["X-Taskforce-Reply"] == "late" and "indgår derfor ikke" in last.get_content()
    assert by_reference(inst)["TFB-2025-0003"]["status"] == "incomplete_at_deadline"

    # 8. With an open request for information the late supplement is accepted.
    db = sqlite3.connect(inst.root / "intake.db")
    app_id = db.execute("select id from application where reference = 'TFB-2025-0003'").fetchone()[0]
    db.execute("insert into informationrequest (application_id, text, requested_by, open, created_at) values (?, 'Send underskrevet skema', 'sekretariat', 1, '2025-03-26 08:00:00')", (app_id,))
    db.commit()
    inst.deliver(mail(sender="kalu@odense.dk", subject="SV: Anmodning om oplysninger", attachments=[signed],
                      in_reply_to="<o1@odense.dk>", received="2025-03-26 10:00:00"))
    inst.cli("run", "--once", now="2025-03-26T10:00:30+01:00")
    last = replies(inst)[-1]
    assert last["X-Taskforce-Reply"] == "receipt" and "som svar på vores anmodning" in last.get_content()
    queue = by_reference(inst)
    assert queue["TFB-2025-0003"]["status"] == "complete" and queue["TFB-2025-0003"]["messages"] == 3
    kinds = [r["X-Taskforce-Reply"] for r in replies(inst)]
    assert kinds.count("receipt") == 4 and kinds.count("missing_items") == 3


def test_bot_stopped_from_1150_to_1300(installation):
    inst = installation
    inst.cli("run", "--once", now="2025-03-25T11:50:00+01:00")
    inst.deliver(mail(attachments=[SLAGELSE_FORM, SLAGELSE_MINUTES], received="2025-03-25 11:55:00"))
    inst.deliver(mail(sender="lobe@aarhus.dk", attachments=[("skema.pdf", form_pdf(AARHUS, "table"))], received="2025-03-25 11:59:59"))
    inst.deliver(mail(sender="kalu@odense.dk", attachments=[("skema.docx", form_docx(ODENSE, "table"))],
                      received="2025-03-25T11:00:01+00:00"))  # 12:00:01 in Copenhagen, stamped in UTC
    inst.cli("run", "--once", now="2025-03-25T13:00:00+01:00")
    statuses = {q["municipality"]: q["status"] for q in inst.queue()}
    assert statuses == {"Slagelse Kommune": "complete", "Aarhus Kommune": "incomplete_at_deadline", "Odense Kommune": "late"}
    kinds = sorted((r["To"], r["X-Taskforce-Reply"]) for r in replies(inst))
    assert kinds == [("kalu@odense.dk", "late"), ("lobe@aarhus.dk", "closing"), ("lobe@aarhus.dk", "missing_items"),
                     ("meha@slagelse.dk", "receipt")]


def test_missed_reminders_send_only_the_latest_and_none_after_the_deadline(installation):
    inst = installation
    inst.deliver(mail(sender="kalu@odense.dk", attachments=[("skema.docx", form_docx(ODENSE, "table"))], received="2025-03-21 10:00:00"))
    inst.cli("run", "--once", now="2025-03-21T10:00:30+01:00")
    inst.cli("run", "--once", now="2025-03-24T10:00:00+01:00")  # down since the 21st: both moments passed
    inst.cli("run", "--once", now="2025-03-24T11:00:00+01:00")
    assert [r["X-Taskforce-Reply"] for r in replies(inst)] == ["missing_items", "reminder"]


def test_mail_to_a_round_not_open_yet_gets_a_clear_answer(tmp_path):
    from tests.conftest import Installation, write_config

    installation = Installation(tmp_path, write_config(tmp_path, mailbox_extra='answer_from = "2024-12-01T00:00"'))
    installation.deliver(mail(attachments=[SLAGELSE_FORM, SLAGELSE_MINUTES], received="2024-12-30 10:00:00"))
    installation.cli("run", "--once", now="2025-01-02T10:00:00+01:00")
    (reply,) = replies(installation)
    assert reply["X-Taskforce-Reply"] == "not_open" and "åbner" in reply.get_content()


def test_handicap_queue_is_in_arrival_order(installation):
    for sender, spec_kw, when in [
        ("ankr@vejle.dk", dict(municipality="Vejle Kommune", cvr="29189900", director_name="Anders Krog"), "2025-06-02 10:00:00"),
        ("kalu@odense.dk", dict(municipality="Odense Kommune", cvr="35209115", director_name="Karsten Lund"), "2025-06-01 10:00:00"),
    ]:
        spec = FormSpec(programme="handicap", initial_meeting=None, **spec_kw)
        installation.deliver(mail(sender=sender, to="taskforcehandicap@sbst.dk", received=when,
                                  attachments=[("skema.docx", form_docx(spec, "headings")),
                                               ("referat.pdf", minutes_pdf(MinutesSpec(municipality=spec.municipality, programme="handicap"), "table"))]))
    installation.cli("run", "--once", now="2025-06-03T10:00:00+02:00")
    handicap = [q for q in installation.queue() if q["round"] == "handicap"]
    assert [q["municipality"] for q in handicap] == ["Odense Kommune", "Vejle Kommune"]
    assert all(q["status"] == "complete" for q in handicap)
