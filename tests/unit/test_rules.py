"""Each criterion's ok / missing / review paths, on generated documents, with `now` as an input."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.assessment import assess
from bot.rules import Dossier, ReceivedDocument
from bot.rules.director_signature import same_person
from config.settings import Round
from parsers.message import parse_message
from parsers.reading import read_document
from tests.factories.forms import FormSpec, form_docx, form_pdf
from tests.factories.minutes import MinutesSpec, minutes_docx, minutes_pdf
from tests.mails import mail

CPH = ZoneInfo("Europe/Copenhagen")
BU = Round("boern-unge-2025", "boern-unge", "taskforce@sbst.dk", "TFB-2025",
           dt.datetime(2025, 1, 1, tzinfo=CPH), dt.datetime(2025, 3, 25, 12, 0, tzinfo=CPH))
HANDICAP = Round("handicap", "handicap", "taskforcehandicap@sbst.dk", "TFH", dt.datetime(2024, 1, 1, tzinfo=CPH), None)
ON_TIME = dt.datetime(2025, 3, 20, 10, 0, tzinfo=CPH)
NOW = dt.datetime(2025, 3, 20, 10, 1, tzinfo=CPH)


def dossier(*docs: tuple[str, bytes], round_=BU, received=ON_TIME, body: str = "") -> Dossier:
    readings = tuple(ReceivedDocument(read_document(name, "", data), received) for name, data in docs)
    messages = (parse_message(mail(body=body)),) if body else ()
    return Dossier(round_, received, readings, messages)


def form(spec=FormSpec(), layout="table", fmt="docx"):
    return (f"skema.{fmt}", (form_docx if fmt == "docx" else form_pdf)(spec, layout))


def minutes(spec=MinutesSpec(), layout="numbered", fmt="pdf"):
    return (f"referat.{fmt}", (minutes_pdf if fmt == "pdf" else minutes_docx)(spec, layout))


def statuses(d: Dossier) -> dict[str, str]:
    return {c.name: c.status for c in assess(d, NOW).checks}


@pytest.mark.parametrize("layout", ["table", "headings"])
@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_complete_application(layout, fmt):
    result = assess(dossier(form(FormSpec(), layout, fmt), minutes(MinutesSpec(), "table", fmt)), NOW)
    assert {c.name: c.status for c in result.checks} == {
        "deadline": "ok", "application_form": "ok", "director_signature": "ok",
        "political_backing": "ok", "initial_meeting": "ok",
    }
    assert result.complete and result.reply == "receipt"
    backing = result.check("political_backing")
    assert backing.details.body == "Børne- og Ungeudvalget" and backing.details.meeting_date == dt.date(2019, 9, 30)
    assert "referat.%s" % fmt in backing.detail


@pytest.mark.parametrize("layout", ["table", "headings"])
@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_everything_missing_is_listed_at_once(layout, fmt):
    result = assess(dossier(form(FormSpec(signature="none", initial_meeting=None), layout, fmt)), NOW)
    assert [c.name for c in result.missing] == ["director_signature", "political_backing", "initial_meeting"]
    assert result.reply == "missing_items" and not result.complete
    assert all(c.remedy for c in result.missing)


def test_no_form_at_all():
    s = statuses(dossier(minutes()))
    assert s["application_form"] == "missing" and s["director_signature"] == "missing" and s["political_backing"] == "ok"


def test_unreadable_form_is_named():
    result = assess(dossier(("skema.pdf", b"%PDF-1.4 broken")), NOW)
    assert result.check("application_form").status == "missing"
    assert "skema.pdf" in result.check("application_form").detail


def test_invalid_cvr_is_review():
    assert statuses(dossier(form(FormSpec(cvr="29188506")), minutes()))["application_form"] == "review"


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_signature_image_typed_and_other_name(fmt):
    image = assess(dossier(form(FormSpec(signature="image"), "headings", fmt), minutes()), NOW).check("director_signature")
    assert (image.status, image.details.kind) == ("ok", "image")
    typed = assess(dossier(form(FormSpec(signature="typed"), "table", fmt), minutes()), NOW).check("director_signature")
    assert (typed.status, typed.details.kind) == ("ok", "typed")
    other = assess(dossier(form(FormSpec(signer_name="Poul Poulsen"), "table", fmt), minutes()), NOW).check("director_signature")
    assert other.status == "review" and "Poul Poulsen" in other.detail and "Mette Hansen" in other.detail


def test_names_with_and_without_middle_name_are_the_same_person():
    assert same_person("Mette K. Hansen", "mette hansen")
    assert not same_person("Mette Hansen", "Poul Hansen")


@pytest.mark.parametrize(
    "spec, status",
    [
        (MinutesSpec(kind="dagsorden", decision="none"), "missing"),
        (MinutesSpec(decision="postponed"), "missing"),
        (MinutesSpec(decision="rejected"), "missing"),
        (MinutesSpec(decision="none"), "review"),
    ],
)
def test_political_backing_that_is_not_backing(spec, status):
    check = assess(dossier(form(), minutes(spec, "firstagenda")), NOW).check("political_backing")
    assert check.status == status
    assert check.detail


def test_a_link_is_not_minutes():
    check = assess(dossier(form(), body="Referatet kan ses på https://slagelse.dk/dagsorden/buu/2019-09-30"), NOW).check("political_backing")
    assert check.status == "missing" and "https://slagelse.dk/dagsorden/buu/2019-09-30" in check.detail


def test_initial_meeting_after_the_application_is_review():
    spec = FormSpec(initial_meeting="Ja, mødet holdes d. 2. april 2025.")
    check = assess(dossier(form(spec), minutes()), NOW).check("initial_meeting")
    assert check.status == "review"


def test_initial_meeting_without_date_is_review():
    check = assess(dossier(form(FormSpec(initial_meeting="Ja, det er afholdt.")), minutes()), NOW).check("initial_meeting")
    assert check.status == "review"


@pytest.mark.parametrize(
    "received, status",
    [((11, 59, 59), "ok"), ((12, 0, 0), "ok"), ((12, 0, 1), "late")],
)
def test_deadline_second(received, status):
    when = dt.datetime(2025, 3, 25, *received, tzinfo=CPH)
    result = assess(dossier(form(), minutes(), received=when), NOW)
    assert result.check("deadline").status == status
    assert result.reply == ("late" if status == "late" else "receipt")


def test_deadline_ignores_now_and_reads_any_offset():
    utc = dt.datetime(2025, 3, 25, 11, 0, 1, tzinfo=dt.timezone.utc)  # 12:00:01 in Copenhagen
    assert assess(dossier(form(), minutes(), received=utc), NOW).check("deadline").status == "late"
    far_future = dt.datetime(2030, 1, 1, tzinfo=CPH)
    assert assess(dossier(form(), minutes()), far_future).check("deadline").status == "ok"


def test_handicap_needs_no_initial_meeting_and_has_no_deadline():
    late_in_year = dt.datetime(2025, 12, 30, 15, 0, tzinfo=CPH)
    result = assess(dossier(form(FormSpec(programme="handicap", initial_meeting=None)), minutes(MinutesSpec(programme="handicap")),
                            round_=HANDICAP, received=late_in_year), NOW)
    assert result.check("initial_meeting").status == "not_required"
    assert result.check("deadline").status == "ok"
    assert result.complete and result.reply == "receipt"


def test_routing_by_address_alias_and_opening_time():
    from bot.routing import route

    old = Round("boern-unge-2019", "boern-unge", "taskforce@sbst.dk", "TFB-2019", dt.datetime(2019, 1, 1, tzinfo=CPH),
                dt.datetime(2019, 10, 15, 12, tzinfo=CPH), aliases=("taskforce@socialstyrelsen.dk",))
    new = Round("boern-unge-2025", "boern-unge", "taskforce@sbst.dk", "TFB-2025", dt.datetime(2025, 1, 1, tzinfo=CPH),
                dt.datetime(2025, 3, 25, 12, tzinfo=CPH), aliases=("taskforce@socialstyrelsen.dk",))
    rounds = (old, new, HANDICAP)
    assert route(rounds, ("taskforce@sbst.dk",), ON_TIME).round is new
    assert route(rounds, ("taskforce@socialstyrelsen.dk",), ON_TIME).round is new
    assert route(rounds, ("x@y.dk", "taskforcehandicap@sbst.dk"), ON_TIME).round is HANDICAP
    assert route(rounds, ("taskforce@sbst.dk",), dt.datetime(2019, 5, 1, tzinfo=CPH)).round is old
    assert route(rounds, ("someone@else.dk",), ON_TIME).round is None
    early = route((new,), ("taskforce@sbst.dk",), dt.datetime(2024, 12, 1, tzinfo=CPH))
    assert early.round is new and not early.open
