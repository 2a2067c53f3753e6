"""The municipality from the form is preferred over the sender's domain; a mismatch is reported."""
from bot.check import municipality_json, municipality_source_json
from parsers.message import parse_message
from parsers.municipalities import sender_mismatch
from parsers.reading import read_attachments
from tests.factories.forms import FormSpec, form_docx
from tests.mails import mail

AARHUS = form_docx(FormSpec(municipality="Aarhus Kommune", cvr="55133018", director_name="Jens Peter Holm",
                            director_email="jph@aarhus.dk"), "inline")


def municipality(sender: str, attachments) -> dict:
    facts = parse_message(mail(sender=sender, attachments=attachments))
    readings = read_attachments(facts.attachments)
    return {**municipality_json(facts, readings), **municipality_source_json(facts, readings)}


def test_form_wins_and_a_foreign_sender_domain_is_reported():
    out = municipality("Konsulent <kons@slagelse.dk>", [("skema.docx", AARHUS)])
    assert (out["name"], out["cvr"], out["source"]) == ("Aarhus Kommune", "55133018", "form")
    assert out["sender_domain"]["name"] == "Slagelse Kommune"
    assert "Aarhus Kommune" in out["mismatch"] and "Slagelse Kommune" in out["mismatch"]


def test_same_municipality_is_no_mismatch():
    out = municipality("Jens Peter Holm <jph@aarhus.dk>", [("skema.docx", AARHUS)])
    assert out["mismatch"] is None and out["source"] == "form"


def test_without_a_form_the_sender_domain_is_used():
    out = municipality("Mette Hansen <meha@slagelse.dk>", [])
    assert (out["name"], out["source"], out["mismatch"]) == ("Slagelse Kommune", "sender_domain", None)


def test_sender_mismatch_helper():
    assert sender_mismatch("55133018", "slagelse.dk").name == "Slagelse Kommune"
    assert sender_mismatch("55133018", "aarhus.dk") is None
    assert sender_mismatch("55133018", "gmail.com") is None
