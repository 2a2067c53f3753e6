"""Containers municipalities send documents in: ZIP archives (also hostile ones), forwarded mails
(message/rfc822 parts and .eml files), Outlook .msg files and winmail.dat (TNEF)."""
from __future__ import annotations

import io
import struct
import zipfile
from email.message import EmailMessage

__all__ = ["zip_of", "forwarded_eml", "outlook_msg", "winmail_dat", "zip_bomb"]

_EPOCH = (2020, 1, 1, 0, 0, 0)


def zip_of(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP with the files in order (names as given: "../x.pdf" makes a path escape)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, _EPOCH), data, compress_type=compression)
    return out.getvalue()


def zip_bomb(megabytes: int = 60) -> bytes:
    """Zeros that compress about a thousand times."""
    return zip_of({"referat.pdf": bytes(megabytes * 2**20)})


def forwarded_eml(subject: str, body: str, attachments: dict[str, tuple[str, bytes]], sender: str = "sekretariat@slagelse.dk") -> bytes:
    """A complete mail (the one being forwarded), as bytes."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "direktion@slagelse.dk"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 30 Sep 2019 15:02:00 +0200"
    msg.set_content(body)
    for name, (ctype, data) in attachments.items():
        main, sub = ctype.split("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return bytes(msg)


def outlook_msg(subject: str, body: str, attachments: dict[str, bytes]) -> bytes:
    """An Outlook .msg (written with aspose-email-foss)."""
    from aspose.email_foss.msg import MapiMessage

    message = MapiMessage.create(subject, body)
    for name, data in attachments.items():
        message.add_attachment(name, data, mime_type="application/octet-stream")
    return message.to_bytes()


def _tnef_attribute(level: int, name: int, kind: int, data: bytes) -> bytes:
    return struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)


def winmail_dat(attachments: dict[str, bytes], body: str = "") -> bytes:
    """A minimal winmail.dat (TNEF, as Outlook sends with rich text on): message class, an optional
    plain body, and each attachment as rendering data + title + data."""
    out = struct.pack("<IH", 0x223E9F78, 0x0101)
    out += _tnef_attribute(1, 0x9006, 0x0009, struct.pack("<I", 0x00010000))  # TNEF version
    out += _tnef_attribute(1, 0x9007, 0x0006, struct.pack("<II", 1252, 0))  # OEM code page
    out += _tnef_attribute(1, 0x8008, 0x0007, b"IPM.Microsoft Mail.Note\x00")  # message class
    if body:
        out += _tnef_attribute(1, 0x800C, 0x0002, body.encode("cp1252"))  # attBody
    for name, data in attachments.items():
        out += _tnef_attribute(2, 0x9002, 0x0006, b"\xff\xff\xff\xff" + bytes(10))  # attAttachRendData
        out += _tnef_attribute(2, 0x8010, 0x0001, name.encode("cp1252") + b"\x00")  # attAttachTitle
        out += _tnef_attribute(2, 0x800F, 0x0006, data)  # attAttachData
    return out
