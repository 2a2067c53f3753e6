"""Building raw test mails the way municipal mail systems send them (stdlib email for the MIME)."""
from __future__ import annotations

import datetime as dt
import email.utils
import mimetypes
from email.message import EmailMessage

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CPH = dt.timezone(dt.timedelta(hours=1))


def at(text: str) -> dt.datetime:
    """'2025-03-25 11:59:59' in Copenhagen winter time (+01:00), or an ISO time with its own offset."""
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=CPH)


def mail(
    sender: str = "Mette Hansen <meha@slagelse.dk>",
    to: str = "taskforce@sbst.dk",
    subject: str = "Ansøgning om Task Force-forløb",
    body: str = "Hermed fremsendes vores ansøgning med bilag.\n\nVenlig hilsen\nMette Hansen",
    attachments: list[tuple[str, bytes]] | tuple = (),
    received: dt.datetime | str | None = "2025-03-20 10:00:00",
    date_header: dt.datetime | str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    charset: str = "utf-8",
) -> bytes:
    """A raw message with a topmost Received header stamped at `received` (the receiving server's clock)."""
    msg = EmailMessage()
    if received is not None:
        when = at(received) if isinstance(received, str) else received
        msg["Received"] = f"from mail.kommune.dk (mail.kommune.dk [192.0.2.10]) by mx.sbst.dk with ESMTPS; {email.utils.format_datetime(when)}"
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    sent = date_header or received or "2025-03-20 10:00:00"
    msg["Date"] = email.utils.format_datetime(at(sent) if isinstance(sent, str) else sent)
    msg["Message-ID"] = message_id or email.utils.make_msgid(domain=sender.split("@")[-1].strip(">"))
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = references or in_reply_to
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body, charset=charset)
    for filename, data in attachments:
        ctype = DOCX if filename.lower().endswith(".docx") else (mimetypes.guess_type(filename)[0] or "application/octet-stream")
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(msg)


def out_of_office(to: str = "taskforce@sbst.dk", received: str = "2025-03-20 10:05:00") -> bytes:
    """What Exchange sends while someone is away: RFC 3834 header and a Danish subject."""
    return mail(
        sender="Jens Jensen <jeje@slagelse.dk>", to=to, subject="Automatisk svar: Ansøgning om Task Force-forløb",
        body="Jeg er på ferie til og med 28. marts og læser ikke mails.", received=received,
        headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
    )


def bounce(to: str = "taskforce@sbst.dk", received: str = "2025-03-20 10:06:00") -> bytes:
    msg = EmailMessage()
    msg["Received"] = f"from localhost by mx.sbst.dk; {email.utils.format_datetime(at(received))}"
    msg["From"] = "MAILER-DAEMON@mx.sbst.dk"
    msg["To"] = to
    msg["Subject"] = "Undelivered Mail Returned to Sender"
    msg["Message-ID"] = email.utils.make_msgid(domain="mx.sbst.dk")
    msg.set_content("This is the mail system. The message could not be delivered.")
    msg.add_attachment(b"Reporting-MTA: dns; mx.sbst.dk\n\nFinal-Recipient: rfc822; nobody@slagelse.dk\nAction: failed\nStatus: 5.1.1\n",
                       maintype="text", subtype="plain", filename="details.txt")
    msg.set_type("multipart/report")
    msg.set_param("report-type", "delivery-status")
    return bytes(msg)
