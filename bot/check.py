"""`check MESSAGE.eml --json`: assess one message on its own, with no database and no mail sent."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.assessment import assess
from bot.classify import message_kind
from bot.dossier import read_attachments, single_message_dossier
from bot.routing import route
from config.settings import Settings
from parsers.message import MessageFacts, parse_message
from parsers.municipalities import by_domain, sender_mismatch
from parsers.reading import DocumentReading


def received_time(facts: MessageFacts, internal_date: dt.datetime | None, file_time: dt.datetime | None) -> tuple[dt.datetime | None, str]:
    """The authoritative received time and where it came from: IMAP INTERNALDATE, the topmost
    Received header, or the file's mtime.  Never the sender's Date header."""
    if internal_date is not None:
        return internal_date, "imap-internaldate"
    if facts.received_at is not None:
        return facts.received_at, "received-header"
    if file_time is not None:
        return file_time, "file-mtime"
    return None, "none"


def municipality_json(facts: MessageFacts, readings: list[DocumentReading]) -> dict[str, str | None]:
    """The form's municipality (by name or CVR) is preferred over the sender's mail domain."""
    form = next((r.form for r in reversed(readings) if r.form), None)
    if form and form.municipality_record:
        return {"name": form.municipality_record.name, "cvr": form.municipality_record.cvr}
    if form and form.cvr:
        return {"name": None, "cvr": form.cvr.value}
    record = by_domain(facts.sender)
    return {"name": record.name if record else None, "cvr": record.cvr if record else None}


def municipality_source_json(facts: MessageFacts, readings: list[DocumentReading]) -> dict[str, object]:
    """Where `municipality` came from (`form` or `sender_domain`), the sender domain's municipality, and
    `mismatch`: a Danish sentence when the domain belongs to another municipality than the form's."""
    form = next((r.form for r in reversed(readings) if r.form), None)
    record = by_domain(facts.sender)
    from_domain = {"name": record.name, "cvr": record.cvr} if record else None
    if form and (form.municipality_record or form.cvr):
        cvr = form.municipality_record.cvr if form.municipality_record else form.cvr.value  # type: ignore[union-attr]
        named = form.municipality_record.name if form.municipality_record else f"CVR {cvr}"
        other = sender_mismatch(cvr, facts.sender)
        mismatch = f"Skemaet er fra {named}, men afsenderens domæne hører til {other.name}" if other else None
        return {"source": "form", "sender_domain": from_domain, "mismatch": mismatch}
    return {"source": "sender_domain" if record else None, "sender_domain": from_domain, "mismatch": None}


def director_json(readings: list[DocumentReading]) -> dict[str, str | None]:
    form = next((r.form for r in reversed(readings) if r.form), None)
    pick = lambda f: f.value if f else None  # noqa: E731
    if form is None:
        return {"name": None, "email": None, "phone": None}
    return {"name": pick(form.director_name), "email": pick(form.director_email), "phone": pick(form.director_phone)}


def check_message(raw: bytes, settings: Settings, now: dt.datetime, file_time: dt.datetime | None = None) -> dict[str, object]:
    facts = parse_message(raw)
    received_at, source = received_time(facts, None, file_time)
    received_at = received_at or now
    routing = route(settings.rounds, facts.recipients, received_at)
    readings = read_attachments(facts, settings.trust_roots)
    kind = message_kind(facts, readings)
    out: dict[str, object] = {
        "round": routing.round.id if routing.round else None,
        "kind": kind,
        "received_at": received_at.astimezone(settings.timezone).isoformat(),
        "received_source": source,
        "sender": facts.sender,
        "subject": facts.subject,
        "municipality": municipality_json(facts, readings),
        "municipality_source": municipality_source_json(facts, readings),
        "director": director_json(readings),
        "attachments": [{"filename": r.filename, "role": r.role, "problem": r.problem,
                         "parts": [{"role": role, "pages": f"{a}-{b}" if b > a else str(a)} for role, a, b in r.parts]} for r in readings],
    }
    if routing.round is None:
        out.update(checks={}, complete=False, reply="none", detail="Ingen ansøgningsrunde har denne modtageradresse.")
        return out
    assessment = assess(single_message_dossier(routing.round, facts, readings, received_at), now)
    out["checks"] = {c.name: c.to_json() for c in assessment.checks}
    out["complete"] = assessment.complete
    if kind in ("automatic", "inquiry"):
        out["reply"] = "none"
    elif not routing.open:
        out["reply"] = "not_open"
    else:
        out["reply"] = assessment.reply
    if facts.automatic:
        out["automatic_reason"] = facts.automatic
    return out


def check_file(path: Path, settings: Settings, now: dt.datetime) -> dict[str, object]:
    mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
    return check_message(path.read_bytes(), settings, now, file_time=mtime)
