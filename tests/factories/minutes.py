"""Factories for committee / city-council minutes ("referat") and agendas ("dagsorden").

:class:`MinutesSpec` says what happened at the meeting; ``layout`` imitates one of the
Danish municipal meeting systems (:data:`MINUTES_LAYOUTS`):

* ``"numbered"`` – "Referat", "Mødedato: 30. september 2019", items "7. <titel>" with
  Sagsnr./Resumé/Indstilling/"Beslutning i <udvalg> den 30-09-2019"/Bilag.
* ``"table"`` – meeting header in a table; each item a table with rows Punkt, J.nr.,
  Sagsfremstilling, Indstilling, Beslutning, Bilag (dates "30-09-2019").
* ``"prose"`` – a short protocol in paragraphs ("Ad punkt 7 …", "Udvalget besluttede at …",
  "Punktet blev udsat."), meeting date "d. 30 september 2019".
* ``"econ"`` – EsDH/Prism style: "Åbent møde", "Punkt 7", "Sagsfremstilling", "Forslag",
  "Beslutning: …" on one line; dates "30.09.2019"; running page header.
* ``"firstagenda"`` – First Agenda style: "Dagsordenspunkter" list first, then one item per
  page with headings Sagsfremstilling / Indstilling / Beslutning / Bilag.

The Task Force item sits among realistic unrelated items with their own decisions (some
approved, some postponed, one another "Ansøgning om …"), so a parser must find the item.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .images import Block, DocMeta, Grid, PageBreak, bold, cell, para, render_docx, render_pdf

__all__ = [
    "MinutesSpec",
    "minutes_docx",
    "minutes_pdf",
    "MINUTES_LAYOUTS",
    "APPROVAL_WORDINGS",
    "POSTPONED_WORDINGS",
    "REJECTED_WORDINGS",
    "task_force_decision",
]

MINUTES_LAYOUTS: tuple[str, ...] = ("numbered", "table", "prose", "econ", "firstagenda")

APPROVAL_WORDINGS: tuple[str, ...] = (
    "Godkendt.",
    "Indstillingen godkendt.",
    "Udvalget besluttede at godkende, at kommunen ansøger om et Task Force-forløb.",
    "Anbefales godkendt.",
    "Tiltrådt.",
)
POSTPONED_WORDINGS: tuple[str, ...] = ("Udsat.", "Sagen blev udsat til næste møde.", "Punktet blev udsat.")
REJECTED_WORDINGS: tuple[str, ...] = ("Ikke godkendt.", "Udvalget kunne ikke anbefale ansøgningen.")

_POSTPONED_BY_LAYOUT = {"numbered": 0, "table": 1, "prose": 2, "econ": 0, "firstagenda": 1}
_REJECTED_BY_LAYOUT = {"numbered": 0, "table": 1, "prose": 1, "econ": 0, "firstagenda": 0}
_COUNCILS = ("Byrådet", "Kommunalbestyrelsen", "Borgerrepræsentationen")

_MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)  # fmt: skip
_WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")

_MEMBERS = (
    "Anne Sørensen (A), formand",
    "Lars Østergaard (V), næstformand",
    "Birgitte Kjær (A)",
    "Peter Møller (F)",
    "Hanne Lund (O)",
    "Jesper Bæk (C)",
    "Susanne Friis (Ø)",
)
_ABSENT = "Peter Møller (F)"


@dataclass(frozen=True)
class MinutesSpec:
    """What happened at the meeting (see module docstring for the layouts)."""

    municipality: str = "Slagelse Kommune"
    body: str = "Børne- og Ungeudvalget"
    meeting_date: dt.date = dt.date(2019, 9, 30)
    kind: Literal["referat", "dagsorden"] = "referat"
    decision: Literal["approved", "postponed", "rejected", "none"] = "approved"
    approval_wording: int = 0
    item_number: int = 7
    n_items: int = 12
    task_force_title: str = "Ansøgning om Task Force-forløb"
    programme: Literal["boern-unge", "handicap"] = "boern-unge"

    def __post_init__(self) -> None:
        if not 1 <= self.item_number <= self.n_items:
            raise ValueError(f"item_number {self.item_number} outside 1..{self.n_items}")


# --------------------------------------------------------------------------- public API


def minutes_docx(spec: MinutesSpec = MinutesSpec(), layout: str = "numbered") -> bytes:
    """The minutes / agenda as .docx bytes."""
    return render_docx(_blocks(spec, layout), _meta(spec, layout))


def minutes_pdf(spec: MinutesSpec = MinutesSpec(), layout: str = "numbered") -> bytes:
    """The minutes / agenda as a multi-page text PDF."""
    return render_pdf(_blocks(spec, layout), _meta(spec, layout))


def task_force_decision(spec: MinutesSpec, layout: str = "numbered") -> str:
    """The decision text written under the Task Force item ("" for dagsorden or decision="none")."""
    if spec.kind == "dagsorden" or spec.decision == "none":
        return ""
    if spec.decision == "approved":
        text = APPROVAL_WORDINGS[spec.approval_wording % len(APPROVAL_WORDINGS)]
    elif spec.decision == "postponed":
        text = POSTPONED_WORDINGS[_POSTPONED_BY_LAYOUT[layout]]
    else:
        text = REJECTED_WORDINGS[_REJECTED_BY_LAYOUT[layout]]
    return text.replace("Udvalget", _actor(spec.body))


def _blocks(spec: MinutesSpec, layout: str) -> list[Block]:
    builders: dict[str, Callable[[MinutesSpec, list[_Item]], list[Block]]] = {
        "numbered": _numbered,
        "table": _table,
        "prose": _prose,
        "econ": _econ,
        "firstagenda": _firstagenda,
    }
    if layout not in builders:
        raise ValueError(f"unknown minutes layout {layout!r}; choose one of {MINUTES_LAYOUTS}")
    return builders[layout](spec, _items(spec, layout))


def _meta(spec: MinutesSpec, layout: str) -> DocMeta:
    offset = dt.timedelta(days=1 if spec.kind == "referat" else -7)
    when = dt.datetime.combine(spec.meeting_date + offset, dt.time(9, 15))
    header = {
        "econ": f"{spec.body} - {_dots(spec.meeting_date)}",
        "firstagenda": f"{spec.municipality} · {spec.body} · {_kind_title(spec)}",
    }.get(layout, "")
    return DocMeta(author="Sekretariatet", title=f"{_kind_title(spec)} - {spec.body}", when=when, header=header)


# --------------------------------------------------------------------------- wording helpers


def _long_date(d: dt.date) -> str:
    return f"{d.day}. {_MONTHS[d.month - 1]} {d.year}"


def _dots(d: dt.date) -> str:
    return d.strftime("%d.%m.%Y")


def _dashes(d: dt.date) -> str:
    return d.strftime("%d-%m-%Y")


def _prose_date(d: dt.date) -> str:
    return f"{_WEEKDAYS[d.weekday()]} d. {d.day} {_MONTHS[d.month - 1]} {d.year}"


def _kind_title(spec: MinutesSpec) -> str:
    return "Referat" if spec.kind == "referat" else "Dagsorden"


def _is_council(body: str) -> bool:
    return body in _COUNCILS


def _actor(body: str) -> str:
    """Sentence subject for decisions: "Udvalget" for committees, the council's own name otherwise."""
    return body if _is_council(body) else "Udvalget"


def _department(spec: MinutesSpec) -> str:
    return "Social- og Sundhedsforvaltningen" if spec.programme == "handicap" else "Børne- og Ungeforvaltningen"


# --------------------------------------------------------------------------- items


@dataclass(frozen=True)
class _Item:
    number: int
    title: str
    case_kle: str  # "27.00.00-A00-1-19"
    case_esdh: str  # "19/12345"
    summary: tuple[str, ...]
    recommendation: str
    decision: str  # "" = none
    attachments: tuple[str, ...] = ()
    task_force: bool = False


# (title, summary, recommendation, decision kind, attachments)
_Other = tuple[str, str, str, str, tuple[str, ...]]

_HEAD: _Other = (
    "Godkendelse af dagsorden",
    "Dagsordenen forelægges til godkendelse.",
    "Det indstilles, at dagsordenen godkendes.",
    "approved",
    (),
)
_TAIL: tuple[_Other, ...] = (
    (
        "Meddelelser",
        "Formanden og forvaltningen orienterer om aktuelle sager.",
        "Det indstilles, at meddelelserne tages til efterretning.",
        "noted",
        (),
    ),
    ("Eventuelt", "", "", "nothing", ()),
)
_POOL: dict[str, tuple[_Other, ...]] = {
    "boern-unge": (
        (
            "Anlægsbevilling til udvidelse af Børnehuset Solsikken",
            "Der søges om en anlægsbevilling på 4,2 mio. kr. til udvidelse af Børnehuset Solsikken med to "
            "grupperum, da antallet af børn i området stiger.",
            "Forvaltningen indstiller, at der gives en anlægsbevilling på 4,2 mio. kr.",
            "approved",
            ("Skitseprojekt", "Tidsplan"),
        ),
        (
            "Forslag til ny skolestruktur – høringssvar",
            "Høringsperioden for forslaget til ny skolestruktur er afsluttet. Der er indkommet 46 høringssvar, som er "
            "sammenfattet i vedlagte notat.",
            "Forvaltningen indstiller, at udvalget drøfter høringssvarene og godkender det reviderede forslag.",
            "postponed",
            ("Høringsnotat",),
        ),
        (
            "Budgetopfølgning pr. 31. august",
            "Budgetopfølgningen viser et forventet merforbrug på 3,1 mio. kr. på området for anbragte børn og unge, "
            "som delvist modsvares af mindreforbrug på dagtilbudsområdet.",
            "Forvaltningen indstiller, at budgetopfølgningen tages til efterretning.",
            "noted",
            ("Budgetopfølgning",),
        ),
        (
            "Ansøgning om puljemidler til lektiecafé",
            "Forvaltningen ønsker at søge Undervisningsministeriets pulje til lektiecaféer i udsatte boligområder.",
            "Forvaltningen indstiller, at der søges om puljemidler.",
            "approved",
            (),
        ),
        (
            "Kvalitetsrapport for folkeskolerne",
            "Kvalitetsrapporten beskriver skolevæsenets faglige niveau, trivsel og fravær for det seneste skoleår.",
            "Forvaltningen indstiller, at kvalitetsrapporten godkendes og sendes i høring i skolebestyrelserne.",
            "approved",
            ("Kvalitetsrapport",),
        ),
        (
            "Ændring af åbningstider i SFO",
            "På baggrund af et ønske fra flere skolebestyrelser foreslås en ensretning af åbningstiderne i SFO.",
            "Forvaltningen indstiller, at forslaget sendes i høring.",
            "postponed",
            (),
        ),
        (
            "Takster for dagtilbud",
            "Taksterne for dagtilbud reguleres årligt på baggrund af budgettet.",
            "Forvaltningen indstiller, at taksterne godkendes.",
            "approved",
            ("Takstblad",),
        ),
        (
            "Sundhedsplejens årsrapport",
            "Sundhedsplejen har udarbejdet en årsrapport om aktiviteter og resultater.",
            "Forvaltningen indstiller, at orienteringen tages til efterretning.",
            "noted",
            (),
        ),
        (
            "Temadrøftelse om fremtidens dagtilbud",
            "Udvalget drøfter visionen for fremtidens dagtilbud forud for en politisk proces i foråret.",
            "Forvaltningen indstiller, at udvalget drøfter temaet.",
            "discussed",
            (),
        ),
        (
            "Tilsynsrapport for private pasningsordninger",
            "Forvaltningen har gennemført de lovpligtige tilsyn med de private pasningsordninger.",
            "Forvaltningen indstiller, at tilsynsrapporten tages til efterretning.",
            "noted",
            (),
        ),
    ),
    "handicap": (
        (
            "Anlægsbevilling til renovering af Bofællesskabet Lærkevej",
            "Der søges om en anlægsbevilling på 2,8 mio. kr. til renovering af bad og køkken i bofællesskabet.",
            "Forvaltningen indstiller, at anlægsbevillingen gives.",
            "approved",
            ("Overslag",),
        ),
        (
            "Kvalitetsstandard for ledsageordning – revision",
            "Kvalitetsstandarden for ledsageordningen er revideret efter dialog med Handicaprådet.",
            "Forvaltningen indstiller, at den reviderede kvalitetsstandard godkendes.",
            "postponed",
            ("Kvalitetsstandard",),
        ),
        (
            "Budgetopfølgning pr. 31. august",
            "Budgetopfølgningen viser et forventet merforbrug på 5,4 mio. kr. på botilbudsområdet.",
            "Forvaltningen indstiller, at budgetopfølgningen tages til efterretning.",
            "noted",
            (),
        ),
        (
            "Ansøgning om puljemidler til aktivitetstilbud",
            "Forvaltningen ønsker at søge en statslig pulje til udvikling af aktivitets- og samværstilbud.",
            "Forvaltningen indstiller, at der søges om puljemidler.",
            "approved",
            (),
        ),
        (
            "Takster for botilbud",
            "Taksterne for kommunens botilbud reguleres årligt.",
            "Forvaltningen indstiller, at taksterne godkendes.",
            "approved",
            ("Takstoversigt",),
        ),
        (
            "Tilsynsrapporter fra Socialtilsynet",
            "Socialtilsynet har aflagt tilsyn på tre af kommunens tilbud.",
            "Forvaltningen indstiller, at orienteringen tages til efterretning.",
            "noted",
            (),
        ),
        (
            "Handicappolitik – udkast til høring",
            "Udkastet til ny handicappolitik er udarbejdet i samarbejde med Handicaprådet.",
            "Forvaltningen indstiller, at udkastet sendes i høring.",
            "postponed",
            (),
        ),
        (
            "Temadrøftelse om beskæftigelse for borgere med handicap",
            "Udvalget drøfter muligheder for flere skånejob og beskyttet beskæftigelse.",
            "Forvaltningen indstiller, at udvalget drøfter temaet.",
            "discussed",
            (),
        ),
    ),
}

_OTHER_DECISIONS: dict[str, dict[str, str]] = {
    "approved": {
        "numbered": "Godkendt.",
        "table": "Indstillingen godkendt.",
        "prose": "Udvalget godkendte indstillingen.",
        "econ": "Godkendt.",
        "firstagenda": "Godkendt.",
    },
    "postponed": {
        "numbered": "Udsat.",
        "table": "Sagen blev udsat.",
        "prose": "Punktet blev udsat.",
        "econ": "Udsat.",
        "firstagenda": "Udsat til næste møde.",
    },
    "noted": {
        "numbered": "Taget til efterretning.",
        "table": "Taget til efterretning.",
        "prose": "Udvalget tog orienteringen til efterretning.",
        "econ": "Taget til efterretning.",
        "firstagenda": "Orienteringen blev taget til efterretning.",
    },
    "discussed": {
        "numbered": "Drøftet.",
        "table": "Drøftet.",
        "prose": "Udvalget drøftede sagen.",
        "econ": "Drøftet.",
        "firstagenda": "Drøftet.",
    },
    "nothing": {
        "numbered": "Intet.",
        "table": "Intet.",
        "prose": "Intet at bemærke.",
        "econ": "Intet.",
        "firstagenda": "Intet.",
    },
}


def _items(spec: MinutesSpec, layout: str) -> list[_Item]:
    """All agenda items, the Task Force item at ``spec.item_number``."""
    n_other = spec.n_items - 1
    head = [_HEAD] if n_other >= 1 else []
    tail = list(_TAIL) if n_other >= 4 else []
    pool = _POOL[spec.programme]
    middle = [pool[i % len(pool)] for i in range(n_other - len(head) - len(tail))]
    others = head + middle + tail
    items: list[_Item] = []
    for number in range(1, spec.n_items + 1):
        if number == spec.item_number:
            items.append(_task_force_item(spec, layout))
        else:
            index = number - 1 if number < spec.item_number else number - 2
            items.append(_other_item(spec, layout, number, others[index]))
    return items


def _case_numbers(spec: MinutesSpec, number: int, kle: str) -> tuple[str, str]:
    yy = spec.meeting_date.strftime("%y")
    return f"{kle}-{number}-{yy}", f"{yy}/{10000 + (number * 1373) % 9000}"


def _other_item(spec: MinutesSpec, layout: str, number: int, other: _Other) -> _Item:
    title, summary, recommendation, kind, attachments = other
    decision = "" if spec.kind == "dagsorden" else _OTHER_DECISIONS[kind][layout].replace("Udvalget", _actor(spec.body))
    kle, esdh = _case_numbers(spec, number, "00.01.00-A00")
    return _Item(number, title, kle, esdh, (summary,) if summary else (), recommendation, decision, attachments)


def _task_force_item(spec: MinutesSpec, layout: str) -> _Item:
    kle, esdh = _case_numbers(spec, spec.item_number, "27.00.00-A00")
    return _Item(
        number=spec.item_number,
        title=spec.task_force_title,
        case_kle=kle,
        case_esdh=esdh,
        summary=_task_force_summary(spec),
        recommendation=_task_force_recommendation(spec),
        decision=task_force_decision(spec, layout),
        attachments=("Ansøgningsskema til Task Force (udkast)", "Vejledning til ansøgning"),
        task_force=True,
    )


def _task_force_summary(spec: MinutesSpec) -> tuple[str, ...]:
    old = spec.meeting_date.year < 2022
    agency = "Socialstyrelsen" if old else "Social- og Boligstyrelsen"
    if spec.programme == "handicap":
        intro = (
            f"Taskforcen på handicapområdet, som er et samarbejde mellem {agency} og Ankestyrelsen, tilbyder "
            "kommuner et analyse- og udviklingsforløb på børne- eller voksenhandicapområdet. Forvaltningen foreslår, "
            "at kommunen søger et forløb på voksenhandicapområdet med fokus på socialpædagogisk støtte efter "
            "servicelovens § 85."
        )
    else:
        name = (
            "Den Permanente Task Force på området udsatte børn og unge"
            if old
            else ("Task Force børn og unge i udsatte positioner")
        )
        intro = (
            f"{agency} har åbnet for ansøgninger til {name}. Et Task Force-forløb strækker sig over ca. 2 år og "
            "indledes med en analyse af kommunens myndighedsområde, efterfulgt af et udviklingsforløb med sparring "
            "og rådgivning. Forvaltningen har afholdt et indledende møde med Task Forcen."
        )
    parts = [
        intro,
        "Det er et krav, at beslutningen om at ansøge er politisk behandlet, og at referatet vedlægges "
        "ansøgningen. Forløbet er gratis, men kræver, at kommunen afsætter interne ressourcer.",
    ]
    if _is_council(spec.body):
        earlier = spec.meeting_date - dt.timedelta(days=14)
        committee = "Socialudvalget" if spec.programme == "handicap" else "Børne- og Ungeudvalget"
        parts.append(f"{committee} behandlede sagen den {_dots(earlier)} og anbefaler ansøgningen.")
    return tuple(parts)


def _task_force_recommendation(spec: MinutesSpec) -> str:
    who = spec.body if _is_council(spec.body) else "udvalget"
    return f"{_department(spec)} indstiller, at {who} godkender, at kommunen ansøger om et Task Force-forløb."


# --------------------------------------------------------------------------- layouts


def _meeting_place(spec: MinutesSpec) -> str:
    return "Rådhuset, byrådssalen" if _is_council(spec.body) else "Rådhuset, mødelokale 2"


def _numbered(spec: MinutesSpec, items: list[_Item]) -> list[Block]:
    out: list[Block] = [
        para(spec.municipality, style="small"),
        para(_kind_title(spec), style="title"),
        para(spec.body, style="h1"),
        para(f"Mødedato: {_long_date(spec.meeting_date)}"),
        para("Mødetidspunkt: 16:00 - 18:30" if spec.kind == "referat" else "Mødetidspunkt: 16:00"),
        para(f"Mødested: {_meeting_place(spec)}"),
        para("Medlemmer: " + ", ".join(_MEMBERS)),
    ]
    if spec.kind == "referat":
        out.append(para(f"Fraværende: {_ABSENT}"))
    for item in items:
        out += [para(f"{item.number}. {item.title}", style="h2"), para(f"Sagsnr.: {item.case_kle}", style="small")]
        out += _heading_section("Resumé", item.summary)
        out += _heading_section("Indstilling", (item.recommendation,) if item.recommendation else ())
        if spec.kind == "referat":
            heading = f"Beslutning i {spec.body} den {_dashes(spec.meeting_date)}"
            out += _heading_section(heading, (item.decision,) if item.decision else ())
        if item.attachments:
            out += _heading_section("Bilag", tuple(f"{i}. {a}" for i, a in enumerate(item.attachments, 1)))
    return out


def _heading_section(heading: str, paragraphs: tuple[str, ...]) -> list[Block]:
    return [para(heading, style="h3"), *[para(p) for p in paragraphs]]


def _table(spec: MinutesSpec, items: list[_Item]) -> list[Block]:
    header = [
        ("Udvalg", spec.body),
        ("Mødedato", _dashes(spec.meeting_date)),
        ("Mødetid", "Kl. 16:00"),
        ("Mødested", _meeting_place(spec)),
    ]
    if spec.kind == "referat":
        header += [("Fraværende", _ABSENT), ("Referent", "Karen Bech, udvalgssekretær")]
    out: list[Block] = [
        para(spec.municipality, style="h2"),
        para(_kind_title(spec), style="title"),
        Grid(tuple((cell(para(bold(k)), shade=True), cell(v)) for k, v in header), (0.3, 0.7)),
    ]
    for item in items:
        rows = [
            (cell(para(bold(f"Punkt {item.number}")), shade=True), cell(para(bold(item.title)))),
            (cell("J.nr."), cell(item.case_kle)),
            (cell("Sagsfremstilling"), cell(*item.summary)),
            (cell("Indstilling"), cell(item.recommendation)),
            (cell("Beslutning"), cell(item.decision)),
        ]
        if item.attachments:
            rows.append((cell("Bilag"), cell(*item.attachments)))
        out += [Grid(tuple(rows), (0.25, 0.75))]
    return out


def _prose(spec: MinutesSpec, items: list[_Item]) -> list[Block]:
    referat = spec.kind == "referat"
    verb = "blev afholdt" if referat else "afholdes"
    out: list[Block] = [
        para(spec.municipality, style="small"),
        para(f"{'Referat af' if referat else 'Dagsorden for'} møde i {spec.body}", style="title"),
        para(f"Mødet {verb} {_prose_date(spec.meeting_date)} kl. 16.00 på {_meeting_place(spec)}."),
    ]
    if referat:
        present = [m for m in _MEMBERS if m != _ABSENT]
        out += [para("Til stede: " + ", ".join(present) + "."), para(f"Afbud: {_ABSENT}.")]
    for item in items:
        out.append(para(bold(f"Ad punkt {item.number} – {item.title}")))
        if item.summary:
            out.append(para(" ".join(item.summary[:2])))
        if not referat:
            out += [para(item.recommendation)] if item.recommendation else []
        else:
            out.append(para(item.decision) if item.decision else para(bold("Beslutning:")))
    if referat:
        out += [para("Mødet sluttede kl. 18.05."), para("Anne Sørensen, formand")]
    return out


def _econ(spec: MinutesSpec, items: list[_Item]) -> list[Block]:
    out: list[Block] = [
        para(spec.municipality, style="h2"),
        para(_kind_title(spec), style="title"),
        para(bold(spec.body)),
        para("Åbent møde"),
        para(bold("Mødedato: "), _dots(spec.meeting_date)),
        para(bold("Mødetidspunkt: "), "Kl. 16.00 - 18.30" if spec.kind == "referat" else "Kl. 16.00"),
        para(bold("Mødested: "), _meeting_place(spec)),
    ]
    if spec.kind == "referat":
        out.append(para(bold("Fraværende: "), _ABSENT))
    for item in items:
        out += [
            para(f"Punkt {item.number}", style="h3"),
            para(bold(item.title)),
            para(f"Sagsid: {item.case_esdh}", style="small"),
            para("Åben sag", style="small"),
        ]
        if item.summary:
            out += [para(bold("Sagsfremstilling")), *[para(p) for p in item.summary]]
        if item.recommendation:
            out += [para(bold("Forslag")), para(item.recommendation)]
        if spec.kind == "referat":
            out.append(para(bold("Beslutning: "), item.decision))
        if item.attachments:
            out.append(para(bold("Bilag: "), "; ".join(item.attachments)))
    return out


def _firstagenda(spec: MinutesSpec, items: list[_Item]) -> list[Block]:
    d = spec.meeting_date
    out: list[Block] = [
        para(spec.municipality, style="h2"),
        para(_kind_title(spec), style="title"),
        para(spec.body, style="h1"),
        para(f"Mødedato: {_WEEKDAYS[d.weekday()].capitalize()} den {_long_date(d)}, kl. 16:00"),
        para(f"Mødested: {_meeting_place(spec)}"),
        para("Medlemmer: " + ", ".join(_MEMBERS)),
    ]
    if spec.kind == "referat":
        out.append(para(f"Fraværende: {_ABSENT}"))
    out.append(para("Dagsordenspunkter", style="h2"))
    out += [para(f"{item.number}. {item.title}") for item in items]
    for item in items:
        out += [PageBreak(), *_firstagenda_item(spec, item)]
    return out


def _firstagenda_item(spec: MinutesSpec, item: _Item) -> list[Block]:
    out: list[Block] = [
        para(f"{item.number}. {item.title}", style="h1"),
        para(f"Sagsnr.: {item.case_esdh}   Sagsansvarlig: Karen Bech", style="small"),
    ]
    out += _heading_section("Sagsfremstilling", item.summary)
    out += _heading_section("Indstilling", (item.recommendation,) if item.recommendation else ())
    if spec.kind == "referat":
        out += _heading_section("Beslutning", (item.decision,) if item.decision else ())
    if item.attachments:
        out += _heading_section("Bilag", item.attachments)
    return out
