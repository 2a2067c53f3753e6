"""Unbreakable by input (issue 11), the parsers: every case of the bad-input corpus
(tests/factories/bad_input.py) through `parse_message` and `expand` with the default options.

Nothing raises, no case runs away (a generous alarm, not a timed assertion), every document that cannot
be read is `unreadable` with a Danish sentence of the fixed set naming the file (parsers/documents/
problems.py), and what the library said is only in `detail`.  The limits are parameters: the service's
configuration may set them (`ReadOptions.limits`)."""
from __future__ import annotations

import re
import signal
import zlib
from dataclasses import replace

import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest

from parsers.documents import ReadOptions, problems
from parsers.documents.limits import Limits
from parsers.message import parse_message
from parsers.reading import READER_VERSION, DocumentReading, Found, expand, read_document
from storage.readings import dump_reading, load_reading
from tests.factories.bad_input import CASES, KINDS, LIBRARY, Case, case, docx_of, pdf_of, reportlab_pdf, stream, text_pdf

SECONDS = 120  # per case, parsing and reading together: a runaway reader is stopped here, not waited for

@pytest.fixture
def alarm():
    """Fails a case that takes longer than SECONDS (SIGALRM), instead of letting it hang the suite."""
    def expired(signum, frame):
        raise TimeoutError(f"a case took more than {SECONDS} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(SECONDS)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _read(c: Case, options: ReadOptions = ReadOptions()) -> list[Found]:
    facts = parse_message(c.raw)
    return [found for a in facts.attachments for found in expand(a.filename, a.content_type, a.data, options)]


def _template(problem: str) -> str | None:
    return next((t for t in problems.TEMPLATES if _matches(t, problem)), None)


def _matches(template: str, problem: str) -> bool:
    pattern = ".+?".join(re.escape(literal) for literal in re.split(r"\{\w+\}", template))
    return problems.is_known(problem) and re.fullmatch(pattern, problem, re.S) is not None


def test_the_corpus_has_every_kind_the_issue_names():
    assert len(CASES) >= 60 and len({c.name for c in CASES}) == len(CASES)
    assert set(KINDS) >= {"headers", "repeated", "missing", "charset", "structure", "robot", "filename", "zip", "pdf", "docx",
                          "password", "format"}
    names = {c.name for c in CASES}
    for wanted in ("header_subject_1mb", "nested_multipart_100", "zip_bomb", "zip_traversal", "pdf_reference_loop",
                   "pdf_huge_object_stream", "pdf_10000_pages", "docx_entity_expansion", "docx_declared_1gb_part", "attachment_60mb",
                   "password_pdf", "password_docx", "password_xlsx", "password_odt", "password_zip", "password_7z", "password_rar5",
                   "filename_control_chars", "filename_rtl_override", "filename_path_separators", "empty_mail", "only_headers",
                   "missing_from", "eight_bit_latin1_headers", "unknown_charset", "bounce_dsn", "broken_base64", "pdf_truncated",
                   "pdf_broken_xref", "docx_is_renamed_pdf"):
        assert wanted in names


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_every_case_parses_and_reads_with_danish_problems(c: Case, alarm):
    facts = parse_message(c.raw)
    if c.expect.subject is not None:
        assert facts.subject == c.expect.subject
    if c.expect.sender is not None:
        assert facts.sender == c.expect.sender
    assert bool(facts.problems) == c.expect.problems, facts.problems
    for text in facts.problems:
        assert not LIBRARY.search(text), text
    found = [f for a in facts.attachments for f in expand(a.filename, a.content_type, a.data)]
    unreadable = [f.reading for f in found if f.reading.role == "unreadable"]
    got = {(r.filename, _template(r.problem or "")) for r in unreadable}
    assert got == set(c.expect.unreadable), [(r.filename, r.problem, r.detail) for r in unreadable]
    for reading in unreadable:
        problem = reading.problem or ""
        assert problems.is_known(problem), problem
        assert problems.shown(reading.filename) in problem  # it names the file
        assert not LIBRARY.search(problem), (problem, reading.detail)
        if reading.detail:
            assert reading.detail not in problem
    for f in found:  # a readable document too: none of its text is a library's message
        assert f.reading.role == "unreadable" or f.reading.problem is None


def test_the_fixed_set_is_danish_sentences_without_library_words():
    for template in problems.TEMPLATES:
        sentence = template.format(name="Referat.pdf", what="PDF-filen", kind=".xlsx", size="120 MB", limit="100 MB", count="12",
                                   container="Bilag.zip")
        assert "Referat.pdf" in sentence and not LIBRARY.search(sentence), sentence
        assert re.search(r"[æøå]|\b(er|kan|ikke|har|send|den|til|ingen)\b", sentence), sentence


def test_the_library_words_are_caught_by_the_scan():
    for leak in ("filen kunne ikke åbnes: 'NoneType' object is not iterable", "Invalid dictionary construct", "Ascii85 overflow",
                 "Failed to load document (PDFium: Incorrect password error)", "KeyError: 'word/document.xml'",
                 "XMLSyntaxError: Excessive depth in document: 256, line 1, column 40"):
        assert LIBRARY.search(leak), leak


def test_library_text_is_only_in_the_detail():
    reading = read_document("Referat.pdf", "application/pdf", b"%PDF-1.4\n garbage")
    assert reading.problem == "Referat.pdf kan ikke åbnes: PDF-filen er beskadiget"
    assert "PDFium" in reading.detail or "PdfiumError" in reading.detail
    docx = read_document("Ansøgning.docx", "", _attachment("docx_deep_xml"))
    assert docx.problem == "Ansøgning.docx kan ikke åbnes: Word-dokumentet er beskadiget" and docx.detail


def _attachment(name: str) -> bytes:
    return parse_message(case(name).raw).attachments[0].data


def test_a_password_pdf_that_fails_in_the_ocr_step_says_the_password_message(monkeypatch):
    """PDFium's refusal while the scanned pages are rendered for OCR is said to a person like any other."""
    import parsers.documents.pdf as pdf_reader

    def refuse(*args, **kwargs):
        raise pypdfium2.PdfiumError("Failed to load document (PDFium: Incorrect password error).", err_code=pdfium_c.FPDF_ERR_PASSWORD)

    monkeypatch.setattr(pdf_reader, "ocr_pdf_pages", refuse)
    from tests.factories.forms import FormSpec, form_pdf
    from tests.factories.scans import scanned_pdf

    reading = read_document("Skema.pdf", "application/pdf", scanned_pdf(form_pdf(FormSpec(), "inline")))
    assert reading.problem == problems.password("Skema.pdf")
    assert "Incorrect password" in reading.detail and not LIBRARY.search(reading.problem)


def test_repeated_headers_first_wins_and_the_rest_are_kept():
    for c in (c for c in CASES if c.kind == "repeated" and not c.name.startswith("repeated_content_")):
        facts = parse_message(c.raw)
        kept = dict(facts.repeated_headers)
        header = next(name for name in kept if name.lower().replace("-", "_") == c.name.removeprefix("repeated_"))
        assert len(kept[header]) == 1, (c.name, kept)
    facts = parse_message(case("repeated_message_id").raw)
    assert facts.message_id == "<ans-1@slagelse.dk>" and dict(facts.repeated_headers)["Message-ID"] == ("<ans-2@slagelse.dk>",)
    assert parse_message(case("repeated_date").raw).date_header.day == 20
    assert parse_message(case("repeated_to").raw).recipients[0] == "taskforce@sbst.dk"
    assert parse_message(case("repeated_in_reply_to").raw).in_reply_to == "<x1@sbst.dk>"
    assert parse_message(case("repeated_auto_submitted").raw).automatic  # a robot's mark in any value counts
    assert parse_message(case("repeated_content_type").raw).attachments  # the first Content-Type (multipart) counts


def test_missing_and_garbage_headers_give_empty_facts():
    assert parse_message(b"").sender == "" and parse_message(b"").message_id == ""
    facts = parse_message(case("missing_from").raw)
    assert facts.sender == "" and facts.attachments
    assert parse_message(case("missing_date").raw).date_header is None
    assert parse_message(case("missing_message_id").raw).message_id == ""
    assert parse_message(case("garbage_bytes").raw).recipients == ()
    facts = parse_message(case("nested_multipart_1000").raw)
    assert facts.sender == "meha@slagelse.dk" and facts.problems and "Recursion" in facts.detail


def test_file_names_are_cleaned_and_kept_for_the_record():
    facts = parse_message(case("filename_rtl_override").raw)
    assert facts.attachments[0].filename == "referatfdp.exe" and facts.attachments[0].raw_filename == "referat\u202efdp.exe"
    names = [a.filename for a in parse_message(case("filename_path_separators").raw).attachments]
    assert all("/" not in n and "\\" not in n for n in names)
    assert parse_message(case("filename_control_chars").raw).attachments[0].filename == "Ansøgning.pdf"
    assert len(parse_message(case("filename_1000_chars").raw).attachments[0].filename) <= 150
    assert parse_message(case("filename_missing").raw).attachments[0].filename == "unavngivet.pdf"  # the same every time


def test_zip_members_that_leave_the_archive_are_names_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    found = _read(case("zip_traversal"))
    flagged = [f for f in found if f.reading.role == "unreadable"]
    assert len(flagged) == 3 and all(f.data is None for f in flagged)  # no bytes of their own, nothing written anywhere
    assert list(tmp_path.iterdir()) == []
    assert [f.reading.filename for f in found if f.reading.role != "unreadable"] == ["Bilag.zip/ok/referat.txt"]


def test_the_limits_are_parameters():
    one_page = reportlab_pdf(lines=("Referat",))
    assert read_document("x.pdf", "", one_page, options=ReadOptions(limits=Limits(pages=0))).problem == problems.too_many_pages("x.pdf", 1, 0)
    big = _attachment("attachment_60mb")
    small = ReadOptions(limits=Limits(document_bytes=25 * 2**20))
    assert read_document("Referat.pdf", "", big, options=small).problem.startswith("Referat.pdf er for stor til at blive læst (60 MB")
    docx = docx_of()
    strict = ReadOptions(limits=Limits(package_parts=2))
    assert read_document("a.docx", "", docx, options=strict).problem == problems.too_many_files("a.docx", 3, 2)
    nested = _read(case("zip_nested_5_deep"), ReadOptions(limits=Limits(depth=10)))
    assert [f.reading.role for f in nested] == ["minutes"]  # "Referat", five ZIPs down: read when the depth allows
    packed = pdf_of([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                     b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
                     stream(zlib.compress(b"BT /F1 12 Tf 72 740 Td (Referat) Tj ET"), b"/Filter /FlateDecode ")])
    assert read_document("r.pdf", "", packed).problem is None  # within the default limits
    assert read_document("r.pdf", "", packed, options=ReadOptions(limits=Limits(stream_bytes=10))).problem.startswith("r.pdf er for stor")


def test_a_renamed_file_is_read_by_its_content():
    reading = read_document("Referat.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", text_pdf())
    assert reading.role != "unreadable" and reading.text.format == "pdf" and "Børne- og Ungeudvalget" in reading.text.text
    assert read_document("Referat.doc", "application/msword", docx_of()).text.format == "docx"


def test_a_reading_with_a_detail_is_stored_and_a_stored_reading_without_one_still_loads():
    reading = read_document("Referat.pdf", "", b"%PDF-1.4\n garbage")
    assert load_reading(dump_reading(reading)) == reading
    old = dump_reading(replace(reading, detail="")).decode().replace(',"detail":""', "")
    assert '"detail"' not in old and load_reading(old).detail == ""
    assert isinstance(load_reading(old), DocumentReading)
    assert READER_VERSION != "2026.12.1"  # the readers read differently: stored readings are read again
