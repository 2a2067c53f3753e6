"""What check --json and the queue show beyond the contract: the municipality preferred from the form
over the sender's domain (a mismatch reported), and the free-text sections 3-7 with their length."""
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


def test_free_text_sections_are_in_the_application_form_check():

    from bot.assessment import assess
    from bot.rules import Dossier, ReceivedDocument
    from tests.unit.test_rules import BU, NOW, ON_TIME

    data = form_docx(FormSpec(sections={5: ""}), "headings")
    reading = read_attachments(parse_message(mail(attachments=[("skema.docx", data)])).attachments)[0]
    check = assess(Dossier(BU, ON_TIME, (ReceivedDocument(reading, ON_TIME),)), NOW).check("application_form").to_json()
    by_number = {s["number"]: s for s in check["sections"]}
    assert sorted(by_number) == [3, 4, 5, 6, 7]
    assert by_number[5]["answered"] is False and by_number[5]["length"] < 40
    assert by_number[3]["answered"] is True and by_number[3]["length"] > 100
