"""Mail inside mail: a forwarded message (.eml, message/rfc822), an Outlook .msg (extract-msg) and
winmail.dat (TNEF, tnefparse).  Each gives its body as text (a link to minutes there is quoted) and its
attachments as documents."""
from __future__ import annotations

from typing import Any

import re

from parsers.documents import problems
from parsers.documents.containers import Member, Unpacked
from parsers.documents.limits import DEFAULT_LIMITS, Limits
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


def _counted(filename: str, data: bytes, members: list[Member], limits: Limits) -> Unpacked | None:
    """A container over its limits (its own size, its members' number and total size), or None."""
    if len(data) > limits.document_bytes:
        return Unpacked(problem=problems.too_large(filename, len(data), limits.document_bytes))
    if len(members) > limits.members:
        return Unpacked(problem=problems.too_many_files(filename, len(members), limits.members), detail=f"{len(members)} attachments")
    total = sum(len(m.data) for m in members)
    if total > limits.unpacked_bytes:
        return Unpacked(problem=problems.too_large(filename, total, limits.unpacked_bytes), detail=f"attachments of {total} bytes")
    return None


def unpack_eml(filename: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> Unpacked:
    from parsers.message import parse_message

    if len(data) > limits.document_bytes:
        return Unpacked(problem=problems.too_large(filename, len(data), limits.document_bytes))
    facts = parse_message(data)
    if not facts.sender and not facts.subject and not facts.attachments and not facts.body.strip():
        return Unpacked(problem=problems.damaged(filename, "eml"), detail="no sender, subject, body or attachments")
    members = [Member(a.filename, a.content_type, a.data) for a in facts.attachments]
    over = _counted(filename, data, members, limits)
    if over is not None:
        return over
    return Unpacked(tuple(members), _body(filename, "eml", facts.subject, facts.body), detail="; ".join(facts.problems))


def _msg_members(message: Any, container: str, prefix: str = "", depth: int = 0) -> list[Member]:
    from extract_msg.enums import AttachmentType

    out: list[Member] = []
    for attachment in message.attachments:
        name = attachment.longFilename or attachment.shortFilename or attachment.displayName or "unavngivet"
        name = prefix + str(name).replace("/", "_").replace("\\", "_")
        kind = attachment.type
        if kind == AttachmentType.DATA and isinstance(attachment.data, bytes):
            out.append(Member(name, getattr(attachment, "mimetype", None) or "", attachment.data))
        elif kind == AttachmentType.MSG and attachment.data is not None and depth < DEFAULT_LIMITS.depth:
            inner = attachment.data
            subject = clean(inner.subject or "") or "videresendt mail"
            text = inner.body or ""
            out.append(Member(f"{prefix}{subject}.txt", "text/plain", f"{subject}\n{text}".encode("utf-8")))
            out.extend(_msg_members(inner, container, f"{prefix}{subject}/", depth + 1))
        else:
            out.append(Member(name, "", b"", problems.not_unpacked(f"{container}/{name}", container),
                              f"Outlook attachment of type {getattr(kind, 'name', kind)}"))
    return out


def unpack_msg(filename: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> Unpacked:
    import extract_msg

    if len(data) > limits.document_bytes:
        return Unpacked(problem=problems.too_large(filename, len(data), limits.document_bytes))
    try:
        message: Any = extract_msg.openMsg(data, delayAttachments=False)  # a Message (or MSGFile) with body and subject
    except MemoryError:  # out of memory is the caller's to say (bot/readers.py: "for stor")
        raise
    except Exception as exc:  # extract-msg raises many kinds for a broken file
        return Unpacked(problem=problems.damaged(filename, "msg"), detail=problems.detail_of(exc))
    try:
        body = message.body or ""
        if not body.strip() and getattr(message, "htmlBody", None):
            body = re.sub(r"<[^>]+>", " ", decode(message.htmlBody))
        members = _msg_members(message, filename)
        over = _counted(filename, data, members, limits)
        return over or Unpacked(tuple(members), _body(filename, "msg", message.subject or "", body))
    except MemoryError:  # out of memory is the caller's to say (bot/readers.py: "for stor")
        raise
    except Exception as exc:  # a property extract-msg decodes lazily fails on a damaged file
        return Unpacked(problem=problems.damaged(filename, "msg"), detail=problems.detail_of(exc))
    finally:
        message.close()


def unpack_tnef(filename: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> Unpacked:
    import tnefparse

    if len(data) > limits.document_bytes:
        return Unpacked(problem=problems.too_large(filename, len(data), limits.document_bytes))
    try:
        tnef = tnefparse.TNEF(data)
    except MemoryError:  # out of memory is the caller's to say (bot/readers.py: "for stor")
        raise
    except Exception as exc:  # tnefparse raises ValueError and struct errors for a broken file
        return Unpacked(problem=problems.damaged(filename, "tnef"), detail=problems.detail_of(exc))
    members = []
    for attachment in tnef.attachments:
        try:
            name = attachment.long_filename() or "unavngivet"
        except UnicodeDecodeError:  # tnefparse assumes UTF-8; Outlook writes the ANSI code page
            raw = getattr(attachment, "_name", b"") or b""
            name = decode(raw) if isinstance(raw, bytes) else str(raw)
        if isinstance(name, bytes):
            name = decode(name)
        data_ = attachment.data if isinstance(attachment.data, bytes) else b""
        members.append(Member(str(name).strip("\x00").replace("/", "_").replace("\\", "_") or "unavngivet", "", data_))
    over = _counted(filename, data, members, limits)
    if over is not None:
        return over
    body = getattr(tnef, "body", None) or b""
    text = decode(body) if isinstance(body, bytes) else str(body)
    return Unpacked(tuple(members), _body(filename, "tnef", "", text) if text.strip() else None)
