"""What a file is by its first bytes, and whether it is locked with a password, whatever its name says.

Municipalities rename files ("Ansøgning.docx" that is a PDF) and mail clients say
application/octet-stream, so the readers look at the content too.  Password protection is recognised for
every format a municipality may send, also those the bot does not read: PDF (/Encrypt with a user
password, found by PDFium), Word/Excel/PowerPoint 2007+ (an encrypted OOXML file is an OLE compound
file with an "EncryptedPackage" stream), Word/Excel 97-2003 (msoffcrypto), OpenDocument (an encrypted
manifest), ZIP (the encryption flag of a member), 7z (the AES coder in its header) and RAR (its header
flags).
"""
from __future__ import annotations

import io
import struct
import zipfile

CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file: .doc, .xls, .msg, encrypted OOXML
SEVEN_ZIP = b"7z\xbc\xaf\x27\x1c"
RAR4 = b"Rar!\x1a\x07\x00"
RAR5 = b"Rar!\x1a\x07\x01\x00"
_AES_CODER = b"\x06\xf1\x07\x01"  # 7z's coder id of AES-256 + SHA-256
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_OOXML_MAIN = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx", "ppt/presentation.xml": "pptx"}
_ODF = {"application/vnd.oasis.opendocument.text": "odt", "application/vnd.oasis.opendocument.spreadsheet": "ods",
        "application/vnd.oasis.opendocument.presentation": "odp"}


def _zip_names(data: bytes) -> tuple[list[zipfile.ZipInfo], bytes] | None:
    """The members of a ZIP and its ODF mimetype (b"" when none), or None when it is no ZIP."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            mimetype = b""
            first = infos[0] if infos else None
            if first is not None and first.filename == "mimetype" and first.file_size < 200 and not first.flag_bits & 0x1:
                mimetype = archive.read(first).strip()
            return infos, mimetype
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, KeyError, NotImplementedError, RuntimeError):
        return None


def kind(data: bytes) -> str | None:
    """The format the content says: pdf, docx, xlsx, pptx, odt, ods, odp, zip, cfb, rtf, png, jpeg,
    tiff, gif, 7z, rar; None when the first bytes say nothing."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head[:2] == b"PK":
        found = _zip_names(data)
        if found is None:
            return "zip"
        infos, mimetype = found
        names = {i.filename for i in infos}
        odf = _ODF.get(mimetype.decode("ascii", "replace"))
        if odf:
            return odf
        return next((fmt for part, fmt in _OOXML_MAIN.items() if part in names), "zip")
    if head[:8] == CFB:
        return "cfb"
    if head.lstrip()[:5] == b"{\\rtf":
        return "rtf"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if head[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:6] == SEVEN_ZIP:
        return "7z"
    if head[:7] == RAR4 or head[:8] == RAR5:
        return "rar"
    return None


def ooxml_encrypted(data: bytes) -> bool:
    """A Word/Excel/PowerPoint 2007+ file saved with a password (MS-OFFCRYPTO: an OLE compound file
    holding the EncryptionInfo and EncryptedPackage streams)."""
    return data[:8] == CFB and _ENCRYPTED_PACKAGE in data and _ENCRYPTION_INFO in data


def cfb_encrypted(data: bytes) -> bool:
    """An OLE compound file (encrypted OOXML, .doc, .xls, .ppt) locked with a password."""
    if data[:8] != CFB:
        return False
    if ooxml_encrypted(data):
        return True
    try:
        import msoffcrypto

        return bool(msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted())
    except MemoryError:  # out of memory is the caller's to say (bot/readers.py: "for stor")
        raise
    except Exception:  # not an Office file msoffcrypto knows (an Outlook .msg, a damaged file)
        return False


def zip_encrypted(data: bytes) -> bool:
    """A ZIP (or an OpenDocument file, a .docx) with a member locked with a password, or an
    OpenDocument file whose manifest says it is encrypted."""
    found = _zip_names(data)
    if found is None:
        return False
    infos, _ = found
    if any(i.flag_bits & 0x1 for i in infos):
        return True
    manifest = next((i for i in infos if i.filename == "META-INF/manifest.xml"), None)
    if manifest is None or manifest.file_size > 4 * 2**20:
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return b"encryption-data" in archive.read(manifest)
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, KeyError, NotImplementedError, RuntimeError):
        return False


def seven_zip_encrypted(data: bytes) -> bool:
    """A 7z archive whose (end) header names the AES coder: its files, or its header, are encrypted."""
    if data[:6] != SEVEN_ZIP or len(data) < 32:
        return False
    offset, size = struct.unpack_from("<QQ", data, 12)
    start = 32 + offset
    if start >= len(data) or size > 2**24:
        return _AES_CODER in data[-4096:]
    return _AES_CODER in data[start:start + size]


def _vint(data: bytes, at: int) -> tuple[int, int]:
    """A RAR5 variable-length integer at `at`: (value, position after it)."""
    value, shift = 0, 0
    while at < len(data) and shift < 64:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if not byte & 0x80:
            return value, at
        shift += 7
    raise ValueError("truncated vint")


def rar_encrypted(data: bytes) -> bool:
    """A RAR archive with encrypted headers, or whose first file is encrypted."""
    try:
        if data[:8] == RAR5:
            at = 8
            for _ in range(8):  # the first headers: main, then files
                at += 4  # header CRC32
                size, body = _vint(data, at)
                end = body + size
                kind_, at = _vint(data, body)
                if kind_ == 4:  # archive encryption header: every header after it is encrypted
                    return True
                flags, at = _vint(data, at)
                extra = _vint(data, at)[0] if flags & 0x1 else 0
                if flags & 0x1:
                    at = _vint(data, at)[1]
                data_size, at = _vint(data, at) if flags & 0x2 else (0, at)
                if kind_ == 2 and extra:  # a file header: its extra area's records, type 1 = encryption
                    record = end - extra
                    while record < end:
                        record_size, inner = _vint(data, record)
                        if _vint(data, inner)[0] == 1:
                            return True
                        record = inner + record_size
                if kind_ == 5:
                    return False
                at = end + data_size
            return False
        if data[:7] == RAR4:
            at = 7
            for _ in range(8):
                if at + 7 > len(data):
                    return False
                _crc, kind_, flags, size = struct.unpack_from("<HBHH", data, at)
                if kind_ == 0x73 and flags & 0x0080:  # MHD_PASSWORD: the block headers are encrypted
                    return True
                if kind_ == 0x74:
                    return bool(flags & 0x0004)  # LHD_PASSWORD
                added = struct.unpack_from("<I", data, at + 7)[0] if flags & 0x8000 and at + 11 <= len(data) else 0
                if size < 7:
                    return False
                at += size + added
    except (ValueError, struct.error, IndexError):
        return False
    return False


def encrypted(data: bytes) -> bool:
    """Locked with a password, whatever the format (a PDF is left to PDFium)."""
    head = data[:8]
    if head == CFB:
        return cfb_encrypted(data)
    if head[:2] == b"PK":
        return zip_encrypted(data)
    if head[:6] == SEVEN_ZIP:
        return seven_zip_encrypted(data)
    if head[:7] == RAR4 or head == RAR5:
        return rar_encrypted(data)
    return False
