"""The decision core (bot/decision.py) from inputs built directly: typed readings, the application's
standing, a round and `now`; no document is read and no database is opened.  Each expected outcome is
the domain's rule (DOMAIN.md: the noon deadline by the server's clock, a supplement after it refused
unless information was requested, one notice listing everything missing, mail from before
`answer_from` queued for the secretariat)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.decision import Incoming, Standing, decide, opens_attachments, screen
from bot.routing import Routing
from bot.rules import ReceivedDocument
from config.settings import Round
from parsers.form import Answer, Field, FormFacts, SignatureBlock
from parsers.minutes import MinutesFacts
from parsers.reading import DocumentReading
from parsers.text import DocumentText, Evidence

CPH = ZoneInfo("Europe/Copenhagen")
DEADLINE = dt.datetime(2025, 3, 25, 12, 0, tzinfo=CPH)
ROUND = Round("boern-unge-2025", "boern-unge", "taskforce@sbst.dk", "TFB-2025", dt.datetime(2025, 1, 1, tzinfo=CPH), DEADLINE)
ON_TIME = dt.datetime(2025, 3, 20, 10, 0, tzinfo=CPH)
LATE = DEADLINE + dt.timedelta(seconds=1)
LONG_AGO = dt.datetime(2025, 1, 1, tzinfo=CPH)


def _ev(file: str, snippet: str) -> Evidence:
    return Evidence(file, "tabel 1, række 2, celle 2", snippet)


def form_reading(signed: bool = True, meeting: bool = True) -> DocumentReading:
    name = "skema.docx"
    block = SignatureBlock(True, False, "Mette Hansen", _ev(name, "Mette Hansen"), title="direktør") if signed \
        else SignatureBlock(False, False, None, None)
    form = FormFacts(
        filename=name, score=8,
        municipality=Field("Aarhus Kommune", _ev(name, "Aarhus Kommune")), cvr=Field("55133018", _ev(name, "55133018")), cvr_valid=True,
        director_name=Field("Mette Hansen", _ev(name, "Mette Hansen")),
        initial_meeting=Answer("Ja, 14. januar 2025", True, dt.date(2025, 1, 14), _ev(name, "Ja, 14. januar 2025")) if meeting else None,
        signature=block,
    )
    return DocumentReading(name, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "a" * 64,
                           "application_form", DocumentText(name, "docx"), form=form)


def minutes_reading(decision: str = "approved") -> DocumentReading:
    name = "referat.pdf"
    minutes = MinutesFacts(name, "referat", "Børne- og Ungeudvalget", dt.date(2025, 2, 10), _ev(name, "Punkt 4: Ansøgning om Task Force"),
                           decision, _ev(name, "Godkendt."))  # type: ignore[arg-type]
    return DocumentReading(name, "application/pdf", "b" * 64, "minutes", DocumentText(name, "pdf"), minutes=minutes)


def new_application(**kw: object) -> Standing:
    values: dict[str, object] = dict(created=True, kind="application", closed=False, information_requested=False, previous={}, earlier=())
    values.update(kw)
    return Standing(**values)  # type: ignore[arg-type]


def joined(*earlier: DocumentReading, previous: dict[str, str] | None = None, **kw: object) -> Standing:
    values: dict[str, object] = dict(created=False, kind="application", closed=False, information_requested=False,
                                     previous=previous or {}, earlier=tuple(ReceivedDocument(r, ON_TIME) for r in earlier),
                                     first_received=ON_TIME)
    values.update(kw)
    return Standing(**values)  # type: ignore[arg-type]


def run(incoming: Incoming, standing: Standing, round_open: bool = True, answer_from: dt.datetime = LONG_AGO, force: bool = False):
    return decide(incoming, standing, ROUND, round_open, answer_from, incoming.received_at + dt.timedelta(seconds=1), force=force)


def test_complete_application_gets_a_receipt():
    outcome = run(Incoming(ON_TIME, (form_reading(), minutes_reading())), new_application())
    assert outcome.kind == "application" and outcome.status == "complete"
    assert outcome.notice is not None and (outcome.notice.kind, outcome.notice.template) == ("receipt", "receipt")
    assert [f.filename for f in outcome.notice.files] == ["skema.docx", "referat.pdf"]


def test_one_notice_lists_everything_missing():
    outcome = run(Incoming(ON_TIME, (form_reading(signed=False, meeting=False),)), new_application())
    assert outcome.notice is not None and outcome.notice.kind == "missing_items"
    missing = {c.name for c in outcome.assessment.missing}
    assert missing == {"director_signature", "political_backing", "initial_meeting"}
    assert outcome.status == "incomplete"


def test_supplement_completes_from_the_stored_readings_and_names_what_changed():
    previous = {"deadline": "ok", "application_form": "ok", "director_signature": "ok", "political_backing": "missing", "initial_meeting": "ok"}
    outcome = run(Incoming(ON_TIME + dt.timedelta(days=1), (minutes_reading(),)), joined(form_reading(), previous=previous))
    assert outcome.kind == "supplement" and outcome.status == "complete"
    assert outcome.notice is not None and (outcome.notice.kind, outcome.notice.template) == ("receipt", "supplement_received")
    assert outcome.notice.changes == ("Politisk opbakning (referat)",)


def test_rejected_minutes_are_missing_not_complete():
    outcome = run(Incoming(ON_TIME, (form_reading(), minutes_reading("rejected"))), new_application())
    assert outcome.status == "incomplete"
    assert outcome.assessment.check("political_backing").status == "missing"


def test_noon_is_on_time_and_one_second_later_is_late():
    at_noon = run(Incoming(DEADLINE, (form_reading(), minutes_reading())), new_application())
    assert at_noon.status == "complete"
    late = run(Incoming(LATE, (form_reading(), minutes_reading())), new_application())
    assert late.status == "late" and late.notice is not None and late.notice.kind == "late"


def test_supplement_after_the_deadline_is_refused_unopened():
    assert not opens_attachments(True, ROUND, LATE, joins_application=True, information_requested=False)
    outcome = run(Incoming(LATE, (), opened=False), joined(form_reading()))
    assert (outcome.kind, outcome.late) == ("supplement", "refused")
    assert outcome.assessment is None and outcome.status is None  # the application is judged as it was
    assert outcome.notice is not None and (outcome.notice.kind, outcome.notice.template) == ("late", "late_supplement")


def test_supplement_after_the_deadline_is_accepted_when_information_was_requested():
    assert opens_attachments(True, ROUND, LATE, joins_application=True, information_requested=True)
    outcome = run(Incoming(LATE, (minutes_reading(),)), joined(form_reading(), information_requested=True))
    assert outcome.late == "accepted" and outcome.status == "complete"
    assert outcome.notice is not None and outcome.notice.accepted_late


def test_mail_without_documents_is_an_inquiry_and_gets_no_notice():
    outcome = run(Incoming(ON_TIME, ()), new_application(kind="inquiry"))
    assert (outcome.kind, outcome.status, outcome.notice, outcome.no_reply) == ("inquiry", "inquiry", None, "not_needed")


def test_mail_before_answer_from_waits_for_the_secretariat_unless_forced():
    incoming = Incoming(ON_TIME, (form_reading(), minutes_reading()))
    waiting = run(incoming, new_application(), answer_from=ON_TIME + dt.timedelta(hours=1))
    assert waiting.notice is None and waiting.no_reply == "before_answer_from" and waiting.status == "complete"
    sent = run(incoming, new_application(), answer_from=ON_TIME + dt.timedelta(hours=1), force=True)
    assert sent.notice is not None and sent.notice.kind == "receipt"


def test_round_not_open_answers_only_that():
    outcome = run(Incoming(ON_TIME, (form_reading(),)), new_application(), round_open=False)
    assert outcome.notice is not None and outcome.notice.kind == "not_open"


def test_a_closed_application_keeps_its_final_state_unless_now_complete():
    closed = joined(form_reading(signed=False), closed=True)
    still = run(Incoming(ON_TIME, (form_reading(signed=False),)), closed)
    assert still.status is None
    done = run(Incoming(ON_TIME, (minutes_reading(),)), joined(form_reading(), closed=True))
    assert done.status == "complete"


@pytest.mark.parametrize("automatic,own,has_round,kind", [
    ("Auto-Submitted: auto-replied", None, True, "automatic"),
    (None, "afsender er vores egen adresse", True, "automatic"),
    (None, None, False, "unrouted"),
])
def test_screen_settles_robots_and_unrouted_from_the_envelope(automatic, own, has_round, kind):
    class Facts:  # only the envelope is looked at: no attachment is opened
        pass

    facts = Facts()
    facts.automatic = automatic  # type: ignore[attr-defined]
    routing = Routing(ROUND if has_round else None, True)
    outcome = screen(facts, own, routing)  # type: ignore[arg-type]
    assert outcome is not None and outcome.kind == kind and outcome.notice is None
    assert outcome.reason == (automatic or own or "")


def test_screen_lets_a_municipality_through():
    class Facts:
        automatic = None

    assert screen(Facts(), None, Routing(ROUND, True)) is None  # type: ignore[arg-type]


def other_reading(name: str = "tilbud.pdf") -> DocumentReading:
    return DocumentReading(name, "application/pdf", "c" * 64, "other", DocumentText(name, "pdf"))


# Answer people, not strangers (issue 11): anyone can write to the round's address and spam forges its
# From, so only a municipality's address, a mail joining an application, or a mail carrying the form or
# minutes is answered automatically; anything else waits for the secretariat as "ukendt afsender".

def test_a_stranger_with_an_unrecognised_attachment_is_not_answered_but_assessed():
    outcome = run(Incoming(ON_TIME, (other_reading(),), sender_known=False), new_application())
    assert outcome.notice is None and outcome.no_reply == "unknown_sender"
    assert outcome.assessment is not None and outcome.status == "incomplete"  # in the queue, judged like any other


@pytest.mark.parametrize("incoming, standing", [
    (Incoming(ON_TIME, (other_reading(),), sender_known=True), new_application()),  # a municipality's address
    (Incoming(ON_TIME, (form_reading(),), sender_known=False), new_application()),  # the form, from a consultant's address
    (Incoming(ON_TIME, (minutes_reading(),), sender_known=False), new_application()),  # the minutes
    (Incoming(ON_TIME, (other_reading(),), sender_known=False), joined(form_reading())),  # joins an application
], ids=["municipal-domain", "form", "minutes", "joins-application"])
def test_a_known_sender_or_a_recognised_document_is_answered(incoming, standing):
    outcome = run(incoming, standing)
    assert outcome.notice is not None and outcome.no_reply == ""


def test_a_stranger_writing_to_a_closed_round_gets_no_not_open_notice():
    outcome = run(Incoming(ON_TIME, (), sender_known=False), new_application(kind="inquiry"), round_open=False)
    assert outcome.notice is None and outcome.no_reply == "unknown_sender"


def test_the_secretariat_can_answer_a_stranger():
    outcome = run(Incoming(ON_TIME, (other_reading(),), sender_known=False), new_application(), force=True)
    assert outcome.notice is not None and outcome.notice.kind == "missing_items"

