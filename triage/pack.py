"""The steering-group pack as a PDF (reportlab): page 1 a cover table of the round's complete
applications with their five scores and total, then one page per application with its checks (status,
the bot's detail, the evidence, any override), its scores with notes and the decision, if any.

Pure: typed data in (bot/steering.py `Pack`), bytes out.  reportlab's standard fonts (Helvetica) write
WinAnsi (cp1252), which holds æ, ø, å and the Danish punctuation; a character outside it (mail text
can hold anything) becomes "?" rather than a missing glyph.  All text goes through `para`, which
escapes reportlab's paragraph markup, since checks' evidence and notes quote untrusted mail.  Each
application's page shrinks to fit (KeepInFrame), so the pack has exactly one page per application."""
from __future__ import annotations

import io
import unicodedata
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (Flowable, KeepInFrame, LongTable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table,
                                TableStyle)

from bot.steering import CRITERION_HINTS, CRITERION_NAMES, CRITERION_SHORT, NOT_SCORED, Criterion, Pack, PackApplication, PackCheck
from triage.labels import CHECK_NAMES, CHECK_STATUS_NAMES, DECISION_NAMES, STATUS_NAMES, local

MARGIN = 15 * mm
FRAME_WIDTH = A4[0] - 2 * MARGIN
FRAME_HEIGHT = A4[1] - 2 * MARGIN - 12  # SimpleDocTemplate's frame pads 6 pt each side
SNIPPET_CHARS = 300
_BASE = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=_BASE["BodyText"], fontName="Helvetica", fontSize=9, leading=11.5)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10, textColor=colors.HexColor("#444444"))
CELL = ParagraphStyle("cell", parent=BODY, fontSize=8.5, leading=10.5)
HEAD = ParagraphStyle("head", parent=CELL, fontName="Helvetica-Bold")
H1 = ParagraphStyle("h1", parent=_BASE["Heading1"], fontName="Helvetica-Bold", fontSize=16, leading=19, spaceAfter=4)
H2 = ParagraphStyle("h2", parent=_BASE["Heading2"], fontName="Helvetica-Bold", fontSize=11.5, leading=14, spaceBefore=8, spaceAfter=3)
GRID = TableStyle([
    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e9ef")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
])


def latin1(text: str) -> str:
    """Text the standard fonts can draw: composed (NFC, so "å" written as a + ring is one character),
    and each character outside cp1252 as "?"."""
    text = unicodedata.normalize("NFC", text)
    return text.encode("cp1252", errors="replace").decode("cp1252")


def para(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    """A paragraph of plain text: escaped (no markup from mail), line breaks kept."""
    return Paragraph(escape(latin1(text)).replace("\r\n", "\n").replace("\n", "<br/>"), style)


def score_text(value: int | None) -> str:
    return "–" if value is None else str(value)


def total_text(app: PackApplication) -> str:
    return str(app.total) if app.scored == len(Criterion) else f"{app.total} ({app.scored}/{len(Criterion)})"


def status_text(app: PackApplication) -> str:
    return STATUS_NAMES.get(app.status, app.status) + (" (overstyret)" if app.overridden else "")


def cover(pack: Pack) -> list[Flowable]:
    head = ["Reference", "Kommune", "Modtaget", "Status", *(CRITERION_SHORT[c] for c in Criterion), "I alt"]
    rows = [[para(h, HEAD) for h in head]]
    for app in pack.applications:
        rows.append([para(app.reference, CELL), para(app.municipality or "(ukendt)", CELL),
                     para(local(app.received_at, pack.tz, seconds=False), CELL), para(status_text(app), CELL),
                     *(para(score_text(s.value), CELL) for s in app.scores), para(total_text(app), HEAD)])
    widths = [24 * mm, 32 * mm, 23 * mm, 22 * mm, *([12 * mm] * len(Criterion)), 13 * mm]
    table = LongTable(rows, colWidths=widths, repeatRows=1)
    table.setStyle(GRID)
    legend = "; ".join(f"{CRITERION_SHORT[c]} = {CRITERION_NAMES[c]}" for c in Criterion)
    found = [
        para(f"Styregruppen: {pack.title}", H1),
        para(f"Runde {pack.round_id} · udarbejdet {local(pack.generated_at, pack.tz, seconds=False)} af Task Force Sekretariatet", SMALL),
        Spacer(1, 6),
        para(f"{len(pack.applications)} komplette ansøgninger (minimumskriterierne opfyldt, sekretariatets overstyringer "
             "medregnet). Hver har sin egen side med tjek, vurdering og afgørelse.", BODY),
        Spacer(1, 6),
        table if pack.applications else para("Runden har endnu ingen komplette ansøgninger.", BODY),
        Spacer(1, 6),
        para(f"Point 1–5 pr. kriterium, højere vægter for ansøgningen; – = {NOT_SCORED}. {legend}. "
             f"\"I alt\" lægger de vurderede kriterier sammen; (3/5) siger, hvor mange der er vurderet.", SMALL),
    ]
    if pack.not_complete:
        found.append(para(f"Runden har desuden {pack.not_complete} ansøgninger, der ikke er komplette; de indgår ikke i pakken.", SMALL))
    return found


def _check_cell(check: PackCheck) -> list[Flowable]:
    parts = [para(check.detail or "—", CELL)]
    for e in check.evidence:
        snippet = e.snippet if len(e.snippet) <= SNIPPET_CHARS else e.snippet[:SNIPPET_CHARS] + "…"
        parts.append(para(f"{e.file}, {e.location}: »{snippet}«", SMALL))
    if check.override:
        parts.append(para(f"Overstyret (botten: {CHECK_STATUS_NAMES.get(check.bot_status, check.bot_status)}): {check.override}", SMALL))
    return parts


def application_page(app: PackApplication, pack: Pack) -> list[Flowable]:
    checks = [[para(h, HEAD) for h in ("Minimumskriterium", "Status", "Grundlag")]]
    for c in app.checks:
        name = CHECK_NAMES.get(c.name, c.name) + ("" if c.required else " (anbefalet)")
        checks.append([para(name, CELL), para(CHECK_STATUS_NAMES.get(c.status, c.status), CELL), _check_cell(c)])
    check_table = Table(checks, colWidths=[42 * mm, 24 * mm, FRAME_WIDTH - 66 * mm], repeatRows=1)
    check_table.setStyle(GRID)
    scores = [[para(h, HEAD) for h in ("Kriterium", "Point", "Note")]]
    for s in app.scores:
        note = s.note + (f" ({s.actor})" if s.actor else "")
        scores.append([[para(CRITERION_NAMES[s.criterion], CELL), para(CRITERION_HINTS[s.criterion], SMALL)],
                       para(score_text(s.value) if s.value is not None else NOT_SCORED, CELL), para(note or "—", CELL)])
    scores.append([para("I alt", HEAD), para(total_text(app), HEAD), para("", CELL)])
    score_table = Table(scores, colWidths=[58 * mm, 22 * mm, FRAME_WIDTH - 80 * mm])
    score_table.setStyle(GRID)
    decision = DECISION_NAMES.get(app.decision, app.decision) if app.decision else "Ingen afgørelse endnu"
    if app.decision_comment:
        decision += f" — {app.decision_comment}"
    content = [
        para(f"{app.reference} · {app.municipality or '(ukendt kommune)'}", H1),
        para(f"Modtaget {local(app.received_at, pack.tz)}" + (f" · CVR {app.cvr}" if app.cvr else "") + f" · Status: {status_text(app)}", SMALL),
        para("Minimumskriterier", H2), check_table,
        para("Sekretariatets vurdering", H2), score_table,
        para("Afgørelse", H2), para(decision, BODY),
    ]
    return [KeepInFrame(FRAME_WIDTH, FRAME_HEIGHT, content, mode="shrink")]


def render(pack: Pack) -> bytes:
    """The pack's PDF."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
                            title=latin1(f"Styregruppepakke {pack.round_id}"), author="Task Force Sekretariatet", lang="da")
    story: list[Flowable] = cover(pack)
    for app in pack.applications:
        story += [PageBreak(), *application_page(app, pack)]
    doc.build(story)
    return out.getvalue()
