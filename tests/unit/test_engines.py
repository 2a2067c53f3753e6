"""The engines are handed in (issue 10): parsers/ runs no program, reads no setting and leaves logging
alone; the scan reader OCRs with the engine in `ReadOptions.ocr`, the old-Word reader converts with
`ReadOptions.converter`, and without one such a document is unreadable with the reason.  The real
engines (bot/engines.py): Tesseract, pages in parallel, each process held to one thread; LibreOffice."""
from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image

from bot.engines import SofficeConverter, TesseractEngine, parse_tsv, read_options
from parsers.documents import ConversionError, OcrError, OcrWord, ReadOptions, extract, problems
from parsers.documents.legacy import NEEDS_CONVERSION, NOT_CONVERTED
from parsers.reading import read_document
from tests.factories.forms import FormSpec, form_docx, form_pdf
from tests.factories.scans import scanned_pdf, scanned_png

ROOT = Path(__file__).resolve().parents[2]
RTF = rb"{\rtf1\ansi\deff0 {\fonttbl {\f0 Arial;}} Skema til ans\'f8gning om et Task Force-forl\'f8b\par}"


class FakeOcr:
    """Reads every page as the same two lines, and keeps what it was given."""

    def __init__(self) -> None:
        self.calls: list[list[Image.Image]] = []

    def read_words(self, pages):
        pages = list(pages)
        self.calls.append(pages)
        return [[OcrWord("Falsk", 95.0, (100, 100, 180, 120), (1, 1, 1)), OcrWord("OCR", 95.0, (190, 100, 240, 120), (1, 1, 1)),
                 OcrWord(f"side{n}", 95.0, (100, 140, 180, 160), (1, 1, 2))] for n, _ in enumerate(pages, start=1)]


class BrokenOcr:
    def read_words(self, pages):
        raise OcrError("motoren fejlede")


# --------------------------------------------------------------------------- OCR engine handed in

def test_an_image_is_read_by_the_engine_it_is_given():
    data = scanned_png(form_pdf(FormSpec(), "inline"), page=1)
    engine = FakeOcr()
    doc = extract("skema.png", "image/png", data, ReadOptions(ocr=engine))
    assert doc.unreadable is None and doc.ocr_pages == (1,)
    assert [line.text for line in doc.lines] == ["Falsk OCR", "side1"]
    assert {line.location for line in doc.lines} == {"billede (OCR)"}
    (page,) = engine.calls[0]
    assert page.mode == "L" and page.size == Image.open(io.BytesIO(data)).size  # at the scan's own 150 dpi


def test_the_pages_of_a_scanned_pdf_go_to_the_engine_at_once_at_their_own_resolution():
    data = scanned_pdf(form_pdf(FormSpec(), "table"))
    pdf = pypdfium2.PdfDocument(data)
    engine = FakeOcr()
    doc = extract("skema.pdf", "application/pdf", data, ReadOptions(ocr=engine))
    assert len(engine.calls) == 1 and len(engine.calls[0]) == len(pdf) == 3
    for page, image in zip(pdf, engine.calls[0]):
        assert abs(image.width - page.get_width() * 150 / 72) <= 1  # the scan's 150 dpi, not 300
    assert doc.ocr_pages == (1, 2, 3)
    assert [line.text for line in doc.lines if line.location == "side 2 (OCR)"] == ["Falsk OCR", "side2"]


def test_only_the_scanned_page_of_a_pdf_goes_to_the_engine():
    text = form_pdf(FormSpec(), "table")
    scan, out = pypdfium2.PdfDocument(scanned_pdf(text)), pypdfium2.PdfDocument.new()
    out.import_pages(pypdfium2.PdfDocument(text), [0])
    out.import_pages(scan, [1])
    buffer = io.BytesIO()
    out.save(buffer)
    engine = FakeOcr()
    doc = extract("skema.pdf", "", buffer.getvalue(), ReadOptions(ocr=engine))
    assert len(engine.calls[0]) == 1 and doc.ocr_pages == (2,)
    assert any(line.location == "side 1" for line in doc.lines) and any(line.location == "side 2 (OCR)" for line in doc.lines)


def test_without_an_engine_a_scan_is_unreadable_with_the_reason():
    png = read_document("skema.png", "image/png", scanned_png(form_pdf(FormSpec(), "inline"), page=1))
    assert png.role == "unreadable" and png.problem == problems.scan("skema.png")
    assert png.detail == "der er ingen tekstgenkendelse (OCR) installeret"  # for the secretariat, not the reply
    pdf = read_document("skema.pdf", "", scanned_pdf(form_pdf(FormSpec(), "inline")))
    assert pdf.role == "unreadable" and pdf.problem == problems.scan("skema.pdf") and "OCR" in pdf.problem


def test_an_engine_that_fails_makes_the_scan_unreadable_with_its_reason():
    reading = read_document("skema.png", "image/png", scanned_png(form_pdf(FormSpec(), "inline"), page=1),
                            options=ReadOptions(ocr=BrokenOcr()))
    assert reading.role == "unreadable" and reading.problem == problems.scan("skema.png") and reading.detail == "motoren fejlede"


# --------------------------------------------------------------------------- converter handed in

class FakeConverter:
    def __init__(self, result: bytes | None = None, error: str | None = None) -> None:
        self.result, self.error, self.calls = result, error, []

    def to_docx(self, data: bytes, suffix: str) -> bytes | None:
        self.calls.append((data, suffix))
        if self.error:
            raise ConversionError(self.error)
        return self.result


def test_an_old_word_file_is_converted_by_the_converter_it_is_given():
    converter = FakeConverter(form_docx(FormSpec(municipality="Aarhus Kommune", cvr="55133018"), "table"))
    reading = read_document("Ansøgning.rtf", "application/rtf", RTF, options=ReadOptions(converter=converter))
    assert converter.calls == [(RTF, ".rtf")]
    assert reading.role == "application_form" and reading.text.format == "rtf"
    assert reading.form.cvr.value == "55133018" and reading.form.cvr.evidence.file == "Ansøgning.rtf"


@pytest.mark.parametrize("converter, reason, detail", [
    (None, NEEDS_CONVERSION, ""),
    (FakeConverter(None), NOT_CONVERTED, ""),
    (FakeConverter(error="LibreOffice kan ikke startes"), NOT_CONVERTED, "LibreOffice kan ikke startes"),
])
def test_an_old_word_file_that_is_not_converted_is_unreadable_with_the_reason(converter, reason, detail):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    reading = read_document("skema.doc", "", data, options=ReadOptions(converter=converter))
    assert reading.role == "unreadable" and reading.problem == reason.format(name="skema.doc") and reading.detail == detail


# --------------------------------------------------------------------------- parsers leave the process alone

def test_importing_the_readers_changes_no_environment_and_no_logging():
    code = ("import logging, os\n"
            "os.environ.pop('OMP_THREAD_LIMIT', None)\n"
            "import parsers.reading, parsers.signatures, parsers.documents.scan, parsers.documents.legacy\n"
            "print(os.environ.get('OMP_THREAD_LIMIT'), logging.getLogger('pyhanko').level)\n"
            "import bot.engines\n"
            "bot.engines.quiet_libraries()\n"
            "print(logging.getLogger('pyhanko').level == logging.ERROR, logging.getLogger('pyhanko_certvalidator').level == logging.ERROR)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "None 0"  # no OMP_THREAD_LIMIT set, pyHanko's level untouched (NOTSET)
    assert out[1] == "True True"


def test_parsers_start_no_program(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"parsers ran a program: {args}")

    monkeypatch.setattr(subprocess, "run", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    assert read_document("skema.pdf", "", form_pdf(FormSpec(), "table")).role == "application_form"
    assert read_document("skema.png", "", scanned_png(form_pdf(FormSpec(), "inline"), page=1)).role == "unreadable"
    assert read_document("skema.rtf", "", RTF).role == "unreadable"


# --------------------------------------------------------------------------- the real engines

def _script(path: Path, body: str) -> str:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


TSV = ("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
       "1\t1\t0\t0\t0\t0\t0\t0\t600\t100\t-1\t\n"
       "4\t1\t1\t1\t1\t0\t13\t39\t311\t27\t-1\t\n"
       "5\t1\t1\t1\t1\t1\t13\t40\t41\t26\t96.77\tHej\n"
       "5\t1\t2\t1\t3\t2\t64\t39\t56\t21\t29.9\tmed\n"
       "5\t1\t2\t1\t3\t3\t70\t39\t56\t21\t95\t\n")


def test_tesseract_output_is_read_word_by_word():
    assert parse_tsv(TSV) == [OcrWord("Hej", 96.0, (13, 40, 54, 66), (1, 1, 1)), OcrWord("med", 29.0, (64, 39, 120, 60), (2, 1, 3)),
                              OcrWord("", 95.0, (70, 39, 126, 60), (2, 1, 3))]
    assert parse_tsv("") == []


def test_tesseract_pages_run_in_parallel_each_on_one_thread(tmp_path):
    """Each fake tesseract waits (up to 5 s) until both have started, and reads its environment."""
    (tmp_path / "started").mkdir()
    program = _script(tmp_path / "tesseract", f'cat > /dev/null\ntouch "{tmp_path}/started/$$"\n'
                      f'n=0; while [ $(ls "{tmp_path}/started" | wc -l) -lt 2 ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n+1)); done\n'
                      'if [ $n -lt 50 ]; then word=together; else word=alone; fi\n'
                      'printf "level\\tpage_num\\tblock_num\\tpar_num\\tline_num\\tword_num\\tleft\\ttop\\twidth\\theight\\tconf\\ttext\\n"\n'
                      'printf "5\\t1\\t1\\t1\\t1\\t1\\t1\\t2\\t3\\t4\\t90\\t%s-%s-%s\\n" "$word" "$OMP_THREAD_LIMIT" "$*"\n')
    pages = [Image.new("L", (40, 20), 255), Image.new("L", (40, 20), 255)]
    before = os.environ.get("OMP_THREAD_LIMIT")
    words = TesseractEngine(program=program, workers=2).read_words(iter(pages))
    assert [w[0].text for w in words] == ["together-1-stdin stdout -l dan --psm 3 -c tessedit_create_tsv=1"] * 2
    assert os.environ.get("OMP_THREAD_LIMIT") == before  # the limit is the child's, not this process's


def test_tesseract_missing_or_failing_is_an_ocr_error(tmp_path):
    with pytest.raises(OcrError, match="Tesseract er ikke installeret"):
        TesseractEngine(program=str(tmp_path / "nowhere")).read_words([Image.new("L", (4, 4), 255)])
    failing = _script(tmp_path / "tesseract", "cat > /dev/null\necho \"Failed loading language 'dan'\" >&2\nexit 1\n")
    with pytest.raises(OcrError, match="Tesseract fejlede: Failed loading language 'dan'"):
        TesseractEngine(program=failing).read_words([Image.new("L", (4, 4), 255)])


def test_the_soffice_converter(tmp_path):
    converted = tmp_path / "converted.docx"
    converted.write_bytes(b"PK docx")
    works = _script(tmp_path / "soffice", 'while [ $# -gt 1 ]; do [ "$1" = --outdir ] && out="$2"; shift; done\n'
                    f'cp "{converted}" "$out/dokument.docx"\n')
    assert SofficeConverter(works).to_docx(RTF, ".rtf") == b"PK docx"
    assert SofficeConverter(_script(tmp_path / "nothing", "exit 0\n")).to_docx(RTF, ".rtf") is None
    with pytest.raises(ConversionError, match="LibreOffice kan ikke startes"):
        SofficeConverter(str(tmp_path / "nowhere")).to_docx(RTF, ".rtf")


def test_read_options_hands_in_the_installed_engines(monkeypatch, tmp_path):
    monkeypatch.delenv("TASKFORCE_INTAKE_SOFFICE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    options = read_options((b"root",))
    assert options.trust_roots == (b"root",) and isinstance(options.ocr, TesseractEngine) and options.converter is None
    monkeypatch.setenv("TASKFORCE_INTAKE_SOFFICE", "/opt/libreoffice/program/soffice")
    options = read_options()
    assert options.converter == SofficeConverter("/opt/libreoffice/program/soffice")
    assert options == read_options() and hash(options) == hash(read_options())  # a key of any memo of readings
