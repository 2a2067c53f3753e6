"""The same path on PostgreSQL, the production database: timestamps keep their offsets, unique keys
keep re-runs idempotent, the queue reads the same."""
import email
import email.policy

from sqlalchemy import create_engine, text

from tests.factories.forms import FormSpec, form_docx
from tests.factories.minutes import MinutesSpec, minutes_pdf
from tests.mails import mail


def test_intake_supplement_and_closing_on_postgresql(pg_installation):
    inst = pg_installation
    inst.deliver(mail(attachments=[("skema.docx", form_docx(FormSpec(), "table"))], message_id="<p1@slagelse.dk>",
                      received="2025-03-25 11:59:59"))
    inst.deliver(mail(sender="kalu@odense.dk", attachments=[("skema.docx", form_docx(FormSpec(
        municipality="Odense Kommune", cvr="35209115", director_name="Karsten Lund"), "headings"))], received="2025-03-24 09:00:00"))
    inst.cli("run", "--once", now="2025-03-25T12:00:00+01:00")
    inst.deliver(mail(subject="SV: mangler", attachments=[("referat.pdf", minutes_pdf(MinutesSpec(), "table"))],
                      in_reply_to="<p1@slagelse.dk>", received="2025-03-25 11:59:59"))
    inst.cli("run", "--once", now="2025-03-25T12:00:00+01:00")
    inst.cli("run", "--once", now="2025-03-25T12:00:01+01:00")
    inst.cli("run", "--once", now="2025-03-25T12:05:00+01:00")
    queue = {q["municipality"]: q for q in inst.queue()}
    assert queue["Slagelse Kommune"]["status"] == "complete" and queue["Slagelse Kommune"]["messages"] == 2
    assert queue["Slagelse Kommune"]["received_at"] == "2025-03-25T11:59:59+01:00"
    assert queue["Odense Kommune"]["status"] == "incomplete_at_deadline"
    kinds = sorted(email.message_from_bytes(r, policy=email.policy.default)["X-Taskforce-Reply"] for r in inst.outbox)
    assert kinds == ["closing", "missing_items", "missing_items", "receipt"]
    url = [line for line in inst.config.read_text().splitlines() if line.startswith("url")][0].split('"')[1]
    with create_engine(url).connect() as conn:
        assert conn.execute(text("select data_type from information_schema.columns where table_name='message' and column_name='received_at'")).scalar() == "timestamp with time zone"
        assert conn.execute(text("select count(*) from reply")).scalar() == 4
