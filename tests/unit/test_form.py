"""The form's fields on generated forms: three layouts, two template generations, Word and PDF."""
import datetime as dt

import pytest

from parsers.reading import read_document
from tests.factories.forms import FORM_LAYOUTS, FormSpec, form_docx, form_pdf

FORMATS = {"docx": form_docx, "pdf": form_pdf}


def read(spec: FormSpec, layout: str, fmt: str):
    reading = read_document(f"Ansøgningsskema.{fmt}", "", FORMATS[fmt](spec, layout))
    assert reading.role == "application_form", f"{layout}/{fmt} not recognised as the form"
    return reading.form


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layout", FORM_LAYOUTS)
@pytest.mark.parametrize("generation", ["2019", "2025"])
def test_section_one_and_two(layout, fmt, generation):
    spec = FormSpec(municipality="Aarhus Kommune", address="Rådhuspladsen 2, 8000 Aarhus C", cvr="55133018",
                    director_name="Jens Peter Holm", director_phone="89 40 20 00", director_email="jph@aarhus.dk",
                    generation=generation)
    form = read(spec, layout, fmt)
    assert form.municipality.value == "Aarhus Kommune"
    assert form.cvr.value == "55133018" and form.cvr_valid
    assert form.director_name.value == "Jens Peter Holm"
    assert form.director_email.value == "jph@aarhus.dk"
    assert form.director_phone.value.replace(" ", "") == "89402000"
    assert form.initial_meeting.yes and form.initial_meeting.date == dt.date(2019, 10, 4)
    assert form.political.yes and form.political.date == dt.date(2019, 9, 30)
    assert form.director_name.evidence.file == f"Ansøgningsskema.{fmt}"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layout", FORM_LAYOUTS)
def test_signature_block(layout, fmt):
    assert read(FormSpec(signature="typed"), layout, fmt).signature.typed_name == "Mette Hansen"
    image = read(FormSpec(signature="image"), layout, fmt).signature
    assert image.image and image.evidence is not None
    empty = read(FormSpec(signature="none"), layout, fmt).signature
    assert empty.found and not empty.image and empty.typed_name is None
    assert read(FormSpec(signature="typed", signer_name="Poul Poulsen"), layout, fmt).signature.typed_name == "Poul Poulsen"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layout", FORM_LAYOUTS)
def test_unanswered_initial_meeting_and_empty_sections(layout, fmt):
    form = read(FormSpec(initial_meeting=None, sections={5: ""}), layout, fmt)
    assert form.initial_meeting is None or not form.initial_meeting.yes
    answered = {s.number: s.answered for s in form.sections}
    assert answered[5] is False
    assert answered[3] and answered[4] and answered[6] and answered[7]


@pytest.mark.parametrize("answer", ["Nej, mødet er endnu ikke afholdt.", "Nej", "Mødet er planlagt til april."])
def test_a_no_is_not_a_meeting(answer):
    form = read(FormSpec(initial_meeting=answer), "table", "docx")
    assert not form.initial_meeting.yes


def test_a_letter_is_not_the_form():
    reading = read_document("brev.txt", "text/plain", "Kære Task Force\nHvornår er fristen?\nMvh Mette".encode())
    assert reading.role == "other" and reading.form is None
