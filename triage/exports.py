"""Exports: a round for the steering group, and the journal (offentlighedsloven § 15: every received
document with its date of receipt and a short description, and every letter sent).  Both as CSV
(semicolon, UTF-8 with BOM, as Danish Excel expects) and XLSX (openpyxl)."""
from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import Session, select

from bot.runtime import Runtime
from bot.overrides import decision_in_force, describe, effective_checks, overrides_in_force
from bot.queue import queue
from bot.states import ApplicationKind, ReplyState
from config.settings import Round
from storage.models import Application, Attachment, Message, Reply
from triage.labels import CHECK_NAMES, CHECK_STATUS_NAMES, DECISION_NAMES, MESSAGE_KINDS, REPLY_KINDS, STATUS_NAMES, local

Table = tuple[list[str], list[list[str]]]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe(value: object) -> str:
    """Text from mail is untrusted: a cell that a spreadsheet would run as a formula is quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def steering_group(rt: Runtime, round_: Round) -> Table:
    tz = rt.settings.timezone
    header = ["Reference", "Kommune", "CVR", "Modtaget", "Status", "Bottens status",
              *(CHECK_NAMES[n] for n in CHECK_NAMES), "Overstyringer", "Afgørelse", "Mails"]
    rows: list[list[str]] = []
    with Session(rt.engine) as session:
        for item in queue(session, rt.settings):
            if item.round != round_.id or item.kind != ApplicationKind.APPLICATION:
                continue
            overrides = overrides_in_force(session, item.application_id)
            statuses = effective_checks(item.checks, overrides)
            decision = decision_in_force(session, item.application_id)
            rows.append([item.reference, item.municipality, item.cvr, local(item.received_at, tz), STATUS_NAMES.get(item.status, item.status),
                         STATUS_NAMES.get(item.bot_status, item.bot_status),
                         *(CHECK_STATUS_NAMES.get(statuses.get(n, ""), statuses.get(n, "")) for n in CHECK_NAMES),
                         describe(overrides.values()), DECISION_NAMES.get(decision.decision, "") if decision else "", str(item.messages)])
    return header, rows


def journal(rt: Runtime, round_: Round) -> Table:
    """One row per received message and per reply sent, in time order."""
    tz = rt.settings.timezone
    header = ["Tidspunkt", "Retning", "Type", "Fra", "Til", "Emne", "Reference", "Kommune", "Vedhæftede filer", "Message-ID"]
    entries: list[tuple[object, list[str]]] = []
    with Session(rt.engine) as session:
        apps = {a.id: a for a in session.exec(select(Application).where(Application.round_id == round_.id)).all()}
        for m in session.exec(select(Message).where(Message.round_id == round_.id)).all():
            files = session.exec(select(Attachment.filename).where(Attachment.message_id == m.id).order_by(Attachment.id)).all()
            app = apps.get(m.application_id)
            entries.append((m.received_at, [local(m.received_at, tz), "Modtaget", MESSAGE_KINDS.get(m.kind, m.kind), m.sender, m.recipients,
                                           m.subject, app.reference if app else "", app.municipality if app else "", ", ".join(files), m.message_id]))
        app_ids = list(apps)
        for r in session.exec(select(Reply).where(Reply.application_id.in_(app_ids), Reply.state == ReplyState.SENT)).all() if app_ids else []:
            app = apps[r.application_id]
            entries.append((r.sent_at, [local(r.sent_at, tz), "Afsendt", REPLY_KINDS.get(r.kind, r.kind), r.sender, r.to, r.subject,
                                        app.reference, app.municipality, "", r.message_id]))
    entries.sort(key=lambda e: e[0])  # type: ignore[arg-type, return-value]
    return header, [row for _, row in entries]


def to_csv(table: Table) -> bytes:
    header, rows = table
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[safe(v) for v in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table, title: str) -> bytes:
    header, rows = table
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe(v) for v in row])
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # never a formula, whatever the text
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


