"""One email: headers, body, attachments, and whether a robot sent it (RFC 3834, bounces, bulk).

mail-parser reads the MIME structure; this module turns it into typed facts.  The received time comes
from the topmost `Received:` header (the receiving server's clock), never from `Date:`.

Any bytes at all are a message here: `parse_message` never raises.  Every header is read the same way:
the first value of a header that should occur once wins and the others are kept for the record
(`MessageFacts.repeated_headers`); 8-bit bytes in a header are read as UTF-8, else windows-1252; a
broken encoded word ("=?utf-8?B?!!!?=") stays as it was written and an unknown charset is read as
UTF-8/windows-1252; a header field longer than `MAX_HEADER_FIELD` is cut before parsing (the stored
mail keeps it whole).  A structure too deep for the parser (multiparts nested a thousand deep) gives
the headers and no body or attachments, and says so in `MessageFacts.problems`.
"""
from __future__ import annotations

from typing import Any

import base64
import binascii
import codecs
import datetime as dt
import email
import email.errors
import email.header
import email.message
import email.policy
import email.utils
import quopri
import re
from dataclasses import dataclass
from email.parser import BytesHeaderParser

import mailparser

from parsers.documents.plain import decode

LINK = re.compile(r"https?://[^\s<>\"')]+", re.I)
AUTO_SUBJECT = re.compile(
    r"^(automatisk svar|autosvar|auto(matic)? reply|out of office|fraværende|abwesenheitsnotiz|"
    r"undeliverable|ikke leveret|returned mail|delivery status notification|mail delivery failed)\b",
    re.I,
)
MAX_HEADER_FIELD = 64 * 1024  # bytes of one header field (RFC 5322 allows 998 a line); the rest is cut
MAX_HEADER_FIELDS = 1000  # header fields of the message read; the first ones (the topmost Received) are kept
MAX_REFERENCES = 100  # message ids of References kept: the first (the thread's root) and the newest
MAX_RECIPIENTS = 200
MAX_FILENAME = 150
# Headers that legitimately occur many times (trace and signature headers): not "repeated"
MANY = frozenset({"received", "x-received", "dkim-signature", "arc-seal", "arc-message-signature", "arc-authentication-results",
                  "authentication-results", "delivered-to", "x-original-to", "comments", "keywords",
                  "received-spf", "x-ms-exchange-organization-authas", "x-google-dkim-signature"})
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,60})\?([bBqQ])\?([^?\s]*)\?=")
_ESSENTIAL = {b"from", b"to", b"cc", b"subject", b"date", b"message-id", b"in-reply-to", b"references", b"mime-version",
              b"content-type", b"content-transfer-encoding", b"content-disposition", b"auto-submitted", b"precedence",
              b"list-id", b"list-unsubscribe", b"return-path", b"delivered-to", b"x-original-to"}  # kept beyond MAX_HEADER_FIELDS
_SINGLE_BYTE = {"us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "iso-8859-15", "windows-1252", "cp1252"}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    # the name as the mail gave it, when it had to be cleaned (control or direction characters, path
    # separators, a name of a thousand characters): kept for the record
    raw_filename: str = ""


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
    # a header that should occur once but came several times: its name and the values after the first
    # (which is the one read), for the record
    repeated_headers: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # what could not be read of the mail itself, in Danish for a person; `detail` says it technically
    problems: tuple[str, ...] = ()
    detail: str = ""


# --------------------------------------------------------------------------- header text

def _codec(charset: str) -> str | None:
    try:
        return codecs.lookup(charset.split("*", 1)[0].strip().strip('"')).name
    except (LookupError, ValueError):
        return None


def _bytes_text(raw: bytes, charset: str | None = None) -> str:
    """Bytes of a header in a declared charset: UTF-8 when they are valid UTF-8 and the charset is a
    single-byte one (the usual mislabel), the declared charset when it works, else UTF-8/windows-1252."""
    name = _codec(charset) if charset else None
    if name is None or name in _SINGLE_BYTE or (charset or "").lower() in _SINGLE_BYTE:
        if name not in (None, "ascii") and not _is_utf8(raw):
            try:
                return raw.decode(name or "cp1252")
            except (UnicodeDecodeError, LookupError):
                pass
        return decode(raw)
    try:
        return raw.decode(name)
    except (UnicodeDecodeError, LookupError):
        return decode(raw)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _word_bytes(encoding: str, text: str) -> bytes:
    if encoding in "bB":
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", text)
        cleaned = cleaned[: len(cleaned) - len(cleaned) % 4] if len(cleaned) % 4 == 1 else cleaned
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
    return quopri.decodestring(text.replace("_", " ").encode("latin-1", "replace"), header=True)


def decode_words(value: str) -> str:
    """RFC 2047 encoded words decoded; consecutive words of one charset are joined before decoding (a
    character may be split between two), whitespace between adjacent encoded words dropped, a broken
    word kept as written."""
    out: list[str] = []
    pending: list[bytes] = []
    charset_of_pending = ""
    last, after_word = 0, False
    for match in _ENCODED_WORD.finditer(value):
        between = value[last:match.start()]
        charset, encoding, text = match.group(1), match.group(2), match.group(3)
        adjacent = after_word and not between.strip()
        try:
            chunk: bytes | None = _word_bytes(encoding, text)
        except (binascii.Error, ValueError):
            chunk = None
        if pending and (chunk is None or not adjacent or charset.lower() != charset_of_pending.lower()):
            out.append(_bytes_text(b"".join(pending), charset_of_pending))
            pending = []
        if chunk is None:
            out.append(between + match.group(0))
        else:
            if not adjacent:
                out.append(between)
            if not pending:
                charset_of_pending = charset
            pending.append(chunk)
        last, after_word = match.end(), chunk is not None
    if pending:
        out.append(_bytes_text(b"".join(pending), charset_of_pending))
    out.append(value[last:])
    return "".join(out)


def _text(value: Any) -> str:
    """A header value as text: 8-bit bytes (kept by the parser as surrogates or an unknown-8bit
    Header) read as UTF-8, else windows-1252; encoded words decoded; folding undone."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        try:
            parts = email.header.decode_header(value)
            text = "".join(_bytes_text(p, c) if isinstance(p, bytes) else p for p, c in parts)
        except (email.errors.HeaderParseError, LookupError, UnicodeError, ValueError):
            text = str(value)
    else:
        text = str(value)
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        text = decode(text.encode("utf-8", "surrogateescape"))
    text = re.sub(r"\r?\n[ \t]+", " ", text)
    return decode_words(text).strip() if "=?" in text else text.strip()


def _values(msg: Any, name: str) -> list[str]:
    try:
        return [_text(v) for v in (msg.get_all(name) or [])]
    except Exception:  # a header the library cannot hand out at all
        return []


def header_text(msg: Any, name: str) -> str:
    """The first value of a header (the one that counts), as text; "" when there is none."""
    found = _values(msg, name)
    return found[0] if found else ""


def repeated(msg: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Headers that should occur once but came several times, with their later values (shortened)."""
    seen: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    try:
        items = msg.items()
    except Exception:
        return ()
    for name, value in items:
        key = str(name).lower()
        if key in MANY or key.startswith(("resent-", "x-ms-", "x-microsoft-")):
            continue
        names.setdefault(key, str(name))
        seen.setdefault(key, []).append(_text(value)[:1000])
    return tuple((names[k], tuple(v[1:21])) for k, v in seen.items() if len(v) > 1)


def _shortened(field: bytes) -> bytes:
    """A header field over MAX_HEADER_FIELD, unfolded, its middle cut out: its start and its end stay
    (the address of a From with a megabyte of name, the first and the last recipients)."""
    line = re.sub(rb"[\r\n]+[ \t]*", b" ", field.rstrip(b"\r\n"))
    half = MAX_HEADER_FIELD // 2 - 8
    return line[:half] + b" ... " + line[-half:]


def _bounded(raw: bytes) -> tuple[bytes, str]:
    """The mail with header fields over MAX_HEADER_FIELD cut and at most MAX_HEADER_FIELDS of them,
    for parsing only; and what was cut (the stored mail keeps everything)."""
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    end = min(ends) if ends else len(raw)
    if end <= MAX_HEADER_FIELD and raw.count(b"\n", 0, end) < MAX_HEADER_FIELDS:
        return raw, ""
    fields: list[bytes] = []
    for line in raw[:end].splitlines(keepends=True):
        if line[:1] in (b" ", b"\t") and fields:
            if len(fields[-1]) <= MAX_HEADER_FIELD:
                fields[-1] += line
        else:
            fields.append(line)
    cut = [f for f in fields if len(f) > MAX_HEADER_FIELD]
    kept = [f if len(f) <= MAX_HEADER_FIELD else _shortened(f)
            for n, f in enumerate(fields) if n < MAX_HEADER_FIELDS or f.split(b":", 1)[0].strip().lower() in _ESSENTIAL]
    kept = [f.rstrip(b"\r\n") + b"\r\n" for f in kept]
    notes = []
    if cut:
        notes.append(f"{len(cut)} header field(s) longer than {MAX_HEADER_FIELD} bytes cut")
    if len(fields) > MAX_HEADER_FIELDS:
        notes.append(f"{len(fields)} header fields, the first {MAX_HEADER_FIELDS} read")
    separator = 4 if raw[end:end + 4] == b"\r\n\r\n" else 2
    body = raw[end + separator:] if ends else b""
    return b"".join(kept) + b"\r\n" + body, "; ".join(notes)


# --------------------------------------------------------------------------- what the headers say

def _date(value: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value[:200])
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def topmost_received(msg: Any) -> dt.datetime | None:
    """The date stamped by the last server that received the mail (the first `Received:` header)."""
    try:
        values = msg.get_all("Received") or []
    except Exception:
        return None
    for value in values:
        stamp = str(value).rsplit(";", 1)
        if len(stamp) == 2:
            when = _date(stamp[1].strip())
            if when is not None and when.tzinfo is not None:
                return when
    return None


def automatic_reason(msg: Any, sender: str, subject: str) -> str | None:
    """Why this mail came from a robot, or None.  Such mail is never answered (RFC 3834).  A robot's
    mark counts in any of a header's values (a mail with "Auto-Submitted: no" and
    "Auto-Submitted: auto-replied" is a robot's): answering a robot risks a mail loop."""
    for auto in (v.lower() for v in _values(msg, "Auto-Submitted")):
        if auto and auto != "no":
            return f"Auto-Submitted: {auto[:100]}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if any(_values(msg, name)):
            return f"{name} sat"
    for precedence in (v.lower() for v in _values(msg, "Precedence")):
        if precedence in ("bulk", "junk", "list", "auto_reply"):
            return f"Precedence: {precedence}"
    if header_text(msg, "List-Id") or header_text(msg, "List-Unsubscribe"):
        return "postliste (List-Id/List-Unsubscribe)"
    try:
        report = msg.get_content_type() == "multipart/report"
    except Exception:
        report = False
    if report:
        return "leveringsrapport (multipart/report)"
    local = sender.split("@")[0].lower()
    if local in ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply"):
        return f"afsender {sender}"
    if "<>" in _values(msg, "Return-Path"):
        return "tom Return-Path"
    if AUTO_SUBJECT.match(subject):
        return f"emne »{subject[:200]}«"
    return None


def _address(value: str) -> tuple[str, str]:
    """(display name, address) of a From value; the address lower-cased, "" unless it looks like one."""
    try:
        name, address = email.utils.parseaddr(value)
    except (TypeError, ValueError, IndexError):
        return "", ""
    address = address.strip().lower()
    if not re.fullmatch(r"[^\s@<>]{1,200}@[^\s@<>]{1,255}", address):
        address = ""
    return _HIDDEN.sub("", name).strip()[:200], address


def _recipients(msg: Any) -> tuple[str, ...]:
    values = [header_text(msg, "To"), header_text(msg, "Cc")] + _values(msg, "Delivered-To") + _values(msg, "X-Original-To")
    try:
        found = [a for _, a in email.utils.getaddresses([v for v in values if v]) if a]
    except (TypeError, ValueError, IndexError):
        found = []
    clean = [a.strip().lower() for a in found if re.fullmatch(r"[^\s@<>]{1,200}@[^\s@<>]{1,255}", a.strip())]
    return tuple(dict.fromkeys(clean))[:MAX_RECIPIENTS]


def _ids(value: str) -> tuple[str, ...]:
    return tuple(i for i in re.findall(r"<[^<>\s]+>", value) if len(i) <= 500)


def _references(value: str) -> tuple[str, ...]:
    ids = tuple(dict.fromkeys(_ids(value)))
    return ids if len(ids) <= MAX_REFERENCES else ids[:1] + ids[-(MAX_REFERENCES - 1):]


# --------------------------------------------------------------------------- attachments

def file_name(name: str) -> str:
    """An attachment's name as it is kept: no control or direction characters ("referat\u202efdp.exe"
    would show as "referatexe.pdf"), no path (a name is never a place to write to), at most
    MAX_FILENAME characters with its extension kept."""
    clean = _HIDDEN.sub("", name).strip().replace("/", "_").replace("\\", "_")
    clean = re.sub(r"\s+", " ", clean).strip(" .") or "unavngivet"
    if len(clean) > MAX_FILENAME:
        stem, dot, suffix = clean.rpartition(".")
        suffix = suffix if dot and len(suffix) <= 10 else ""
        clean = clean[: MAX_FILENAME - len(suffix) - 2] + "…" + (f".{suffix}" if suffix else "")
    return clean


def _base64(payload: str) -> bytes:
    """Base64 as mail clients write it, also broken: characters outside the alphabet skipped, a
    missing padding added, a dangling last character dropped."""
    cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError):
        return b""


def _payload(part: dict[str, Any]) -> bytes:
    payload = part.get("payload") or ""
    if isinstance(payload, bytes):
        return payload
    if part.get("binary"):
        try:
            return base64.b64decode(payload, validate=False)
        except (binascii.Error, ValueError):
            return _base64(str(payload))
    charset = _codec(str(part.get("charset") or "utf-8")) or "utf-8"
    try:
        return str(payload).encode(charset, errors="replace")
    except (LookupError, UnicodeError, ValueError):
        return str(payload).encode("utf-8", errors="replace")


_RANDOM_NAME = re.compile(r"[a-z]{10}\.(?:txt|rtf)")  # what mail-parser names a file that has no name


def _unnamed(content_type: str) -> str:
    """A file without a name gets one from its type, the same every time (mail-parser's is random)."""
    import mimetypes

    suffix = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ".bin"
    return f"unavngivet{'.txt' if suffix in ('.ksh', '.bat') else suffix}"


def _attachment(part: dict[str, Any]) -> Attachment:
    data = _payload(part)
    given = _text(part.get("filename") or "")
    content_type = (_text(part.get("mail_content_type")) or "application/octet-stream").lower()[:200]
    if _RANDOM_NAME.fullmatch(given) and "filename" not in str(part.get("content-disposition") or "").lower():
        given = _unnamed(content_type)
    name = file_name(given)
    if content_type == "message/rfc822":
        # a forwarded mail: mail-parser names it at random; name it by its subject, deterministically
        try:
            inner = BytesHeaderParser(policy=email.policy.compat32).parsebytes(_bounded(data)[0])
            subject = header_text(inner, "Subject")
        except Exception:
            subject = ""
        subject = re.sub(r"[\\/:*?\"<>|\s]+", " ", _HIDDEN.sub("", subject)).strip()[:80]
        name = f"{subject or 'videresendt mail'}.eml"
    return Attachment(name, content_type, data, given if given and given != name else "")


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


# --------------------------------------------------------------------------- the message

def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else []


def _facts(msg: Any, body: str, html: str, attachments: tuple[Attachment, ...], problems: tuple[str, ...], detail: str) -> MessageFacts:
    sender_name, sender = _address(header_text(msg, "From"))
    subject = _HIDDEN.sub(" ", header_text(msg, "Subject")).strip()[:2000]
    return MessageFacts(
        message_id=(_ids(header_text(msg, "Message-ID")) or ("",))[0],
        in_reply_to=(_ids(header_text(msg, "In-Reply-To")) or (None,))[0],
        references=_references(header_text(msg, "References")),
        subject=subject,
        sender=sender,
        sender_name=sender_name,
        recipients=_recipients(msg),
        date_header=_date(header_text(msg, "Date")),
        received_at=topmost_received(msg),
        body=body,
        attachments=attachments,
        automatic=automatic_reason(msg, sender, subject),
        links=tuple(dict.fromkeys(LINK.findall(body)))[:500],
        repeated_headers=repeated(msg),
        problems=problems,
        detail=detail,
    )


_FILENAME = re.compile(r"""(?:file)?name\*?(?:0\*?)?\s*=\s*(?:"([^"]*)"|([^;\s]+))""", re.I)


def _part_name(part: email.message.Message) -> str:
    """A part's file name; read from its raw headers when the library cannot (a broken RFC 2231 name)."""
    try:
        name = part.get_filename()
        if name:
            return _text(name)
    except Exception:
        pass
    for header in ("Content-Disposition", "Content-Type"):
        found = _FILENAME.search(header_text(part, header))
        if found:
            value = found.group(1) or found.group(2) or ""
            if "''" in value:  # RFC 2231: charset'language'percent-encoded
                from urllib.parse import unquote_to_bytes

                charset, _, encoded_ = value.split("'", 2)
                return _bytes_text(unquote_to_bytes(encoded_), charset or "utf-8")
            return _text(value)
    return ""


def _stdlib_parts(msg: email.message.Message) -> tuple[str, str, list[dict[str, Any]], list[str]]:
    """The body and the files of a mail mail-parser gave up on, walked with the standard library, part
    by part: (plain text, HTML, parts as mail-parser gives them, what failed)."""
    plain: list[str] = []
    html: list[str] = []
    parts: list[dict[str, Any]] = []
    failed: list[str] = []
    for part in msg.walk():
        try:
            if part.is_multipart():
                continue
            kind = part.get_content_type()
            name = _part_name(part)
            disposition = header_text(part, "Content-Disposition")
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else str(payload or "").encode("utf-8", "replace")
            if not name and not disposition.lower().startswith("attachment") and kind in ("text/plain", "text/html"):
                text = _bytes_text(data, part.get_content_charset() or "utf-8")
                (plain if kind == "text/plain" else html).append(text)
                continue
            parts.append({"filename": name or _unnamed(kind), "payload": data, "binary": True, "mail_content_type": kind,
                          "content-id": header_text(part, "Content-ID"), "content-disposition": disposition})
        except Exception as exc:  # this part is lost; the others are read
            failed.append(f"{type(exc).__name__}: {str(exc)[:200]}")
    return "\n".join(plain), "\n".join(html), parts, failed


def parse_message(raw: bytes) -> MessageFacts:
    """Facts of one raw RFC 5322 message.  Never raises for a malformed message: missing parts are empty."""
    bounded, cut = _bounded(raw)
    notes = [cut] if cut else []
    problems: list[str] = []
    try:
        mail = mailparser.parse_from_bytes(bounded)
        msg = mail.message
        html = "\n".join(_strings(mail.text_html))
        plain = "\n".join(_strings(mail.text_plain))
        parts = list(mail.attachments)
    except Exception as exc:  # mail-parser gave up (a broken RFC 2231 name): the standard library, part by part
        notes.append(f"mail-parser: {type(exc).__name__}: {str(exc)[:300]}")
        try:
            msg = email.message_from_bytes(bounded, policy=email.policy.compat32)
            plain, html, parts, failed = _stdlib_parts(msg)
            notes += failed
            if failed:
                problems.append("en del af mailen kunne ikke læses")
        except Exception as inner:  # nested a thousand deep: beyond the parser, the headers only
            try:
                msg = BytesHeaderParser(policy=email.policy.compat32).parsebytes(bounded)
            except Exception:
                msg = email.message.Message()
            notes.append(f"{type(inner).__name__}: {str(inner)[:300]}")
            problem = "mailens opbygning kunne ikke læses (for mange dele i hinanden), så dens tekst og vedhæftede filer er ikke læst"
            return _facts(msg, "", "", (), (problem,), "; ".join(notes))
    if msg is None:
        msg = email.message.Message()
    body = plain if plain else re.sub(r"<[^>]+>", " ", html)
    attachments: list[Attachment] = []
    for part in parts:
        try:
            if not body_image(part, html):
                attachments.append(_attachment(part))
        except Exception as exc:  # one part the parser gave oddly: the others are still read
            notes.append(f"attachment skipped: {type(exc).__name__}: {str(exc)[:200]}")
            problems.append("en vedhæftet fil kunne ikke tages ud af mailen")
    return _facts(msg, body, html, tuple(attachments), tuple(dict.fromkeys(problems)), "; ".join(notes))


__all__ = ["Attachment", "MessageFacts", "parse_message", "decode"]
