"""Minutes read by meaning, wherever they are (issue 9).

* A combined PDF ("samlet ansøgning med bilag": form pages, minutes pages, an org chart page) is split
  into its parts; the form is read from its pages, the minutes from theirs, and the political backing is
  cited at the minutes' own page.
* The Task Force item is found by what its title means, not by one wording.
* The decision is read under every label meeting systems use, in tables too; a committee recommending
  the item to the council has backed it; rejection and postponement outweigh approval words; another
  item's "Udsat" is not the Task Force item's.

Each expected verdict follows from what the document says (the spec), in the layouts of the meeting
systems described in tests/factories/combined.py.
"""
import datetime as dt
import re

import pytest

from bot.assessment import assess
from bot.check import check_message
from bot.engines import read_options
from bot.rules import Dossier, ReceivedDocument
from config.settings import load_settings
from parsers.documents import extract
from parsers.parts import split_parts
from parsers.reading import read_document
from tests.factories.combined import (
    DEFAULT_OTHERS,
    MEETING_LAYOUTS,
    NEUTRAL_SUMMARY,
    Item,
    MeetingSpec,
    application_with_minutes,
    combined_pdf,
    meeting_docx,
    meeting_pdf,
    org_chart_pdf,
)
from tests.factories.forms import FORM_LAYOUTS, FormSpec, form_pdf
from tests.factories.minutes import MINUTES_LAYOUTS, MinutesSpec, minutes_pdf
from tests.factories.scans import scanned_pdf
from tests.mails import mail
from tests.unit.test_rules import BU, NOW, ON_TIME

FORM = FormSpec(political="Ja, sagen blev behandlet i Børne- og Ungeudvalget den 12.02.2025. Referatet er vedlagt.")
MEETING = MeetingSpec()
FORMATS = {"pdf": meeting_pdf, "docx": meeting_docx}


def backing(*readings):
    dossier = Dossier(BU, ON_TIME, tuple(ReceivedDocument(r, ON_TIME) for r in readings))
    return assess(dossier, NOW).check("political_backing")


def pages_of(location: str) -> int:
    match = re.match(r"side (\d+)", location)
    assert match, location
    return int(match.group(1))


def minutes_of(spec: MeetingSpec, layout: str, fmt: str = "pdf"):
    reading = read_document(f"referat.{fmt}", "", FORMATS[fmt](spec, layout))
    assert reading.role == "minutes"
    return reading.minutes


# --------------------------------------------------------------------------- minutes found wherever they are


@pytest.mark.parametrize("form_layout", ["table", "headings"])
@pytest.mark.parametrize("layout", MEETING_LAYOUTS)
def test_combined_pdf_with_approved_minutes(layout, form_layout):
    made = application_with_minutes(FORM, MEETING, layout, form_layout)
    reading = read_document("Samlet ansøgning med bilag.pdf", "application/pdf", made.data)
    assert reading.role == "application_form"
    assert reading.parts == made.parts and [p[0] for p in made.parts] == ["application_form", "minutes", "other"]
    assert reading.form.director_name.value == "Mette Hansen" and reading.form.cvr.value == "29188505"
    m = reading.minutes
    assert (m.kind, m.body, m.meeting_date, m.decision) == ("referat", "Børne- og Ungeudvalget", dt.date(2025, 2, 12), "approved")
    check = backing(reading)
    assert check.status == "ok", check.detail
    _, first, last = made.parts[1]
    assert check.evidence and all(first <= pages_of(e.location) <= last for e in check.evidence)
    assert all(e.file == "Samlet ansøgning med bilag.pdf" for e in check.evidence)
    statuses = {c.name: c.status for c in assess(Dossier(BU, ON_TIME, (ReceivedDocument(reading, ON_TIME),)), NOW).checks}
    assert statuses["application_form"] == "ok" and statuses["director_signature"] == "ok"


@pytest.mark.parametrize("layout", MINUTES_LAYOUTS)
def test_combined_pdf_with_the_older_minutes_layouts(layout):
    """The meeting systems of tests/factories/minutes.py, put after the form without an org chart."""
    made = combined_pdf([("application_form", form_pdf(FormSpec(), "inline")), ("minutes", minutes_pdf(MinutesSpec(), layout))])
    reading = read_document("samlet.pdf", "", made.data)
    assert (reading.role, reading.parts) == ("application_form", made.parts)
    assert reading.minutes.decision == "approved" and reading.minutes.body == "Børne- og Ungeudvalget"
    assert backing(reading).status == "ok"


@pytest.mark.parametrize("layout", ["prepare", "protokol_table", "kb_trail"])
def test_minutes_first_then_the_form(layout):
    made = combined_pdf([("minutes", meeting_pdf(MEETING, layout)), ("application_form", form_pdf(FORM, "table"))])
    reading = read_document("samlet.pdf", "", made.data)
    assert (reading.role, reading.parts) == ("application_form", made.parts)
    assert reading.form.director_name.value == "Mette Hansen"
    assert backing(reading).status == "ok"


@pytest.mark.parametrize("decision", ["Udsat.", "Sagen udsættes til næste møde.", "Punktet blev udsat, idet udvalget ønsker en temadrøftelse først."])
@pytest.mark.parametrize("layout", ["prepare", "edagsorden", "protokol_table", "uddrag"])
def test_combined_pdf_with_postponed_minutes(layout, decision):
    made = application_with_minutes(FORM, MeetingSpec(decision=decision), layout)
    reading = read_document("samlet.pdf", "", made.data)
    assert (reading.role, reading.parts) == ("application_form", made.parts)
    assert reading.minutes.decision == "postponed"
    check = backing(reading)
    assert check.status == "missing" and "udsat" in check.detail
    assert check.remedy


def test_combined_agenda_is_not_minutes():
    made = application_with_minutes(FORM, MeetingSpec(kind="Dagsorden", decision=""), "prepare")
    reading = read_document("samlet.pdf", "", made.data)
    assert reading.parts == made.parts and reading.minutes.kind == "dagsorden"
    check = backing(reading)
    assert check.status == "missing" and "dagsorden" in check.detail


def test_combined_pdf_whose_minutes_page_is_a_scan():
    """The committee secretary printed, signed and scanned the extract: that page is OCR'd, and still
    opens the minutes part and is cited as its own page."""
    made = combined_pdf([("application_form", form_pdf(FORM, "table")), ("minutes", scanned_pdf(meeting_pdf(MEETING, "uddrag")))])
    reading = read_document("samlet.pdf", "", made.data, options=read_options())
    assert (reading.role, reading.parts) == ("application_form", made.parts)
    m = reading.minutes
    assert (m.body, m.meeting_date, m.decision) == ("Børne- og Ungeudvalget", dt.date(2025, 2, 12), "approved")
    assert m.decision_evidence.location == f"side {made.parts[1][1]} (OCR)"


def test_committee_then_council_minutes_in_one_pdf():
    committee = meeting_pdf(MeetingSpec(decision="Anbefales over for Byrådet."), "prepare")
    council = meeting_pdf(MeetingSpec(body="Byrådet", meeting_date=dt.date(2025, 2, 26), decision="Godkendt.",
                                      trail=(("Børne- og Ungeudvalget", "Anbefales."),)), "kb_trail")
    made = combined_pdf([("application_form", form_pdf(FORM, "table")), ("minutes", committee), ("minutes", council)])
    reading = read_document("samlet.pdf", "", made.data)
    assert reading.parts == made.parts
    assert reading.minutes.decision == "approved" and backing(reading).status == "ok"


@pytest.mark.parametrize("layout", FORM_LAYOUTS)
def test_a_form_alone_is_one_part(layout):
    reading = read_document("skema.pdf", "", form_pdf(FORM, layout))
    assert (reading.role, reading.parts, reading.minutes) == ("application_form", (), None)


@pytest.mark.parametrize("layout", MEETING_LAYOUTS + MINUTES_LAYOUTS)
def test_minutes_alone_are_one_part(layout):
    data = meeting_pdf(MEETING, layout) if layout in MEETING_LAYOUTS else minutes_pdf(MinutesSpec(n_items=12), layout)
    reading = read_document("referat.pdf", "", data)
    assert (reading.role, reading.parts) == ("minutes", ())


def test_minutes_with_an_org_chart_are_read_from_the_minutes_pages():
    made = combined_pdf([("minutes", meeting_pdf(MEETING, "ishoej")), ("other", org_chart_pdf())])
    reading = read_document("bilag.pdf", "", made.data)
    assert (reading.role, reading.parts, reading.minutes.decision) == ("minutes", made.parts, "approved")


def test_split_parts_regroups_the_lines_by_page():
    made = application_with_minutes(FORM, MEETING, "netpublicator")
    doc = extract("samlet.pdf", "application/pdf", made.data)
    parts = split_parts(doc)
    assert [(p.role, p.first_page, p.last_page) for p in parts] == list(made.parts)
    assert sum(len(p.text.lines) for p in parts) == len(doc.lines)
    for part in parts:
        assert part.pages == (str(part.first_page) if part.first_page == part.last_page else f"{part.first_page}-{part.last_page}")
        assert all(part.first_page <= pages_of(line.location) <= part.last_page for line in part.text.lines)


def test_a_document_without_pages_is_one_part():
    doc = extract("referat.docx", "", meeting_docx(MEETING, "prepare"))
    [part] = split_parts(doc)
    assert part.role == "minutes" and part.text.lines == doc.lines


def test_check_json_names_the_parts(monkeypatch):
    monkeypatch.delenv("TASKFORCE_INTAKE_CONFIG", raising=False)
    made = application_with_minutes(FORM, MEETING, "prepare")
    raw = mail(attachments=[("Samlet ansøgning med bilag.pdf", made.data)])
    out = check_message(raw, load_settings(), dt.datetime(2025, 3, 20, 10, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    [attachment] = out["attachments"]
    pages = lambda a, b: str(a) if a == b else f"{a}-{b}"  # noqa: E731
    assert attachment["role"] == "application_form"
    assert attachment["parts"] == [{"role": role, "pages": pages(a, b)} for role, a, b in made.parts]
    assert attachment["parts"][1] == {"role": "minutes", "pages": "4-6"}
    assert out["checks"]["political_backing"]["status"] == "ok"
    assert out["checks"]["political_backing"]["body"] == "Børne- og Ungeudvalget"


# --------------------------------------------------------------------------- the Task Force item by meaning

TITLES = [
    "Social- og Boligstyrelsens tilbud om analyse- og udviklingsforløb",
    "Ansøgning om deltagelse i Task Force",
    "Taskforcen på handicapområdet",
    "Ansøgning om forløb med Task Force børn og unge i udsatte positioner",
    "Analyse- og udviklingsforløb i myndighedsarbejdet på børneområdet",
]
DISTRACTORS = (
    Item("Ansøgning om puljemidler til lektiecafé", "Godkendt.", ("Forvaltningen ønsker at søge en statslig pulje.",)),
    Item("Orientering om sagsbehandlingstider på børneområdet", "Taget til efterretning.",
         ("Sagsbehandlingstiderne i myndighedsarbejdet er faldet i 2024.",)),
) + DEFAULT_OTHERS


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
@pytest.mark.parametrize("layout", ["prepare", "edagsorden", "kb_trail", "protokol_table"])
@pytest.mark.parametrize("title", TITLES)
def test_the_task_force_item_by_its_title(title, layout, fmt):
    spec = MeetingSpec(task_force_title=title, summary=NEUTRAL_SUMMARY, decision="Udsat.", others=DISTRACTORS, position=4)
    m = minutes_of(spec, layout, fmt)
    assert title.split()[0] in m.item.snippet and title.split()[-1] in m.item.snippet
    assert m.decision == "postponed"  # its own decision, not the approved lektiecafé application


@pytest.mark.parametrize("layout", ["prepare", "ishoej"])
@pytest.mark.parametrize("title", ["Ansøgning om deltagelse i Task Farce-forløb", "Tilbud om analyse og udviklingsforlob",
                                   "Ansøgning om TaskForce-forløb på børneområdet"])
def test_the_title_as_ocr_or_a_hurried_secretary_writes_it(title, layout):
    m = minutes_of(MeetingSpec(task_force_title=title, summary=NEUTRAL_SUMMARY, others=DISTRACTORS, decision="Tiltrådt."), layout)
    assert title.split()[-1] in m.item.snippet and m.decision == "approved"


@pytest.mark.parametrize("layout", ["prepare", "netpublicator"])
def test_item_numbered_through_the_year(layout):
    m = minutes_of(MeetingSpec(first_number=112, position=5, decision="Godkendt som indstillet."), layout)
    assert m.item.snippet.startswith("116.") and m.decision == "approved"


# --------------------------------------------------------------------------- the decision, by its label

LABELS = [
    ("Beslutning", "Børne- og Ungeudvalget"),
    ("Afgørelse", "Børne- og Ungeudvalget"),
    ("Udvalgets beslutning", "Børne- og Ungeudvalget"),
    ("Beslutning i Børne- og Ungeudvalget den 12-02-2025", "Børne- og Ungeudvalget"),
    ("Beslutning i Børne- og Ungeudvalget den 12. februar 2025:", "Børne- og Ungeudvalget"),
    ("Beslutning Børne- og Ungeudvalget den 12-02-2025", "Børne- og Ungeudvalget"),
    ("Byrådets beslutning", "Byrådet"),
    ("Beslutning i Byrådet den 12-02-2025", "Byrådet"),
]


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
@pytest.mark.parametrize("layout", ["protokol_table", "ishoej", "netpublicator", "uddrag"])
@pytest.mark.parametrize("label, body", LABELS)
def test_each_decision_label(label, body, layout, fmt):
    m = minutes_of(MeetingSpec(body=body, label=label, decision="Godkendt."), layout, fmt)
    assert (m.decision, m.body) == ("approved", body)
    assert m.decision_evidence.snippet == "Godkendt."


WORDINGS = [
    ("Godkendt.", "approved"),
    ("Indstillingen godkendt.", "approved"),
    ("Indstilling godkendt.", "approved"),
    ("Godkendt som indstillet.", "approved"),
    ("Tiltrådt.", "approved"),
    ("Indstillingen tiltrådt.", "approved"),
    ("Anbefales.", "approved"),
    ("Anbefales godkendt.", "approved"),
    ("At 1: Godkendt.", "approved"),
    ("Godkendt. (Ø) stemte imod og ønskede sagen udsat.", "approved"),
    ("Et flertal bestående af A og V godkendte indstillingen. Et mindretal (O) kunne ikke godkende indstillingen.", "approved"),
    ("For stemte: A, V og F (9). Imod stemte: O (2). Indstillingen blev herefter godkendt.", "approved"),
    ("Tiltrådt, idet (O) tog forbehold.", "approved"),
    ("Sagen blev drøftet og udsat til næste møde.", "postponed"),
    ("Ikke godkendt.", "rejected"),
    ("Udvalget kunne ikke anbefale ansøgningen.", "rejected"),
    ("Forslaget blev forkastet med 5 stemmer mod 4.", "rejected"),
    ("Anbefales ikke.", "rejected"),
    ("Indstillingen godkendes ikke.", "rejected"),
    ("Udsat.", "postponed"),
    ("Sagen udsættes til næste møde.", "postponed"),
    ("Punktet blev udsat.", "postponed"),
    ("Udskudt til mødet i marts.", "postponed"),
    ("Godkendt, men udsat til efter budgetforhandlingerne.", "postponed"),
    ("Taget til efterretning.", "none"),
    ("Drøftet.", "none"),
]


@pytest.mark.parametrize("layout", ["prepare", "protokol_table", "edagsorden"])
@pytest.mark.parametrize("wording, decision", WORDINGS)
def test_decision_wordings(wording, decision, layout):
    m = minutes_of(MeetingSpec(decision=wording), layout)
    assert m.decision == decision
    if decision != "none":
        assert m.decision_evidence.snippet in wording


RECOMMENDS = [
    "Anbefales over for Byrådet.",
    "Udvalget indstiller til Byrådet, at kommunen søger om et forløb.",
    "Børne- og Ungeudvalget anbefaler over for Byrådet, at indstillingen godkendes.",
    "At 1: Indstilles til Byrådets godkendelse.",
    "Sagen oversendes til Byrådet med udvalgets anbefaling.",
]


@pytest.mark.parametrize("layout", ["prepare", "netpublicator", "protokol_table"])
@pytest.mark.parametrize("wording", RECOMMENDS)
def test_committee_recommending_to_the_council_is_backing(wording, layout):
    reading = read_document("referat.pdf", "", meeting_pdf(MeetingSpec(decision=wording), layout))
    assert reading.minutes.decision == "approved"
    check = backing(reading)
    assert check.status == "ok" and check.details.body == "Børne- og Ungeudvalget"


@pytest.mark.parametrize("council, expected", [("Godkendt.", "approved"), ("Udsat.", "postponed"), ("", "approved")])
def test_council_item_after_the_committees(council, expected):
    """The council's own decision is the last word; without one, the committees' recommendation stands."""
    trail = (("Børne- og Ungeudvalget", "Anbefales."), ("Økonomiudvalget", "Indstilles godkendt."))
    m = minutes_of(MeetingSpec(body="Byrådet", decision=council, trail=trail), "kb_trail")
    assert (m.body, m.decision) == ("Byrådet", expected)


# --------------------------------------------------------------------------- only the Task Force item's decision

POSTPONED_AROUND = (
    Item("Godkendelse af dagsorden", "Godkendt. Punkt 5 udsættes til næste møde.", ("Dagsordenen forelægges.",)),
    Item("Kvalitetsrapport for dagtilbud 2024", "Udsat.", ("Kvalitetsrapporten forelægges.",)),
    Item("Ændring af åbningstider i SFO", "Sagen blev udsat.", ("Forslaget om nye åbningstider forelægges.",)),
    Item("Takster for dagtilbud 2026", "Udsat til næste møde.", ("Taksterne reguleres årligt.",)),
)


@pytest.mark.parametrize("position", [1, 3, 5])
@pytest.mark.parametrize("layout", MEETING_LAYOUTS)
def test_other_items_postponed_the_task_force_item_approved(layout, position):
    spec = MeetingSpec(others=POSTPONED_AROUND, position=position, decision="Indstillingen godkendt.")
    reading = read_document("referat.pdf", "", meeting_pdf(spec, layout))
    m = reading.minutes
    assert m.decision == "approved" and "Task Force" in m.item.snippet
    assert backing(reading).status == "ok"


@pytest.mark.parametrize("layout", ["prepare", "edagsorden", "ishoej"])
def test_task_force_item_postponed_among_approved_items(layout):
    others = tuple(Item(i.title, "Godkendt.", i.summary) for i in DEFAULT_OTHERS)
    reading = read_document("referat.pdf", "", meeting_pdf(MeetingSpec(others=others, decision="Udsat."), layout))
    assert reading.minutes.decision == "postponed" and backing(reading).status == "missing"
