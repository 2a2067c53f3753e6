import datetime as dt

from parsers.message import parse_message
from tests.mails import at, bounce, mail, out_of_office


def test_received_time_is_the_topmost_received_header_not_the_date_header():
    raw = mail(received="2025-03-25 12:00:01", date_header="2025-03-25 11:58:00")
    facts = parse_message(raw)
    assert facts.received_at == at("2025-03-25 12:00:01")
    assert facts.date_header == at("2025-03-25 11:58:00")


def test_danish_attachment_names_and_windows_1252_body():
    raw = mail(body="Venlig hilsen fra Ærø – Søren", charset="cp1252",
               attachments=[("Ansøgningsskema Æbeltoft.docx", b"PK\x03\x04"), ("Referat – Børneudvalget.pdf", b"%PDF-1.4")])
    facts = parse_message(raw)
    assert [a.filename for a in facts.attachments] == ["Ansøgningsskema Æbeltoft.docx", "Referat – Børneudvalget.pdf"]
    assert facts.attachments[1].data == b"%PDF-1.4"
    assert "Ærø" in facts.body and "Søren" in facts.body


def test_robots_are_recognised():
    assert parse_message(out_of_office()).automatic.startswith("Auto-Submitted")
    assert "multipart/report" in parse_message(bounce()).automatic
    assert parse_message(mail(headers={"Precedence": "bulk"})).automatic == "Precedence: bulk"
    assert parse_message(mail(headers={"List-Id": "<nyhedsbrev.kl.dk>"})).automatic
    assert parse_message(mail(subject="Automatisk svar: Ansøgning")).automatic
    assert parse_message(mail()).automatic is None
    assert parse_message(mail(headers={"Auto-Submitted": "no"})).automatic is None


def test_links_in_the_body_are_kept_for_the_evidence():
    facts = parse_message(mail(body="Referatet ligger her: https://dagsordener.slagelse.dk/referat/123 mvh"))
    assert facts.links == ("https://dagsordener.slagelse.dk/referat/123",)


def test_threading_headers():
    facts = parse_message(mail(in_reply_to="<a@x.dk>", references="<z@x.dk> <a@x.dk>"))
    assert facts.in_reply_to == "<a@x.dk>"
    assert facts.references == ("<z@x.dk>", "<a@x.dk>")


def test_a_message_without_received_header_has_no_received_time():
    assert parse_message(mail(received=None, date_header=dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc))).received_at is None
