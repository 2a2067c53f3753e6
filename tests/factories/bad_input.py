"""A generated corpus of broken and hostile mail (issue 11, "Unbreakable by input").

Every case is a raw mail, made here in code (nothing large is committed), and what the spec demands of
it: the message is stored and gets a status, whatever it holds; a document that cannot be read is
`unreadable` with a Danish sentence of the fixed set naming the file (parsers/documents/problems.py),
never a library's words; the sender gets a reply that helps them ("vi kunne ikke åbne X.pdf: …") when
the mail is a municipality's application, and none when it is a robot's, has no sender or reaches no
round.  The kinds are modelled on the fixture mails of public mail-parser test suites (SpamScope
mail-parser's malformed mails: a nested part reusing its parent's boundary, start and close
boundaries not found, a mail without Date; the work-budget tests for huge address and encoded-word
headers) and on the hostile PDFs of PDF readers' test suites (pdf.js, itext's xref loops: a page tree
that loops, /Prev pointing at itself, broken xref offsets, truncated files, encryption), written
anew, not copied.

`CASES` is the list; `case(name)` one of them; `Case.raw` its bytes (built once per process).
"""
from __future__ import annotations

import base64
import io
import random
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from parsers.documents import problems as P

CRLF = b"\r\n"
SENDER = b"Mette Hansen <meha@slagelse.dk>"
ROUND = b"taskforce@sbst.dk"
RECEIVED = (b"from mail.slagelse.dk (mail.slagelse.dk [192.0.2.10]) by mx.sbst.dk with ESMTPS id 4XyZ; "
            b"Thu, 20 Mar 2025 10:00:00 +0100")
TEXT = "Hermed vores ansøgning og referatet fra Børne- og Ungeudvalget.\n\nVenlig hilsen\nMette Hansen\nSlagelse Kommune\n"
MINUTES_LINES = ("Referat", "Børne- og Ungeudvalget", "Mødedato: 3. marts 2025", "Punkt 4: Ansøgning om Task Force-forløb",
                 "Beslutning: Godkendt.")
MB = 2**20

# What a library says, never a person (no problem text and no reply may hold it): exception names,
# PDFium's and Python's words, a repr's quotes
LIBRARY = re.compile(
    r"Error|Exception|Traceback|PDFium|pdfium|NoneType|\bobject\b|dictionary|\bNone\b|\bnull\b|Invalid|Failed|failed|"
    r"\berrno\b|Errno|Ascii85|overflow|zipfile|lxml|libxml|\bXML\b|\bline \d+, column|<class|\bb'|\\x[0-9a-f]{2}|"
    r"'[A-Za-z_]+' (?:object|has)|\bnot iterable\b|\battribute\b|\bunexpected\b|\bexpected\b|\bstream\b|\bxref\b"
)


# --------------------------------------------------------------------------- expectations

@dataclass(frozen=True)
class Expect:
    """What the spec demands of one case.

    kind: the message's kind once processed (application | inquiry | automatic | unrouted).
    unreadable: every document the readers cannot read, as (its name, the template of the fixed set its
        problem must be); no other document of the mail may be unreadable.
    reply: the sender gets a reply, which then names every unreadable file with its problem.
    service_unreadable: what the service must report when it is more than the parsers do with their
        default limits (a 60 MB attachment is the service's to refuse); None: the same as `unreadable`.
    problems: the mail itself could not be read in full (MessageFacts.problems is not empty).
    waits_for: a service-level limit this case needs that the parsers do not give (its integration
        check is an expected failure until bot/ has it).
    """

    kind: str = "application"
    unreadable: tuple[tuple[str, str], ...] = ()
    reply: bool = True
    problems: bool = False
    waits_for: str | None = None
    service_unreadable: tuple[tuple[str, str], ...] | None = None  # what the service must say, when more than the parsers
    subject: str | None = None  # what the subject must read as, when the case is about it
    sender: str | None = None  # the sender as read (lower case), when the case is about it


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # the family: headers, repeated, missing, charset, structure, robot, filename, zip, pdf, docx, password, format
    build: Callable[[], bytes] = field(repr=False, compare=False)
    expect: Expect = Expect()
    note: str = ""

    @property
    def raw(self) -> bytes:
        return _raw(self.name)


@cache
def _raw(name: str) -> bytes:
    return case(name).build()


# --------------------------------------------------------------------------- raw mail, by hand

Header = tuple[bytes, bytes]


def fields(**changes: bytes | None) -> list[Header]:
    """The headers a municipality's mail server delivers; `changes` by name (From_=..., Message_ID=...;
    None drops one)."""
    base: list[Header] = [
        (b"Received", RECEIVED), (b"From", SENDER), (b"To", ROUND), (b"Subject", encoded("Ansøgning om Task Force-forløb")),
        (b"Date", b"Thu, 20 Mar 2025 09:59:30 +0100"), (b"Message-ID", b"<ans-1@slagelse.dk>"), (b"MIME-Version", b"1.0"),
    ]
    out = []
    names = {k.replace("_", "-").lower(): v for k, v in changes.items()}
    for name, value in base:
        key = name.decode().lower()
        if key in names:
            if names[key] is not None:
                out.append((name, names.pop(key) or b""))
            else:
                names.pop(key)
            continue
        out.append((name, value))
    out += [(k.title().encode(), v) for k, v in names.items() if v is not None]
    return out


def encoded(text: str) -> bytes:
    """An RFC 2047 encoded word (UTF-8, base64), as a header value."""
    return b"=?utf-8?B?" + base64.b64encode(text.encode()) + b"?="


def message(headers: list[Header], content_type: bytes, body: bytes, cte: bytes | None = b"8bit") -> bytes:
    head = b"".join(name + b": " + value + CRLF for name, value in headers)
    head += b"Content-Type: " + content_type + CRLF
    if cte:
        head += b"Content-Transfer-Encoding: " + cte + CRLF
    return head + CRLF + body


def b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", CRLF)


def attachment(filename: bytes | str | None, data: bytes, content_type: bytes = b"application/octet-stream",
               extra: bytes = b"") -> bytes:
    """One MIME part: a file, base64.  A str name is written as RFC 2231 UTF-8, bytes as they are."""
    if filename is None:
        disposition = b"attachment"
    elif isinstance(filename, str):
        from urllib.parse import quote

        disposition = b"attachment; filename*=utf-8''" + quote(filename, safe="").encode()
    else:
        disposition = b'attachment; filename="' + filename + b'"'
    return (b"Content-Type: " + content_type + CRLF + b"Content-Disposition: " + disposition + CRLF + extra
            + b"Content-Transfer-Encoding: base64" + CRLF + CRLF + b64(data))


def text_part(text: str = TEXT, charset: bytes = b"utf-8", data: bytes | None = None) -> bytes:
    return (b"Content-Type: text/plain; charset=" + charset + CRLF + b"Content-Transfer-Encoding: 8bit" + CRLF + CRLF
            + (data if data is not None else text.encode(charset.decode())) + CRLF)


def multipart(parts: list[bytes], boundary: bytes = b"=_b0_=", subtype: bytes = b"mixed", close: bool = True) -> tuple[bytes, bytes]:
    """(its Content-Type value, its body)."""
    body = b"This is a multi-part message in MIME format." + CRLF
    for p in parts:
        body += b"--" + boundary + CRLF + p + CRLF
    if close:
        body += b"--" + boundary + b"--" + CRLF
    return b"multipart/" + subtype + b'; boundary="' + boundary + b'"', body


def mail_with(files: list[bytes], headers: list[Header] | None = None, text: str = TEXT) -> bytes:
    content_type, body = multipart([text_part(text)] + files)
    return message(headers if headers is not None else fields(), content_type, body, cte=None)


def plain_mail(headers: list[Header] | None = None, text: str = TEXT) -> bytes:
    return message(headers if headers is not None else fields(), b"text/plain; charset=utf-8", text.encode())


def note_file() -> bytes:
    """A small readable attachment, so a mail about its headers is an application with a reply."""
    return attachment("Bilag.txt", "Organisationsdiagram for Børn og Unge, Slagelse Kommune".encode(), b"text/plain")


# --------------------------------------------------------------------------- documents, by hand

def pdf_of(objects: list[bytes], xref: bool = True, trailer: bytes = b"", offset_shift: int = 0,
           startxref: int | None = None) -> bytes:
    """A PDF of the given objects (numbered from 1; object 1 the catalog), with a classic xref table
    unless `xref` is False; `offset_shift` breaks every offset, `startxref` points anywhere."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    at = len(out)
    if xref:
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % (o + offset_shift) for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R " % (len(objects) + 1) + trailer + b">>\n"
    out += b"startxref\n%d\n%%%%EOF\n" % (at if startxref is None else startxref)
    return bytes(out)


def stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d " % len(data) + extra + b">>\nstream\n" + data + b"\nendstream"


def _pdf_text(line: str) -> bytes:
    return line.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def text_pdf(lines: tuple[str, ...] = MINUTES_LINES) -> bytes:
    """A one-page PDF with a text layer."""
    content = b"BT /F1 12 Tf 72 740 Td " + b" ".join(b"(" + _pdf_text(t) + b") Tj 0 -16 Td" for t in lines) + b" ET"
    return pdf_of([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                   b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
                   stream(content), FONT])


def _page(contents: bytes = b"4 0 R") -> bytes:
    return b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents " + contents + b" /Resources << /Font << /F1 5 0 R >> >> >>"


def _zeros_deflated(size: int) -> bytes:
    """`size` bytes of spaces, deflated (about a thousand to one), made a megabyte at a time."""
    packer = zlib.compressobj(6)
    chunk = b" " * MB
    return b"".join([packer.compress(chunk) for _ in range(size // MB)] + [packer.flush()])


def reportlab_pdf(lines: tuple[str, ...] = MINUTES_LINES, user: str | None = None, owner: str | None = None) -> bytes:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    encrypt = pdfencrypt.StandardEncryption(user or "", ownerPassword=owner, canPrint=0) if (user or owner) else None
    page = canvas.Canvas(out, encrypt=encrypt)
    y = 760
    for line in lines:
        page.drawString(72, y, line)
        y -= 16
    page.save()
    return out.getvalue()


_CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                  b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                  b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                  b'<Default Extension="xml" ContentType="application/xml"/>'
                  b'<Override PartName="/word/document.xml" '
                  b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
         b'Target="word/document.xml"/></Relationships>')
_W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx_xml(body: bytes, prolog: bytes = b"") -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + prolog + b"<w:document " + _W + b"><w:body>" + body + b"</w:body></w:document>"


def paragraphs(lines: tuple[str, ...]) -> bytes:
    return b"".join(b"<w:p><w:r><w:t>" + line.encode() + b"</w:t></w:r></w:p>" for line in lines)


def docx_of(document_xml: bytes | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal Word package: content types, relationships, the document."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", document_xml if document_xml is not None else docx_xml(paragraphs(MINUTES_LINES)))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def zip_of(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, (2025, 3, 1, 12, 0, 0)), data, compress_type=compression)
    return out.getvalue()


def patch_zip(data: bytes, member: str, *, size: int | None = None, flags: int | None = None) -> bytes:
    """A ZIP with one member's declared unpacked size or general-purpose flags rewritten in both its
    local header and the central directory (what a crafted archive does; the data stay as they were)."""
    out = bytearray(data)
    name = member.encode()
    # (signature, offset of the name's length, of the name, of the unpacked size, of the flags)
    for signature, length_at, name_at, size_at, flags_at in ((b"PK\x03\x04", 26, 30, 22, 6), (b"PK\x01\x02", 28, 46, 24, 8)):
        at = 0
        while (at := out.find(signature, at)) >= 0:
            length = struct.unpack_from("<H", out, at + length_at)[0]
            if bytes(out[at + name_at:at + name_at + length]) == name:
                if size is not None:
                    struct.pack_into("<I", out, at + size_at, size)
                if flags is not None:
                    struct.pack_into("<H", out, at + flags_at, flags)
            at += 4
    return bytes(out)


def overlapping_zip(entries: int, size: int) -> bytes:
    """Many central-directory entries that all point at one deflated member (a "better zip bomb"):
    each declares `size` bytes, so together they declare entries x size."""
    one = zip_of({"referat.pdf": b" " * size})
    local_end = one.find(b"PK\x01\x02")
    central = one[local_end:one.find(b"PK\x05\x06")]
    body = one[:local_end]
    directory = b"".join(central.replace(b"referat.pdf", b"r%06d.pdf" % i) for i in range(entries))
    # the local header still names referat.pdf; each entry's name has the same length, so offsets hold
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, entries, entries, len(directory), len(body), 0)
    return body + directory + end


def encrypted_ooxml(package: bytes) -> bytes:
    """A Word/Excel 2007+ file saved with a password (MS-OFFCRYPTO agile encryption: an OLE compound file)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(package)).encrypt("hemmelig", out)
    return out.getvalue()


def xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Kommune", "Slagelse"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def encrypted_odt() -> bytes:
    """An OpenDocument text saved with a password: its manifest describes the encryption of content.xml."""
    manifest = (b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                b'<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
                b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml" manifest:size="4000">'
                b'<manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k" '
                b'manifest:checksum="aGVq"><manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc" '
                b'manifest:initialisation-vector="aGVq"/><manifest:key-derivation manifest:key-derivation-name="PBKDF2" '
                b'manifest:key-size="32" manifest:iteration-count="100000" manifest:salt="aGVq"/></manifest:encryption-data>'
                b'</manifest:file-entry></manifest:manifest>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", b"application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", random.Random(7).randbytes(4000), compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def seven_zip(encrypted: bool) -> bytes:
    """A 7z archive's signature header and an end header naming (or not) the AES coder (06F10701)."""
    packed = random.Random(3).randbytes(200)
    coder = b"\x24\x06\xf1\x07\x01" if encrypted else b"\x01\x21\x21"  # AES-256 + SHA-256, or LZMA2
    header = b"\x17\x06\x00\x01\x09\xc8\x00\x07\x0b\x01\x00\x01" + coder + b"\x00\x0c\xc8\x00\x0a\x00\x00\x00"
    start = struct.pack("<QQI", len(packed), len(header), zlib.crc32(header))
    return b"7z\xbc\xaf\x27\x1c\x00\x04" + struct.pack("<I", zlib.crc32(start)) + start + packed + header


def _vint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def rar5_encrypted() -> bytes:
    """A RAR5 archive whose headers are encrypted (an archive encryption header, type 4, comes first)."""
    salt = random.Random(5).randbytes(16)
    body = _vint(4) + _vint(0) + _vint(0) + _vint(1) + bytes([15]) + salt + bytes(12)
    size = _vint(len(body))
    header = struct.pack("<I", zlib.crc32(size + body)) + size + body
    return b"Rar!\x1a\x07\x01\x00" + header + random.Random(6).randbytes(300)


def rar4_encrypted() -> bytes:
    """A RAR 4 archive with MHD_PASSWORD in its main header (the block headers are encrypted)."""
    main = struct.pack("<HBHH", 0x90CF, 0x73, 0x0080, 13) + bytes(6)
    return b"Rar!\x1a\x07\x00" + main + random.Random(8).randbytes(300)


def dsn(original: bytes) -> bytes:
    """A bounce: multipart/report; report-type=delivery-status, with the returned mail."""
    status = (b"Reporting-MTA: dns; mx.slagelse.dk" + CRLF + CRLF + b"Final-Recipient: rfc822; taskforce@sbst.dk" + CRLF
              + b"Action: failed" + CRLF + b"Status: 5.2.2" + CRLF + b"Diagnostic-Code: smtp; 552 mailbox full" + CRLF)
    parts = [text_part("This is the mail system at host mx.slagelse.dk.\nYour message could not be delivered.\n"),
             b"Content-Type: message/delivery-status" + CRLF + CRLF + status,
             b"Content-Type: message/rfc822" + CRLF + CRLF + original]
    content_type, body = multipart(parts, boundary=b"=_report_=", subtype=b"report")
    content_type += b"; report-type=delivery-status"
    headers = fields(From=b"MAILER-DAEMON@mx.slagelse.dk", Subject=b"Undelivered Mail Returned to Sender",
                     Message_ID=b"<bounce-1@mx.slagelse.dk>")
    return message(headers, content_type, body, cte=None)


def nested(depth: int) -> bytes:
    """Multiparts inside multiparts, `depth` deep, a text part at the bottom (and the files beside it)."""
    head = b""
    for level in range(depth):
        head += b"--b%d" % level + CRLF + b'Content-Type: multipart/mixed; boundary="b%d"' % (level + 1) + CRLF + CRLF
    inner = b"--b%d" % depth + CRLF + text_part() + CRLF + b"--b%d" % depth + CRLF + note_file() + CRLF
    tail = b"".join(b"--b%d--" % level + CRLF for level in reversed(range(depth + 1)))
    return message(fields(), b'multipart/mixed; boundary="b0"', head + inner + tail, cte=None)


def forwarded(depth: int, inner: bytes) -> bytes:
    """A mail forwarded as a message/rfc822 attachment, inside another, `depth` times."""
    current = inner
    for level in range(depth):
        content_type, body = multipart([text_part(f"Videresendt {level}"),
                                        b"Content-Type: message/rfc822" + CRLF + b"Content-Disposition: attachment" + CRLF + CRLF + current],
                                       boundary=b"=_fw%d_=" % level)
        current = message(fields(Subject=f"VS: niveau {level}".encode(), Message_ID=b"<fw%d@slagelse.dk>" % level),
                          content_type, body, cte=None)
    return current


# --------------------------------------------------------------------------- the cases

CASES: list[Case] = []


def add(name: str, kind: str, build: Callable[[], bytes], expect: Expect = Expect(), note: str = "") -> None:
    CASES.append(Case(name, kind, build, expect, note))


def case(name: str) -> Case:
    return next(c for c in CASES if c.name == name)


def _bad(name: str, template: str) -> tuple[str, str]:
    return (name, template)


# headers: one very long line, a folded giant, too many fields
add("header_subject_1mb", "headers", lambda: mail_with([note_file()], fields(Subject=b"Ans\xc3\xb8gning " + b"A" * MB)),
    note="a 1 MB Subject line (mail-parser work-budget tests: huge headers)")
add("header_from_name_1mb", "headers", lambda: mail_with([note_file()], fields(From=b'"' + b"Mette " * (MB // 6) + b'" <meha@slagelse.dk>')),
    note="a From whose display name is a megabyte")
add("header_to_folded_1mb", "headers",
    lambda: mail_with([note_file()], fields(To=ROUND + b"," + b",\r\n ".join(b"<person%06d@example.dk>" % i for i in range(40_000)))),
    note="a To of 40,000 addresses folded over as many lines (1 MB unfolded)")
add("header_unknown_1mb", "headers", lambda: mail_with([note_file()], fields() + [(b"X-Junk", b"x" * MB)]),
    note="a 1 MB header nobody reads")
add("header_50000_fields", "headers", lambda: mail_with([note_file()], fields() + [(b"X-Spam-%d" % i, b"ja") for i in range(50_000)]),
    note="fifty thousand header fields")
add("header_encoded_words_100k", "headers", lambda: mail_with([note_file()], fields(Subject=b" ".join([encoded("æøå")] * 100_000))),
    note="a subject of 100,000 encoded words (mail-parser's encoded-word budget tests)")
add("header_nul_and_controls", "headers", lambda: mail_with([note_file()], fields(Subject=b"Ans\x00\xc3\xb8gning\x07 \x1b[31mom Task Force")),
    note="NUL and terminal escapes in the subject")

# repeated headers of every kind: the first value wins
for header, first, second, expect in [
    ("Subject", b"Ans\xc3\xb8gning om Task Force", b"Anden emnelinje", Expect(subject="Ansøgning om Task Force")),
    ("From", SENDER, b"Falsk <falsk@example.com>", Expect(sender="meha@slagelse.dk")),
    ("To", ROUND, b"someone@example.com", Expect()),
    ("Cc", b"chef@slagelse.dk", b"andre@slagelse.dk", Expect()),
    ("Date", b"Thu, 20 Mar 2025 09:59:30 +0100", b"Fri, 21 Mar 2025 09:00:00 +0100", Expect()),
    ("Message-ID", b"<ans-1@slagelse.dk>", b"<ans-2@slagelse.dk>", Expect()),
    ("In-Reply-To", b"<x1@sbst.dk>", b"<x2@sbst.dk>", Expect()),
    ("References", b"<x1@sbst.dk>", b"<x2@sbst.dk> <x3@sbst.dk>", Expect()),
    ("Reply-To", b"meha@slagelse.dk", b"other@example.com", Expect()),
    ("Sender", b"meha@slagelse.dk", b"other@example.com", Expect()),
    ("Return-Path", b"<meha@slagelse.dk>", b"<bounce@example.com>", Expect()),
    ("MIME-Version", b"1.0", b"2.0", Expect()),
    ("Auto-Submitted", b"no", b"auto-replied", Expect(kind="automatic", reply=False)),
    ("Precedence", b"first-class", b"bulk", Expect(kind="automatic", reply=False)),
]:
    name = header.lower().replace("-", "_")
    add(f"repeated_{name}", "repeated",
        (lambda h=header, a=first, b=second: mail_with([note_file()], [f for f in fields() if f[0].decode().lower() != h.lower()]
                                                        + [(h.encode(), a), (h.encode(), b)])),
        expect, note=f"two {header} headers: the first counts, the second is kept for the record")
add("repeated_content_type", "repeated",
    lambda: (lambda ct, body: message(fields(), ct + b"\r\nContent-Type: text/html", body, cte=None))(*multipart([text_part(), note_file()])),
    note="two Content-Type headers on the message: the first (multipart) counts")
add("repeated_content_transfer_encoding", "repeated",
    lambda: mail_with([attachment("Bilag.txt", b"Organisationsdiagram", b"text/plain", extra=b"Content-Transfer-Encoding: quoted-printable\r\n")]),
    note="a part with two Content-Transfer-Encoding headers (quoted-printable, then base64)")
add("repeated_content_disposition", "repeated",
    lambda: mail_with([attachment("Bilag.txt", b"Organisationsdiagram", b"text/plain", extra=b'Content-Disposition: inline; filename="andet.txt"\r\n')]),
    note="a part with two Content-Disposition headers")

# missing headers
add("missing_from", "missing", lambda: mail_with([note_file()], fields(From=None)), Expect(reply=False), note="no From: nobody to answer")
add("missing_date", "missing", lambda: mail_with([note_file()], fields(Date=None)), note="no Date (mail-parser's mail_without_date)")
add("missing_message_id", "missing", lambda: mail_with([note_file()], fields(Message_ID=None)), note="no Message-ID")
add("missing_to", "missing", lambda: mail_with([note_file()], fields(To=None)), Expect(kind="unrouted", reply=False),
    note="no recipient header: reaches no round")
add("missing_received", "missing", lambda: mail_with([note_file()], fields(Received=None)),
    note="no Received header: the file's time is the received time")
add("missing_everything", "missing", lambda: b"Subject: hej\r\n\r\nbare tekst\r\n", Expect(kind="unrouted", reply=False),
    note="a subject and a body, nothing else")
add("empty_mail", "missing", lambda: b"", Expect(kind="unrouted", reply=False), note="zero bytes")
add("only_headers", "missing", lambda: b"".join(n + b": " + v + CRLF for n, v in fields()), Expect(kind="inquiry", reply=False),
    note="headers and no blank line, no body")
add("garbage_bytes", "missing", lambda: random.Random(11).randbytes(200_000), Expect(kind="unrouted", reply=False),
    note="random bytes")

# 8-bit garbage and wrong charsets
add("eight_bit_latin1_headers", "charset",
    lambda: mail_with([note_file()], fields(Subject=b"Ans\xf8gning fra \xc6r\xf8", From=b"S\xf8ren Hansen <meha@slagelse.dk>")),
    Expect(subject="Ansøgning fra Ærø"), note="raw windows-1252 bytes in headers, no encoding")
add("eight_bit_utf8_headers", "charset", lambda: mail_with([note_file()], fields(Subject="Ansøgning fra Ærø".encode())),
    Expect(subject="Ansøgning fra Ærø"), note="raw UTF-8 in headers (RFC 6532 without saying so)")
add("wrong_charset_declared_ascii", "charset",
    lambda: message(fields(), b"text/plain; charset=us-ascii", "Venlig hilsen fra Ærø – Søren".encode()),
    Expect(kind="inquiry", reply=False), note="a UTF-8 body declared us-ascii")
add("unknown_charset", "charset",
    lambda: mail_with([attachment("Bilag.txt", "Ærø".encode("cp1252"), b"text/plain; charset=x-unknown-kommune")],
                      text="Hej"), note="a charset no codec knows, on the body and an attachment")
add("encoded_words_broken", "charset",
    lambda: mail_with([note_file()], fields(Subject=b"=?utf-8?B?!!!?= =?x-foo?Q?S=F8ren?= =?utf-8?Q?unterminated",
                                            From=b"=?utf-8?B?TWV0dGU=?= <meha@slagelse.dk>")),
    note="encoded words with bad base64, an unknown charset, one unterminated")

# MIME structure
add("nested_multipart_100", "structure", lambda: nested(100), note="multiparts nested 100 deep")
add("nested_multipart_1000", "structure", lambda: nested(1000), Expect(kind="inquiry", reply=False, problems=True),
    note="nested 1000 deep: beyond Python's parser, the headers are read and the rest is said to be unreadable")
add("boundary_reused", "structure",
    lambda: message(fields(), b'multipart/mixed; boundary="=_same_="',
                    b"--=_same_=\r\nContent-Type: multipart/alternative; boundary=\"=_same_=\"\r\n\r\n--=_same_=\r\n" + text_part()
                    + b"\r\n--=_same_=\r\n" + note_file() + b"\r\n--=_same_=--\r\n", cte=None),
    note="a nested part reusing its parent's boundary (mail-parser mail_malformed_1)")
add("boundary_missing", "structure", lambda: message(fields(), b"multipart/mixed", b"--x\r\n" + text_part() + b"--x--\r\n", cte=None),
    Expect(kind="inquiry", reply=False), note="multipart without a boundary parameter (StartBoundaryNotFoundDefect)")
add("boundary_never_closed", "structure",
    lambda: (lambda ct, body: message(fields(), ct, body[:-12], cte=None))(*multipart([text_part(), note_file()], close=False)),
    note="a mail cut off mid-attachment (CloseBoundaryNotFoundDefect)")
add("broken_base64", "structure",
    lambda: mail_with([attachment("Referat.pdf", b"", b"application/pdf").replace(CRLF + CRLF, CRLF + CRLF + b"JVBERi0x!!!LjcK%%%JeLj" + CRLF + b"z9MK=x", 1)]),
    Expect(unreadable=(_bad("Referat.pdf", P.DAMAGED),)), note="base64 with characters outside its alphabet and bad padding")
add("base64_of_nothing", "structure", lambda: mail_with([attachment("Referat.pdf", b"", b"application/pdf")]),
    Expect(unreadable=(_bad("Referat.pdf", P.EMPTY),)), note="an attachment of zero bytes")
add("attachment_60mb", "structure",
    lambda: mail_with([attachment("Referat.pdf", text_pdf()[:-6] + b"\n%" + random.Random(2).randbytes(60 * MB) + b"\n%%EOF\n",
                                  b"application/pdf")]),
    Expect(service_unreadable=(_bad("Referat.pdf", P.TOO_LARGE),), waits_for="the service's per-attachment size limit (bot/, config [limits])"),
    note="a 60 MB attachment (80 MB of base64)")
add("forwarded_garbage", "structure",
    lambda: mail_with([b"Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n" + random.Random(4).randbytes(3000)]),
    note="a message/rfc822 part that is random bytes")
add("forwarded_5_deep", "structure", lambda: forwarded(5, mail_with([note_file()])),
    Expect(unreadable=tuple(_bad(name, P.TOO_DEEP) for name in (
        "VS niveau 3.eml/VS niveau 2.eml/VS niveau 1.eml/VS niveau 0.eml",
        "VS niveau 3.eml/VS niveau 2.eml/VS niveau 1.eml/Ansøgning om Task Force-forløb.eml",
        "VS niveau 3.eml/VS niveau 2.eml/VS niveau 0.eml/Ansøgning om Task Force-forløb.eml",
        "VS niveau 3.eml/VS niveau 1.eml/VS niveau 0.eml/Ansøgning om Task Force-forløb.eml",
        "VS niveau 2.eml/VS niveau 1.eml/VS niveau 0.eml/Ansøgning om Task Force-forløb.eml")),
        # the service keeps one reading of the same bytes (the innermost mail, reached by four chains)
        service_unreadable=tuple(_bad(name, P.TOO_DEEP) for name in (
            "VS niveau 3.eml/VS niveau 2.eml/VS niveau 1.eml/VS niveau 0.eml",
            "VS niveau 3.eml/VS niveau 2.eml/VS niveau 1.eml/Ansøgning om Task Force-forløb.eml"))),
    note="a mail forwarded inside a forwarded mail, five times: mail-parser also gives every inner mail, so the "
         "file is reached, and the chains deeper than three are named")

# robots: bounces and auto-replies, never answered, their files kept and not read
add("bounce_dsn", "robot", lambda: dsn(mail_with([attachment("Ansøgning.pdf", text_pdf(), b"application/pdf")])),
    Expect(kind="automatic", reply=False), note="a delivery status notification returning our mail")
add("bounce_dsn_truncated", "robot", lambda: dsn(mail_with([attachment("Ansøgning.pdf", text_pdf(), b"application/pdf")]))[:-400],
    Expect(kind="automatic", reply=False, unreadable=(_bad("Ansøgning.pdf", P.DAMAGED),), service_unreadable=()),
    note="a bounce cut off inside the returned mail (its file is kept, not read: a robot's)")
add("auto_reply_with_attachment", "robot",
    lambda: mail_with([note_file()], fields(Subject=b"Automatisk svar: Ans\xc3\xb8gning", **{"Auto-Submitted": b"auto-replied"})),
    Expect(kind="automatic", reply=False), note="an out-of-office reply carrying a file")

# file names: control characters, direction overrides, paths
add("filename_control_chars", "filename", lambda: mail_with([attachment(b"Ans\x01\xc3\xb8g\x07ning\x1b.pdf", text_pdf(), b"application/pdf")]),
    note="control characters in a file name")
add("filename_rtl_override", "filename", lambda: mail_with([attachment("referat\u202efdp.exe", b"MZ\x90\x00" + bytes(200))]),
    Expect(unreadable=(_bad("referatfdp.exe", P.FORMAT),)), note="a right-to-left override hiding .exe as .pdf")
add("filename_path_separators", "filename",
    lambda: mail_with([attachment(b"../../etc/passwd.pdf", text_pdf(), b"application/pdf"),
                       attachment(b"C:\\Windows\\System32\\referat.pdf", text_pdf(("Andet referat",)), b"application/pdf"),
                       attachment(b"/tmp/skema.pdf", text_pdf(("Tredje",)), b"application/pdf")]),
    note="path separators in file names: kept as names only")
add("filename_1000_chars", "filename", lambda: mail_with([attachment("Referat " + "æ" * 1000 + ".pdf", text_pdf(), b"application/pdf")]),
    note="a file name of a thousand characters")
add("filename_missing", "filename", lambda: mail_with([attachment(None, text_pdf(), b"application/pdf")]), note="an attachment without a name")
add("filename_rfc2231_broken", "filename",
    lambda: mail_with([attachment(b"x", text_pdf(), b"application/pdf").replace(b'filename="x"', b"filename*=utf-8''%E6%%ZZ%C3.pdf; filename*0=a")]),
    note="a broken RFC 2231 file name")

# ZIP archives
add("zip_bomb", "zip", lambda: mail_with([attachment("Bilag.zip", zip_of({"referat.pdf": b" " * (150 * MB)}), b"application/zip")]),
    Expect(unreadable=(_bad("Bilag.zip/referat.pdf", P.COMPRESSION),)), note="one member declaring 150 MB from 150 kB")
add("zip_overlapping_entries", "zip", lambda: mail_with([attachment("Bilag.zip", overlapping_zip(60, 10 * MB), b"application/zip")]),
    Expect(unreadable=(_bad("Bilag.zip", P.TOO_LARGE),)), note="60 entries over one member, 600 MB declared (Fifield's zip bomb)")
add("zip_member_lies_about_size", "zip",
    lambda: mail_with([attachment("Bilag.zip", patch_zip(zip_of({"referat.txt": b"Referat " * 200_000}), "referat.txt", size=1000),
                                  b"application/zip")]),
    Expect(unreadable=(_bad("Bilag.zip/referat.txt", P.NOT_UNPACKED),)), note="a member declaring 1 kB that unpacks to 1.6 MB")
add("zip_traversal", "zip",
    lambda: mail_with([attachment("Bilag.zip", zip_of({"../../etc/cron.d/x": b"x", "/etc/passwd": b"x", "C:\\Windows\\x.txt": b"x",
                                                      "ok/referat.txt": "Referat fra udvalget".encode()}), b"application/zip")]),
    Expect(unreadable=(_bad("Bilag.zip/../../etc/cron.d/x", P.OUTSIDE), _bad("Bilag.zip//etc/passwd", P.OUTSIDE),
                       _bad("Bilag.zip/C:/Windows/x.txt", P.OUTSIDE))),
    note="members with ../, absolute and drive paths: never extracted, kept as names and flagged")
add("zip_500_members", "zip", lambda: mail_with([attachment("Bilag.zip", zip_of({f"fil{i}.txt": b"x" for i in range(500)}), b"application/zip")]),
    Expect(unreadable=(_bad("Bilag.zip", P.TOO_MANY_FILES),)), note="500 members")
add("zip_nested_5_deep", "zip",
    lambda: mail_with([attachment("Bilag.zip", _nest_zip(5), b"application/zip")]),
    Expect(unreadable=(_bad("Bilag.zip/niveau4.zip/niveau3.zip/niveau2.zip", P.TOO_DEEP),)), note="ZIPs inside ZIPs, five deep")
add("zip_of_zips_400_documents", "zip",
    lambda: mail_with([attachment("Bilag.zip", zip_of({f"del{i}.zip": zip_of({f"fil{j}.txt": b"del %d, fil %d" % (i, j) for j in range(20)})
                                                      for i in range(20)}), b"application/zip")]),
    Expect(unreadable=tuple(_bad(f"Bilag.zip/del{i}.zip/fil{j}.txt", P.TOO_MANY_DOCUMENTS) for i in range(20) for j in range(20)
                            if i * 20 + j >= 300)),
    note="20 ZIPs of 20 files: 400 documents, more than one attachment may give")
add("zip_truncated", "zip", lambda: mail_with([attachment("Bilag.zip", zip_of({"referat.txt": b"Referat"})[:40], b"application/zip")]),
    Expect(unreadable=(_bad("Bilag.zip", P.DAMAGED),)), note="a ZIP cut off after its first header")

# PDF
_CATALOG, _PAGES = b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
_CONTENT = stream(b"BT /F1 12 Tf 72 740 Td (Referat) Tj ET")
add("pdf_page_tree_loop", "pdf",
    lambda: mail_with([attachment("Referat.pdf", pdf_of([_CATALOG, b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>", _page(), _CONTENT, FONT]),
                                  b"application/pdf")]),
    note="a page tree whose Kids name the tree itself (pdf.js Pages-tree-refs)")
add("pdf_parent_loop", "pdf",
    lambda: mail_with([attachment("Referat.pdf", pdf_of([_CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                                         b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>"]), b"application/pdf")]),
    Expect(unreadable=(_bad("Referat.pdf", P.DAMAGED),)), note="two page-tree nodes that are each other's kids")
add("pdf_reference_loop", "pdf",
    lambda: mail_with([attachment("Referat.pdf", pdf_of([_CATALOG, _PAGES, _page(b"6 0 R"), _CONTENT, FONT, b"7 0 R", b"6 0 R"]),
                                  b"application/pdf")]),
    Expect(unreadable=(_bad("Referat.pdf", P.EMPTY),)), note="a page's /Contents is a reference to a reference to itself")
add("pdf_xref_prev_loop", "pdf",
    lambda: mail_with([attachment("Referat.pdf", (lambda d: d.replace(b"trailer\n<<", b"trailer\n<< /Prev %d" % d.rindex(b"xref")))(text_pdf()),
                                  b"application/pdf")]),
    note="the trailer's /Prev points at its own xref table (itext loopInXref)")
add("pdf_broken_xref", "pdf",
    lambda: mail_with([attachment("Referat.pdf", pdf_of([_CATALOG, _PAGES, _page(), _CONTENT, FONT], offset_shift=13, startxref=99999),
                                  b"application/pdf")]),
    note="every xref offset wrong and startxref past the end: PDFium rebuilds it")
add("pdf_no_xref", "pdf", lambda: mail_with([attachment("Referat.pdf", pdf_of([_CATALOG, _PAGES, _page(), _CONTENT, FONT], xref=False),
                                                        b"application/pdf")]), note="no xref table at all")
add("pdf_truncated", "pdf", lambda: mail_with([attachment("Referat.pdf", text_pdf()[:180], b"application/pdf")]),
    Expect(unreadable=(_bad("Referat.pdf", P.DAMAGED),)), note="a PDF cut off in its first object")
add("pdf_garbage", "pdf", lambda: mail_with([attachment("Referat.pdf", b"%PDF-1.4\n" + random.Random(9).randbytes(5000), b"application/pdf")]),
    Expect(unreadable=(_bad("Referat.pdf", P.DAMAGED),)), note="a PDF header and random bytes")
add("pdf_10000_pages", "pdf",
    lambda: mail_with([attachment("Referat.pdf", pdf_of([_CATALOG, b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % (n + 6) for n in range(10_000))
                                                         + b"] /Count 10000 >>", _page(), _CONTENT, FONT]
                                                        + [_page()] * 10_000), b"application/pdf")]),
    Expect(unreadable=(_bad("Referat.pdf", P.TOO_MANY_PAGES),)), note="10,000 pages (counted by PDFium without loading one)")
add("pdf_flate_bomb_content", "pdf",
    lambda: mail_with([attachment("Referat.pdf", pdf_of([_CATALOG, _PAGES, _page(), stream(_zeros_deflated(1024 * MB), b"/Filter /FlateDecode "),
                                                         FONT]), b"application/pdf")]),
    Expect(unreadable=(_bad("Referat.pdf", P.TOO_LARGE),)), note="a 1 MB content stream that unpacks to 1 GB (PDFium would abort)")
add("pdf_huge_object_stream", "pdf",
    lambda: mail_with([attachment("Referat.pdf", pdf_of([_CATALOG, _PAGES, _page(), _CONTENT, FONT,
                                                         stream(_zeros_deflated(600 * MB), b"/Type /ObjStm /N 100000000 /First 10 /Filter /FlateDecode ")]),
                                  b"application/pdf")]),
    Expect(unreadable=(_bad("Referat.pdf", P.TOO_LARGE),)), note="an object stream declaring 100 million objects in 600 MB")
add("pdf_page_300k_chars", "pdf",
    lambda: mail_with([attachment("Referat.pdf", pdf_of([_CATALOG, _PAGES, _page(), stream(b"BT /F1 1 Tf 0 0 Td " + (b"(" + b"x" * 3000 + b") Tj ") * 100 + b"ET"),
                                                         FONT]), b"application/pdf")]),
    Expect(unreadable=(_bad("Referat.pdf", P.TOO_LARGE),)), note="one page with 300,000 characters")
add("pdf_blank_pages", "pdf",
    lambda: mail_with([attachment("Referat.pdf", pdf_of([_CATALOG, b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
                                                         b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
                                                         b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]), b"application/pdf")]),
    Expect(unreadable=(_bad("Referat.pdf", P.EMPTY),)), note="two pages with nothing on them")
add("pdf_owner_password_only", "pdf", lambda: mail_with([attachment("Referat.pdf", reportlab_pdf(owner="ejer"), b"application/pdf")]),
    note="encrypted with an owner password only: opens without one, and is read")

# Word
_LOL = b"".join(b'<!ENTITY l%d "%s">\n' % (i, b"&l%d;" % (i - 1) * 10 if i else b"lol") for i in range(10))
add("docx_entity_expansion", "docx",
    lambda: mail_with([attachment("Ansøgning.docx", docx_of(docx_xml(b"<w:p><w:r><w:t>&l9;</w:t></w:r></w:p>",
                                                                     b"<!DOCTYPE w:document [\n" + _LOL + b"]>\n")))]),
    Expect(unreadable=(_bad("Ansøgning.docx", P.DAMAGED),)), note="a billion laughs in word/document.xml")
add("docx_external_entity", "docx",
    lambda: mail_with([attachment("Ansøgning.docx", docx_of(docx_xml(b"<w:p><w:r><w:t>&x;</w:t></w:r></w:p>",
                                                                     b'<!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n')))]),
    Expect(unreadable=(_bad("Ansøgning.docx", P.DAMAGED),)), note="an external entity naming /etc/passwd (XXE)")
add("docx_declared_1gb_part", "docx",
    lambda: mail_with([attachment("Ansøgning.docx", patch_zip(docx_of(), "word/document.xml", size=1 << 30))]),
    Expect(unreadable=(_bad("Ansøgning.docx", P.TOO_LARGE),)), note="word/document.xml declaring 1 GB")
add("docx_is_renamed_pdf", "docx", lambda: mail_with([attachment("Referat.docx", text_pdf())]),
    note="a PDF named .docx: read as the PDF it is")
add("doc_is_renamed_docx", "docx", lambda: mail_with([attachment("Referat.doc", docx_of())]), note="a .docx named .doc: read as Word")
add("docx_is_plain_zip", "docx", lambda: mail_with([attachment("Ansøgning.docx", zip_of({"noter.txt": b"hej"}))]),
    Expect(unreadable=(_bad("Ansøgning.docx", P.DAMAGED),)), note="a ZIP without word/document.xml named .docx")
add("docx_deep_xml", "docx",
    lambda: mail_with([attachment("Ansøgning.docx", docx_of(docx_xml(b"<w:p>" + b"<w:r>" * 20_000 + b"</w:r>" * 20_000 + b"</w:p>")))]),
    Expect(unreadable=(_bad("Ansøgning.docx", P.DAMAGED),)), note="XML nested 20,000 elements deep")
add("docx_truncated", "docx", lambda: mail_with([attachment("Ansøgning.docx", docx_of()[:300])]),
    Expect(unreadable=(_bad("Ansøgning.docx", P.DAMAGED),)), note="a Word file cut off")

# password protection, every format
add("password_pdf", "password", lambda: mail_with([attachment("Ansøgning.pdf", reportlab_pdf(user="hemmelig"), b"application/pdf")]),
    Expect(unreadable=(_bad("Ansøgning.pdf", P.PASSWORD),)), note="a PDF with a user password")
add("password_docx", "password", lambda: mail_with([attachment("Ansøgning.docx", encrypted_ooxml(docx_of()))]),
    Expect(unreadable=(_bad("Ansøgning.docx", P.PASSWORD),)), note="a Word file saved with a password (an OLE compound file)")
add("password_docx_named_doc", "password", lambda: mail_with([attachment("Ansøgning.doc", encrypted_ooxml(docx_of()))]),
    Expect(unreadable=(_bad("Ansøgning.doc", P.PASSWORD),)), note="an encrypted .docx renamed .doc")
add("password_xlsx", "password", lambda: mail_with([attachment("Budget.xlsx", encrypted_ooxml(xlsx()))]),
    Expect(unreadable=(_bad("Budget.xlsx", P.PASSWORD),)), note="an Excel file saved with a password")
add("password_odt", "password", lambda: mail_with([attachment("Ansøgning.odt", encrypted_odt())]),
    Expect(unreadable=(_bad("Ansøgning.odt", P.PASSWORD),)), note="an OpenDocument text with an encrypted manifest")
add("password_zip", "password",
    lambda: mail_with([attachment("Bilag.zip", patch_zip(zip_of({"referat.txt": b"Referat"}), "referat.txt", flags=0x1), b"application/zip")]),
    Expect(unreadable=(_bad("Bilag.zip/referat.txt", P.PASSWORD),)), note="a ZIP member with the encryption flag")
add("password_7z", "password", lambda: mail_with([attachment("Bilag.7z", seven_zip(True))]),
    Expect(unreadable=(_bad("Bilag.7z", P.PASSWORD),)), note="a 7z archive with AES")
add("password_rar5", "password", lambda: mail_with([attachment("Bilag.rar", rar5_encrypted())]),
    Expect(unreadable=(_bad("Bilag.rar", P.PASSWORD),)), note="a RAR5 archive with encrypted headers")
add("password_rar4", "password", lambda: mail_with([attachment("Bilag.rar", rar4_encrypted())]),
    Expect(unreadable=(_bad("Bilag.rar", P.PASSWORD),)), note="a RAR 4 archive with MHD_PASSWORD")

# formats the bot does not read
add("format_exe", "format", lambda: mail_with([attachment("program.exe", b"MZ\x90\x00" + bytes(500))]),
    Expect(unreadable=(_bad("program.exe", P.FORMAT),)), note="a Windows program")
add("format_xlsx", "format", lambda: mail_with([attachment("Budget.xlsx", xlsx())]),
    Expect(unreadable=(_bad("Budget.xlsx", P.FORMAT),)), note="an Excel file (not read)")
add("format_7z", "format", lambda: mail_with([attachment("Bilag.7z", seven_zip(False))]),
    Expect(unreadable=(_bad("Bilag.7z", P.ARCHIVE_FORMAT),)), note="a 7z archive (not unpacked)")
add("format_doc_without_converter", "format",
    lambda: mail_with([attachment("Ansøgning.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1536))]),
    Expect(unreadable=(_bad("Ansøgning.doc", P.NEEDS_CONVERSION),)), note="an old Word file and no LibreOffice")
add("format_msg_broken", "format", lambda: mail_with([attachment("VS Referat.msg", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))]),
    Expect(unreadable=(_bad("VS Referat.msg", P.DAMAGED),)), note="an Outlook .msg of zeros")
add("format_tnef_broken", "format", lambda: mail_with([attachment("winmail.dat", b"\x78\x9f\x3e\x22\x01\x00" + b"\x02" * 40)]),
    Expect(unreadable=(_bad("winmail.dat", P.DAMAGED),)), note="a winmail.dat that breaks off")
add("format_image_broken", "format", lambda: mail_with([attachment("scan.jpg", b"\xff\xd8\xff\xe0 not really a jpeg", b"image/jpeg")]),
    Expect(unreadable=(_bad("scan.jpg", P.DAMAGED),)), note="a JPEG that is not one")
add("format_image_huge", "format",
    lambda: mail_with([attachment("scan.png", _png_header(100_000, 100_000), b"image/png")]),
    Expect(unreadable=(_bad("scan.png", P.TOO_LARGE),)), note="a PNG declaring 100,000 x 100,000 pixels")


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares its size and holds no pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) + chunk(b"IEND", b"")


def _nest_zip(levels: int) -> bytes:
    data = zip_of({"referat.txt": "Referat".encode()})
    for level in range(levels - 1):
        data = zip_of({f"niveau{level + 1}.zip": data})
    return data


KINDS = sorted({c.kind for c in CASES})
