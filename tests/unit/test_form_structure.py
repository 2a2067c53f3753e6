"""The form read by its structure, on layouts the template factories do not make: the signature block
as several lines (one cell, paragraphs, soft line breaks, "Underskrift: name, title"), signing on the
director's behalf, section 1 as two columns of a PDF exported from Word, and the initial meeting
answered in the paragraphs after the question, with dates as Danes write them.

The documents are written the way municipalities fill in the form (the form's questions from
../shared/forms/, signature blocks as in municipal letters); each verdict follows from the spec."""
from __future__ import annotations

import datetime as dt
import io

import pytest

from bot.assessment import assess
from bot.rules import Dossier, ReceivedDocument
from parsers.reading import read_document
from tests.factories.images import DocMeta, Grid, cell, para, pdf_fonts, render_docx, render_pdf
from tests.unit.test_rules import BU, NOW, ON_TIME

META = DocMeta("Mette Hansen", "Ansøgning Task Force", dt.datetime(2025, 3, 17, 9, 0))
INITIAL_Q = ("Har der været afholdt det indledende møde mellem direktøren på området, dennes ledergruppe og "
             "Task Forcen? I givet fald hvornår?")
POLITICAL_Q = "Har beslutningen om ansøgning været politisk behandlet og i givet fald hvornår?"
MOTIVATION = ("Familieafdelingen behandler ca. 900 sager om udsatte børn og unge. Vi ønsker at styrke de "
              "børnefaglige undersøgelser og opfølgningen på handleplanerne, så børnene får den rette hjælp.")


def _head() -> list:
    return [para("Social- og Boligstyrelsen"), para("Skema til ansøgning om et Task Force forløb", style="title"),
            para("Frist for indsendelse af ansøgning: 25. marts 2025 kl. 12.00")]


def _section_one_table(director: str = "Mette Hansen") -> list:
    return [para("1. Generelle oplysninger", style="h1"),
            Grid((
                (cell("Kommunenavn"), cell("Slagelse Kommune")),
                (cell("CVR nummer"), cell("29 18 85 05")),
                (cell("Navn, telefon og e-mailadresse på den projektansvarlige (direktør)"),
                 cell(director, "Tlf. 58 57 36 00", "meha@slagelse.dk")),
            ), (0.45, 0.55))]


def _section_two(initial: list | None = None) -> list:
    initial = initial if initial is not None else [para("Ja, mødet blev holdt den 14. januar 2025.")]
    return [para("2. Minimumsbetingelser for ansøgningen", style="h1"), para(INITIAL_Q), *initial,
            para(POLITICAL_Q), para("Ja, i Børne- og Ungeudvalget den 3. marts 2025. Referatet er vedlagt.")]


def _rest() -> list:
    return [para("3. Motivation for ansøgningen", style="h1"), para(MOTIVATION),
            para("4. Parathed til deltagelse", style="h1"), para(MOTIVATION)]


def _document(signature: list, fmt: str, director: str = "Mette Hansen", initial: list | None = None) -> bytes:
    blocks = [*_head(), *_section_one_table(director), *_section_two(initial),
              para("Kommunen skal ved direktørunderskrift forpligte sig på, at der vil blive afsat de nødvendige "
                   "ressourcer til at indgå i Task Force forløbet."), *signature, *_rest()]
    return (render_docx if fmt == "docx" else render_pdf)(blocks, META)


def _check(data: bytes, fmt: str, name: str):
    reading = read_document(f"ansøgning.{fmt}", "", data)
    assert reading.role == "application_form"
    result = assess(Dossier(BU, ON_TIME, (ReceivedDocument(reading, ON_TIME),)), NOW)
    return reading.form, result.check(name)


IN_ONE_CELL = [Grid(((cell("Direktørens underskrift"),
                      cell("Slagelse, den 17. marts 2025", "Mette Hansen", "Direktør, Børn og Familie")),), (0.4, 0.6))]
AS_PARAGRAPHS = [para("Direktørens underskrift", style="h2"), para("Slagelse, den 17. marts 2025"),
                 para("Mette Kjær Hansen"), para("Direktør for Børn og Unge")]
SOFT_BREAKS = [para("Direktørens underskrift", style="h2"),
               para("Slagelse, den 17. marts 2025\nMette Hansen\nDirektør, Børn og Familie")]
ON_ONE_LINE = [para("Underskrift: Mette Kjær Hansen, direktør")]
NAME_SLASH_TITLE = [para("Direktørens underskrift"), para("Mette K. Hansen / Direktør for Børn og Unge")]
UNDER_A_RULE = [para("Direktørens underskrift"), para("Dato: 17.03.2025"), para("_______________________________"),
                para("Mette Hansen"), para("Børne- og ungedirektør")]


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
@pytest.mark.parametrize("block", [IN_ONE_CELL, AS_PARAGRAPHS, SOFT_BREAKS, ON_ONE_LINE, NAME_SLASH_TITLE, UNDER_A_RULE],
                         ids=["one-cell", "paragraphs", "soft-breaks", "one-line", "name-slash-title", "under-a-rule"])
def test_a_typed_signature_in_several_lines_is_the_director(block, fmt):
    form, check = _check(_document(block, fmt), fmt, "director_signature")
    assert check.status == "ok", check.detail
    assert check.details.kind == "typed"
    assert form.signature.typed_name.replace("Kjær ", "").replace("K. ", "") == "Mette Hansen"
    cited = check.evidence[0]
    assert "Hansen" in cited.snippet
    assert cited.location.startswith("tabel") if block is IN_ONE_CELL and fmt == "docx" else True
    if fmt == "pdf":
        assert cited.location.startswith("side 1")


def test_the_signers_title_is_reported():
    form, _ = _check(_document(IN_ONE_CELL, "docx"), "docx", "director_signature")
    assert form.signature.title.startswith("Direktør")


ON_BEHALF = {
    "pva-then-signer": [para("Direktørens underskrift"), para("p.v.a. Mette Hansen"), para("Lars Nielsen"), para("Afdelingschef")],
    "pva-one-line": [para("Direktørens underskrift"), para("p.v.a. Mette Hansen / Lars Nielsen, afdelingschef")],
    "pp": [Grid(((cell("Direktørens underskrift"), cell("Slagelse, 17.03.2025", "p.p. Lars Nielsen", "Afdelingschef")),), (0.4, 0.6))],
}


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
@pytest.mark.parametrize("style", ON_BEHALF)
def test_signed_on_behalf_of_the_director_is_review_with_the_signers_name(style, fmt):
    form, check = _check(_document(ON_BEHALF[style], fmt), fmt, "director_signature")
    assert check.status == "review", check.detail
    assert "Lars Nielsen" in check.detail and "på vegne af" in check.detail
    assert form.signature.on_behalf and form.signature.typed_name == "Lars Nielsen"
    cited = check.evidence[0]
    assert cited.file == f"ansøgning.{fmt}" and "Lars Nielsen" in cited.snippet
    assert cited.location.startswith("side 1" if fmt == "pdf" else ("tabel" if style == "pp" else "afsnit"))


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_a_department_head_signing_is_review_not_missing(fmt):
    block = [para("Direktørens underskrift"), para("Slagelse, den 17. marts 2025"), para("Lars Nielsen"),
             para("Afdelingschef, Familieafdelingen")]
    _, check = _check(_document(block, fmt), fmt, "director_signature")
    assert check.status == "review" and "Lars Nielsen" in check.detail
    assert check.evidence[0].snippet == "Lars Nielsen"


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_an_empty_block_is_still_missing(fmt):
    block = [para("Direktørens underskrift"), para("Dato: ____________"), para("_______________________________")]
    _, check = _check(_document(block, fmt), fmt, "director_signature")
    assert check.status == "missing"


# --------------------------------------------------------------------------- a PDF in two columns


def _two_column_pdf(rows: list[tuple[str, list[str]]]) -> bytes:
    """Section 1 as Word exports a borderless table (or tab stops): label left, answer right, no rules."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    fonts = pdf_fonts()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    y = 800

    def line(text: str, x: float = 72, bold: bool = False) -> None:
        nonlocal y
        c.setFont(fonts.bold if bold else fonts.regular, 10)
        c.drawString(x, y, text)

    for text in ("Social- og Boligstyrelsen", "Skema til ansøgning om et Task Force forløb", "1. Generelle oplysninger"):
        line(text, bold=True)
        y -= 18
    for label, answers in rows:
        line(label)
        for k, answer in enumerate(answers):
            line(answer, 250)
            y -= 13
        y -= 6
    for text in ("2. Minimumsbetingelser for ansøgningen", INITIAL_Q[:80], INITIAL_Q[80:],
                 "Ja, det indledende møde blev holdt 3.12.24.", POLITICAL_Q,
                 "Ja, Børne- og Ungeudvalget den 3. marts 2025.", "Direktørens underskrift",
                 "Slagelse, den 17. marts 2025", "Mette Hansen", "Direktør, Børn og Familie",
                 "3. Motivation for ansøgningen", MOTIVATION[:90], MOTIVATION[90:]):
        line(text)
        y -= 15
    c.save()
    return buf.getvalue()


TWO_COLUMNS = [
    [("Kommune", ["Slagelse Kommune"]), ("CVR-nr.", ["29 18 85 05"]),
     ("Direktør", ["Mette Hansen, direktør for Børn og Unge", "tlf. 58 57 36 00", "meha@slagelse.dk"])],
    [("Kommunenavn", ["Slagelse Kommune"]), ("Adresse", ["Rådhuspladsen 11, 4200 Slagelse"]), ("CVR nummer", ["29188505"]),
     ("Projektansvarlig direktør", ["Mette Hansen", "Telefon: 58 57 36 00", "E-mail: meha@slagelse.dk"])],
]


@pytest.mark.parametrize("rows", TWO_COLUMNS, ids=["short-labels", "template-labels"])
def test_section_one_in_two_columns_of_a_pdf(rows):
    data = _two_column_pdf(rows)
    form, check = _check(data, "pdf", "application_form")
    assert check.status == "ok", check.detail
    assert form.director_name.value == "Mette Hansen"
    assert form.cvr.value == "29188505" and form.cvr_valid
    assert form.director_email.value == "meha@slagelse.dk"
    assert form.director_name.evidence.location == "side 1"
    assert form.initial_meeting.date == dt.date(2024, 12, 3)
    assert form.signature.typed_name == "Mette Hansen"


# --------------------------------------------------------------------------- the initial meeting


INITIAL_ANSWERS = {
    "two-paragraphs": ([para("Ja."), para("Mødet blev holdt den 14/1-2025 med direktøren og ledergruppen.")], dt.date(2025, 1, 14)),
    "short-year": ([para("Ja – mødet blev holdt 3.12.24 på rådhuset.")], dt.date(2024, 12, 3)),
    "no-year": ([para("Ja, d. 9. januar med Task Forcen og hele chefgruppen.")], dt.date(2025, 1, 9)),
    "abbreviated-month": ([para("Det indledende møde blev afholdt 9. jan. 2025.")], dt.date(2025, 1, 9)),
    "dashes": ([para("Ja"), para("14-01-2025")], dt.date(2025, 1, 14)),
}


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
@pytest.mark.parametrize("answer", INITIAL_ANSWERS)
def test_the_initial_meeting_answered_in_the_paragraphs_after_the_question(answer, fmt):
    paragraphs, date = INITIAL_ANSWERS[answer]
    form, check = _check(_document(AS_PARAGRAPHS, fmt, initial=paragraphs), fmt, "initial_meeting")
    assert check.status == "ok", check.detail
    assert check.details.date == date
    cited = check.evidence[0]
    assert cited.file == f"ansøgning.{fmt}"
    assert cited.location.startswith("side 1" if fmt == "pdf" else "afsnit")
    assert any(p.parts[0].text in cited.snippet for p in paragraphs)  # the answer, not the question


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
@pytest.mark.parametrize("text", ["Nej, mødet er endnu ikke afholdt.", "Mødet forventes afholdt i april."])
def test_a_meeting_not_yet_held_is_missing(text, fmt):
    _, check = _check(_document(AS_PARAGRAPHS, fmt, initial=[para(text)]), fmt, "initial_meeting")
    assert check.status == "missing"
