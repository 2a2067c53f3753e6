"""The accuracy corpus: >= 320 application mails built combinatorially, each with the verdict the spec
demands.

A :class:`Case` is a *specification*: who sends what, when, in which envelope, with which documents
(form, minutes, scans …) and — for the expectation — what those documents mean (the kind of signature,
the kind of initial-meeting answer, the outcome of the Task Force item in each set of minutes).
:func:`expected` derives the verdict from those meanings with the rules of DOMAIN.md / CONTRACT.md,
never from the product.  :func:`raw` renders the case to the bytes of a mail.

Everything is seeded: the same code gives the same cases and the same bytes.
"""
from __future__ import annotations

import datetime as dt
import email.header
import email.utils
import hashlib
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from functools import lru_cache
from zoneinfo import ZoneInfo

from . import documents as D
from .documents import Director, FormSpec, Item, Meeting, MinutesSpec, Signature, long_date

CPH = ZoneInfo("Europe/Copenhagen")
WINTER = dt.timezone(dt.timedelta(hours=1))  # Copenhagen before 30 March 2025
DEADLINE = dt.datetime(2025, 3, 25, 12, 0, 0, tzinfo=CPH)  # round boern-unge-2025, "kl. 12.00"
NOW = dt.datetime(2025, 3, 21, 9, 0, tzinfo=WINTER)
ADDRESS = {"boern-unge": "taskforce@sbst.dk", "handicap": "taskforcehandicap@sbst.dk"}
ROUND = {"boern-unge": "boern-unge-2025", "handicap": "handicap"}
CHECKS = ("deadline", "application_form", "director_signature", "political_backing", "initial_meeting")

# what the documents mean -> the check's status (DOMAIN.md "director's signature" / "political backing")
SIGNATURE_STATUS = {"typed": "ok", "image": "ok", "image_only": "ok", "pva": "review", "pp": "review",
                    "depthead": "review", "empty": "missing"}
APPROVING = frozenset({"approved", "recommended"})  # decided / recommended to the council
NOT_APPROVING = frozenset({"postponed", "rejected", "agenda", "other_topic"})

FAMILIES = ("typed_signature_block", "on_behalf", "pdf_two_columns", "initial_meeting_headings", "combined_pdf",
            "kind_minutes_first", "kind_inline_images", "formats", "minutes_systems", "envelopes", "negatives",
            "handicap")


# =========================================================================== the case model


@dataclass(frozen=True)
class Minutes:
    """One set of minutes and what its Task Force item's decision means."""

    spec: MinutesSpec
    outcome: str  # approved | recommended | postponed | rejected | agenda | other_topic


@dataclass(frozen=True)
class Doc:
    role: str  # form | minutes | combined | orgchart
    filename: str
    fmt: str  # docx | pdf | odt | scan_pdf | scan_png | png
    form: FormSpec | None = None
    minutes: tuple[Minutes, ...] = ()
    label: str = ""  # orgchart: the municipality


@dataclass(frozen=True)
class Case:
    id: str
    family: str
    programme: str
    received: dt.datetime  # the receiving server's time (topmost Received header)
    sender: str  # "Name <addr>"
    municipality: str
    subject: str
    body: str
    docs: tuple[Doc, ...] = ()
    envelope: str = "plain"  # plain | outlook | gmail | forwarded | forwarded_eml | zip | sv | msg | winmail | html_inline
    automatic: bool = False
    inline_images: int = 0  # cid: logos in an HTML body
    inline_filename: bool = False
    received_tz: dt.tzinfo = WINTER
    original_sender: str = ""  # forwarded mail: who sent the original
    seed: int = 0

    @property
    def now(self) -> dt.datetime:
        """The check's clock: 2025-03-21 09:00, or just after receipt for mail arriving later."""
        return max(NOW, self.received + dt.timedelta(minutes=1))

    @property
    def scanned(self) -> bool:
        return any(d.fmt.startswith("scan") for d in self.docs)

    @property
    def form(self) -> FormSpec | None:
        return next((d.form for d in self.docs if d.form is not None), None)

    @property
    def minutes(self) -> tuple[Minutes, ...]:
        return tuple(m for d in self.docs for m in d.minutes)


def expected(case: Case) -> dict:
    """The verdict the spec demands for this case (DOMAIN.md rules, CONTRACT.md reply/complete)."""
    if case.automatic:
        return {"kind": "automatic", "reply": "none", "checks": None, "complete": None}
    if not case.docs:  # no attachments (inline images of the body are not attachments): a question
        return {"kind": "inquiry", "reply": "none", "checks": None, "complete": None}
    handicap = case.programme == "handicap"
    form = case.form
    checks = {
        "deadline": "ok" if handicap or case.received <= DEADLINE else "late",
        "application_form": "ok" if form else "missing",
        "director_signature": SIGNATURE_STATUS[form.signature.kind] if form else "missing",
        "political_backing": "ok" if any(m.outcome in APPROVING for m in case.minutes) else "missing",
        "initial_meeting": "not_required" if handicap else (
            "ok" if form and form.meeting.kind == "yes" and form.meeting.date < case.received.astimezone(CPH).date()
            else "missing"),
    }
    required = ["application_form", "director_signature", "political_backing"] + ([] if handicap else ["initial_meeting"])
    complete = checks["deadline"] == "ok" and all(checks[c] == "ok" for c in required)
    if checks["deadline"] == "late":
        reply = "late"
    elif any(checks[c] == "missing" for c in required):
        reply = "missing_items"
    else:
        reply = "receipt"
    return {"kind": "application", "reply": reply, "checks": checks, "complete": complete}


# =========================================================================== people, places, words

_MUNICIPALITIES = """\
Slagelse Kommune;29188505;slagelse.dk;Slagelse;Rådhuspladsen 11
Næstved Kommune;29189625;naestved.dk;Næstved;Rådmandshaven 20
Holbæk Kommune;29189447;holbaek.dk;Holbæk;Kanalstræde 2
Faxe Kommune;29188475;faxekommune.dk;Faxe;Frederiksgade 9
Køge Kommune;29189374;koege.dk;Køge;Torvet 1
Roskilde Kommune;29189404;roskilde.dk;Roskilde;Rådhusbuen 1
Ringsted Kommune;18957981;ringsted.dk;Ringsted;Sct. Bendtsgade 1
Sorø Kommune;29189994;soroe.dk;Sorø;Rådhusvej 8
Kalundborg Kommune;29189595;kalundborg.dk;Kalundborg;Holbækvej 141
Vordingborg Kommune;29189676;vordingborg.dk;Vordingborg;Valdemarsgade 43
Gladsaxe Kommune;62761113;gladsaxe.dk;Søborg;Rådhus Allé 7
Ballerup Kommune;58271713;balk.dk;Ballerup;Hold-An Vej 7
Hvidovre Kommune;55606617;hvidovre.dk;Hvidovre;Hvidovrevej 278
Rødovre Kommune;65307316;rk.dk;Rødovre;Rødovre Parkvej 150
Herlev Kommune;63640719;herlev.dk;Herlev;Herlev Bygade 90
Hillerød Kommune;29189366;hillerod.dk;Hillerød;Trollesminde Allé 27
Helsingør Kommune;64502018;helsingor.dk;Helsingør;Stengade 59
Frederikssund Kommune;29189129;frederikssund.dk;Frederikssund;Torvet 2
Greve Kommune;44023911;greve.dk;Greve;Rådhusholmen 10
Ishøj Kommune;11931316;ishoj.dk;Ishøj;Ishøj Store Torv 20
Middelfart Kommune;29189684;middelfart.dk;Middelfart;Nytorv 9
Assens Kommune;29189692;assens.dk;Assens;Rådhus Allé 5
Kerteminde Kommune;29189706;kerteminde.dk;Kerteminde;Hans Schacksvej 4
Nyborg Kommune;29189722;nyborg.dk;Nyborg;Torvet 1
Svendborg Kommune;29189730;svendborg.dk;Svendborg;Ramsherred 5
Haderslev Kommune;29189757;haderslev.dk;Haderslev;Gåskærgade 26
Sønderborg Kommune;29189773;sonderborg.dk;Sønderborg;Rådhustorvet 10
Tønder Kommune;29189781;toender.dk;Tønder;Kongevej 57
Esbjerg Kommune;29189803;esbjerg.dk;Esbjerg;Torvegade 74
Aabenraa Kommune;29189854;aabenraa.dk;Aabenraa;Skelbækvej 2
Fredericia Kommune;69116418;fredericia.dk;Fredericia;Gothersgade 20
Kolding Kommune;29189897;kolding.dk;Kolding;Akseltorv 1
Vejle Kommune;29189900;vejle.dk;Vejle;Skolegade 1
Horsens Kommune;29189889;horsens.dk;Horsens;Rådhustorvet 4
Herning Kommune;29189919;herning.dk;Herning;Torvet 5
Holstebro Kommune;29189927;holstebro.dk;Holstebro;Kirkestræde 11
Silkeborg Kommune;29189641;silkeborg.dk;Silkeborg;Søvej 1
Randers Kommune;29189668;randers.dk;Randers;Laksetorvet 1
Skanderborg Kommune;29189633;skanderborg.dk;Skanderborg;Adelgade 44
Aarhus Kommune;55133018;aarhus.dk;Aarhus;Rådhuspladsen 2
Viborg Kommune;29189846;viborg.dk;Viborg;Prinsens Allé 5
Skive Kommune;29189579;skivekommune.dk;Skive;Torvegade 10
Thisted Kommune;29189560;thisted.dk;Thisted;Asylgade 30
Hjørring Kommune;29189382;hjoerring.dk;Hjørring;Springvandspladsen 5
Frederikshavn Kommune;29189498;frederikshavn.dk;Frederikshavn;Rådhus Allé 100
Brønderslev Kommune;29189501;bronderslev.dk;Brønderslev;Ny Rådhusplads 1
Aalborg Kommune;29189420;aalborg.dk;Aalborg;Boulevarden 13
Rebild Kommune;29189463;rebild.dk;Støvring;Hobrovej 88
Odense Kommune;35209115;odense.dk;Odense;Flakhaven 2
Lolland Kommune;29188572;lolland.dk;Maribo;Jernbanegade 7
Guldborgsund Kommune;29188599;guldborgsund.dk;Nykøbing F.;Parkvej 37
Egedal Kommune;29188386;egekom.dk;Smørum;Dronning Dagmars Vej 200
Furesø Kommune;29188327;furesoe.dk;Farum;Stiager 2
Odsherred Kommune;29188459;odsherred.dk;Nykøbing Sj.;Nyvej 22
Varde Kommune;29189811;varde.dk;Varde;Bytoften 2
Vejen Kommune;29189838;vejen.dk;Vejen;Rådhuspassagen 3
Hedensted Kommune;29189587;hedensted.dk;Hedensted;Tofteskovvej 1
Favrskov Kommune;29189714;favrskov.dk;Hinnerup;Skovvej 20
Syddjurs Kommune;29189978;syddjurs.dk;Ebeltoft;Lundbergsvej 2
Mariagerfjord Kommune;29189455;mariagerfjord.dk;Hobro;Nordre Kajgade 1"""


@dataclass(frozen=True)
class Municipality:
    name: str
    cvr: str
    domain: str
    town: str
    street: str

    @property
    def genitive(self) -> str:
        return self.name[:-1] + "s" if self.name.endswith("e") else self.name + "s"


@lru_cache(maxsize=1)
def municipalities() -> tuple[Municipality, ...]:
    return tuple(Municipality(*line.split(";")) for line in _MUNICIPALITIES.splitlines())


FIRST_F = ("Mette", "Lene", "Anne", "Hanne", "Susanne", "Charlotte", "Camilla", "Louise", "Pia", "Helle", "Karina",
           "Tina", "Birgitte", "Dorthe", "Rikke", "Marianne", "Signe", "Maja", "Trine", "Jette")
FIRST_M = ("Lars", "Jens", "Peter", "Søren", "Morten", "Henrik", "Thomas", "Anders", "Michael", "Niels", "Jesper",
           "Rasmus", "Kasper", "Martin", "Ole", "Torben", "Jørgen", "Klaus", "Bo", "Per")
MIDDLE = ("Kjær", "Møller", "Juul", "Bech", "Holm", "Skov", "Lund", "Dahl", "Krogh", "Vestergaard", "Bruun", "Bak",
          "Nørgaard", "Høj", "Lykke", "Friis", "Damgaard", "Brandt", "Riis", "Lindberg")
LAST = ("Hansen", "Nielsen", "Jensen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen",
        "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Poulsen", "Johansen", "Knudsen",
        "Mortensen", "Frederiksen", "Østergaard", "Søndergaard", "Kjærgaard", "Lauridsen", "Skovgaard", "Thygesen",
        "Bak", "Iversen", "Mikkelsen", "Holst")
TITLES_BU = ("Direktør for Børn og Unge", "Børne- og ungedirektør", "Direktør, Børn og Familie",
             "Direktør for Børn, Unge og Familie", "Direktør for Børn og Læring", "Velfærdsdirektør")
TITLES_H = ("Direktør, Social og Sundhed", "Social- og sundhedsdirektør", "Direktør for Social og Handicap",
            "Direktør for Voksne og Sundhed", "Velfærdsdirektør")
COMMITTEES_BU = (("Børne- og Ungeudvalget", "BUU"), ("Familie- og Uddannelsesudvalget", "FUU"),
                 ("Udvalget for Børn og Familie", "UBF"), ("Børne- og Skoleudvalget", "BSU"),
                 ("Socialudvalget", "SOU"), ("Byrådet", "BR"), ("Kommunalbestyrelsen", "KB"))
COMMITTEES_H = (("Social- og Sundhedsudvalget", "SSU"), ("Socialudvalget", "SOU"), ("Handicap- og Psykiatriudvalget", "HPU"),
                ("Kommunalbestyrelsen", "KB"), ("Byrådet", "BR"))
UNITS_BU = ("Børn og Familie", "Familieafdelingen", "Center for Børn og Familie", "Børne- og Familieafdelingen",
            "Familie og Forebyggelse")
UNITS_H = ("Handicap og Psykiatri", "Social og Handicap", "Voksenhandicap", "Center for Handicap")
SENDER_TITLES = ("Udviklingskonsulent", "Chefkonsulent", "Sekretariatschef", "Direktionssekretær", "Specialkonsulent")
TF_TITLES_BU = ("Ansøgning om Task Force-forløb", "Social- og Boligstyrelsens tilbud om analyse- og udviklingsforløb",
                "Deltagelse i Task Force børn og unge", "Ansøgning om deltagelse i Task Force-forløb på myndighedsområdet",
                "Task Force børn og unge i udsatte positioner – ansøgning 2025",
                "Styrket kvalitet i sagsbehandlingen – ansøgning til Task Forcen")
TF_TITLES_H = ("Ansøgning til Taskforcen på handicapområdet", "Social- og Boligstyrelsens tilbud om analyse- og udviklingsforløb",
               "Analyse- og udviklingsforløb med Taskforcen på handicapområdet",
               "Deltagelse i Taskforcens forløb på voksenhandicapområdet")
SYSTEMS = ("firstagenda", "prepare", "faxe", "sagnr", "protokol", "table", "afgoerelse", "udvalgets", "byraad")


def _ascii(text: str) -> str:
    return text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa").replace(" ", "")


@dataclass(frozen=True)
class Person:
    first: str
    middle: str
    last: str

    @property
    def full(self) -> str:
        return " ".join(p for p in (self.first, self.middle, self.last) if p)

    @property
    def initial(self) -> str:  # "Mette K. Hansen"
        return f"{self.first} {self.middle[0]}. {self.last}" if self.middle else self.full

    @property
    def short(self) -> str:  # "Mette Hansen"
        return f"{self.first} {self.last}"


def _person(rng: random.Random, middle: float = 0.7) -> Person:
    first = rng.choice(FIRST_F + FIRST_M)
    last = rng.choice(LAST)
    mid = rng.choice([m for m in MIDDLE if m != last]) if rng.random() < middle else ""
    return Person(first, mid, last)


def _phone(rng: random.Random) -> str:
    n = [rng.randint(20, 99)] + [rng.randint(0, 99) for _ in range(3)]
    a, b, c, d = (f"{x:02d}" for x in n)
    return rng.choice((f"{a} {b} {c} {d}", f"+45 {a}{b} {c}{d}", f"{a}{b} {c}{d}", f"{a}{b}{c}{d}"))


def _email(rng: random.Random, p: Person, domain: str) -> str:
    style = rng.randrange(3)
    if style == 0:
        local = _ascii(p.first[:2] + (p.middle[:1] if p.middle else "") + p.last[:2])
    elif style == 1:
        local = _ascii(p.first) + "." + _ascii(p.last)
    else:
        local = _ascii(p.first[:1] + (p.middle[:1] if p.middle else "") + p.last[:1]) + str(rng.randint(1, 9))
    return f"{local}@{domain}"


def _weekday(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    days = [d for d in days if d.weekday() < 5] or [start]
    return rng.choice(days)


def _on_time(rng: random.Random) -> dt.datetime:
    day = _weekday(rng, dt.date(2025, 2, 24), dt.date(2025, 3, 20))
    return dt.datetime.combine(day, dt.time(rng.randint(8, 15), rng.randint(0, 59), rng.randint(0, 59)), WINTER)


@dataclass(frozen=True)
class World:
    """Everything about one municipality's application that the documents and the mail share."""

    programme: str
    muni: Municipality
    director: Person
    title: str
    phone: str
    email: str
    unit: str
    committee: str
    abbr: str
    committee_date: dt.date
    meeting_date: dt.date
    received: dt.datetime
    sender: Person
    sender_title: str
    sender_email: str
    contact: Person
    contact_title: str
    contact_email: str
    area: str = ""
    seed: int = 0


def world(rng: random.Random, programme: str = "boern-unge", received: dt.datetime | None = None,
          muni: Municipality | None = None) -> World:
    hand = programme == "handicap"
    muni = muni or rng.choice(municipalities())
    received = received or _on_time(rng)
    director = _person(rng)
    committee, abbr = rng.choice(COMMITTEES_H if hand else COMMITTEES_BU)
    last = min(received.date() - dt.timedelta(days=3), dt.date(2025, 3, 18))
    committee_date = _weekday(rng, dt.date(2025, 1, 13), last)
    meeting_date = _weekday(rng, dt.date(2024, 11, 4), min(received.date() - dt.timedelta(days=10), dt.date(2025, 2, 28)))
    sender = director if rng.random() < 0.35 else _person(rng, 0.3)
    contact = _person(rng, 0.3)
    return World(
        programme=programme, muni=muni, director=director, title=rng.choice(TITLES_H if hand else TITLES_BU),
        phone=_phone(rng), email=_email(rng, director, muni.domain), unit=rng.choice(UNITS_H if hand else UNITS_BU),
        committee=committee, abbr=abbr, committee_date=committee_date, meeting_date=meeting_date, received=received,
        sender=sender, sender_title="" if sender is director else rng.choice(SENDER_TITLES),
        sender_email=_email(rng, sender, muni.domain) if sender is not director else "",
        contact=contact, contact_title=rng.choice(("afdelingschef", "familiechef", "leder af Myndighed")),
        contact_email=_email(rng, contact, muni.domain),
        area=rng.choice(("børnehandicapområdet", "voksenhandicapområdet")) if hand else "",
        seed=rng.randrange(1 << 30),
    )


def _sender(w: World) -> str:
    if not w.sender_email:
        return f"{w.director.full} <{w.email}>"
    return f"{w.sender.full} <{w.sender_email}>"


# --------------------------------------------------------------------------- free text of sections 3-7


def _sections(w: World, rng: random.Random, short: bool = False) -> tuple[tuple[str, ...], ...]:
    n = {"sager": rng.randint(180, 1400), "underret": rng.randint(400, 3200), "foranst": rng.randint(90, 700),
         "anbragt": rng.randint(20, 190), "pct": rng.randint(48, 91), "fte": rng.randint(18, 95)}
    k, unit = w.muni.name, w.unit
    if w.programme == "handicap":
        area = w.area
        texts = [
            (f"{k} har ca. {n['sager']} borgere med sager på {area}. Kommunens egne stikprøver viser udfordringer "
             "med sagsoplysningen og begrundelsen af afgørelser, særligt i sager om socialpædagogisk støtte (§ 85) "
             "og merudgifter.",),
            (f"Beslutningen om at søge er drøftet i direktionen og ledergruppen for {unit}, og medarbejderne er "
             "orienteret på et personalemøde. Vi har afsat tid til sagsgennemgang og interviews.",),
            ("Vi er i gang med at implementere nye kvalitetsstandarder og et fælles visitationsudvalg. Der er ikke "
             "planlagt ændringer i organiseringen.",),
            ("Vi forventer en grundig analyse af sagsbehandlingen og konkrete anbefalinger, som vi kan omsætte i en "
             "udviklingsplan sammen med Taskforcen.",),
            (f"Kontaktperson er {w.contact.full}, {w.contact_title}, {w.contact_email}.",),
        ]
        return tuple(texts)
    s3a = rng.choice((
        f"{k} har i dag ca. {n['sager']} åbne børne- og ungesager på myndighedsområdet. I 2024 modtog vi "
        f"{n['underret']} underretninger, og der blev truffet afgørelse om foranstaltninger i {n['foranst']} sager, "
        f"heraf {n['anbragt']} anbringelser uden for hjemmet.",
        f"{unit} behandler årligt omkring {n['underret']} underretninger. Aktuelt har afdelingen {n['sager']} sager, "
        f"og {n['pct']} pct. af de børnefaglige undersøgelser afsluttes inden for fristen på fire måneder.",
    ))
    s3b = rng.choice((
        f"Myndighedsområdet er samlet i {unit} med en modtageenhed, to aldersopdelte myndighedsteams og et "
        f"handicapteam, i alt ca. {n['fte']} medarbejdere.",
        "Vi er organiseret med en familiechef, tre teamledere og en faglig koordinator. Rådgiverne sidder i teams for "
        "henholdsvis 0-12-årige, 13-17-årige og unge 18-22 år.",
    ))
    s3c = rng.choice((
        "Vi ønsker især at styrke kvaliteten i de børnefaglige undersøgelser og opfølgningen på indsatser. "
        "Ledelsestilsynet fra 2024 viser, at handleplanerne ikke altid følges op til tiden.",
        "Vi ønsker at arbejde med inddragelse af barnet og netværket og med en mere ensartet praksis på tværs af "
        "teams. Hidtil har vi indført faste sparringsmøder og en ny introduktion for nyansatte.",
    ))
    s3d = rng.choice((
        "Vi forventer, at forløbet giver et fælles billede af styrker og udfordringer og konkrete anbefalinger, som "
        "vi kan omsætte i en udviklingsplan.",
        "Vi håber, at Task Forcens analyse kan bidrage til at fastholde medarbejdere og styrke den faglige ledelse.",
    ))
    s4 = rng.choice((
        f"Beslutningen er truffet i direktionen efter drøftelse i ledergruppen for {unit} og i MED-udvalget. "
        f"{w.committee} har behandlet sagen. Der har været fokus på, at forløbet skal opleves som en støtte.",
        "Ledergruppen og tillidsrepræsentanterne har været inddraget fra starten. Vi har drøftet, om tidspunktet er "
        "rigtigt i forhold til implementeringen af barnets lov, og vurderer, at vi er klar nu.",
    ))
    s5a = rng.choice((
        "Vi deltager i KL's netværk om ledelsestilsyn og implementerer et nyt fagsystem, som forventes afsluttet i "
        "efteråret 2025.",
        "Kommunen arbejder med Signs of Safety i alle teams, og der kører et kompetenceforløb med professionshøjskolen "
        "frem til sommeren 2025.",
    ))
    s5b = rng.choice(("Der er ikke planer om væsentlige ændringer af organiseringen.",
                      "Modtagelsen lægges sammen med Familierådgivningen pr. 1. maj 2025; ændringen er mindre."))
    s6 = rng.choice((
        "Vi foretrækker opstart i august 2025. Der nedsættes en styregruppe med direktøren som formand, og der er "
        "afsat en projektleder 20 timer om ugen.",
        "Opstart efter sommerferien 2025 passer os bedst. Fremdriften sikres gennem faste statusmøder i ledergruppen "
        "hver fjerde uge.",
    ))
    s7 = rng.choice((
        f"Forløbet forankres i {unit}. Kontaktperson i forbindelse med ansøgningen er {w.contact_title} "
        f"{w.contact.full}, {w.contact_email}.",
        f"Forankringen sker i direktionen og ledergruppen for {unit}. Kontaktperson: {w.contact.full} "
        f"({w.contact_title}), {w.contact_email}.",
    ))
    if short:
        return ((s3a,), (s3c,), (s3d,), (s4,), (s5a,), (s5b,), (s6,), (s7,))
    return ((s3a, s3b), (s3c,), (s3d,), (s4,), (s5a,), (s5b,), (s6,), (s7,))


def _political_answer(w: World, outcome: str | None, combined: bool = False, rng: random.Random | None = None) -> tuple[str, ...]:
    d = w.committee_date
    where = " sidst i dette dokument" if combined else ""
    if outcome == "agenda":
        return (f"Sagen behandles i {w.committee} den {long_date(d)}. Dagsordenen er vedlagt; referatet eftersendes.",)
    if outcome is None:
        return (f"Ja, {w.committee} behandlede sagen den {long_date(d)}.",)
    v = (rng.randrange(4) if rng else 0)
    return ((f"Ja, {w.committee} behandlede sagen den {long_date(d)}. Referatet er vedlagt{where}.",),
            (f"Ja. Sagen var på {w.committee}s møde {d.day}/{d.month}-{d.year}, jf. vedlagte referat{where}.",),
            (f"Ja – {w.committee}, møde d. {d.day}.{d.month}.{d.year}.", f"Referatet er vedlagt{where}."),
            (f"Sagen blev behandlet {long_date(d)} i {w.committee}. Referatet er vedlagt{where}.",))[v]


def make_form(w: World, rng: random.Random, *, sig_kind: str = "typed", sig_place: str | None = None,
              name_variant: str = "same", meeting: Meeting | None = None, layout: str | None = None,
              generation: str | None = None, outcome: str | None = "approved", combined: bool = False,
              compact: bool = False, sig_variant: int | None = None, director_style: str | None = None,
              vary: bool = False) -> FormSpec:
    """The filled-in form.  ``vary`` also allows the municipality's own rewrite of the template; otherwise
    the official template (2025 or 2019 generation) in a table or headings layout."""
    p = w.director
    s1_name, block_name = {
        "same": (p.full, p.full), "initial": (p.full, p.initial), "initial_rev": (p.initial, p.full),
        "omit": (p.full, p.short), "nomiddle": (p.short, p.short),
    }[name_variant]
    signer = _person(rng, 0.3)
    signer_title = rng.choice(("afdelingschef", "afdelingschef for Børn og Familie", "afdelingschef, Familieafdelingen"))
    place_date_day = w.received.date() - dt.timedelta(days=rng.randint(0, 5))
    place_date = rng.choice((f"{w.muni.town}, den {long_date(place_date_day)}", f"{w.muni.town} {place_date_day.day}/"
                             f"{place_date_day.month}-{place_date_day.year}", f"Dato: {place_date_day.day}.{place_date_day.month}.{place_date_day.year}",
                             f"{w.muni.town}, {long_date(place_date_day)}"))
    if rng.random() < 0.15:
        place_date = ""
    sig = Signature(kind=sig_kind, place=sig_place or rng.choice(("paras", "cell", "breaks", "underscores")),
                    name=block_name, title=w.title, place_date=place_date, signer=signer.full, signer_title=signer_title,
                    variant=rng.randrange(12) if sig_variant is None else sig_variant)
    meeting = meeting or Meeting("yes", w.meeting_date, rng.randrange(12))
    generation = generation or rng.choice(("2025", "2025", "2019", "own") if vary else ("2025", "2025", "2019"))
    if layout is None:
        layout = rng.choice(("grid", "qa", "headings", "grid", "own" if generation == "own" else "headings"))
    if sig.place == "cell" and layout not in ("grid", "qa") and rng.random() < 0.5:
        layout = "grid"
    d = Director(s1_name, w.title, w.phone, w.email)
    return FormSpec(
        municipality=w.muni.name, cvr=w.muni.cvr, address=f"{w.muni.street}, {w.muni.town}", director=d,
        signature=sig, meeting=meeting, political=_political_answer(w, outcome, combined, rng),
        sections=_sections(w, rng, short=compact), programme=w.programme, generation=generation, layout=layout,
        cvr_style=rng.randrange(4), director_style=director_style or rng.choice(("line", "rows", "lines", "line")),
        area=w.area, services="§ 85 socialpædagogisk støtte og § 107 midlertidigt botilbud" if w.area.startswith("voksen")
        else ("§ 86 merudgifter og § 87 tabt arbejdsfortjeneste" if w.area else ""),
        compact=compact, author=rng.choice((w.director.full, w.sender.full, w.contact.full)),
        when=dt.datetime.combine(place_date_day, dt.time(9, 30)),
    )


# --------------------------------------------------------------------------- minutes

_OTHER_ITEMS_BU = (
    ("Budgetopfølgning 1/2025", ("Udvalget orienteres om det forventede regnskab for 2025.",
                                               "Der forventes et merforbrug på det specialiserede børneområde."),
     ("Taget til efterretning.",)),
    ("Kvalitetsrapport for folkeskolen 2023/24", ("Kvalitetsrapporten forelægges til drøftelse og godkendelse.",),
     ("Udsat.",)),
    ("Høring om ny dagtilbudsstruktur", ("Forslaget har været i høring i fire uger; der er indkommet 14 høringssvar.",),
     ("Udsat til næste møde.",)),
    ("Orientering om underretninger 2024", ("Antallet af underretninger steg med 9 pct. i forhold til 2023.",),
     ("Orienteringen blev taget til efterretning.",)),
    ("Forslag til ny børne- og ungepolitik", ("Administrationen har udarbejdet et udkast til en ny politik.",),
     ("Ikke godkendt. Forvaltningen udarbejder et nyt udkast.",)),
    ("Mødeplan for 2. halvår 2025", (), ("Godkendt.",)),
    ("Tilsynsrapporter for de kommunale opholdssteder", ("Tilsynsrapporterne forelægges til orientering.",),
     ("Taget til efterretning.",)),
)
_OTHER_ITEMS_H = (
    ("Kvalitetsstandard for socialpædagogisk støtte (§ 85)", ("Revideret kvalitetsstandard forelægges.",), ("Udsat.",)),
    ("Budgetopfølgning 1/2025", ("Der forventes et merforbrug på botilbudsområdet.",),
     ("Taget til efterretning.",)),
    ("Handicaprådets høringssvar om botilbudsstrategien", ("Handicaprådet har afgivet høringssvar.",),
     ("Orienteringen blev taget til efterretning.",)),
    ("Mødeplan for 2. halvår 2025", (), ("Godkendt.",)),
)


def _tf_item(w: World, rng: random.Random, number: int, outcome: str, title: str | None = None,
             chain: bool = False) -> Item:
    hand = w.programme == "handicap"
    course = ("et analyse- og udviklingsforløb hos Taskforcen på handicapområdet" if hand
              else "et Task Force-forløb")
    title = title or rng.choice(TF_TITLES_H if hand else TF_TITLES_BU)
    if hand:
        body = (f"Social- og Boligstyrelsen og Ankestyrelsen tilbyder kommunerne et toårigt analyse- og "
                f"udviklingsforløb på {w.area}. Forløb tildeles efter først til mølle-princippet.",
                "Forvaltningen vurderer, at et forløb vil styrke kvaliteten i sagsbehandlingen og sikre borgerne "
                "korrekte afgørelser.")
    else:
        body = ("Social- og Boligstyrelsen har inviteret kommunerne til at søge om et forløb med Task Force børn og "
                "unge i udsatte positioner. Ansøgningsfristen er den 25. marts 2025 kl. 12.00.",
                "Et forløb varer ca. to år og består af en analysefase og en udviklingsfase. Det er en betingelse, at "
                "ansøgningen er politisk behandlet, og at direktøren forpligter sig til at afsætte ressourcer.",
                "Forvaltningen vurderer, at et forløb vil styrke kvaliteten i sagsbehandlingen og understøtte "
                "implementeringen af barnets lov.")
    who = rng.choice((f"{w.title} indstiller", "Forvaltningen indstiller", "Direktionen indstiller",
                      "Administrationen indstiller"))
    if outcome == "recommended" or chain:
        ind = (f"{who}, at {w.committee} anbefaler over for Byrådet, at {w.muni.name} ansøger om {course}.",)
    elif rng.random() < 0.5:
        ind = (f"{who}, at {w.committee} godkender, at {w.muni.name} ansøger om {course}.",)
    else:
        ind = (f"{who},", f"1. at kommunen søger om {course},", "2. at udvalget orienteres løbende om forløbet.")
    if outcome in ("agenda", "other_topic"):
        decision: tuple[str, ...] = ()
    else:
        pool = D.DECISIONS[outcome]
        decision = tuple(x.format(kommune=w.muni.name, course=course) for x in rng.choice(pool))
    chain_lines: tuple = ()
    if chain:
        d1 = w.committee_date - dt.timedelta(days=rng.randint(7, 20))
        chain_lines = ((f"Børne- og Ungeudvalget, {long_date(d1)}, pkt. {rng.randint(3, 20)}:" if not hand else
                        f"Social- og Sundhedsudvalget, {long_date(d1)}, pkt. {rng.randint(3, 20)}:", ("Anbefales.",)),
                       (f"Økonomiudvalget, {long_date(d1 + dt.timedelta(days=5))}, pkt. {rng.randint(20, 60)}:",
                        ("Anbefales.",)))
    case_no = rng.choice((f"27.00.00-A00-{rng.randint(1, 99)}-25", f"25/{rng.randint(1000, 39999)}",
                          f"330-2025-{rng.randint(10000, 99999)}"))
    return Item(number, title, decision, ind, body, case_no, chain_lines)


def make_minutes(w: World, rng: random.Random, outcome: str, *, system: str | None = None, excerpt: bool | None = None,
                 neighbour_postponed: bool | None = None, body: str | None = None, date: dt.date | None = None,
                 chain: bool = False, compact: bool = False, tf_title: str | None = None,
                 vary: bool = False) -> MinutesSpec:
    """Minutes (or, outcome 'agenda', an agenda) with the Task Force item among other items.  Unless
    ``vary``: full minutes (no excerpt) of a meeting system that prints items one after the other."""
    hand = w.programme == "handicap"
    system = system or rng.choice(SYSTEMS if vary else tuple(x for x in SYSTEMS if x != "table"))
    body = body or w.committee
    agenda = outcome == "agenda"
    date = date or (dt.date(2025, 3, 31) if agenda else w.committee_date)
    start = rng.randint(1, 60)
    others = list(_OTHER_ITEMS_H if hand else _OTHER_ITEMS_BU)
    rng.shuffle(others)
    excerpt = (vary and rng.random() < 0.25) if excerpt is None else excerpt
    if neighbour_postponed is None:
        neighbour_postponed = rng.random() < 0.6
    items: list[Item] = []
    n = start
    items.append(Item(n, "Godkendelse af dagsorden", ("Godkendt.",), case_no=f"25/{rng.randint(1000, 39999)}"))
    n += 1
    before = [o for o in others if o[2][0] not in ("Udsat.", "Udsat til næste møde.")][: rng.randint(0, 2)]
    for title, text, dec in before:
        items.append(Item(n, title, dec, (), text, f"25/{rng.randint(1000, 39999)}"))
        n += 1
    if outcome != "other_topic":
        items.append(_tf_item(w, rng, n, outcome, tf_title, chain))
        n += 1
    if outcome == "other_topic" or neighbour_postponed or rng.random() < 0.5:
        after = [o for o in others if o not in before]
        if neighbour_postponed:
            after.sort(key=lambda o: not o[2][0].startswith("Udsat"))
        for title, text, dec in after[: rng.randint(1, 2)]:
            items.append(Item(n, title, dec, (), text, f"25/{rng.randint(1000, 39999)}"))
            n += 1
    items.append(Item(n, "Eventuelt", ("Intet.",), case_no=f"25/{rng.randint(1000, 39999)}"))
    if excerpt and outcome != "other_topic":
        items = [i for i in items if i.indstilling]  # "Uddrag af referat": the Task Force item only
    if agenda:
        items = [replace(i, decision=()) for i in items]
    members = tuple(_person(rng, 0.2).full + rng.choice((" (A)", " (V)", " (C)", " (F)", " (Ø)", " (O)"))
                    for _ in range(rng.randint(5, 7)))
    return MinutesSpec(municipality=w.muni.name, body=body, date=date, items=tuple(items), system=system, agenda=agenda,
                       members=members, absent=rng.choice(("Ingen", members[-1])), abbr=_abbr(body, w),
                       place=rng.choice(("Mødelokale 2, Rådhuset", "Byrådssalen", f"Udvalgsværelse 1, {w.muni.street}")),
                       time=rng.choice(("15:00", "15:30", "16:00", "08:30")), compact=compact)


def _abbr(body: str, w: World) -> str:
    for name, abbr in COMMITTEES_BU + COMMITTEES_H:
        if name == body:
            return abbr
    return w.abbr


# --------------------------------------------------------------------------- mail texts


def _closing(w: World, rng: random.Random) -> str:
    if not w.sender_email:
        who, title, mail = w.director.full, w.title, w.email
    else:
        who, title, mail = w.sender.full, w.sender_title, w.sender_email
    style = rng.randrange(3)
    if style == 0:
        return f"Med venlig hilsen\n\n{who}\n{title}\n{w.unit}\n{w.muni.name}\nTlf. {_phone(rng)}\n{mail}"
    if style == 1:
        return (f"Venlig hilsen\n{who}\n\n{title}\n{w.muni.name} | {w.unit}\n{w.muni.street}, {w.muni.town}\n"
                f"D +45 {_phone(rng).replace('+45 ', '')}\nE {mail}\nwww.{w.muni.domain}")
    return f"Mvh.\n{who.split()[0]}\n\n{who}\n{title}, {w.muni.name}"


def application_body(w: World, rng: random.Random, *, minutes: bool = True, link: bool = False,
                     form: bool = True) -> str:
    lines = [rng.choice(("Kære Task Force", "Til Task Force-sekretariatet", "Hej", "Kære Social- og Boligstyrelsen")), ""]
    course = "et analyse- og udviklingsforløb hos Taskforcen på handicapområdet" if w.programme == "handicap" \
        else "et Task Force-forløb 2025"
    lines.append(f"Hermed fremsendes {w.muni.genitive} ansøgning om {course}.")
    lines.append("")
    bilag = []
    if form:
        bilag.append("Ansøgningsskema")
    if minutes:
        bilag.append(f"Referat fra {w.committee}s møde den {long_date(w.committee_date)}")
    if bilag and rng.random() < 0.7:
        lines += ["Vedhæftet:"] + [f"- {b}" for b in bilag] + [""]
    if link:
        lines += [f"Referatet fra {w.committee}s møde kan ses her: https://www.{w.muni.domain}/politik/"
                  f"dagsordener-og-referater/{_ascii(w.committee).replace('-', '')}/{w.committee_date.isoformat()}", ""]
    lines.append(rng.choice(("Vi ser frem til at høre fra jer.", "I er velkomne til at kontakte os, hvis I har "
                                                                 "spørgsmål.", "På forhånd tak.")))
    lines += ["", _closing(w, rng)]
    return "\n".join(lines)


def _subject(w: World, rng: random.Random) -> str:
    if w.programme == "handicap":
        return rng.choice((f"Ansøgning til Taskforcen på handicapområdet – {w.muni.name}",
                           f"Ansøgning om analyse- og udviklingsforløb ({w.area})", "Ansøgning Taskforce handicap"))
    return rng.choice((f"Ansøgning om Task Force-forløb – {w.muni.name}", "Ansøgning Task Force 2025",
                       f"{w.muni.name} – ansøgning til Task Force børn og unge", f"Ansøgning fra {w.muni.name}",
                       "Task Force ansøgning", f"Ansøgning om Task Force forløb 2025 - {w.muni.town}"))


# --------------------------------------------------------------------------- documents of a case


def form_doc(w: World, form: FormSpec, fmt: str, rng: random.Random) -> Doc:
    town = w.muni.town
    names = {
        "docx": (f"Ansøgningsskema Task Force {town}.docx", "Ansøgning_TF_2025.docx", f"ansøgningsskema-{_ascii(town)}.docx",
                 "Skema til ansøgning om et Task Force forløb - udfyldt.docx"),
        "pdf": ("Ansøgning_TF_2025_underskrevet.pdf", f"Ansøgningsskema {town} (underskrevet).pdf",
                "Skema til ansøgning - Task Force.pdf", f"{w.muni.name} - ansøgningsskema.pdf"),
        "odt": (f"Ansøgningsskema {town}.odt", "ansoegning_taskforce.odt"),
        "scan_pdf": ("Scan_2025-03-17_1042.pdf", "Ansøgning underskrevet (scan).pdf", "SKM_C30825031709420.pdf"),
        "scan_png": ("Ansøgningsskema_scannet.png", "IMG_0412.png"),
    }[fmt]
    if w.programme == "handicap" and fmt in ("docx", "pdf"):
        names = (f"Ansøgning Taskforcen på handicapområdet - {town}.{fmt}", f"Ansøgningsskema_handicap.{fmt}")
    return Doc("form", rng.choice(names), fmt, form=form)


def minutes_doc(w: World, m: Minutes, fmt: str, rng: random.Random) -> Doc:
    spec = m.spec
    dd = f"{spec.date.day:02d}-{spec.date.month:02d}-{spec.date.year}"
    if spec.agenda:
        names = (f"Dagsorden {spec.abbr} {spec.date.day:02d}.{spec.date.month:02d}.{spec.date.year}.{fmt}",
                 f"Bilag 2 - politisk behandling.{fmt}", f"Dagsorden - {spec.body} {dd}.{fmt}")
    elif sum(1 for i in spec.items if i.indstilling) == len(spec.items):  # the Task Force item only
        names = (f"Uddrag af referat - {spec.abbr}.{fmt}", f"Uddrag af beslutningsprotokol {dd}.{fmt}",
                 f"Bilag 2 - referat fra {spec.body}.{fmt}")
    else:
        names = (f"Referat {spec.body} {dd}.{fmt}", f"Beslutningsprotokol_{spec.abbr}_{dd}.{fmt}",
                 f"Bilag 2 - referat fra {spec.body}.{fmt}",
                 f"referat-{_ascii(spec.body).replace('-', '')}-{spec.date.isoformat()}.{fmt}")
    name = rng.choice(names).replace(".scan_pdf", ".pdf")
    return Doc("minutes", name, fmt, minutes=(m,))


def orgchart_doc(w: World) -> Doc:
    return Doc("orgchart", f"Organisationsdiagram {w.unit}.png", "png", label=w.muni.name)


PNG_FONT_SIZE = 7.0


@lru_cache(maxsize=512)
def _form_pdf(form: FormSpec) -> bytes:
    return D.form_bytes(form, "pdf")


def render_doc(doc: Doc, seed: int) -> bytes:
    if doc.role == "orgchart":
        from tests.factories.images import org_chart_png

        return org_chart_png(municipality=doc.label)
    if doc.role == "combined":
        return D.combined_pdf(doc.form, [m.spec for m in doc.minutes])
    if doc.role == "form":
        if doc.fmt == "scan_pdf":
            return D.scan_pdf(_form_pdf(doc.form), seed)
        if doc.fmt == "scan_png":  # the whole (compact) form on one page, small print
            return D.scan_png(D.form_bytes(doc.form, "pdf", size=PNG_FONT_SIZE), seed)
        return D.form_bytes(doc.form, doc.fmt)
    spec = doc.minutes[0].spec
    if doc.fmt == "scan_pdf":
        return D.scan_pdf(D.minutes_bytes(spec, "pdf"), seed + 1)
    return D.minutes_bytes(spec, doc.fmt)


# =========================================================================== the mail envelope

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_CTYPES = {"docx": DOCX, "pdf": "application/pdf", "odt": "application/vnd.oasis.opendocument.text",
           "png": "image/png", "zip": "application/zip", "eml": "message/rfc822"}


def _ctype(filename: str) -> str:
    return _CTYPES.get(filename.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def _attachment(filename: str, data: bytes, style: str = "rfc2231") -> Message:
    main, sub = _ctype(filename).split("/")
    part = MIMEBase(main, sub)
    part.set_payload(data)
    from email import encoders

    encoders.encode_base64(part)
    if style == "rfc2047":  # Outlook: encoded-word in quoted name/filename
        enc = email.header.Header(filename, "iso-8859-1").encode() if not filename.isascii() else filename
        del part["Content-Type"]
        part["Content-Type"] = f'{main}/{sub}; name="{enc}"'
        part["Content-Description"] = enc
        part["Content-Disposition"] = f'attachment; filename="{enc}"; size={len(data)}'
    else:
        part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", filename)
                        if not filename.isascii() else filename)
        part.set_param("name", filename if filename.isascii() else ("utf-8", "", filename))
    return part


def _text(body: str, charset: str = "utf-8", subtype: str = "plain") -> Message:
    part = MIMEText(body, subtype, charset)
    if charset in ("windows-1252", "iso-8859-1"):
        del part["Content-Transfer-Encoding"]
        from email import encoders

        part.set_payload(body.encode(charset))
        encoders.encode_quopri(part)
    return part


def _html(body: str, cids: list[str]) -> str:
    paras = "".join(f"<p>{line or '&nbsp;'}</p>" for line in body.split("\n"))
    imgs = "".join(f'<p><img width="220" height="60" src="cid:{cid}" alt="Logo"></p>' for cid in cids)
    return f'<html><head><meta charset="utf-8"></head><body style="font-family:Calibri">{paras}{imgs}</body></html>'


def _inline_image(cid: str, data: bytes, name: str | None) -> Message:
    part = MIMEImage(data, "png")
    part["Content-ID"] = f"<{cid}>"
    if name:
        part.set_param("name", name)
        part["Content-Disposition"] = f'inline; filename="{name}"'
    else:
        part["Content-Disposition"] = "inline"
    return part


def _h(value: str):
    """A header value; RFC 2047 encoded-words (folded by the generator) when it is not ASCII."""
    return value if value.isascii() else email.header.Header(value, "utf-8")


def _addr(value: str):
    name, addr = email.utils.parseaddr(value)
    if not name or name.isascii():
        return email.utils.formataddr((name, addr)) if name else addr
    header = email.header.Header(name, "utf-8")
    header.append(f"<{addr}>", "us-ascii")
    return header


def _headers(msg: Message, case: Case, to: str, date_offset_s: int, mailer: str) -> None:
    rid = hashlib.sha1(case.id.encode()).hexdigest()
    domain = case.sender.rsplit("@", 1)[-1].rstrip(">")
    when = case.received.astimezone(case.received_tz)
    msg["Received"] = (f"from mail.{domain} (mail.{domain} [193.163.{int(rid[:2], 16)}.{int(rid[2:4], 16)}]) by "
                       f"mx.sbst.dk (Postfix) with ESMTPS id {rid[:10].upper()} for <{to}>; "
                       f"{email.utils.format_datetime(when)}")
    relay = (case.received - dt.timedelta(seconds=4)).astimezone(WINTER)
    msg["Received"] = f"from EXCH0{int(rid[4], 16) % 4 + 1}.{domain} by mail.{domain} with Microsoft SMTP Server; " \
                      f"{email.utils.format_datetime(relay)}"
    msg["From"] = _addr(case.sender)
    msg["To"] = to
    msg["Subject"] = _h(case.subject)
    msg["Date"] = email.utils.format_datetime((case.received - dt.timedelta(seconds=date_offset_s)).astimezone(WINTER))
    msg["Message-ID"] = f"<{rid[:16]}.{case.seed % 100000}@{domain}>"
    msg["MIME-Version"] = "1.0"
    if mailer:
        msg["X-Mailer"] = mailer


def _fix_boundaries(msg: Message, case: Case) -> None:
    rid = hashlib.sha1(case.id.encode()).hexdigest()[:12]
    for i, part in enumerate(msg.walk()):
        if part.get_content_maintype() == "multipart":
            part.set_boundary(f"----=_NextPart_{i:03d}_{rid}")


def raw(case: Case) -> bytes:
    """The bytes of the mail, as it lies in the task force's mailbox."""
    rng = random.Random(case.seed)
    to = ADDRESS[case.programme]
    files = [(d.filename, render_doc(d, case.seed)) for d in case.docs]
    env = case.envelope
    if case.automatic:
        msg: Message = MIMEMultipart("alternative")
        msg.attach(_text(case.body))
        msg.attach(_text(_html(case.body, []), subtype="html"))
        _headers(msg, case, to, 0, "Microsoft Outlook 16.0")
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
        _fix_boundaries(msg, case)
        return msg.as_bytes()
    if env == "zip":
        from tests.factories.containers import zip_of

        files = [(rng.choice(("Ansøgning med bilag.zip", f"Task Force ansøgning {case.municipality}.zip",
                              "bilag.zip")), zip_of(dict(files)))]
    if env in ("forwarded", "forwarded_eml", "msg"):
        if env == "msg":
            data = _outlook_msg(case.subject.replace("VS: ", ""), case.body, files,
                                case.received - dt.timedelta(hours=26))
            files = [(f"{case.subject.replace('VS: ', '')[:40]}.msg", data)]
        else:
            inner = MIMEMultipart("mixed")
            inner["From"] = _addr(case.original_sender or case.sender)
            inner["To"] = f"direktion@{case.sender.rsplit('@', 1)[-1].rstrip('>')}"
            inner["Subject"] = _h(case.subject.replace("VS: ", ""))
            inner["Date"] = email.utils.format_datetime((case.received - dt.timedelta(hours=26)).astimezone(WINTER))
            inner["Message-ID"] = f"<inner.{hashlib.sha1(case.id.encode()).hexdigest()[:12]}@kommune.dk>"
            inner.attach(_text(case.body))
            for name, data in files:
                inner.attach(_attachment(name, data))
            fwd = MIMEMessage(inner)
            if env == "forwarded_eml":
                eml = case.subject.replace("VS: ", "")[:40] + ".eml"
                fwd.add_header("Content-Disposition", "attachment", filename=("utf-8", "", eml))
            outer = MIMEMultipart("mixed")
            outer.attach(_text("Til orientering – videresendt ansøgning.\n\n" + _closing_short(case)))
            outer.attach(fwd)
            _headers(outer, case, to, rng.randint(20, 200), "Microsoft Outlook 16.0")
            _fix_boundaries(outer, case)
            return outer.as_bytes()
    if env == "winmail":
        from tests.factories.containers import winmail_dat

        tnef = MIMEApplication(winmail_dat(dict(files), case.body), "ms-tnef")
        tnef["Content-Disposition"] = 'attachment; filename="winmail.dat"'
        msg = MIMEMultipart("mixed")
        msg.attach(_text(case.body, "windows-1252"))
        msg.attach(tnef)
        _headers(msg, case, to, rng.randint(20, 200), "Microsoft Outlook 16.0")
        _fix_boundaries(msg, case)
        return msg.as_bytes()
    # the body (plain, alternative, or with inline images)
    cids = [f"image{i + 1:03d}.png@01DB8F3A.5C2E1B{40 + i}" for i in range(case.inline_images)]
    if case.inline_images:
        alt = MIMEMultipart("alternative")
        alt.attach(_text(case.body))
        alt.attach(_text(_html(case.body, cids), subtype="html"))
        body_part: Message = MIMEMultipart("related", type="multipart/alternative")
        body_part.attach(alt)
        town = case.municipality
        for i, cid in enumerate(cids):
            body_part.attach(_inline_image(cid, D.logo_png(town, ("#1f5f8b", "#8b1f3a")[i % 2]),
                                           f"image{i + 1:03d}.png" if case.inline_filename else None))
    elif env == "gmail":
        body_part = MIMEMultipart("alternative")
        body_part.attach(_text(case.body))
        body_part.attach(_text(_html(case.body, []), subtype="html"))
    elif env == "outlook":
        body_part = _text(case.body, "windows-1252")
    else:
        body_part = _text(case.body)
    if files:
        msg = MIMEMultipart("mixed")
        msg.attach(body_part)
        for name, data in files:
            msg.attach(_attachment(name, data, "rfc2047" if env == "outlook" else "rfc2231"))
    else:
        msg = body_part
    mailer = {"outlook": "Microsoft Outlook 16.0", "gmail": ""}.get(env, "Microsoft Outlook 16.0" if rng.random() < 0.5 else "")
    _headers(msg, case, to, rng.randint(5, 240), mailer)
    if env == "outlook":
        msg["Thread-Index"] = "AdmV" + hashlib.sha1(case.id.encode()).hexdigest()[:20]
        msg["Content-Language"] = "da-DK"
        msg["X-MS-Has-Attach"] = "yes" if files else ""
    if env == "sv":
        msg["In-Reply-To"] = "<ansoegningsrunde-2025.42@sbst.dk>"
        msg["References"] = "<ansoegningsrunde-2025.42@sbst.dk>"
    _fix_boundaries(msg, case)
    return msg.as_bytes()


def _outlook_msg(subject: str, body: str, files: list[tuple[str, bytes]], delivered: dt.datetime) -> bytes:
    """An Outlook .msg (aspose-email-foss) with a fixed delivery time, so the bytes are reproducible."""
    from aspose.email_foss.msg import MapiMessage
    from aspose.email_foss.msg.property_tags import CommonMessagePropertyId
    from aspose.email_foss.msg.property_types import PropertyTypeCode

    message = MapiMessage.create(subject, body)
    message.set_property(CommonMessagePropertyId.MESSAGE_DELIVERY_TIME, PropertyTypeCode.PTYP_TIME,
                         delivered.astimezone(dt.timezone.utc))
    for name, data in files:
        message.add_attachment(name, data, mime_type=_ctype(name))
    return message.to_bytes()


def _closing_short(case: Case) -> str:
    name = case.sender.split("<")[0].strip()
    return f"Venlig hilsen\n{name}"


# =========================================================================== the families


@dataclass
class _Builder:
    family: str
    prefix: str
    cases: list[Case] = field(default_factory=list)

    def __post_init__(self) -> None:
        # TASKFORCE_ACCURACY_SEED draws another corpus of the same families (run.py --seed): other
        # municipalities, names, wordings and date styles than the ones the reader was tuned on
        salt = os.environ.get("TASKFORCE_ACCURACY_SEED", "")
        self.rng = random.Random(f"accuracy/{self.family}" + (f"/{salt}" if salt else ""))

    def add(self, tag: str, w: World, docs: list[Doc], *, body: str | None = None, subject: str | None = None,
            envelope: str = "plain", **kw) -> Case:
        rng = self.rng
        case = Case(id=f"{self.prefix}-{len(self.cases) + 1:03d}-{tag}", family=self.family, programme=w.programme,
                    received=w.received, sender=_sender(w), municipality=w.muni.name,
                    subject=subject or _subject(w, rng),
                    body=body if body is not None else application_body(w, rng), docs=tuple(docs), envelope=envelope,
                    seed=w.seed, **kw)
        self.cases.append(case)
        return case


def _app(b: _Builder, tag: str, w: World, *, form: FormSpec | None, form_fmt: str = "docx",
         minutes: list[Minutes] | None = None, minutes_fmt: str = "pdf", orgchart: bool = False, **kw) -> Case:
    rng = b.rng
    docs: list[Doc] = []
    if form is not None:
        docs.append(form_doc(w, form, form_fmt, rng))
    for m in minutes or []:
        docs.append(minutes_doc(w, m, minutes_fmt, rng))
    if orgchart:
        docs.append(orgchart_doc(w))
    if "body" not in kw:
        kw["body"] = application_body(w, rng, minutes=bool(minutes), form=form is not None)
    return b.add(tag, w, docs, **kw)


def _standard(b: _Builder, tag: str, w: World, *, outcome: str = "approved", system: str | None = None,
              form_fmt: str | None = None, minutes_fmt: str | None = None, vary_form: bool = False,
              vary_minutes: bool = False, **form_kw) -> Case:
    """A form + the minutes (+ sometimes an organisation chart).  Families about other dimensions keep
    the documents canonical; ``vary_*`` lets the form / minutes vary too."""
    rng = b.rng
    form = make_form(w, rng, outcome=outcome, vary=vary_form, **form_kw)
    m = Minutes(make_minutes(w, rng, outcome, system=system, vary=vary_minutes), outcome)
    return _app(b, tag, w, form=form, form_fmt=form_fmt or rng.choice(("docx", "pdf")), minutes=[m],
                minutes_fmt=minutes_fmt or rng.choice(("pdf", "pdf", "docx")), orgchart=rng.random() < 0.3)


def _varied(*args, **kw) -> Case:
    """A form + minutes where both may vary (the municipality's rewrite, excerpts, tables)."""
    return _standard(*args, vary_form=True, vary_minutes=True, **kw)


def fam_typed_signature_block() -> list[Case]:
    b = _Builder("typed_signature_block", "sig")
    places = ("cell", "paras", "breaks", "oneline", "slash", "underscores")
    variants = ("same", "initial", "initial_rev", "omit", "nomiddle", "same")
    for i, place in enumerate(places):
        for j, variant in enumerate(variants):
            w = world(b.rng)
            d = w.director
            if variant in ("initial", "initial_rev", "omit") and not d.middle:
                d = Person(d.first, b.rng.choice(MIDDLE), d.last)
            if variant == "nomiddle":
                d = Person(d.first, "", d.last)
            w = replace(w, director=d)
            fmt = ("docx", "pdf", "docx", "pdf", "odt", "pdf")[(i + j) % 6]
            layout = b.rng.choice(("grid", "qa")) if place == "cell" else None
            _standard(b, f"{place}-{variant}", w, sig_place=place, name_variant=variant, form_fmt=fmt, layout=layout,
                      vary_form=True)
    for place in ("paras", "underscores"):  # typed name on a scanned page
        w = world(b.rng)
        _standard(b, f"{place}-scan", w, sig_place=place, form_fmt="scan_pdf", compact=True, layout="headings")
    return b.cases


def fam_on_behalf() -> list[Case]:
    b = _Builder("on_behalf", "pva")
    combos = [("pva", 0), ("pva", 1), ("pva", 2), ("pp", 0), ("pp", 1), ("depthead", 0), ("depthead", 1)]
    places = ("paras", "cell", "breaks")
    n = 0
    for kind, variant in combos:
        for place in places[: 3 if kind != "depthead" else 2]:
            n += 1
            w = world(b.rng)
            fmt = ("docx", "pdf", "odt")[n % 3]
            _standard(b, f"{kind}{variant}-{place}", w, sig_kind=kind, sig_place=place, sig_variant=variant,
                      form_fmt=fmt, layout="grid" if place == "cell" else None)
    return b.cases


def fam_pdf_two_columns() -> list[Case]:
    b = _Builder("pdf_two_columns", "col")
    for i in range(20):
        w = world(b.rng)
        layout = ("bare", "tabs")[i % 2]
        kind = ("typed", "image", "typed", "typed", "image_only")[i % 5]
        meeting = Meeting("not_yet", style=i) if i in (7, 14) else None
        generation = ("2025", "2019", "own", "2025")[i % 4]
        _standard(b, f"{layout}-{kind}" + ("-nomeeting" if meeting else ""), w, layout=layout, sig_kind=kind,
                  meeting=meeting, form_fmt="pdf", generation=generation, sig_place=("paras", "underscores", "breaks")[i % 3])
    return b.cases


def fam_initial_meeting_headings() -> list[Case]:
    b = _Builder("initial_meeting_headings", "mtg")
    for style in range(12):
        for rep in range(2 if style < 6 else 1):
            w = world(b.rng)
            layout = "headings" if rep == 0 or style % 3 else "own"
            _standard(b, f"yes{style}-{layout}", w, meeting=Meeting("yes", w.meeting_date, style), layout=layout,
                      generation="own" if layout == "own" else None, form_fmt=("docx", "pdf")[(style + rep) % 2],
                      vary_form=True)
    for kind in ("no", "not_yet", "planned", "blank"):
        for style in range(3):
            w = world(b.rng)
            later = _weekday(b.rng, dt.date(2025, 4, 1), dt.date(2025, 4, 30))
            _standard(b, f"{kind}{style}", w, meeting=Meeting(kind, None, style, later), layout="headings",
                      form_fmt=("docx", "pdf", "odt")[style], vary_form=True)
    return b.cases


def fam_combined_pdf() -> list[Case]:
    b = _Builder("combined_pdf", "cmb")
    outcomes = ["approved"] * 5 + ["recommended"] * 2 + ["postponed"] * 5 + ["rejected"] * 2
    for i, outcome in enumerate(outcomes):
        w = world(b.rng, "handicap" if i in (3, 9) else "boern-unge")
        form = make_form(w, b.rng, outcome=outcome, combined=True)
        spec = make_minutes(w, b.rng, outcome, system=[x for x in SYSTEMS if x != "table"][i % 8], excerpt=False)
        doc = Doc("combined", b.rng.choice((f"Samlet ansøgning med bilag - {w.muni.town}.pdf",
                                            "Ansøgning inkl. referat.pdf", "TF-ansøgning_samlet.pdf")), "pdf",
                  form=form, minutes=(Minutes(spec, outcome),))
        b.add(f"{outcome}-{spec.system}", w, [doc], body=application_body(w, b.rng, minutes=True))
    return b.cases


def fam_kind_minutes_first() -> list[Case]:
    b = _Builder("kind_minutes_first", "kmf")
    for i in range(12):
        w = world(b.rng, "handicap" if i in (4, 9) else "boern-unge")
        outcome = "approved" if i not in (6, 11) else "recommended"
        m = Minutes(make_minutes(w, b.rng, outcome), outcome)
        body = "\n".join([
            "Kære Task Force", "",
            b.rng.choice((f"Hermed referat fra {w.committee}s møde den {long_date(w.committee_date)}, hvor det blev "
                          "besluttet, at vi søger.",
                          f"Vedhæftet er referatet fra {w.committee}.")),
            b.rng.choice(("Skemaet eftersendes, når det er underskrevet af direktøren.",
                          "Ansøgningsskemaet eftersendes i løbet af ugen.",
                          "Selve ansøgningsskemaet sender vi hurtigst muligt – det mangler direktørens underskrift.")),
            "", _closing(w, b.rng)])
        _app(b, f"minutes-only-{m.spec.system}", w, form=None, minutes=[m], minutes_fmt=("pdf", "docx")[i % 2],
             orgchart=i % 4 == 1, body=body)
    return b.cases


def fam_kind_inline_images() -> list[Case]:
    b = _Builder("kind_inline_images", "img")
    questions = ("Hvornår er fristen for at søge om et Task Force-forløb i år?",
                 "Skal referatet fra udvalgsmødet være godkendt, før vi sender ansøgningen, eller kan det eftersendes?",
                 "Kan vi få et indledende møde med Task Forcen inden fristen? Vi har mulighed i uge 11.",
                 "Vi overvejer at søge. Hvor mange kommuner forventer I at udvælge?",
                 "Er der et nyt ansøgningsskema for 2025, eller kan vi bruge det fra 2019?")
    for i in range(12):
        w = world(b.rng)
        body = "\n".join(["Hej", "", questions[i % len(questions)], "", _closing(w, b.rng)])
        images = 0 if i in (5, 11) else (1 if i % 3 else 2)
        b.add(f"question-{images}img" + ("-fn" if i % 2 else ""), w, [], body=body,
              subject=b.rng.choice(("Spørgsmål om ansøgning", "Hvornår er fristen?", "Task Force 2025 – spørgsmål",
                                    f"Spørgsmål fra {w.muni.town}")), inline_images=images,
              inline_filename=bool(i % 2), envelope="html_inline" if images else "plain")
    for i in range(4):
        w = world(b.rng)
        form = make_form(w, b.rng)
        m = Minutes(make_minutes(w, b.rng, "approved"), "approved")
        _app(b, "application-with-logo", w, form=form, form_fmt=("docx", "pdf")[i % 2], minutes=[m],
             inline_images=1 + i % 2, inline_filename=i < 2, envelope="html_inline")
    return b.cases


def fam_formats() -> list[Case]:
    b = _Builder("formats", "fmt")
    for fmt in ("docx", "pdf", "odt"):
        for kind in ("typed", "image", "image_only"):
            for layout in ("grid", "headings"):
                if fmt == "odt" and kind == "image_only":
                    continue
                w = world(b.rng)
                _standard(b, f"{fmt}-{kind}-{layout}", w, form_fmt=fmt, sig_kind=kind, layout=layout,
                          minutes_fmt=("pdf", "docx", "odt")[len(b.cases) % 3])
    for i in range(8):  # scanned PDF of the (compact, 2-page) form: ink signature or typed name
        w = world(b.rng)
        _standard(b, f"scanpdf-{('image', 'typed')[i % 2]}", w, form_fmt="scan_pdf", sig_kind=("image", "typed")[i % 2],
                  compact=True, layout=("headings", "grid")[i // 4], sig_place="paras")
    for i in range(4):  # one scanned page as PNG
        w = world(b.rng)
        _standard(b, f"scanpng-{('image', 'typed')[i % 2]}", w, form_fmt="scan_png", sig_kind=("image", "typed")[i % 2],
                  compact=True, layout="headings", sig_place="paras", director_style="line")
    for i in range(2):  # scanned minutes (one page, the Task Force item only)
        w = world(b.rng)
        form = make_form(w, b.rng)
        m = Minutes(make_minutes(w, b.rng, "approved", excerpt=True, compact=True, system=("faxe", "udvalgets")[i]),
                    "approved")
        _app(b, "scanned-minutes", w, form=form, form_fmt="docx", minutes=[m], minutes_fmt="scan_pdf")
    return b.cases


def fam_minutes_systems() -> list[Case]:
    b = _Builder("minutes_systems", "min")
    for s_i, system in enumerate(SYSTEMS):
        for rep in range(3):
            w = world(b.rng)
            outcome = "recommended" if rep == 2 and s_i % 2 else "approved"
            form = make_form(w, b.rng, outcome=outcome)
            spec = make_minutes(w, b.rng, outcome, system=system, neighbour_postponed=rep != 1,
                                tf_title=TF_TITLES_BU[(s_i + rep) % len(TF_TITLES_BU)], excerpt=False)
            _app(b, f"{system}-{outcome}", w, form=form, form_fmt="docx", minutes=[Minutes(spec, outcome)],
                 minutes_fmt=("pdf", "docx")[(s_i + rep) % 2])
    for i, system in enumerate(("firstagenda", "prepare", "faxe", "protokol", "afgoerelse")):  # "Uddrag af referat"
        w = world(b.rng)
        form = make_form(w, b.rng)
        spec = make_minutes(w, b.rng, "approved", system=system, excerpt=True)
        _app(b, f"excerpt-{system}", w, form=form, minutes=[Minutes(spec, "approved")], minutes_fmt=("pdf", "docx")[i % 2])
    for i, system in enumerate(("firstagenda", "sagnr", "byraad")):  # city council item with the committee chain
        w = world(b.rng)
        w = replace(w, committee=("Byrådet", "Kommunalbestyrelsen", "Byrådet")[i])
        form = make_form(w, b.rng)
        spec = make_minutes(w, b.rng, "approved", system=system, chain=True)
        _app(b, f"chain-{system}", w, form=form, minutes=[Minutes(spec, "approved")], minutes_fmt="pdf")
    for i in range(2):  # first postponed, then approved at a later meeting: both attached
        w = world(b.rng)
        first = make_minutes(w, b.rng, "postponed", date=w.committee_date - dt.timedelta(days=28), system="prepare")
        second = make_minutes(w, b.rng, "approved", system=("prepare", "faxe")[i])
        form = make_form(w, b.rng)
        _app(b, "postponed-then-approved", w, form=form,
             minutes=[Minutes(first, "postponed"), Minutes(second, "approved")])
    for i, (outcome, system) in enumerate((("postponed", "table"), ("postponed", "sagnr"), ("rejected", "afgoerelse"),
                                           ("rejected", "prepare"), ("postponed", "udvalgets"))):
        w = world(b.rng)
        form = make_form(w, b.rng, outcome=outcome)
        spec = make_minutes(w, b.rng, outcome, system=system, neighbour_postponed=False)
        _app(b, f"{system}-{outcome}", w, form=form, minutes=[Minutes(spec, outcome)], minutes_fmt="pdf")
    return b.cases


def fam_envelopes() -> list[Case]:
    b = _Builder("envelopes", "env")
    plan = ["outlook"] * 6 + ["gmail"] * 5 + ["forwarded"] * 4 + ["forwarded_eml"] * 3 + ["zip"] * 4 + ["sv"] * 5 + \
           ["msg"] * 2 + ["winmail"] * 2
    for i, env in enumerate(plan):
        danish = [m for m in municipalities() if not m.name.isascii()]
        w = world(b.rng, muni=b.rng.choice(danish) if env == "outlook" and i % 2 else None)
        subject = None
        kw = {}
        if env == "sv":
            subject = b.rng.choice(("SV: Ansøgningsrunde 2025 – Task Force børn og unge i udsatte positioner",
                                    "SV: Invitation til at søge om Task Force-forløb", "Sv: Ansøgning om Task Force-forløb"))
        if env in ("forwarded", "forwarded_eml", "msg"):
            subject = "VS: " + _subject(w, b.rng)
            kw["original_sender"] = f"{w.director.full} <{w.email}>"
        fmt = "scan_pdf" if i == 3 else None
        case = _standard(b, env, w, form_fmt=fmt or ("docx", "pdf")[i % 2], compact=fmt is not None)
        b.cases[-1] = replace(case, envelope=env, subject=subject or case.subject, **kw)
    for i in range(4):  # out-of-office replies (automatic)
        w = world(b.rng)
        body = b.rng.choice(("Tak for din mail. Jeg er på ferie til og med 28. marts og læser ikke mails. Ved "
                             "hastesager kontakt Borgerservice.",
                             "Jeg er på kursus og har begrænset adgang til mail. Jeg vender tilbage hurtigst muligt.",
                             "I'm out of the office until March 24 with limited access to email."))
        b.add("out-of-office", w, [], body=body, automatic=True,
              subject=b.rng.choice(("Automatisk svar: Ansøgning om Task Force-forløb", "Fraværende: Task Force 2025",
                                    "Out of Office: Task Force ansøgning", "Automatisk svar: Nyhedsbrev")))
    return b.cases


def fam_negatives() -> list[Case]:
    b = _Builder("negatives", "neg")
    fmts = ("docx", "pdf", "odt", "docx", "pdf", "docx", "pdf", "odt")
    for i in range(8):  # an empty signature block
        w = world(b.rng)
        _varied(b, f"no-signature-{fmts[i]}", w, sig_kind="empty", sig_variant=i,
                  sig_place=("paras", "cell", "paras", "underscores")[i % 4], form_fmt=fmts[i],
                  layout="grid" if i % 4 == 1 else None)
    w = world(b.rng)
    _varied(b, "no-signature-scan", w, sig_kind="empty", sig_variant=0, sig_place="paras", form_fmt="scan_pdf",
              compact=True, layout="headings")
    for i, system in enumerate(("firstagenda", "prepare", "table", "protokol", "faxe", "udvalgets")):  # an agenda
        w = world(b.rng)
        _varied(b, f"agenda-{system}", w, outcome="agenda", system=system, minutes_fmt=("pdf", "docx")[i % 2])
    for i, system in enumerate(("firstagenda", "prepare", "faxe", "sagnr", "protokol", "afgoerelse")):  # postponed
        w = world(b.rng)
        _varied(b, f"postponed-{system}", w, outcome="postponed", system=system)
    for i, system in enumerate(("table", "udvalgets", "byraad", "firstagenda", "prepare")):  # rejected
        w = world(b.rng)
        _varied(b, f"rejected-{system}", w, outcome="rejected", system=system)
    for kind in ("no", "not_yet", "planned", "blank"):  # the initial meeting not held
        for style in range(2):
            w = world(b.rng)
            later = _weekday(b.rng, dt.date(2025, 4, 1), dt.date(2025, 4, 30))
            _varied(b, f"meeting-{kind}{style}", w, meeting=Meeting(kind, None, style + 1, later),
                      form_fmt=("docx", "pdf")[style], layout=("grid", "qa", "headings", "own")[(style + len(kind)) % 4])
    w = world(b.rng)
    _varied(b, "meeting-not_yet-scan", w, meeting=Meeting("not_yet", None, 0), form_fmt="scan_pdf", compact=True,
              layout="headings")
    for i in range(5):  # no minutes at all (the form says they are attached)
        w = world(b.rng)
        form = make_form(w, b.rng)
        _app(b, "no-minutes", w, form=form, form_fmt=("docx", "pdf")[i % 2], minutes=[], orgchart=i % 2 == 0)
    for i in range(5):  # only a link to the minutes in the body
        w = world(b.rng)
        form = make_form(w, b.rng)
        _app(b, "link-only", w, form=form, form_fmt=("docx", "pdf")[i % 2], minutes=[],
             body=application_body(w, b.rng, minutes=False, link=True))
    late = [(dt.datetime(2025, 3, 25, 12, 0, 1, tzinfo=WINTER), WINTER, "120001"),
            (dt.datetime(2025, 3, 25, 12, 0, 1, tzinfo=WINTER), dt.timezone.utc, "110001utc"),
            (dt.datetime(2025, 3, 25, 12, 7, 33, tzinfo=WINTER), WINTER, "120733"),
            (dt.datetime(2025, 3, 25, 13, 45, 0, tzinfo=WINTER), WINTER, "134500"),
            (dt.datetime(2025, 3, 26, 8, 10, 0, tzinfo=WINTER), WINTER, "next-day"),
            (dt.datetime(2025, 3, 25, 12, 0, 1, tzinfo=WINTER), WINTER, "120001-missing")]
    for i, (when, tz, tag) in enumerate(late):
        w = world(b.rng, received=when)
        if tag.endswith("missing"):
            _varied(b, f"late-{tag}", w, sig_kind="empty", sig_variant=1)
        else:
            _varied(b, f"late-{tag}", w, form_fmt=("docx", "pdf")[i % 2])
        b.cases[-1] = replace(b.cases[-1], received_tz=tz)
    w = world(b.rng, received=dt.datetime(2025, 3, 25, 12, 30, tzinfo=WINTER))
    _varied(b, "late-scan", w, form_fmt="scan_pdf", compact=True, layout="headings", sig_kind="image", sig_place="paras")
    on_time = [(dt.datetime(2025, 3, 25, 12, 0, 0, tzinfo=WINTER), WINTER, "120000"),
               (dt.datetime(2025, 3, 25, 12, 0, 0, tzinfo=WINTER), dt.timezone.utc, "110000utc"),
               (dt.datetime(2025, 3, 25, 11, 59, 59, tzinfo=WINTER), WINTER, "115959")]
    for when, tz, tag in on_time:  # exactly at the deadline: on time (complete)
        w = world(b.rng, received=when)
        _varied(b, f"deadline-{tag}", w)
        b.cases[-1] = replace(b.cases[-1], received_tz=tz)
    return b.cases


def fam_handicap() -> list[Case]:
    b = _Builder("handicap", "hnd")
    for i in range(12):  # complete
        w = world(b.rng, "handicap")
        meeting = Meeting(("yes", "no", "blank", "yes")[i % 4], w.meeting_date, i)
        _standard(b, f"complete-{('yes', 'no', 'blank', 'yes')[i % 4]}", w, meeting=meeting,
                  system=SYSTEMS[i % len(SYSTEMS)], generation="2025")
    for i in range(2):  # rolling round: after the boern-unge deadline is still on time
        w = world(b.rng, "handicap", received=dt.datetime(2025, 3, 26 + i, 10, 15, tzinfo=WINTER))
        _standard(b, "after-bu-deadline", w, generation="2025")
    for i in range(2):
        w = world(b.rng, "handicap")
        _standard(b, "scan", w, form_fmt="scan_pdf", compact=True, layout="headings", sig_kind=("image", "typed")[i],
                  sig_place="paras", generation="2025")
    for i in range(2):
        w = world(b.rng, "handicap")
        _standard(b, "no-signature", w, sig_kind="empty", sig_variant=i, generation="2025")
    for i in range(2):
        w = world(b.rng, "handicap")
        _standard(b, "agenda", w, outcome="agenda", generation="2025")
    for i in range(2):
        w = world(b.rng, "handicap")
        _standard(b, "postponed", w, outcome="postponed", generation="2025")
    for i in range(2):
        w = world(b.rng, "handicap")
        form = make_form(w, b.rng, generation="2025")
        _app(b, "no-minutes", w, form=form, minutes=[])
    for i in range(2):
        w = world(b.rng, "handicap")
        _standard(b, "pva", w, sig_kind="pva", sig_variant=i, generation="2025")
    return b.cases


_FAMILY_BUILDERS: dict[str, Callable[[], list[Case]]] = {
    "typed_signature_block": fam_typed_signature_block,
    "on_behalf": fam_on_behalf,
    "pdf_two_columns": fam_pdf_two_columns,
    "initial_meeting_headings": fam_initial_meeting_headings,
    "combined_pdf": fam_combined_pdf,
    "kind_minutes_first": fam_kind_minutes_first,
    "kind_inline_images": fam_kind_inline_images,
    "formats": fam_formats,
    "minutes_systems": fam_minutes_systems,
    "envelopes": fam_envelopes,
    "negatives": fam_negatives,
    "handicap": fam_handicap,
}


@lru_cache(maxsize=1)
def cases() -> tuple[Case, ...]:
    out: list[Case] = []
    for family in FAMILIES:
        out += _FAMILY_BUILDERS[family]()
    return tuple(out)


def by_id(case_id: str) -> Case:
    return next(c for c in cases() if c.id == case_id)


def iter_cases(family: str | None = None, fast: bool = False) -> Iterator[Case]:
    for c in cases():
        if family and c.family != family:
            continue
        if fast and c.scanned:
            continue
        yield c

