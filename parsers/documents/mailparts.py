"""Mail inside mail: a forwarded message (.eml, message/rfc822), an Outlook .msg (extract-msg) and
winmail.dat (TNEF, tnefparse).  Each gives its body as text (a link to minutes there is quoted) and its
attachments as documents."""
from __future__ import annotations

from typing import Any

import re

from parsers.documents.containers import Member, Unpacked
from parsers.documents.plain import decode
from parsers.text import DocumentText, Line, clean

TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"


def is_eml(filename: str, content_type: str, data: bytes) -> bool:
    return filename.lower().endswith(".eml") or content_type == "message/rfc822"


def is_msg(filename: str, content_type: str, data: bytes) -> bool:
    return (filename.lower().endswith(".msg") or content_type == "application/vnd.ms-outlook") and data[:4] == b"\xd0\xcf\x11\xe0"


def is_tnef(filename: str, content_type: str, data: bytes) -> bool:
    return data[:4] == TNEF_SIGNATURE  # winmail.dat, application/ms-tnef, whatever the name


def _body(filename: str, fmt: str, subject: str, text: str) -> DocumentText:
    lines = [Line(clean(subject), "emne")] if clean(subject) else []
    lines += [Line(clean(t), f"linje {n}") for n, t in enumerate(text.splitlines(), 1) if clean(t)]
    return DocumentText(filename, fmt, tuple(lines))


def unpack_eml(filename: str, data: bytes) -> Unpacked:
    from parsers.message import parse_message

    facts = parse_message(data)
    if not facts.sender and not facts.subject and not facts.attachments and not facts.body.strip():
        return Unpacked(problem="den videresendte e-mail kan ikke læses")
    members = tuple(Member(a.filename, a.content_type, a.data) for a in facts.attachments)
    return Unpacked(members, _body(filename, "eml", facts.subject, facts.body))


def _msg_members(message: Any, prefix: str = "") -> list[Member]:
    from extract_msg.enums import AttachmentType

    out: list[Member] = []
    for attachment in message.attachments:
        name = attachment.longFilename or attachment.shortFilename or attachment.displayName or "unavngivet"
        name = prefix + name.replace("/", "_").replace("\\", "_")
        kind = attachment.type
        if kind == AttachmentType.DATA and isinstance(attachment.data, bytes):
            out.append(Member(name, getattr(attachment, "mimetype", None) or "", attachment.data))
        elif kind == AttachmentType.MSG and attachment.data is not None:
            inner = attachment.data
            subject = clean(inner.subject or "") or "videresendt mail"
            text = inner.body or ""
            out.append(Member(f"{prefix}{subject}.txt", "text/plain", f"{subject}\n{text}".encode("utf-8")))
            out.extend(_msg_members(inner, f"{prefix}{subject}/"))
        else:
            out.append(Member(name, "", b"", f"vedhæftningen i Outlook-beskeden kan ikke læses ({getattr(kind, 'name', kind)})"))
    return out


def unpack_msg(filename: str, data: bytes) -> Unpacked:
    import extract_msg

    try:
        message: Any = extract_msg.openMsg(data, delayAttachments=False)  # a Message (or MSGFile) with body and subject
    except Exception as exc:  # extract-msg raises many kinds for a broken file
        return Unpacked(problem=f"Outlook-beskeden (.msg) kan ikke åbnes ({type(exc).__name__})")
    try:
        body = message.body or ""
        if not body.strip() and getattr(message, "htmlBody", None):
            body = re.sub(r"<[^>]+>", " ", decode(message.htmlBody))
        return Unpacked(tuple(_msg_members(message)), _body(filename, "msg", message.subject or "", body))
    finally:
        message.close()


def unpack_tnef(filename: str, data: bytes) -> Unpacked:
    import tnefparse

    try:
        tnef = tnefparse.TNEF(data)
    except Exception as exc:  # tnefparse raises ValueError and struct errors for a broken file
        return Unpacked(problem=f"winmail.dat (TNEF) kan ikke læses ({type(exc).__name__})")
    members = []
    for attachment in tnef.attachments:
        try:
            name = attachment.long_filename() or "unavngivet"
        except UnicodeDecodeError:  # tnefparse assumes UTF-8; Outlook writes the ANSI code page
            raw = getattr(attachment, "_name", b"") or b""
            name = decode(raw) if isinstance(raw, bytes) else str(raw)
        if isinstance(name, bytes):
            name = decode(name)
        members.append(Member(name.strip("\x00").replace("/", "_"), "", attachment.data))
    body = getattr(tnef, "body", None) or b""
    text = decode(body) if isinstance(body, bytes) else str(body)
    return Unpacked(tuple(members), _body(filename, "tnef", "", text) if text.strip() else None)
