"""One email: headers, body, attachments, and whether a robot sent it (RFC 3834, bounces, bulk).

mail-parser reads the MIME structure; this module turns it into typed facts.  The received time comes
from the topmost `Received:` header (the receiving server's clock), never from `Date:`.
"""
from __future__ import annotations

from typing import Any

import base64
import datetime as dt
import email.policy
import email.utils
import re
from dataclasses import dataclass

import mailparser

from parsers.documents.plain import decode

LINK = re.compile(r"https?://[^\s<>\"')]+", re.I)
AUTO_SUBJECT = re.compile(
    r"^(automatisk svar|autosvar|auto(matic)? reply|out of office|fraværende|abwesenheitsnotiz|"
    r"undeliverable|ikke leveret|returned mail|delivery status notification|mail delivery failed)\b",
    re.I,
)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class MessageFacts:
    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    sender: str
    sender_name: str
    recipients: tuple[str, ...]
    date_header: dt.datetime | None
    received_at: dt.datetime | None
    body: str
    attachments: tuple[Attachment, ...]
    automatic: str | None
    links: tuple[str, ...]


def _header(msg: Any, name: str) -> str:
    value = msg.get(name)
    return str(value).strip() if value is not None else ""


def topmost_received(msg: Any) -> dt.datetime | None:
    """The date stamped by the last server that received the mail (the first `Received:` header)."""
    for value in msg.get_all("Received") or []:
        stamp = str(value).rsplit(";", 1)
        if len(stamp) == 2:
            try:
                when = email.utils.parsedate_to_datetime(stamp[1].strip())
            except (TypeError, ValueError):
                continue
            if when.tzinfo is not None:
                return when
    return None


def automatic_reason(msg: Any, sender: str, subject: str) -> str | None:
    """Why this mail came from a robot, or None.  Such mail is never answered (RFC 3834)."""
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if _header(msg, name):
            return f"{name} sat"
    precedence = _header(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    if _header(msg, "List-Id") or _header(msg, "List-Unsubscribe"):
        return "postliste (List-Id/List-Unsubscribe)"
    if msg.get_content_type() == "multipart/report":
        return "leveringsrapport (multipart/report)"
    local = sender.split("@")[0].lower()
    if local in ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply"):
        return f"afsender {sender}"
    if _header(msg, "Return-Path") == "<>":
        return "tom Return-Path"
    if AUTO_SUBJECT.match(subject):
        return f"emne »{subject}«"
    return None


def _attachment(part: dict[str, Any]) -> Attachment:
    payload = part.get("payload") or ""
    if part.get("binary"):
        data = base64.b64decode(payload)
    else:
        data = payload.encode(part.get("charset") or "utf-8", errors="replace")
    name = (part.get("filename") or "unavngivet").strip().replace("/", "_").replace("\\", "_")
    content_type = (part.get("mail_content_type") or "application/octet-stream").lower()
    if content_type == "message/rfc822":
        # a forwarded mail: mail-parser names it at random; name it by its subject, deterministically
        inner = email.message_from_bytes(data, policy=email.policy.default)
        subject = re.sub(r"[\\/:*?\"<>|\s]+", " ", str(inner.get("Subject", "") or "")).strip()[:80]
        name = f"{subject or 'videresendt mail'}.eml"
    return Attachment(name, content_type, data)


INLINE_IMAGE_BYTES = 100_000  # a logo or a signature picture in the body; a pasted scan of a page is larger


def body_image(part: dict[str, Any], html: str) -> bool:
    """A picture of the mail body itself (a logo in the sender's signature), not an attachment: an
    image with a Content-ID that the HTML body shows (`cid:`) or that is marked inline.  A large
    picture is kept as an attachment: someone may have pasted the scanned form into the mail."""
    cid = str(part.get("content-id") or "").strip().strip("<>")
    if not cid or not str(part.get("mail_content_type") or "").lower().startswith("image/"):
        return False
    shown = f"cid:{cid}".lower() in html.lower()
    inline = str(part.get("content-disposition") or "").lower().startswith("inline")
    size = len(part.get("payload") or "") * 3 // 4
    return (shown or inline) and size <= INLINE_IMAGE_BYTES


def _ids(value: str) -> tuple[str, ...]:
    return tuple(re.findall(r"<[^<>\s]+>", value))


def parse_message(raw: bytes) -> MessageFacts:
    """Facts of one raw RFC 5322 message.  Never raises for a malformed message: missing parts are empty."""
    mail = mailparser.parse_from_bytes(raw)
    msg = mail.message
    sender_name, sender = email.utils.parseaddr(_header(msg, "From"))
    recipients = [a for _, a in email.utils.getaddresses([_header(msg, h) for h in ("To", "Cc", "Delivered-To", "X-Original-To")]) if a]
    subject = mail.subject or ""
    try:
        date_header = email.utils.parsedate_to_datetime(_header(msg, "Date")) if _header(msg, "Date") else None
    except (TypeError, ValueError):
        date_header = None
    html = "\n".join(mail.text_html)
    body = "\n".join(mail.text_plain) if mail.text_plain else re.sub(r"<[^>]+>", " ", html)
    message_id = (_ids(_header(msg, "Message-ID")) or ("",))[0]
    return MessageFacts(
        message_id=message_id,
        in_reply_to=(_ids(_header(msg, "In-Reply-To")) or (None,))[0],
        references=_ids(_header(msg, "References")),
        subject=subject.strip(),
        sender=sender.lower(),
        sender_name=sender_name,
        recipients=tuple(dict.fromkeys(a.lower() for a in recipients)),
        date_header=date_header,
        received_at=topmost_received(msg),
        body=body,
        attachments=tuple(_attachment(part) for part in mail.attachments if not body_image(part, html)),
        automatic=automatic_reason(msg, sender.lower(), subject),
        links=tuple(dict.fromkeys(LINK.findall(body))),
    )


__all__ = ["Attachment", "MessageFacts", "parse_message", "decode"]
