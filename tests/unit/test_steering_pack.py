"""The steering-group pack (triage/pack.py) is a PDF whose text reads back: a cover table with each
complete application's reference, scores and total, then one page per application with its checks,
evidence, overrides, the scores' notes and the decision; Danish letters intact, mail text never taken
as markup, and the page count 1 + the applications however long their notes.  Text is extracted with
pypdfium2 (PDFium), the library the readers use."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest

from bot.steering import CRITERION_NAMES, Criterion, Evidence, Pack, PackApplication, PackCheck, PackScore
from triage.pack import latin1, render

TZ = ZoneInfo("Europe/Copenhagen")
NOW = dt.datetime(2025, 3, 31, 8, 0, tzinfo=dt.timezone.utc)
TOWNS = ("Ærø Kommune", "Faaborg-Midtfyn Kommune", "Høje-Taastrup Kommune")


def application(n: int, values: tuple[int | None, ...], note_words: int = 8) -> PackApplication:
    town = TOWNS[n - 1]
    checks = (
        PackCheck("deadline", "ok", "ok", f"Modtaget {n}. marts før fristen kl. 12.00."),
        PackCheck("director_signature", "ok", "ok", "Digital signatur på skemaet.",
                  evidence=(Evidence(f"ansøgning-{n}.pdf", "side 3", f"Underskrevet af direktør Søren Ågård {n}"),)),
        PackCheck("political_backing", "ok", "review", "Referatet nævner ansøgningen.",
                  evidence=(Evidence(f"referat-{n}.pdf", "punkt 4", "Børne- og Ungeudvalget godkendte <b>ansøgningen</b> & sendte den"),),
                  override=f"Beslutningen står i punkt 4 — sara{n}"),
        PackCheck("initial_meeting", "not_required", "not_required", "Anbefales.", required=False),
    )
    scores = tuple(PackScore(c, v, " ".join([f"Note-{n}-{c.value} om kommunens sagsbehandling, æøå ÆØÅ."] * note_words), "sara")
                   if v is not None else PackScore(c, None) for c, v in zip(Criterion, values))
    return PackApplication(f"TFB-2025-{n:04d}", town, "29188505", NOW - dt.timedelta(days=10 - n), "complete", n == 2, checks, scores,
                           decision="approved" if n == 1 else "", decision_comment="Første forløb i regionen" if n == 1 else "")


APPS = (application(1, (5, 4, 3, 5, 4)), application(2, (2, 3, None, 1, 2)), application(3, (None,) * 5))


def pages(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    try:
        found = []
        for page in doc:
            text = page.get_textpage()
            found.append(text.get_text_range())
            text.close()
            page.close()
        return found
    finally:
        doc.close()


def words(text: str) -> str:
    """The page's text with line breaks as spaces (a table cell wraps where it likes)."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def text() -> list[str]:
    return pages(render(Pack("boern-unge-2025", "Task Force børn og unge 2025", NOW, TZ, APPS, not_complete=4)))


def test_one_cover_page_and_one_page_per_application(text):
    assert len(text) == 1 + len(APPS)
    for app, page in zip(APPS, text[1:]):
        assert words(page).startswith(f"{app.reference} · {app.municipality}")


def test_the_cover_lists_each_reference_its_scores_and_total(text):
    cover = words(text[0])
    assert "Styregruppen: Task Force børn og unge 2025" in cover
    assert "TFB-2025-0001 Ærø Kommune 22.03.2025 09:00 Komplet 5 4 3 5 4 21" in cover
    assert "TFB-2025-0002 Faaborg-Midtfyn Kommune 23.03.2025 09:00 Komplet (overstyret) 2 3 – 1 2 8 (4/5)" in cover
    assert "TFB-2025-0003 Høje-Taastrup Kommune 24.03.2025 09:00 Komplet – – – – – 0 (0/5)" in cover
    assert "4 ansøgninger, der ikke er komplette" in cover
    for criterion in Criterion:
        assert CRITERION_NAMES[criterion] in cover  # the legend names the guideline's criteria


def test_each_application_page_has_its_checks_evidence_and_notes(text):
    for app, page in zip(APPS, text[1:]):
        page = words(page)
        for check in ("Rettidig modtagelse", "Direktørens underskrift", "Politisk opbakning (referat)", "Indledende møde med Task Forcen (anbefalet)"):
            assert check in page, (app.reference, check)
        n = int(app.reference[-1])
        assert f"Modtaget {n}. marts før fristen kl. 12.00." in page
        assert f"ansøgning-{n}.pdf, side 3: »Underskrevet af direktør Søren Ågård {n}«" in page
        assert "Børne- og Ungeudvalget godkendte <b>ansøgningen</b> & sendte den" in page  # markup from mail stays text
        assert f"Overstyret (botten: Skal vurderes): Beslutningen står i punkt 4 — sara{n}" in page
        for score in app.scores:
            assert CRITERION_NAMES[score.criterion] in page
            if score.value is not None:
                assert f"Note-{n}-{score.criterion.value} om kommunens sagsbehandling, æøå ÆØÅ." in page
    assert "Bevilget — Første forløb i regionen" in words(text[1])
    assert "Ingen afgørelse endnu" in words(text[2])
    assert words(text[3]).count("ikke vurderet") == 5


def test_long_notes_still_give_one_page_per_application():
    long = tuple(application(n, (3, 3, 3, 3, 3), note_words=120) for n in (1, 2))
    text = pages(render(Pack("boern-unge-2025", "Runde", NOW, TZ, long)))
    assert len(text) == 3
    assert "Note-2-largest_difference" in words(text[2])


def test_an_empty_round_is_a_cover_page_that_says_so():
    text = pages(render(Pack("handicap", "Taskforcen på handicapområdet", NOW, TZ, ())))
    assert len(text) == 1 and "ingen komplette ansøgninger" in words(text[0])


def test_characters_the_standard_fonts_lack_become_a_question_mark():
    assert latin1("Ærø – “citat” … å") == "Ærø – “citat” … å"
    assert latin1("Ærø 😀 ✓") == "Ærø ? ?"
    assert latin1("a\u030a") == "å"  # a + combining ring, as some mail clients write it
