"""Factories for minutes as Danish meeting systems publish them, and for the combined PDF
("samlet ansøgning med bilag") a municipality sends: form pages, minutes pages, an org chart page.

:class:`MeetingSpec` says what happened at the meeting and how the secretary worded it; ``layout``
imitates one publishing style (:data:`MEETING_LAYOUTS`), each taken from published minutes:

* ``"prepare"`` – items numbered through the year ("113. … (B)"), "Sagsnr.: … Dok.nr.: … Åbent",
  "Kompetence:", "Beslutningstema", "Indstilling" with "1. at …", then
  "Beslutning i <udvalg> den 12. februar 2025:" with an empty "Fraværende:" line before the decision.
* ``"netpublicator"`` – "<udvalg>" / "Referat • 12. februar 2025 kl. 16.00", an "Indhold" list, and in
  each item the decision *first* ("Beslutning i <udvalg> den 12-02-2025"), then Indstilling and
  Sagsfremstilling.
* ``"edagsorden"`` – the web export of First Agenda: "UDVALG / <udvalg> / MØDE / Referat / STED / … /
  STARTTIDSPUNKT / 12-02-2025 16:00:00 / PUNKTER", items numbered on from the year's earlier meetings,
  "Sagsgang og sagstype", "Beslutningssag", "Beskrivelse af sagen", "Beslutning i <udvalg> den …".
* ``"protokol_table"`` – a secretary's Word "Beslutningsprotokol": a table per item with label cells
  (Pkt., Sagsfremstilling, Indstilling, Beslutning) and the value cells beside them.
* ``"ishoej"`` – "Referat" / "<udvalg> tirsdag den 12. februar 2025 kl. 16.30"; each item
  Sagsfremstilling, Lovgrundlag, Økonomi, Indstilling ("at …"), Beslutning ("Tiltrådt."),
  Beslutningskompetence.
* ``"uddrag"`` – an extract of the protocol, as municipalities send it: "Uddrag af beslutningsprotokol",
  "<udvalg>s møde den 12. februar 2025", only the Task Force item ("Punkt 7: …"), "Beslutning: …",
  and "Udskriftens rigtighed bekræftes" with the secretary's name.
* ``"kb_trail"`` – a council's minutes: the item's title, then "Sag nr. 130", "Beslutningskompetence:
  KB", "Sagens kerne", the committees' earlier decisions ("Børne- og Ungeudvalget, 3. februar 2025,
  pkt. 12:" / "Anbefales."), then the council's own "Beslutning".

:func:`combined_pdf` merges separately made PDFs (the form from :mod:`tests.factories.forms`, the
minutes, an org chart page) the way a municipality's PDF tool does and returns the page ranges it put
each part on, so a test's expected split comes from how the document was made.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Literal

from .forms import FormSpec, form_pdf
from .images import Block, DocMeta, Grid, Pic, bold, cell, org_chart_png, para, render_docx, render_pdf
from .minutes import _dashes, _dots
from .minutes import _long_date as _long

__all__ = ["MeetingSpec", "Item", "MEETING_LAYOUTS", "meeting_pdf", "meeting_docx", "Combined", "combined_pdf",
           "application_with_minutes", "DEFAULT_OTHERS", "TASK_FORCE_SUMMARY",
           "org_chart_pdf", "NEUTRAL_SUMMARY"]

MEETING_LAYOUTS: tuple[str, ...] = ("prepare", "netpublicator", "edagsorden", "protokol_table", "ishoej", "kb_trail", "uddrag")

_WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
_MEMBERS = ("Anne Sørensen (A), formand", "Lars Østergaard (V), næstformand", "Birgitte Kjær (A)", "Peter Møller (F)",
            "Hanne Lund (O)", "Jesper Bæk (C)")

TASK_FORCE_SUMMARY: tuple[str, ...] = (
    "Social- og Boligstyrelsen har åbnet for ansøgninger til Task Force børn og unge i udsatte positioner. "
    "Et forløb varer ca. to år og indledes med en analyse af kommunens myndighedsarbejde, efterfulgt af et "
    "udviklingsforløb med sparring.",
    "Det er et krav, at ansøgningen er politisk behandlet, og at referatet vedlægges ansøgningen. Forvaltningen har "
    "holdt det indledende møde med Task Forcen.",
)
# A summary that never names the Task Force: the item must be known by its title.
NEUTRAL_SUMMARY: tuple[str, ...] = (
    "Styrelsen tilbyder et toårigt forløb, hvor kommunens praksis gennemgås, og hvor forvaltningen derefter får "
    "sparring på en plan for at styrke kvaliteten.",
    "Forløbet er gratis, men kræver, at der afsættes interne ressourcer.",
)


@dataclass(frozen=True)
class Item:
    """One agenda item: its title, what the secretary wrote as its decision ("" = nothing yet), and
    optionally its own decision label."""

    title: str
    decision: str
    summary: tuple[str, ...] = ("Forvaltningen forelægger sagen for udvalget.",)
    recommendation: str = "at indstillingen godkendes."
    label: str | None = None


DEFAULT_OTHERS: tuple[Item, ...] = (
    Item("Godkendelse af dagsorden", "Godkendt.", ("Dagsordenen forelægges til godkendelse.",), "at dagsordenen godkendes."),
    Item("Budgetopfølgning 1 - forventet regnskab 2025", "Indstilles til Byrådets godkendelse.",
         ("Budgetopfølgningen viser et forventet merforbrug på 4,3 mio. kr. på anbringelsesområdet.",),
         "at budgetopfølgningen oversendes til Økonomiudvalget og Byrådet."),
    Item("Kvalitetsrapport for dagtilbud 2024", "Udsat.",
         ("Kvalitetsrapporten beskriver dagtilbuddenes læringsmiljøer og børnenes trivsel.",),
         "at kvalitetsrapporten godkendes."),
    Item("Orientering om underretninger", "Taget til efterretning.",
         ("Antallet af underretninger er steget med 12 pct. i forhold til samme periode sidste år.",),
         "at orienteringen tages til efterretning."),
    Item("Eventuelt", "Intet.", (), ""),
)


@dataclass(frozen=True)
class MeetingSpec:
    """What happened at the meeting, and how the secretary wrote it down."""

    municipality: str = "Slagelse Kommune"
    body: str = "Børne- og Ungeudvalget"
    meeting_date: dt.date = dt.date(2025, 2, 12)
    task_force_title: str = "Ansøgning om deltagelse i Task Force"
    decision: str = "Godkendt."
    label: str | None = None  # the Task Force item's decision label; None: the layout's own
    summary: tuple[str, ...] = TASK_FORCE_SUMMARY
    position: int = 3  # the Task Force item's place among the items, 1-based
    first_number: int = 1  # the number of the meeting's first item
    others: tuple[Item, ...] = DEFAULT_OTHERS
    trail: tuple[tuple[str, str], ...] = ()  # kb_trail: (committee, its decision) before the council's own
    kind: Literal["Referat", "Dagsorden", "Beslutningsprotokol"] = "Referat"

    def items(self) -> list[tuple[int, Item]]:
        tf = Item(self.task_force_title, self.decision, self.summary,
                  "at kommunen ansøger om et forløb, jf. sagsfremstillingen.", self.label)
        items = list(self.others)
        items.insert(max(0, min(len(items), self.position - 1)), tf)
        return [(self.first_number + k, item) for k, item in enumerate(items)]


@dataclass(frozen=True)
class Combined:
    """A combined PDF and where its parts were put: (role, first page, last page)."""

    data: bytes
    parts: tuple[tuple[str, int, int], ...] = field(default=())


# --------------------------------------------------------------------------- public API


def meeting_pdf(spec: MeetingSpec = MeetingSpec(), layout: str = "prepare") -> bytes:
    return render_pdf(_blocks(spec, layout), _meta(spec))


def meeting_docx(spec: MeetingSpec = MeetingSpec(), layout: str = "prepare") -> bytes:
    return render_docx(_blocks(spec, layout), _meta(spec))


def org_chart_pdf(municipality: str = "Slagelse Kommune") -> bytes:
    """An annex page: a heading and the chart as a picture."""
    blocks: list[Block] = [para("Bilag 2: Organisationsdiagram", style="h1"),
                           para(f"Familieområdet i {municipality} pr. 1. januar 2025"),
                           para(Pic(org_chart_png(municipality), width_cm=15.5))]
    return render_pdf(blocks, DocMeta("Sekretariatet", "Organisationsdiagram", dt.datetime(2025, 3, 1, 9, 0)))


def combined_pdf(pieces: list[tuple[str, bytes]]) -> Combined:
    """Merge PDFs (role, bytes) in order into one, as a municipality's PDF tool does."""
    import pypdfium2 as pdfium

    out = pdfium.PdfDocument.new()
    spans: list[tuple[str, int, int]] = []
    for role, data in pieces:
        source = pdfium.PdfDocument(data)
        first = len(out) + 1
        out.import_pages(source)
        spans.append((role, first, len(out)))
        source.close()
    buffer = io.BytesIO()
    out.save(buffer)
    out.close()
    return Combined(buffer.getvalue(), tuple(spans))


def application_with_minutes(form: FormSpec, meeting: MeetingSpec, layout: str, form_layout: str = "table",
                             org_chart: bool = True) -> Combined:
    """The typical "samlet ansøgning med bilag": the form, the minutes, the org chart."""
    pieces = [("application_form", form_pdf(form, form_layout)), ("minutes", meeting_pdf(meeting, layout))]
    if org_chart:
        pieces.append(("other", org_chart_pdf(form.municipality)))
    return combined_pdf(pieces)


# --------------------------------------------------------------------------- wording helpers


def _meta(spec: MeetingSpec) -> DocMeta:
    when = dt.datetime.combine(spec.meeting_date + dt.timedelta(days=1), dt.time(10, 0))
    return DocMeta("Sekretariatet", f"{spec.kind} - {spec.body}", when)


def _label(item: Item, default: str) -> str:
    """The item's own decision label, else the layout's."""
    return item.label or default


# --------------------------------------------------------------------------- layouts


def _blocks(spec: MeetingSpec, layout: str) -> list[Block]:
    builders = {"prepare": _prepare, "netpublicator": _netpublicator, "edagsorden": _edagsorden,
                "protokol_table": _protokol_table, "ishoej": _ishoej, "kb_trail": _kb_trail, "uddrag": _uddrag}
    if layout not in builders:
        raise ValueError(f"unknown meeting layout {layout!r}; choose one of {MEETING_LAYOUTS}")
    return builders[layout](spec)


def _prepare(spec: MeetingSpec) -> list[Block]:
    out: list[Block] = [
        para(spec.municipality, style="small"),
        para(f"{spec.body} – {spec.kind} – {_long(spec.meeting_date)}", style="title"),
        para("Mødested: Rådhuset, mødelokale 2"),
        para("Mødetidspunkt: 16:00 - 18:00"),
        para("Fraværende: Peter Møller (F)"),
    ]
    for number, item in spec.items():
        out += [para(f"{number}. {item.title} (B)", style="h2"),
                para(f"Sagsnr.: 330-2025-{1000 + number * 137}   Dok.nr.: 330-2025-{5000 + number * 911}   Åbent", style="small"),
                para(f"Kompetence: {spec.body}"),
                para("Beslutningstema", style="h3"), *[para(s) for s in item.summary[:1]],
                para("Indstilling", style="h3"), para("Direktøren for Børn og Unge indstiller,")]
        if item.recommendation:
            out.append(para(f"1. {item.recommendation}"))
        out += [para("Baggrund", style="h3"), *[para(s) for s in item.summary[1:]]]
        if spec.kind != "Dagsorden":
            out += [para(_label(item, f"Beslutning i {spec.body} den {_long(spec.meeting_date)}:"), style="h3"),
                    para("Fraværende:")]
            out += [para(item.decision)] if item.decision else []
    return out


def _netpublicator(spec: MeetingSpec) -> list[Block]:
    out: list[Block] = [
        para(spec.body, style="title"),
        para(f"{spec.kind} • {_long(spec.meeting_date)} kl. 16.00"),
        para("Indhold", style="h2"),
        *[para(f"{number}. {item.title}") for number, item in spec.items()],
    ]
    for number, item in spec.items():
        out.append(para(f"{number}. {item.title}", style="h1"))
        if spec.kind != "Dagsorden":
            out.append(para(_label(item, f"Beslutning i {spec.body} den {_dashes(spec.meeting_date)}"), style="h3"))
            out += [para(item.decision)] if item.decision else []
        out += [para("Indstilling", style="h3"), para(f"Forvaltningen indstiller, {item.recommendation}")]
        out += [para("Sagsfremstilling", style="h3"), *[para(s) for s in item.summary]]
    return out


def _edagsorden(spec: MeetingSpec) -> list[Block]:
    d = _dashes(spec.meeting_date)
    out: list[Block] = [para(t) for t in ("UDVALG", spec.body, "MØDE", spec.kind, "STED", "Rådhuset, mødelokale 2",
                                          "STARTTIDSPUNKT", f"{d} 16:00:00", "SLUTTIDSPUNKT", f"{d} 18:00:00", "PUNKTER")]
    out += [para(f"{number}. {item.title}") for number, item in spec.items()]
    for number, item in spec.items():
        out += [para(f"{number}. {item.title}", style="h2"), para("Sagsgang og sagstype", style="h3"), para(spec.body),
                para("Beslutningssag"), para("Indstilling", style="h3"), para("Direktør René Junker indstiller, at:")]
        if item.recommendation:
            out.append(para(f"1. {item.recommendation.removeprefix('at ')}"))
        out += [para("Beskrivelse af sagen", style="h3"), *[para(s) for s in item.summary],
                para("Økonomiske konsekvenser", style="h3"), para("Ingen.")]
        if spec.kind != "Dagsorden":
            out.append(para(_label(item, f"Beslutning i {spec.body} den {d}"), style="h3"))
            out += [para(item.decision)] if item.decision else []
    return out


def _protokol_table(spec: MeetingSpec) -> list[Block]:
    header = [("Udvalg", spec.body), ("Mødedato", _dots(spec.meeting_date)), ("Mødested", "Rådhuset, mødelokale 2"),
              ("Fraværende", "Peter Møller (F)")]
    out: list[Block] = [para(spec.municipality, style="h2"), para(spec.kind, style="title"),
                        Grid(tuple((cell(para(bold(k)), shade=True), cell(v)) for k, v in header), (0.3, 0.7))]
    for number, item in spec.items():
        rows = [(cell(para(bold(f"Pkt. {number}")), shade=True), cell(para(bold(item.title)))),
                (cell("Sagsfremstilling"), cell(*item.summary) if item.summary else cell("")),
                (cell("Indstilling"), cell(f"Forvaltningen indstiller, {item.recommendation}" if item.recommendation else ""))]
        if spec.kind != "Dagsorden":
            rows.append((cell(_label(item, "Beslutning")), cell(item.decision)))
        out.append(Grid(tuple(rows), (0.25, 0.75)))
    return out


def _ishoej(spec: MeetingSpec) -> list[Block]:
    d = spec.meeting_date
    out: list[Block] = [para(spec.kind, style="title"),
                        para(f"{spec.body} {_WEEKDAYS[d.weekday()]} den {_long(d)} kl. 16.30"),
                        para("Mødelokale Tårnbjerget, Rådhuset")]
    for number, item in spec.items():
        out += [para(f"{number}. {item.title}", style="h2"), para("Sagsfremstilling", style="h3"),
                *[para(s) for s in item.summary], para("Lovgrundlag", style="h3"), para("Serviceloven og barnets lov."),
                para("Økonomi", style="h3"), para("Sagen har ingen økonomiske konsekvenser.")]
        if item.recommendation:
            out += [para("Indstilling", style="h3"), para(item.recommendation)]
        if spec.kind != "Dagsorden":
            out.append(para(_label(item, "Beslutning"), style="h3"))
            out += [para(item.decision)] if item.decision else []
        out += [para("Beslutningskompetence", style="h3"), para(f"{spec.body}.")]
    return out


def _kb_trail(spec: MeetingSpec) -> list[Block]:
    items = spec.items()
    out: list[Block] = [para(spec.body, style="title"), para(spec.kind, style="h2"),
                        para(f"Mødedato: {_dashes(spec.meeting_date)}"), para("Medlemmer", style="h3"),
                        *[para(m) for m in _MEMBERS], para("Fraværende", style="h3"), para("Hanne Lund (O)"),
                        para(f"Sager {items[0][0]} - {items[-1][0]}")]
    earlier = spec.meeting_date - dt.timedelta(days=9)
    for number, item in items:
        out += [para(item.title, style="h2"), para(f"Sag nr. {number}"), para("Beslutningskompetence: KB"),
                para("Sagens kerne", style="h3"), *[para(s) for s in item.summary[:1]]]
        if item.recommendation:
            out += [para("Indstilling", style="h3"), para("Børne- og Familieforvaltningen indstiller,"), para(item.recommendation)]
        if item.title == spec.task_force_title:
            for k, (committee, said) in enumerate(spec.trail):
                out += [para(f"{committee}, {_long(earlier + dt.timedelta(days=k))}, pkt. {12 + k}:"), para(said)]
        if spec.kind != "Dagsorden":
            out += [para(_label(item, "Beslutning"), style="h3")]
            out += [para(item.decision)] if item.decision else []
        out += [para("Sagsfremstilling", style="h3"), *[para(s) for s in item.summary[1:]]]
    return out


def _genitive(body: str) -> str:
    return body + "s"  # "Børne- og Ungeudvalget" -> "Børne- og Ungeudvalgets", "Byrådet" -> "Byrådets"


def _uddrag(spec: MeetingSpec) -> list[Block]:
    number, item = next((n, i) for n, i in spec.items() if i.title == spec.task_force_title)
    out: list[Block] = [para(spec.municipality, style="small"),
                        para(f"Uddrag af {'beslutningsprotokol' if spec.kind != 'Dagsorden' else 'dagsorden'}", style="title"),
                        para(f"{_genitive(spec.body)} møde den {_long(spec.meeting_date)}", style="h2"),
                        para(f"Punkt {number}: {item.title}", style="h2"),
                        para("Sagsfremstilling", style="h3"), *[para(s) for s in item.summary],
                        para("Indstilling", style="h3"), para(f"Forvaltningen indstiller, {item.recommendation}")]
    if spec.kind != "Dagsorden":
        label = (item.label or "Beslutning").rstrip(":")
        out.append(para(bold(f"{label}: "), item.decision) if item.decision else para(bold(f"{label}:")))
    out += [para("Udskriftens rigtighed bekræftes."), para("Karen Bech, udvalgssekretær")]
    return out
