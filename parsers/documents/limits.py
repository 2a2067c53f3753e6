"""How much one attachment may make the readers do, counted before the work starts.

Every reader checks what it can count cheaply (a file's size, a PDF's page count, the members an
archive declares and their declared sizes, a compressed PDF stream's unpacked size) against these
limits before it reads anything, and a document over a limit is `unreadable` with a Danish "for stor /
for mange sider / for mange filer" sentence (parsers/documents/problems.py).  The limits are values,
handed in with `ReadOptions.limits`; the service's configuration may set them (its defaults are these).
"""
from __future__ import annotations

from dataclasses import dataclass

MB = 2**20


@dataclass(frozen=True)
class Limits:
    document_bytes: int = 100 * MB  # one document (an attachment or a member of a container) before it is opened
    pages: int = 500  # pages of one PDF (PDFium counts them without reading a page)
    page_chars: int = 200_000  # characters on one PDF page (an A4 page in 6 pt type has ~15,000)
    page_objects: int = 100_000  # drawing objects of one PDF page walked for table rules (more: no rules read)
    stream_bytes: int = 256 * MB  # one compressed PDF stream (not a picture) unpacked: content, object and font streams
    streams_bytes: int = 512 * MB  # all of them together
    render_pixels: int = 60_000_000  # a scanned page rendered for OCR (A3 at 300 dpi is 17.4 million)
    members: int = 100  # files in one container (ZIP, .msg, winmail.dat, forwarded mail)
    member_bytes: int = 100 * MB  # one member, declared and unpacked
    unpacked_bytes: int = 200 * MB  # all members of one container together, declared and unpacked
    ratio: int = 100  # unpacked / packed size of a member above `ratio_from`: more is a zip bomb
    ratio_from: int = 1 * MB
    package_parts: int = 2_000  # parts of a Word (.docx) or OpenDocument (.odt) package
    depth: int = 3  # containers inside containers (a ZIP in a forwarded mail in a .msg)
    documents: int = 300  # documents read from one attachment, all its containers together
    text_lines: int = 200_000  # lines of text of one document handed to the form and minutes readers


DEFAULT_LIMITS = Limits()
