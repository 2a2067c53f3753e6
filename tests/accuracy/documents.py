"""The documents of the accuracy corpus: application forms and committee minutes in our own layouts
and wordings, rendered to .docx, Word-like PDF, .odt and scans.

Written from the form's questions (shared/forms/…), the guidelines and the way Danish meeting systems
print minutes (FirstAgenda/Holbæk style "Beslutning i <udvalg> den …", Prepare style "Sagsnr. … Dok.nr.
… Kompetence … Beslutningstema", "Beslutningsprotokol" with "Sagsid.", "Sag nr. … Beslutningskompetence"
with the decision before the Sagsfremstilling, a "Pkt./Sag/Beslutning" table, "Afgørelse",
"Udvalgets beslutning", the committee chain of a city-council item), never from the product's reader.

Only the generic document model and renderers of ``tests/factories/images.py`` are reused; the extra
blocks :class:`Bare` (a table without ruling lines) and :class:`Tabbed` (label, tab, value) are rendered
here.  Everything is deterministic: same spec, same bytes.
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tests.factories import images as im
from tests.factories.images import Cell, DocMeta, Grid, PageBreak, Para, Pic, Run, bold, cell, italic, para, signature_png

__all__ = [
    "Bare", "Tabbed", "render_docx", "render_pdf", "render_odt", "scan_pdf", "scan_png", "logo_png", "page_count",
    "Director", "Signature", "Meeting", "FormSpec", "form_blocks", "form_meta", "form_bytes",
    "Item", "MinutesSpec", "minutes_blocks", "minutes_meta", "minutes_bytes", "combined_pdf",
    "long_date", "MONTHS",
]

ZIP_EPOCH = (2020, 1, 1, 0, 0, 0)
MONTHS = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
          "november", "december")
MON_ABBR = ("jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec.")
WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")


def long_date(d: dt.date) -> str:
    return f"{d.day}. {MONTHS[d.month - 1]} {d.year}"


# =========================================================================== extra blocks + renderers


@dataclass(frozen=True)
class Bare:
    """A table WITHOUT ruling lines (a borderless Word table: label and answer side by side)."""

    rows: tuple[tuple[Cell, ...], ...]
    widths: tuple[float, ...]


@dataclass(frozen=True)
class Tabbed:
    """Lines of "label<TAB>value", the value aligned at a tab stop (no table at all)."""

    rows: tuple[tuple[str, str], ...]
    tab_cm: float = 4.5
    bold_labels: bool = False


Block = Para | Grid | Bare | Tabbed | PageBreak


def render_docx(blocks: Sequence[Block], meta: DocMeta) -> bytes:
    return im.render_docx(blocks, meta, other=_docx_block)


def _docx_block(document: Any, block: object) -> None:
    """The corpus's own blocks in Word: a table without borders, label<TAB>value lines."""
    from docx.shared import Cm, Pt

    if isinstance(block, Bare):
        table = document.add_table(rows=len(block.rows), cols=len(block.widths))  # no style: no borders
        for row, cells in zip(table.rows, block.rows, strict=True):
            for target, spec, width in zip(row.cells, cells, block.widths, strict=False):
                target.width = Cm(16.0 * width)
                im._docx_cell(target, spec)
    elif isinstance(block, Tabbed):
        for label, value in block.rows:
            p = document.add_paragraph()
            p.paragraph_format.tab_stops.add_tab_stop(Cm(block.tab_cm))
            p.paragraph_format.space_after = Pt(2)
            run = p.add_run(label)
            run.bold = block.bold_labels or None
            p.add_run("\t" + value)


def _styles(size: float) -> dict[str, object]:
    from reportlab.lib.styles import ParagraphStyle

    f = im.pdf_fonts()
    lead = size * 1.33
    body = ParagraphStyle("body", fontName=f.regular, fontSize=size, leading=lead, spaceAfter=size * 0.45)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=f.bold, fontSize=size * 1.6, leading=size * 2,
                                spaceAfter=size * 0.8),
        "h1": ParagraphStyle("h1", parent=body, fontName=f.bold, fontSize=size * 1.25, leading=size * 1.6,
                             spaceBefore=size * 0.8, spaceAfter=size * 0.4, keepWithNext=1),
        "h2": ParagraphStyle("h2", parent=body, fontName=f.bold, fontSize=size * 1.1, leading=size * 1.4,
                             spaceBefore=size * 0.6, spaceAfter=size * 0.3, keepWithNext=1),
        "h3": ParagraphStyle("h3", parent=body, fontName=f.bold, fontSize=size, leading=lead,
                             spaceBefore=size * 0.4, spaceAfter=size * 0.2, keepWithNext=1),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=size * 0.8, leading=size),
        "cell": ParagraphStyle("cell", parent=body, spaceAfter=size * 0.3),
    }


def _tabbed_flowable(block: Tabbed, size: float):
    from reportlab.lib.units import cm
    from reportlab.lib.utils import simpleSplit
    from reportlab.platypus import Flowable

    fonts = im.pdf_fonts()

    class _TabbedLines(Flowable):
        def wrap(self, avail_width, avail_height):
            self.lines = []
            for label, value in block.rows:
                parts = simpleSplit(value, fonts.regular, size, avail_width - block.tab_cm * cm) or [""]
                self.lines.append((label, parts))
            self.width = avail_width
            self.height = sum(len(p) for _, p in self.lines) * size * 1.4 + size * 0.6
            return self.width, self.height

        def draw(self):
            y = self.height - size * 1.1
            for label, parts in self.lines:
                self.canv.setFont(fonts.bold if block.bold_labels else fonts.regular, size)
                self.canv.drawString(0, y, label)
                self.canv.setFont(fonts.regular, size)
                for part in parts:
                    self.canv.drawString(block.tab_cm * cm, y, part)
                    y -= size * 1.4

    return _TabbedLines()


def _bare_table(block: Bare, styles, text_width: float):
    from reportlab.platypus import Table, TableStyle

    data = []
    for cells in block.rows:
        row = [[f for p in c.paras for f in im._pdf_para(p, styles, in_cell=True)] for c in cells]
        data.append(row + [""] * (len(block.widths) - len(row)))
    style = TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, -1), 0)])
    return Table(data, colWidths=[w * text_width for w in block.widths], style=style, hAlign="LEFT")


def render_pdf(blocks: Sequence[Block], meta: DocMeta, size: float = 10.0) -> bytes:
    """A text PDF as Word exports it (A4, embedded fonts, invariant: same input, same bytes)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import PageBreak as RLPageBreak
    from reportlab.platypus import SimpleDocTemplate, Spacer

    styles = _styles(size)
    buf = io.BytesIO()
    margin = 2.0 if size < 10 else 2.5
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=margin * cm, rightMargin=margin * cm, topMargin=margin * cm,
                            bottomMargin=2.0 * cm, title=meta.title, author=meta.author,
                            creator="Microsoft® Word for Microsoft 365", producer="Microsoft® Word for Microsoft 365",
                            invariant=1)
    story: list = []
    for block in blocks:
        if isinstance(block, Para):
            story.extend(im._pdf_para(block, styles))
        elif isinstance(block, Grid):
            story += [im._pdf_grid(block, styles, doc.width), Spacer(1, size * 0.8)]
        elif isinstance(block, Bare):
            story += [_bare_table(block, styles, doc.width), Spacer(1, size * 0.8)]
        elif isinstance(block, Tabbed):
            story.append(_tabbed_flowable(block, size))
        else:
            story.append(RLPageBreak())
    decorate = im._page_decorator(meta.header)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buf.getvalue()


def render_odt(blocks: Sequence[Block], meta: DocMeta) -> bytes:
    """LibreOffice Writer .odt (odfpy), with fixed zip timestamps and the mimetype stored first."""
    _odf_warm_up()
    return _render_odt(blocks, meta)


_WARM = []


def _odf_warm_up() -> None:
    """odfpy declares in each document the XML namespaces used so far in the process; render every
    element kind once first, so every document gets the same declarations (same bytes)."""
    if not _WARM:
        _WARM.append(True)
        sample = [para("x", bold("y")), para(Pic(signature_png("A B"), 2.0)), Grid(((cell("a"), cell("b")),), (0.5, 0.5)),
                  Bare(((cell("a"), cell("b")),), (0.5, 0.5)), Tabbed((("a", "b"),)), PageBreak(), para("a\nb\tc")]
        for _ in range(2):
            _render_odt(sample, DocMeta("x", "x", dt.datetime(2025, 1, 1)))


def _render_odt(blocks: Sequence[Block], meta: DocMeta) -> bytes:
    from odf import draw, table, teletype, text
    from odf.opendocument import OpenDocumentText
    from odf.style import GraphicProperties, ParagraphProperties, Style, TabStop, TabStops, TextProperties

    doc = OpenDocumentText()
    strong = Style(name="Fed", family="text")
    strong.addElement(TextProperties(fontweight="bold"))
    doc.automaticstyles.addElement(strong)
    frame_style = Style(name="Billede", family="graphic")
    frame_style.addElement(GraphicProperties(anchortype="as-char"))
    doc.automaticstyles.addElement(frame_style)
    tab_style = Style(name="Tabulering", family="paragraph")
    props = ParagraphProperties()
    stops = TabStops()
    stops.addElement(TabStop(position="4.5cm"))
    props.addElement(stops)
    tab_style.addElement(props)
    doc.automaticstyles.addElement(tab_style)
    pictures = [0]

    def paragraph(block: Para):
        element = text.H(outlinelevel=1) if block.style in ("title", "h1", "h2", "h3") else text.P()
        for part in block.parts:
            if isinstance(part, Pic):
                pictures[0] += 1
                href = doc.addPicture(f"Pictures/billede{pictures[0]}.png", "image/png", part.png)
                frame = draw.Frame(stylename=frame_style, width=f"{part.width_cm}cm",
                                   height=f"{part.width_cm / 3:.2f}cm", anchortype="as-char")
                frame.addElement(draw.Image(href=href))
                element.addElement(frame)
            elif part.bold:
                span = text.Span(stylename=strong)
                teletype.addTextToElement(span, part.text)
                element.addElement(span)
            else:
                teletype.addTextToElement(element, part.text)
        return element

    def grid(rows, widths):
        t = table.Table()
        t.addElement(table.TableColumn(numbercolumnsrepeated=len(widths)))
        for cells in rows:
            row = table.TableRow()
            for spec in cells:
                c = table.TableCell(numbercolumnsspanned=len(widths)) if spec.span else table.TableCell()
                for p in spec.paras:
                    c.addElement(paragraph(p))
                row.addElement(c)
            t.addElement(row)
        return t

    for block in blocks:
        if isinstance(block, Para):
            doc.text.addElement(paragraph(block))
        elif isinstance(block, (Grid, Bare)):
            doc.text.addElement(grid(block.rows, block.widths))
        elif isinstance(block, Tabbed):
            for label, value in block.rows:
                p = text.P(stylename=tab_style)
                teletype.addTextToElement(p, f"{label}\t{value}")
                doc.text.addElement(p)
        else:
            doc.text.addElement(text.P())
    out = io.BytesIO()
    doc.save(out)
    return _fixed_odf_zip(out.getvalue())


def _fixed_odf_zip(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        names = sorted(src.namelist(), key=lambda n: (n != "mimetype", 0))
        for name in names:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(name))
    return out.getvalue()


def page_count(pdf: bytes) -> int:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def scan_pdf(pdf: bytes, seed: int, angle: float = 1.2, noise: float = 0.008) -> bytes:
    """An image-only PDF as a scanner writes it (deterministic: fixed dates, seeded noise)."""
    import time

    from tests.factories.scans import scan_pages

    pages = scan_pages(pdf, dpi=150, angle=angle, noise=noise, seed=seed)
    out = io.BytesIO()
    fixed = time.gmtime(1741000000)
    pages[0].save(out, "PDF", resolution=150, save_all=True, append_images=pages[1:], creationDate=fixed,
                  modDate=fixed, producer="RICOH MP C3004", title="Scan")
    return out.getvalue()


def scan_png(pdf: bytes, seed: int, page: int = 1, angle: float = -0.9, noise: float = 0.006, dpi: int = 200) -> bytes:
    """One page scanned (a phone or multifunction printer's PNG)."""
    from tests.factories.scans import scan_pages

    out = io.BytesIO()
    scan_pages(pdf, dpi=dpi, angle=angle, noise=noise, seed=seed)[page - 1].save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()


def logo_png(municipality: str, colour: str = "#1f5f8b") -> bytes:
    """A small municipal logo for an HTML mail signature (inline image)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (220, 60), "white")
    draw = ImageDraw.Draw(img)
    draw.ellipse((6, 8, 50, 52), fill=colour)
    draw.rectangle((20, 22, 36, 38), fill="white")
    draw.text((60, 14), municipality, fill=colour, font=im._pil_font(14, bold=True))
    draw.text((60, 34), "Børn og Familie", fill="#555555", font=im._pil_font(11))
    out = io.BytesIO()
    img.save(out, "PNG", optimize=False)
    return out.getvalue()


# =========================================================================== the application form


@dataclass(frozen=True)
class Director:
    name: str  # as written in section 1
    title: str  # "Direktør for Børn og Unge"
    phone: str
    email: str


@dataclass(frozen=True)
class Signature:
    """What the signature block holds.

    kind: typed | image | image_only | empty | pva | pp | depthead
    place: cell | paras | breaks | oneline | slash | underscores
    """

    kind: str
    place: str = "paras"
    name: str = ""  # the director's name as written in the block
    title: str = ""
    place_date: str = ""
    signer: str = ""  # who actually signs (pva / pp / depthead)
    signer_title: str = ""
    variant: int = 0  # wording variant within a kind


@dataclass(frozen=True)
class Meeting:
    """The answer to "Har der været afholdt det indledende møde …?".

    kind: yes | no | not_yet | planned | blank ; style picks the wording."""

    kind: str
    date: dt.date | None = None
    style: int = 0
    later: dt.date | None = None  # for "planned": a future date


@dataclass(frozen=True)
class FormSpec:
    municipality: str
    cvr: str
    address: str
    director: Director
    signature: Signature
    meeting: Meeting
    political: tuple[str, ...]
    sections: tuple[tuple[str, ...], ...]  # answers of sections 3..7 (one tuple of paragraphs per question)
    programme: str = "boern-unge"  # or handicap
    generation: str = "2025"  # 2019 | 2025 | own
    layout: str = "grid"  # grid | qa | headings | bare | tabs | own
    cvr_style: int = 0
    director_style: str = "line"  # line | rows | lines
    area: str = ""  # handicap: børnehandicapområdet | voksenhandicapområdet
    services: str = ""  # handicap: ydelsesområder
    compact: bool = False
    author: str = ""
    when: dt.datetime = dt.datetime(2025, 3, 10, 9, 30)


def _cvr_value(cvr: str, style: int) -> str:
    return (cvr, f"{cvr[:2]} {cvr[2:4]} {cvr[4:6]} {cvr[6:]}", cvr, f"{cvr[:4]} {cvr[4:]}")[style % 4]


def _cvr_text(cvr: str, style: int) -> str:
    return ("CVR-nr. ", "CVR: ", "CVR nr. ", "CVR-nummer: ")[style % 4] + _cvr_value(cvr, style)


def _meeting_paras(m: Meeting, unit: str) -> list[str]:
    d = m.date
    if m.kind == "yes":
        assert d is not None
        mon = MON_ABBR[d.month - 1]
        styles = (
            [f"Ja, d. {d.day}/{d.month}-{d.year}"],
            [f"Ja – mødet blev holdt {d.day}.{d.month}.{d.year % 100:02d}"],
            [f"Ja, den {d.day}. {MONTHS[d.month - 1]} {d.year}"],
            [f"Mødet blev afholdt {d.isoformat()}"],
            [f"Ja, {d.day}. {mon} {d.year}"],
            [f"Ja, {d.day:02d}-{d.month:02d}-{d.year}"],
            ["Ja.", f"Mødet blev holdt den {d.day}/{d.month}-{d.year} med direktør og ledergruppe"],
            [f"Ja. Det indledende møde blev afholdt {WEEKDAYS[d.weekday()]} den {d.day}. {MONTHS[d.month - 1]} "
             f"{d.year} med deltagelse af direktøren, ledergruppen i {unit} og Task Forcen."],
            [f"Ja, vi holdt et virtuelt møde med Task Forcen d. {d.day}.{d.month}.{d.year}."],
            [f"Ja, {WEEKDAYS[d.weekday()]} d. {d.day:02d}.{d.month:02d}.{d.year} kl. 10-12 på rådhuset."],
            ["Ja", f"{d.day:02d}-{d.month:02d}-{d.year}"],
            [f"Ja. Direktøren og ledergruppen mødtes med Task Forcen den {d.day}. {mon} {d.year}, hvor forløbet "
             "og forventningerne blev gennemgået."],
        )
        return styles[m.style % len(styles)]
    if m.kind == "no":
        return (["Nej"], ["Nej."], ["Nej, det har endnu ikke været muligt at finde en dato."])[m.style % 3]
    if m.kind == "not_yet":
        return (["Mødet er endnu ikke afholdt."], ["Nej – mødet er ikke afholdt endnu."],
                ["Ikke endnu. Vi har kontaktet Task Forcen for at aftale et møde."])[m.style % 3]
    if m.kind == "planned":
        later = m.later or dt.date(2025, 4, 8)
        return ([f"Det forventes afholdt i {MONTHS[later.month - 1]}."],
                [f"Nej, men der er aftalt møde med Task Forcen den {long_date(later)}."],
                [f"Mødet er planlagt til {later.day}/{later.month}-{later.year}."])[m.style % 3]
    return []  # blank


_HEADERS = {
    "2025": ("Social- og Boligstyrelsen", "Task Force børn og unge i udsatte positioner",
             "Skema til ansøgning om et Task Force-forløb", "Social- og Boligstyrelsen", "taskforce@sbst.dk"),
    "2019": ("Socialstyrelsen", "Den Permanente Task Force på området udsatte børn og unge",
             "Skema til ansøgning om et Task Force forløb", "Socialstyrelsen", "taskforce@socialstyrelsen.dk"),
}

_SECTION_TITLES_BU = {
    3: "Motivation for ansøgningen", 4: "Parathed til deltagelse", 5: "Øvrige aktiviteter på området",
    6: "Opstart og fremdrift", 7: "Organisatorisk tilhørsforhold",
}
_SECTION_QUESTIONS_BU = {
    3: ("Hvad er den overordnede status på kommunens sagsbehandling i dag? (Antal sager, underretninger, "
        "afgørelse om foranstaltninger med mere) Hvordan er kommunen organiseret, herunder på "
        "myndighedsområdet for udsatte børn og unge?",
        "Hvilke områder af sagsbehandlingen ønsker kommunen særligt at udvikle og forbedre? Hvad har kommunen "
        "gjort hidtil for at sikre en god kvalitet i sagsbehandlingen?",
        "Beskriv kort kommunens forventninger til Task Force-forløbet."),
    4: ("Beskriv kort, hvem der har været involveret i beslutningen om at søge et Task Force-forløb, og hvad der "
        "har været fokus på i overvejelserne herom.",),
    5: ("Hvilke andre udviklingstiltag har kommunen aktuelt i forhold til sagsbehandlingen på området for udsatte "
        "børn og unge?",
        "Er der planer om at ændre kommunens organisering i forhold til arbejdet med udsatte børn og unge "
        "væsentligt i den nærmeste tid?"),
    6: ("Hvornår foretrækker kommunen at påbegynde Task Force-forløbet? Beskriv kort, hvordan kommunen vil sikre "
        "fremdrift samt at de nødvendige ressourcer er afsat.",),
    7: ("Beskriv, hvordan Task Force-forløbet skal forankres organisatorisk, og hvem der vil være kontaktperson "
        "til Task Forcen i forbindelse med behandling af ansøgningen.",),
}
_SECTION_TITLES_H = {3: "Motivation", 4: "Parathed", 5: "Øvrige aktiviteter", 6: "Forventninger til forløbet",
                     7: "Kontaktperson"}
_SECTION_QUESTIONS_H = {
    3: ("Beskriv kort kommunens udgangspunkt på området, og hvilke ydelsesområder der giver størst udfordringer i "
        "sagsbehandlingen.",),
    4: ("Hvem har været involveret i beslutningen om at søge, og hvordan er ledelse og medarbejdere forberedt?",),
    5: ("Hvilke andre udviklingstiltag har kommunen på handicapområdet, og er der planlagt ændringer i "
        "organiseringen?",),
    6: ("Hvad forventer kommunen at få ud af analyse- og udviklingsforløbet?",),
    7: ("Hvem er kontaktperson i forbindelse med behandlingen af ansøgningen?",),
}
_OWN_TITLES = {3: "Hvorfor søger vi?", 4: "Er vi klar?", 5: "Andre udviklingsaktiviteter", 6: "Opstart",
               7: "Forankring og kontaktperson"}

_Q_MEETING = {
    "2025": "Har der været afholdt det indledende møde mellem direktøren på området, dennes ledergruppe og Task "
            "Forcen? I givet fald hvornår?",
    "2019": "Har der været afholdt indledende møde mellem direktøren på området, dennes ledergruppe og Task Forcen, "
            "og i givet fald hvornår?",
    "own": "Indledende møde med Task Forcen (er mødet holdt, og hvornår?)",
    "handicap": "Har kommunen holdt et indledende møde med Taskforcen? (anbefales, men er ikke et krav)",
}
_Q_POLITICAL = {
    "2025": "Har beslutningen om ansøgning været politisk behandlet og i givet fald hvornår?",
    "2019": "Har beslutningen om ansøgning været politisk behandlet og i givet fald hvornår?",
    "own": "Politisk behandling (udvalg og dato)",
    "handicap": "Har ansøgningen været politisk behandlet i udvalg eller kommunalbestyrelse? Hvornår?",
}
_POLITICAL_NOTE = "Der skal vedlægges referat af udvalgs- eller byrådsmøde."
_COMMIT = ("Kommunen skal ved direktørunderskrift forpligte sig på, at der vil blive afsat de nødvendige ressourcer "
           "til at indgå i Task Force forløbet.")
_COMMIT_OWN = "Med min underskrift bekræfter jeg, at kommunen afsætter de nødvendige ressourcer til forløbet."
_COMMIT_H = ("Kommunen forpligter sig ved direktørens underskrift til at stille de nødvendige ressourcer til rådighed "
             "og gennemføre de aftalte aktiviteter.")


def _gen(spec: FormSpec) -> str:
    return "handicap" if spec.programme == "handicap" else spec.generation


def _sig_label(spec: FormSpec) -> str:
    if spec.generation == "own":  # the municipality's rewrite of the template
        return ("Underskrift (direktør)", "Direktørunderskrift")[spec.signature.variant % 2]
    return "Direktørens underskrift"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _signature_lines(sig: Signature) -> list[list[str | Pic]]:
    """The block's lines; a line is a list of text and pictures."""
    lines: list[list[str | Pic]] = []
    if sig.place_date:
        lines.append([sig.place_date])
    v = sig.variant
    if sig.kind == "typed":
        lines += [[sig.name], [sig.title]] if sig.title else [[sig.name]]
    elif sig.kind == "image":
        lines += [[Pic(signature_png(sig.name), 4.5)], [sig.name]] + ([[sig.title]] if sig.title else [])
    elif sig.kind == "image_only":
        lines += [[Pic(signature_png(sig.name), 4.5)]]
    elif sig.kind == "pva":
        if v % 3 == 0:
            lines += [[f"p.v.a. {sig.name}"], [f"{sig.signer}, {sig.signer_title}"]]
        elif v % 3 == 1:
            lines += [[sig.signer], [_cap(sig.signer_title)], [f"p.v.a. direktør {sig.name}"]]
        else:
            lines += [[f"På vegne af {sig.name}"], [f"{sig.signer} ({sig.signer_title})"]]
    elif sig.kind == "pp":
        if v % 2 == 0:
            lines += [[sig.name], [f"p.p. {sig.signer}"], [_cap(sig.signer_title)]]
        else:
            lines += [[f"p.p. {sig.signer}"], [_cap(sig.signer_title)]]
    elif sig.kind == "depthead":
        lines += [[Pic(signature_png(sig.signer), 4.5)]] if v % 2 else []
        lines += [[sig.signer], [_cap(sig.signer_title)]]
    elif sig.kind == "empty":
        lines = [(["Dato: ____________   Underskrift: ________________________________"],),
                 (["Dato:"], ["Underskrift:"]),
                 (["_______________________________"], ["Dato og underskrift"]),
                 ([""],)][v % 4]
        lines = list(lines)
    return lines


def _signature_block(spec: FormSpec, commit: str) -> list:
    """Blocks of the director's signature section, per the placement."""
    sig = spec.signature
    label = _sig_label(spec)
    lines = _signature_lines(sig)
    as_paras = [para(*line) for line in lines if line != [""]]
    head = [para(bold(label)), para(italic(commit), style="small")]
    if sig.place == "cell":
        return [Grid(((Cell((para(bold(label)), para(italic(commit), style="small")), shade=True),
                       Cell(tuple(as_paras))),), (0.4, 0.6))]
    if sig.kind == "empty":
        return head + (as_paras or [para("")])
    if sig.place == "breaks":  # one Word paragraph, the lines separated by soft line breaks (w:br)
        parts: list = []
        for line in lines:
            for piece in line:
                parts.append(piece if isinstance(piece, Pic) else Run(("\n" if parts else "") + piece))
        return head + [Para(tuple(parts))]
    if sig.place == "oneline":
        who = {"typed": sig.name, "image": sig.name}.get(sig.kind)
        pics = [p for line in lines for p in line if isinstance(p, Pic)]
        if who is None:  # someone signs on behalf: still one line
            who = " ".join(str(x) for line in lines[1 if sig.place_date else 0:] for x in line if isinstance(x, str))
        short = sig.title.split(",")[0].split(" for ")[0].lower() if sig.kind in ("typed", "image") else ""
        text = f"Underskrift: {who}, {short}" if short else f"Underskrift: {who}"
        out = head + ([para(sig.place_date)] if sig.place_date else [])
        return out + ([para(*pics)] if pics else []) + [para(text)]
    if sig.place == "slash":
        body = lines[1:] if sig.place_date else lines
        pics = [line for line in body if any(isinstance(x, Pic) for x in line)]
        texts = [x for line in body for x in line if isinstance(x, str)]
        out = head + ([para(sig.place_date)] if sig.place_date else [])
        return out + [para(*p) for p in pics] + [para(" / ".join(texts))]
    if sig.place == "underscores":
        body = lines[1:] if sig.place_date else lines
        out = head + ([para(sig.place_date)] if sig.place_date else [])
        pics = [para(*line) for line in body if any(isinstance(x, Pic) for x in line)]
        rest = [para(*line) for line in body if not any(isinstance(x, Pic) for x in line)]
        return out + pics + [para("_" * 38)] + rest
    return head + as_paras  # paras


def _section1(spec: FormSpec) -> list[tuple[str, list[str]]]:
    d = spec.director
    cvr = _cvr_text(spec.cvr, spec.cvr_style)
    if spec.director_style == "rows":
        return [("Kommune", [spec.municipality]), ("Adresse", [spec.address]),
                ("CVR-nr.", [_cvr_value(spec.cvr, spec.cvr_style)]),
                ("Projektansvarlig direktør", [d.name]), ("Stilling", [d.title]), ("Telefon", [d.phone]),
                ("E-mail", [d.email])]
    if spec.director_style == "lines":
        return [("Kommunenavn, adresse og CVR nummer", [f"{spec.municipality}\n{spec.address}\n{cvr}"]),
                ("Navn, telefon og e-mailadresse på den projektansvarlige (direktør)",
                 [f"{d.name}\n{d.title}\nTlf. {d.phone}\n{d.email}"])]
    return [("Kommunenavn, adresse og CVR nummer", [f"{spec.municipality}, {spec.address}, {cvr}"]),
            ("Navn, telefon og e-mailadresse på den projektansvarlige (direktør)",
             [f"{d.name}, {d.title[0].lower() + d.title[1:] if d.title.startswith('Direktør') else d.title}, tlf. {d.phone}, "
              f"{d.email}"])]


def _two_column_rows(spec: FormSpec) -> list[tuple[str, str]]:
    d = spec.director
    return [("Kommune", spec.municipality), ("Adresse", spec.address),
            ("CVR-nr.", _cvr_value(spec.cvr, spec.cvr_style)),
            ("Direktør", f"{d.name}, {d.title[0].lower() + d.title[1:] if d.title.startswith('Direktør') else d.title}, "
                         f"tlf. {d.phone}, {d.email}")]


def _sections(spec: FormSpec) -> list[tuple[int, str, list[tuple[str, tuple[str, ...]]]]]:
    hand = spec.programme == "handicap"
    titles = _SECTION_TITLES_H if hand else (_OWN_TITLES if spec.generation == "own" else _SECTION_TITLES_BU)
    questions = _SECTION_QUESTIONS_H if hand else _SECTION_QUESTIONS_BU
    out = []
    answers = iter(spec.sections)
    for number in range(3, 8):
        qs = questions[number]
        pairs = []
        for q in qs:
            pairs.append((q, next(answers, ("",))))
        if spec.compact:
            merged = tuple(p for _, a in pairs for p in a)[:2]
            pairs = [(qs[0] if len(qs) == 1 else "", merged)]
        out.append((number, titles[number], pairs))
    return out


def _header(spec: FormSpec) -> list[Para]:
    if spec.programme == "handicap":
        out = [para("Social- og Boligstyrelsen · Ankestyrelsen", style="small"),
               para("Taskforcen på handicapområdet", style="h2"),
               para("Ansøgningsskema – analyse- og udviklingsforløb", style="title"),
               para("Ansøgningen sendes med bilag til taskforcehandicap@sbst.dk. Forløb tildeles efter "
                    "først til mølle-princippet.", style="small")]
        return out
    if spec.generation == "own":
        return [para(spec.municipality, style="small"),
                para(f"Ansøgning om Task Force-forløb 2025 – {spec.municipality}", style="title"),
                para("Til Social- og Boligstyrelsen, Task Force børn og unge i udsatte positioner (taskforce@sbst.dk)")]
    org, tf, title, agency, mail = _HEADERS[spec.generation]
    return [para(org, style="small"), para(tf, style="h2"), para(title, style="title"),
            para(bold("Frist for indsendelse af ansøgning: 25. marts 2025 kl. 12.00")),
            para(f"Ansøgningsskemaet udfyldes og sendes sammen med relevante bilag til {agency} på følgende e-mail: "
                 f"{mail}", style="small")]


def form_blocks(spec: FormSpec) -> list[Block]:
    blocks: list[Block] = list(_header(spec))
    gen = _gen(spec)
    hand = spec.programme == "handicap"
    commit = _COMMIT_H if hand else (_COMMIT_OWN if spec.generation == "own" else _COMMIT)
    unit = "Børn og Familie"
    tabular = spec.layout in ("grid", "qa")
    # ---- section 1
    blocks.append(para("1. Generelle oplysninger" if spec.generation != "own" else "1. Oplysninger om kommunen",
                       style="h1"))
    if hand:
        blocks.append(para(bold("Område: "), spec.area))
    if spec.layout == "grid":
        blocks.append(Grid(tuple((Cell((para(label),), shade=True), Cell(tuple(para(v) for v in values)))
                                 for label, values in _section1(spec)), (0.4, 0.6)))
    elif spec.layout == "qa":
        rows = []
        for label, values in _section1(spec):
            rows += [(Cell((para(bold(label)),), shade=True, span=True),),
                     (Cell(tuple(para(v) for v in values), span=True),)]
        blocks.append(Grid(tuple(rows), (1.0,)))
    elif spec.layout == "bare":
        blocks.append(Bare(tuple((Cell((para(label),)), Cell((para(value),))) for label, value in
                                 _two_column_rows(spec)), (0.3, 0.7)))
    elif spec.layout == "tabs":
        blocks.append(Tabbed(tuple(_two_column_rows(spec)), tab_cm=3.5, bold_labels=spec.cvr_style % 2 == 0))
    elif spec.layout == "own":
        for label, value in _two_column_rows(spec):
            blocks.append(para(bold(f"{label}: "), value))
    else:  # headings
        for label, values in _section1(spec):
            blocks.append(para(label, style="h3"))
            blocks += [para(v) for v in values]
    if hand and spec.services:
        blocks.append(para(bold("Ydelsesområder: "), spec.services))
    # ---- section 2
    blocks.append(para("2. Minimumsbetingelser for ansøgningen" if gen != "own" else "2. Minimumskrav", style="h1"))
    if gen in ("2019", "2025"):
        blocks.append(para(italic("For at komme i betragtning, skal kommunen leve op til følgende kriterier for "
                                  "tildeling af støtte i forhold til kommunens forudgående proces."), style="small"))
    questions = [(_Q_POLITICAL[gen], [_POLITICAL_NOTE] if gen != "own" else [], list(spec.political))]
    meeting = (_Q_MEETING[gen], [], _meeting_paras(spec.meeting, unit))
    questions = ([meeting] + questions) if not hand or spec.meeting.kind != "blank" else questions
    if hand:
        questions = questions[::-1]  # handicap: the two criteria first, the recommended meeting after
    if tabular:
        rows = []
        for q, notes, answer in questions:
            rows.append((Cell((para(bold(q)),) + tuple(para(italic(n), style="small") for n in notes), shade=True,
                              span=True),))
            rows.append((Cell(tuple(para(a) for a in answer) or (para(""),), span=True),))
        blocks.append(Grid(tuple(rows), (1.0,)))
    else:
        for q, notes, answer in questions:
            blocks.append(para(bold(q)) if spec.layout != "own" else para(q, style="h3"))
            blocks += [para(italic(n), style="small") for n in notes]
            blocks += [para(a) for a in answer]
    blocks += _signature_block(spec, commit)
    # ---- sections 3-7
    for number, title, pairs in _sections(spec):
        blocks.append(para(f"{number}. {title}", style="h1"))
        if tabular and not spec.compact:
            rows = []
            for q, answer in pairs:
                rows.append((Cell((para(q),), shade=True, span=True),))
                rows.append((Cell(tuple(para(a) for a in answer), span=True),))
            blocks.append(Grid(tuple(rows), (1.0,)))
        else:
            for q, answer in pairs:
                if q:
                    blocks.append(para(italic(q)) if spec.layout != "own" else para(q, style="h3"))
                blocks += [para(a) for a in answer if a]
    return blocks


def form_meta(spec: FormSpec) -> DocMeta:
    title = "Ansøgning om Task Force-forløb" if spec.programme != "handicap" else "Ansøgning til Taskforcen"
    return DocMeta(author=spec.author or spec.director.name, title=title, when=spec.when,
                   header=spec.municipality if spec.layout in ("own", "tabs") else "")


def form_bytes(spec: FormSpec, fmt: str, size: float | None = None) -> bytes:
    blocks = form_blocks(spec)
    meta = form_meta(spec)
    if fmt == "docx":
        return render_docx(blocks, meta)
    if fmt == "odt":
        return render_odt(blocks, meta)
    return render_pdf(blocks, meta, size=size or (8.5 if spec.compact else 10.0))


# =========================================================================== committee minutes

# decision wordings by outcome (the expectation depends on the outcome only)
DECISIONS = {
    "approved": (("Godkendt.",), ("Indstillingen godkendt.",), ("Godkendt som indstillet.",), ("Tiltrådt.",),
                 ("Indstillingen blev tiltrådt.",), ("At 1: Godkendt.", "At 2: Godkendt."), ("Enstemmigt godkendt.",),
                 ("Godkendt. Udvalget ønsker at blive orienteret, når styrelsen har truffet sin beslutning.",),
                 ("Udvalget godkendte indstillingen.",), ("Indstillingen blev godkendt.",)),
    "recommended": (("Udvalget anbefaler over for Byrådet, at {kommune} ansøger om {course}.",),
                    ("Anbefales over for Økonomiudvalget og Byrådet.",),
                    ("Indstillingen anbefales godkendt i Kommunalbestyrelsen.",),
                    ("Udvalget anbefaler over for Byrådet, at indstillingen godkendes.",)),
    "postponed": (("Udsat.",), ("Sagen blev udsat til næste møde.",),
                  ("Udsat. Udvalget ønsker en uddybning af ressourcetrækket, før der tages stilling.",),
                  ("Punktet udsættes til mødet i april.",)),
    "rejected": (("Ikke godkendt.",), ("Indstillingen blev ikke godkendt.",),
                 ("Udvalget kunne ikke tiltræde indstillingen.",), ("Forkastet med 5 stemmer mod 2.",)),
}


@dataclass(frozen=True)
class Item:
    number: int
    title: str
    decision: tuple[str, ...]  # () on an agenda
    indstilling: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    case_no: str = ""
    chain: tuple[tuple[str, tuple[str, ...]], ...] = ()  # earlier bodies' recommendations (city council items)


@dataclass(frozen=True)
class MinutesSpec:
    municipality: str
    body: str  # "Børne- og Ungeudvalget", "Byrådet", …
    date: dt.date
    items: tuple[Item, ...]
    system: str = "firstagenda"  # firstagenda | prepare | faxe | sagnr | protokol | table | afgoerelse | udvalgets | byraad
    agenda: bool = False  # a dagsorden: no decisions
    members: tuple[str, ...] = ()
    absent: str = "Ingen"
    place: str = "Mødelokale 2, Rådhuset"
    time: str = "15:30"
    abbr: str = "BUU"
    compact: bool = False


def _dmy(d: dt.date) -> str:
    return f"{d.day:02d}-{d.month:02d}-{d.year}"


def _decision_label(spec: MinutesSpec) -> str:
    s, b, d = spec.system, spec.body, spec.date
    return {
        "firstagenda": f"Beslutning i {b} den {_dmy(d)}",
        "prepare": f"Beslutning i {b} den {long_date(d)}:",
        "faxe": "Beslutning",
        "sagnr": "Beslutning",
        "protokol": f"Beslutning {b} den {_dmy(d)}",
        "afgoerelse": "Afgørelse:",
        "udvalgets": "Udvalgets beslutning:",
        "byraad": f"Byrådets beslutning den {long_date(d)}:" if "Byråd" in b else f"{b}s beslutning den {long_date(d)}:",
    }.get(s, "Beslutning")


def minutes_blocks(spec: MinutesSpec) -> list[Block]:
    kind = "Dagsorden" if spec.agenda else "Referat"
    s = spec.system
    blocks: list[Block] = []
    members = ", ".join(spec.members)
    if s == "firstagenda":
        blocks += [para(kind, style="title"),
                   Bare(((Cell((para(bold("UDVALG")),)), Cell((para(spec.body),))),
                         (Cell((para(bold("MØDE")),)), Cell((para(kind),))),
                         (Cell((para(bold("STED")),)), Cell((para(spec.place),))),
                         (Cell((para(bold("STARTTIDSPUNKT")),)), Cell((para(f"{_dmy(spec.date)} {spec.time}:00"),)))),
                        (0.3, 0.7)),
                   para("PUNKTER", style="h2")]
        blocks += [para(f"{it.number}. {it.title}") for it in spec.items]
    elif s == "prepare":
        blocks += [para(f"{spec.body} – {kind} – {long_date(spec.date)}", style="title"),
                   para(f"Mødested: {spec.place}, kl. {spec.time}"), para(f"Medlemmer: {members}")]
    elif s == "faxe":
        blocks += [para(f"{spec.body} - {_dmy(spec.date)}", style="title"), para(kind, style="h2"),
                   para(f"Dato: {WEEKDAYS[spec.date.weekday()].capitalize()}, {spec.date.day} {MONTHS[spec.date.month - 1]}, "
                        f"{spec.date.year} - {spec.time}"), para(f"Lokation: {spec.place}")]
    elif s == "sagnr":
        blocks += [para(spec.body, style="title"), para(_dmy(spec.date)), para(kind, style="h2"),
                   para(bold("Medlemmer")), *[para(m) for m in spec.members],
                   para(bold("Fraværende")), para(spec.absent),
                   para(f"Sager {spec.items[0].number} - {spec.items[-1].number}")]
    elif s == "protokol":
        blocks += [para("Beslutningsprotokol" if not spec.agenda else "Dagsorden", style="title"),
                   para(f"{WEEKDAYS[spec.date.weekday()]} den {long_date(spec.date)} kl. {spec.time}"),
                   Tabbed((("Mødested:", spec.place), ("Udvalg:", spec.body), ("Medlemmer:", members),
                           ("Bemærkninger:", f"Afbud: {spec.absent}")), tab_cm=3.2)]
    else:
        blocks += [para(spec.municipality, style="small"),
                   para(f"{kind} – {spec.body}", style="title"),
                   para(f"Mødedato: {long_date(spec.date)}, kl. {spec.time}"), para(f"Mødested: {spec.place}"),
                   para(f"Deltagere: {members}"), para(f"Afbud: {spec.absent}")]
    if s == "table":
        header = (Cell((para(bold("Pkt.")),), shade=True), Cell((para(bold("Sagsnr.")),), shade=True),
                  Cell((para(bold("Sag")),), shade=True), Cell((para(bold("Beslutning")),), shade=True))
        rows = [header]
        for it in spec.items:
            rows.append((Cell((para(str(it.number)),)), Cell((para(it.case_no),)),
                         Cell((para(bold(it.title)),) + ((para(" ".join(it.indstilling)),) if it.indstilling else ())),
                         Cell(tuple(para(x) for x in it.decision) or (para(""),))))
        blocks.append(Grid(tuple(rows), (0.09, 0.21, 0.45, 0.25)))
        if not spec.compact:
            blocks.append(para("Sagsfremstillinger", style="h1"))
            for it in spec.items:
                if it.body:
                    blocks.append(para(f"Pkt. {it.number}. {it.title}", style="h2"))
                    blocks += [para(x) for x in it.body]
        return blocks
    label = _decision_label(spec)
    for it in spec.items:
        blocks += _item_blocks(spec, it, label)
    return blocks


def _item_blocks(spec: MinutesSpec, it: Item, label: str) -> list[Block]:
    s = spec.system
    out: list[Block] = []
    dec = [para(x) for x in it.decision]
    show_decision = not spec.agenda
    body = [para(x) for x in it.body]
    ind = [para(x) for x in it.indstilling]
    chain = []
    for who, text in it.chain:
        chain.append(para(bold(who)))
        chain += [para(t) for t in text]
    if s == "firstagenda":
        out.append(para(f"{it.number}. {it.title}", style="h2"))
        out += [para(bold("Sagsgang og sagstype")), para(f"{spec.body}, beslutningssag")]
        if ind:
            out += [para("Indstilling", style="h3"), *ind]
        if body:
            out += [para("Beskrivelse af sagen", style="h3"), *body]
        out += [para("Økonomiske konsekvenser", style="h3"), para("Ingen.")] if body else []
        out += chain
        if show_decision:
            out += [para(label, style="h3"), *dec]
    elif s == "prepare":
        out.append(para(f"{it.number}. {it.title} ({'B' if it.indstilling else 'O'})", style="h2"))
        out.append(para(f"Sagsnr.: {it.case_no}      Dok.nr.: {it.case_no.split('-')[0]}-2025-{(it.number * 7919) % 99991}"
                        "      Åbent"))
        out.append(para(f"Kompetence: {spec.body}"))
        if body:
            out += [para("Beslutningstema", style="h3"), body[0], para("Sagens indhold", style="h3"), *body[1:]]
        if ind:
            out += [para("Indstilling", style="h3"), *ind]
        out += chain
        if show_decision:
            out += [para(label, style="h3"), para(f"Fraværende: {spec.absent if spec.absent != 'Ingen' else ''}"), *dec]
    elif s == "faxe":
        out.append(para(f"{it.number}. {it.title}", style="h2"))
        if body:
            out += [para("Resume", style="h3"), body[0], para("Sagsfremstilling", style="h3"), *body[1:],
                    para("Økonomi", style="h3"), para("Ingen økonomiske konsekvenser ud over medarbejdertimer."),
                    para("Sagen afgøres af", style="h3"), para(f"{spec.body}.")]
        if ind:
            out += [para("Indstilling", style="h3"), *ind]
        out += chain
        if show_decision:
            out += [para(label, style="h3"), *dec]
    elif s == "sagnr":
        out.append(para(it.title, style="h2"))
        out += [para(f"Sag nr. {it.number}"), para(f"Beslutningskompetence: {spec.abbr}")]
        if body:
            out += [para("Sagens kerne", style="h3"), body[0]]
        if ind:
            out += [para("Indstilling", style="h3"), *ind]
        out += chain
        if show_decision:
            out += [para(label, style="h3"), *dec]
        if len(body) > 1:
            out += [para("Sagsfremstilling", style="h3"), *body[1:]]
    elif s == "protokol":
        out.append(para(f"{it.number}. {it.title}", style="h2"))
        out.append(para(f"Sagsid.: {it.case_no}, Sagsinitialer: {it.title[:1].lower()}{spec.abbr[:2].lower()}"))
        if body:
            out += [para("Sagsfremstilling", style="h3"), *body]
        if ind:
            out += [para("Indstilling", style="h3"), *ind]
        out += chain
        if show_decision:
            out += [para(label, style="h3"), *dec]
    elif s in ("afgoerelse", "udvalgets", "byraad"):
        out.append(para(f"Punkt {it.number}: {it.title}", style="h2"))
        out.append(para(f"Sagsnr. {it.case_no}", style="small"))
        out += body
        if ind:
            out += [para(bold("Forvaltningens indstilling")), *ind]
        out += chain
        if show_decision:
            if len(dec) == 1:
                out.append(para(bold(label + " "), *dec[0].parts))
            else:
                out += [para(bold(label)), *dec]
    return out


def minutes_meta(spec: MinutesSpec) -> DocMeta:
    kind = "Dagsorden" if spec.agenda else "Referat"
    return DocMeta(author=f"{spec.municipality} – Sekretariatet", title=f"{kind} {spec.body} {_dmy(spec.date)}",
                   when=dt.datetime.combine(spec.date + dt.timedelta(days=1), dt.time(8, 15)),
                   header=f"{spec.municipality} · {spec.body}" if spec.system in ("prepare", "sagnr") else "")


def minutes_bytes(spec: MinutesSpec, fmt: str) -> bytes:
    blocks, meta = minutes_blocks(spec), minutes_meta(spec)
    if fmt == "docx":
        return render_docx(blocks, meta)
    if fmt == "odt":
        return render_odt(blocks, meta)
    return render_pdf(blocks, meta, size=9.0 if spec.compact else 10.0)


def combined_pdf(form: FormSpec, minutes: Sequence[MinutesSpec], title: str = "Bilag") -> bytes:
    """ONE PDF: the form, then each set of minutes from a new page ("samlet ansøgning med bilag")."""
    blocks: list[Block] = list(form_blocks(form))
    for i, m in enumerate(minutes, start=1):
        blocks.append(PageBreak())
        blocks.append(para(f"{title} {i}: {'Dagsorden' if m.agenda else 'Referat'} fra {m.body}", style="small"))
        blocks += minutes_blocks(m)
    return render_pdf(blocks, form_meta(form))

