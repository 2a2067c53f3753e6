"""Factories for filled-in Task Force application forms (.docx and text PDF).

:class:`FormSpec` says what the municipality wrote; ``layout`` says how the form
looks. Three layouts (:data:`FORM_LAYOUTS`), with deliberately different label
wordings, so that parsers must match on meaning:

* ``"table"`` – like the official Word template: numbered section headings, questions
  and answers in tables (label | value for section 1, question | answer for section 2,
  question row above answer row for sections 3–7), the signature block in a table
  ("Direktørens underskrift" | "Dato:").
* ``"headings"`` – heading, question paragraph(s), answer paragraph(s); signature block
  as paragraphs ("Direktørens underskrift", "Dato: …", "Underskrift:", a line, the name).
* ``"inline"`` – a municipality's own rewrite: "Kommune: …", "CVR-nr.: …", one line per
  fact, "Indledende møde afholdt: …", "Underskrift: <name>".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .images import (
    Block,
    DocMeta,
    Grid,
    Para,
    Pic,
    bold,
    cell,
    italic,
    para,
    render_docx,
    render_pdf,
    signature_png,
)

__all__ = ["FormSpec", "form_docx", "form_pdf", "FORM_LAYOUTS", "DEFAULT_SECTIONS", "SECTION_TITLES"]

FORM_LAYOUTS: tuple[str, ...] = ("table", "headings", "inline")

Programme = Literal["boern-unge", "handicap"]

SECTION_TITLES: dict[str, dict[int, str]] = {
    "boern-unge": {
        1: "Generelle oplysninger",
        2: "Minimumsbetingelser for ansøgningen",
        3: "Motivation for ansøgningen",
        4: "Parathed til deltagelse",
        5: "Øvrige aktiviteter på området",
        6: "Opstart og fremdrift",
        7: "Organisatorisk tilhørsforhold",
    },
    "handicap": {
        1: "Generelle oplysninger",
        2: "Betingelser for ansøgningen",
        3: "Motivation for ansøgningen",
        4: "Parathed til deltagelse",
        5: "Øvrige aktiviteter på området",
        6: "Forventninger til forløbet",
        7: "Organisatorisk forankring og kontaktperson",
    },
}

_QUESTIONS: dict[str, dict[int, tuple[str, ...]]] = {
    "boern-unge": {
        3: (
            "Beskriv kort kommunens udgangspunkt på området: Hvad er den overordnede status på kommunens "
            "sagsbehandling i dag? (Antal sager, underretninger, afgørelse om foranstaltninger med mere) "
            "Hvordan er kommunen organiseret, herunder på myndighedsområdet for udsatte børn og unge?",
            "Beskriv kort kommunens baggrund for at søge: Hvilke områder af sagsbehandlingen ønsker kommunen "
            "særligt at udvikle og forbedre? Hvad har kommunen gjort hidtil for at sikre en god kvalitet i "
            "sagsbehandlingen?",
            "Beskriv kort kommunens forventninger til Task Force forløbet.",
        ),
        4: (
            "Beskriv kort, hvem der har været involveret i beslutningen om at søge et Task Force forløb, og "
            "hvad der har været fokus på i overvejelserne herom?",
        ),
        5: (
            "Hvilke andre udviklingstiltag har kommunen aktuelt i forhold til sagsbehandlingen på området for "
            "udsatte børn og unge? (Hvordan påvirker de kommunens udvikling på området? Hvem er involveret, og "
            "hvornår afsluttes udviklingstiltagene?)",
            "Hvordan ser I sammenhængen mellem Task Force forløbet og de øvrige udviklingstiltag kommunen har "
            "igangsat, og hvordan vurderer I kommunens kapacitet til at påbegynde et Task Force forløb nu?",
            "Er der planer om at ændre kommunens organisering i forhold til arbejdet med udsatte børn og unge "
            "væsentligt i den nærmeste tid? Såfremt omorganisering er planlagt ønskes en beskrivelse.",
        ),
        6: (
            "Hvornår foretrækker kommunen at påbegynde Task Force forløbet? (Task Forcen træffer endelig "
            "beslutning om starttidspunkt.)",
            "Beskriv kort, hvordan kommunen vil sikre fremdrift samt at de nødvendige ressourcer til at indgå i "
            "et længerevarende Task Force forløb er afsat.",
        ),
        7: (
            "Beskriv, hvordan Task Force forløbet skal forankres organisatorisk, og hvem der vil være "
            "kontaktperson til Task Forcen i forbindelse med behandling af ansøgningen.",
        ),
    },
    "handicap": {
        3: (
            "Beskriv kommunens nuværende praksis og de områder, kommunen ønsker at udvikle for at styrke "
            "kvaliteten i sagsbehandlingen.",
            "Hvilke ydelsesområder afstedkommer flest udfordringer i sagsbehandlingen?",
        ),
        4: ("Beskriv kort, hvem der har været involveret i beslutningen om at søge et forløb hos taskforcen.",),
        5: (
            "Hvilke andre udviklingstiltag har kommunen aktuelt på området, og er der planer om væsentlige "
            "ændringer i organiseringen?",
        ),
        6: ("Hvad forventer kommunen at få ud af et analyse- og udviklingsforløb med taskforcen?",),
        7: ("Beskriv, hvordan forløbet forankres organisatorisk, og hvem der er kontaktperson for taskforcen.",),
    },
}

_INLINE_LABELS: dict[str, dict[int, str]] = {
    "boern-unge": {
        3: "Motivation og udgangspunkt",
        4: "Parathed",
        5: "Øvrige aktiviteter",
        6: "Opstart og fremdrift",
        7: "Organisatorisk forankring og kontaktperson",
    },
    "handicap": {
        3: "Motivation",
        4: "Parathed",
        5: "Øvrige aktiviteter",
        6: "Forventninger",
        7: "Forankring og kontaktperson",
    },
}

DEFAULT_SECTIONS: dict[str, dict[int, str]] = {
    "boern-unge": {
        3: (
            "Familieafdelingen behandler i dag ca. 1.150 sager om børn og unge, og vi modtog sidste år 2.430 "
            "underretninger. Ca. 310 børn og unge er anbragt uden for hjemmet. Myndighedsområdet er organiseret "
            "i Familieafdelingen med tre teams (modtagelse, 0-12 år og 13-17 år).\n\n"
            "Vi ønsker især at styrke de børnefaglige undersøgelser, opfølgningen på indsatser og inddragelsen "
            "af barnet. Vi har indført ICS og systematisk ledelsestilsyn, men oplever fortsat stor "
            "personaleudskiftning.\n\n"
            "Vi forventer, at forløbet giver et fælles billede af styrker og udfordringer og konkrete "
            "anbefalinger, som kan løfte kvaliteten i sagsbehandlingen."
        ),
        4: (
            "Beslutningen er truffet af direktøren i samarbejde med chefgruppen og afdelingslederne i "
            "Familieafdelingen. Ansøgningen er drøftet i MED-udvalget, og det politiske udvalg bakker op. "
            "Fokus har været på medarbejdernes kapacitet og på ejerskab hos ledere og rådgivere."
        ),
        5: (
            "Kommunen deltager i et netværk om ledelsestilsyn og har igangsat et projekt om tidlig indsats, som "
            "afsluttes ved udgangen af året. Vi vurderer, at forløbet understøtter disse tiltag, og at der er "
            "kapacitet til at begynde nu. Der er ingen planer om væsentlige ændringer i organiseringen."
        ),
        6: (
            "Kommunen ønsker at påbegynde forløbet hurtigst muligt efter sommerferien. Fremdriften sikres af en "
            "styregruppe med direktøren som formand, og der er afsat en intern projektleder 20 timer om ugen."
        ),
        7: (
            "Forløbet forankres i Familieafdelingen med afdelingslederen som daglig ansvarlig. Kontaktperson "
            "for ansøgningen er afdelingsleder Jonas Holm, tlf. 58 57 40 12, joho@{domain}."
        ),
    },
    "handicap": {
        3: (
            "Voksenhandicapafdelingen behandler ca. 900 sager, og vi oplever en stigning i antallet af klager "
            "og hjemvisninger fra Ankestyrelsen. Vi ønsker at styrke sagsoplysningen og helhedsvurderingen.\n\n"
            "Flest udfordringer ses i sager om socialpædagogisk støtte (servicelovens § 85) og "
            "længerevarende botilbud (§ 108)."
        ),
        4: (
            "Direktøren, afdelingschefen og teamlederne har været involveret, og Socialudvalget har drøftet "
            "ansøgningen. Fokus har været på at frigøre tid til sagsgennemgang og workshops."
        ),
        5: (
            "Kommunen er i gang med at implementere en ny visitationsmodel, som afsluttes inden sommer. Der "
            "er ingen planer om omorganisering."
        ),
        6: (
            "Vi forventer et klart billede af styrker og udfordringer og konkrete anbefalinger, som kan "
            "omsættes i en udviklingsplan for myndighedsafdelingen."
        ),
        7: (
            "Forløbet forankres i Myndighed Voksen med afdelingschefen som ansvarlig. Kontaktperson er "
            "teamleder Line Vestergaard, tlf. 58 57 41 20, live@{domain}."
        ),
    },
}

_YDELSER: dict[str, str] = {
    "voksenhandicapområdet": (
        "Socialpædagogisk støtte (servicelovens § 85) og længerevarende botilbud (servicelovens § 108)"
    ),
    "børnehandicapområdet": "Merudgifter (barnets lov § 86) og tabt arbejdsfortjeneste (barnets lov § 87)",
}


@dataclass(frozen=True)
class FormSpec:
    """What the municipality wrote in the form. ``None`` answers are left empty.

    ``sections`` overrides are merged over ``DEFAULT_SECTIONS[programme]`` (keys 3..7);
    ``""`` leaves a section empty. ``area`` (handicap only): ``None`` means
    "voksenhandicapområdet", ``""`` leaves it empty. ``signed_date``: ``None`` picks a
    date matching ``generation``.
    """

    municipality: str = "Slagelse Kommune"
    address: str = "Rådhuspladsen 11, 4200 Slagelse"
    cvr: str = "29188505"
    director_name: str = "Mette Hansen"
    director_phone: str = "58 57 36 00"
    director_email: str = "meha@slagelse.dk"
    initial_meeting: str | None = "Ja, det indledende møde blev afholdt d. 4. oktober 2019."
    political: str | None = "Ja, sagen blev behandlet i Børne- og Ungeudvalget den 30.09.2019. Referat vedlagt."
    signature: Literal["typed", "image", "none"] = "typed"
    signer_name: str | None = None
    generation: Literal["2019", "2025"] = "2025"
    programme: Programme = "boern-unge"
    area: str | None = None
    sections: Mapping[int, str] = field(default_factory=dict, hash=False)
    deadline_text: str = "25. marts 2025"
    signed_date: str | None = None

    def section_answers(self) -> dict[int, str]:
        """The answers of sections 3..7 as rendered (defaults merged with overrides)."""
        domain = self.director_email.partition("@")[2] or "kommune.dk"
        answers = {k: v.format(domain=domain) for k, v in DEFAULT_SECTIONS[self.programme].items()}
        answers.update(self.sections)
        return answers

    @property
    def signer(self) -> str:
        return self.signer_name if self.signer_name is not None else self.director_name

    @property
    def area_text(self) -> str:
        return "voksenhandicapområdet" if self.area is None else self.area

    @property
    def date_signed(self) -> str:
        if self.signed_date is not None:
            return self.signed_date
        return "28.10.2019" if self.generation == "2019" else "18.03.2025"


# --------------------------------------------------------------------------- public API


def form_docx(spec: FormSpec = FormSpec(), layout: str = "table") -> bytes:
    """The filled-in form as .docx bytes."""
    return render_docx(_blocks(spec, layout), _meta(spec))


def form_pdf(spec: FormSpec = FormSpec(), layout: str = "table") -> bytes:
    """The filled-in form as a text PDF (as if exported from Word)."""
    return render_pdf(_blocks(spec, layout), _meta(spec))


def _meta(spec: FormSpec) -> DocMeta:
    when = dt.datetime(2019, 10, 28, 9, 30) if spec.generation == "2019" else dt.datetime(2025, 3, 18, 9, 30)
    author = spec.director_email.partition("@")[0] or spec.director_name
    return DocMeta(author=author, title="Ansøgningsskema Task Force", when=when)


def _blocks(spec: FormSpec, layout: str) -> list[Block]:
    builders = {"table": _TableLayout, "headings": _HeadingsLayout, "inline": _InlineLayout}
    if layout not in builders:
        raise ValueError(f"unknown form layout {layout!r}; choose one of {FORM_LAYOUTS}")
    return builders[layout](spec).blocks()


# --------------------------------------------------------------------------- shared wording


def _agency(spec: FormSpec) -> str:
    return "Socialstyrelsen" if spec.generation == "2019" else "Social- og Boligstyrelsen"


def _taskforce_name(spec: FormSpec) -> str:
    if spec.programme == "handicap":
        return "Taskforcen på handicapområdet"
    if spec.generation == "2019":
        return "Den Permanente Task Force på området udsatte børn og unge"
    return "Task Force børn og unge i udsatte positioner"


def _mailbox(spec: FormSpec) -> str:
    if spec.programme == "handicap":
        return "taskforcehandicap@sbst.dk"
    return "taskforce@socialstyrelsen.dk" if spec.generation == "2019" else "taskforce@sbst.dk"


def _form_title(spec: FormSpec) -> str:
    if spec.programme == "handicap":
        return "Ansøgningsskema – analyse- og udviklingsforløb"
    return (
        "Skema til ansøgning om et Task Force forløb"
        if spec.generation == "2019"
        else ("Skema til ansøgning om et Task Force-forløb")
    )


def _deadline_line(spec: FormSpec) -> str:
    if spec.programme == "handicap":
        return "Der kan søges løbende. Forløb tildeles efter først til mølle-princippet."
    return f"Frist for indsendelse af ansøgning: {spec.deadline_text} kl. 12.00"


def _send_line(spec: FormSpec) -> str:
    return (
        "Ansøgningsskemaet udfyldes og sendes sammen med relevante bilag til "
        f"{_agency(spec)} på følgende e-mail: {_mailbox(spec)}"
    )


def _initial_question(spec: FormSpec) -> str:
    if spec.programme == "handicap":
        return (
            "Har kommunen afholdt et indledende møde med taskforcen? I givet fald hvornår? "
            "(Anbefales, men er ikke et krav)"
        )
    return (
        "Har der været afholdt det indledende møde mellem direktøren på området, dennes ledergruppe og "
        "Task Forcen? I givet fald hvornår?"
    )


def _political_question(spec: FormSpec) -> str:
    return "Har beslutningen om ansøgning været politisk behandlet og i givet fald hvornår?"


def _political_note(spec: FormSpec) -> str:
    if spec.programme == "handicap":
        return "Der skal vedlægges referat fra udvalgs- eller kommunalbestyrelsesmøde."
    return "Der skal vedlægges referat af udvalgs- eller byrådsmøde."


def _commitment(spec: FormSpec) -> str:
    if spec.programme == "handicap":
        return (
            "Kommunen forpligter sig ved direktørens underskrift til at afsætte de nødvendige ressourcer til "
            "forløbet med taskforcen."
        )
    return (
        "Kommunen skal ved direktørunderskrift forpligte sig på, at der vil blive afsat de nødvendige "
        "ressourcer til at indgå i Task Force forløbet."
    )


def _paragraphs(text: str | None) -> list[str]:
    """Split an answer into paragraphs (blank-line separated); None/"" gives none."""
    return [p.strip() for p in (text or "").split("\n\n") if p.strip()]


def _signature_pic(spec: FormSpec) -> Pic:
    return Pic(signature_png(spec.signer), width_cm=5.0)


# --------------------------------------------------------------------------- layouts


class _Layout:
    """Common skeleton: header, sections 1..7. Subclasses render each part."""

    def __init__(self, spec: FormSpec) -> None:
        self.spec = spec
        self.titles = SECTION_TITLES[spec.programme]
        self.answers = spec.section_answers()

    def blocks(self) -> list[Block]:
        out = self.header()
        out += self.section1()
        out += self.section2()
        for number in range(3, 8):
            out += self.free_section(number)
        return out

    def heading(self, number: int) -> Para:
        return para(f"{number}. {self.titles[number]}", style="h1")

    def header(self) -> list[Block]:
        raise NotImplementedError

    def section1(self) -> list[Block]:
        raise NotImplementedError

    def section2(self) -> list[Block]:
        raise NotImplementedError

    def free_section(self, number: int) -> list[Block]:
        raise NotImplementedError


class _TableLayout(_Layout):
    """The official Word template: questions and answers in tables."""

    def header(self) -> list[Block]:
        s = self.spec
        return [
            para(bold(_agency(s))),
            para(bold(_taskforce_name(s))),
            para(_form_title(s), style="title"),
            para(bold(_deadline_line(s))),
            para(_send_line(s)),
        ]

    def section1(self) -> list[Block]:
        s = self.spec
        rows = [
            (cell(para(bold("Kommunenavn")), shade=True), cell(s.municipality)),
            (cell(para(bold("Adresse")), shade=True), cell(s.address)),
            (cell(para(bold("CVR nummer")), shade=True), cell(s.cvr)),
            (
                cell(para(bold("Navn, telefon og e-mailadresse på den projektansvarlige (direktør)")), shade=True),
                cell(s.director_name, f"Tlf. {s.director_phone}", s.director_email),
            ),
        ]
        if s.programme == "handicap":
            rows += [
                (
                    cell(para(bold("Område (børnehandicapområdet eller voksenhandicapområdet)")), shade=True),
                    cell(s.area_text),
                ),
                (
                    cell(para(bold("Ydelsesområder, der ønskes indgå i sagsgennemgangen")), shade=True),
                    cell(_YDELSER.get(s.area_text, "")),
                ),
            ]
        return [self.heading(1), Grid(tuple(rows), (0.42, 0.58))]

    def section2(self) -> list[Block]:
        s = self.spec
        rows = (
            (cell(_initial_question(s), shade=True), cell(*_paragraphs(s.initial_meeting))),
            (
                cell(_political_question(s), para(italic(_political_note(s))), shade=True),
                cell(*_paragraphs(s.political)),
            ),
        )
        return [
            self.heading(2),
            para(
                "For at komme i betragtning, skal kommunen leve op til følgende kriterier for tildeling af støtte "
                "i forhold til kommunens forudgående proces."
            ),
            Grid(rows, (0.5, 0.5)),
            para(italic(_commitment(s))),
            self.signature_table(),
        ]

    def signature_table(self) -> Grid:
        s = self.spec
        if s.signature == "none":
            content, date = cell(), cell()
        elif s.signature == "image":
            content, date = cell(para(_signature_pic(s)), s.signer), cell(s.date_signed)
        else:
            content, date = cell(s.signer), cell(s.date_signed)
        head = (cell(para(bold("Direktørens underskrift")), shade=True), cell(para(bold("Dato:")), shade=True))
        return Grid((head, (content, date)), (0.65, 0.35))

    def free_section(self, number: int) -> list[Block]:
        questions = _QUESTIONS[self.spec.programme][number]
        rows = (
            (cell(*questions, shade=True, span=True),),
            (cell(*_paragraphs(self.answers.get(number)), span=True),),
        )
        return [self.heading(number), Grid(rows, (1.0,))]


class _HeadingsLayout(_Layout):
    """Heading, question paragraph(s), answer paragraph(s)."""

    def header(self) -> list[Block]:
        s = self.spec
        return [
            para(f"{_agency(s)} – {_taskforce_name(s)}", style="small"),
            para(_form_title(s), style="title"),
            para(_deadline_line(s)),
            para(_send_line(s)),
        ]

    def section1(self) -> list[Block]:
        s = self.spec
        out: list[Block] = [
            self.heading(1),
            para(bold("Kommunenavn, adresse og CVR nummer")),
            para(s.municipality),
            para(s.address),
            para(f"CVR: {s.cvr}"),
            para(bold("Projektansvarlig direktør")),
            para(f"Navn: {s.director_name}"),
            para(f"Telefon: {s.director_phone}"),
            para(f"E-mail: {s.director_email}"),
        ]
        if s.programme == "handicap":
            out += [
                para(bold("Hvilket område søger kommunen forløb på?")),
                *[para(p) for p in _paragraphs(s.area_text)],
                para(bold("Hvilke ydelsesområder ønskes inddraget i sagsgennemgangen?")),
                *[para(p) for p in _paragraphs(_YDELSER.get(s.area_text, ""))],
            ]
        return out

    def section2(self) -> list[Block]:
        s = self.spec
        return [
            self.heading(2),
            para(bold(_initial_question(s))),
            *[para(p) for p in _paragraphs(s.initial_meeting)],
            para(bold(_political_question(s)), " ", italic(_political_note(s))),
            *[para(p) for p in _paragraphs(s.political)],
            para("Direktørens underskrift", style="h2"),
            para(italic(_commitment(s))),
            *self.signature_block(),
        ]

    def signature_block(self) -> list[Block]:
        s = self.spec
        signed = s.signature != "none"
        out: list[Block] = [para(f"Dato: {s.date_signed}" if signed else "Dato:"), para("Underskrift:")]
        if s.signature == "image":
            out.append(para(_signature_pic(s)))
        out.append(para("_______________________________"))
        if signed:
            out += [para(s.signer), para(_director_title(s))]
        return out

    def free_section(self, number: int) -> list[Block]:
        questions = _QUESTIONS[self.spec.programme][number]
        return [
            self.heading(number),
            *[para(bold(q)) for q in questions],
            *[para(p) for p in _paragraphs(self.answers.get(number))],
        ]


class _InlineLayout(_Layout):
    """A municipality's own rewrite: one "Label: answer" line per fact."""

    def header(self) -> list[Block]:
        s = self.spec
        return [
            para(f"{s.municipality}", style="small"),
            para(f"Ansøgning til {_taskforce_name(s)}", style="title"),
            para(bold("Til: "), f"{_agency(s)}, {_mailbox(s)}"),
            para(
                bold("Ansøgningsfrist: "),
                "løbende (først til mølle)" if s.programme == "handicap" else f"{s.deadline_text} kl. 12.00",
            ),
        ]

    def heading(self, number: int) -> Para:
        return para(f"{number}. {self.titles[number]}", style="h2")

    def section1(self) -> list[Block]:
        s = self.spec
        out: list[Block] = [
            self.heading(1),
            para(bold("Kommune: "), s.municipality),
            para(bold("Adresse: "), s.address),
            para(bold("CVR-nr.: "), s.cvr),
            para(
                bold("Projektansvarlig (direktør): "), f"{s.director_name}, tlf. {s.director_phone}, {s.director_email}"
            ),
        ]
        if s.programme == "handicap":
            out += [
                para(bold("Område: "), s.area_text),
                para(bold("Ydelsesområder: "), _YDELSER.get(s.area_text, "")),
            ]
        return out

    def section2(self) -> list[Block]:
        s = self.spec
        return [
            self.heading(2),
            *self.labelled("Indledende møde afholdt: ", s.initial_meeting),
            *self.labelled("Politisk behandling (referat vedlagt): ", s.political),
            *self.signature_block(),
        ]

    def signature_block(self) -> list[Block]:
        s = self.spec
        if s.signature == "none":
            return [para(bold("Underskrift: ")), para(bold("Dato: "))]
        if s.signature == "image":
            return [
                para(bold("Underskrift: "), _signature_pic(s)),
                para(f"{s.signer}, {_director_title(s).lower()}"),
                para(bold("Dato: "), s.date_signed),
            ]
        return [para(bold("Underskrift: "), s.signer), para(bold("Dato: "), s.date_signed)]

    def labelled(self, label: str, text: str | None) -> list[Block]:
        """First paragraph on the label's line, further paragraphs below it."""
        paragraphs = _paragraphs(text)
        first = paragraphs[0] if paragraphs else ""
        return [para(bold(label), first), *[para(p) for p in paragraphs[1:]]]

    def free_section(self, number: int) -> list[Block]:
        if number == 3:
            out: list[Block] = [para("Vurderingsgrundlag", style="h2")]
        else:
            out = []
        label = _INLINE_LABELS[self.spec.programme][number]
        return out + self.labelled(f"{label}: ", self.answers.get(number))


def _director_title(spec: FormSpec) -> str:
    if spec.programme == "handicap":
        return "Direktør for Social og Sundhed"
    return "Direktør for Børn og Unge"
