"""The round page in a real browser (issue 13): a round of 30 applications seeded through the real
pipeline (one `run --once` after the deadline), the page opened in Debian's Chromium, every chart's
bars and tables compared with what the seeded mails must give by their spec, and every request the
page makes checked to stay on the service's own origin.  Writes docs/screenshots/round.png."""
from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

import pytest

from tests.conftest import ROOT, Installation, write_config
from tests.factories.forms import FormSpec, form_docx
from tests.factories.minutes import MinutesSpec, minutes_pdf
from tests.mails import at, mail
from tests.browser import chromium, expect
from tests.web import PASSWORD, USER, Server, add_user

SHOTS = ROOT / "docs" / "screenshots"
DEADLINE = at("2025-03-25 12:00:00")
PASS = "2025-03-25T12:30:00+01:00"  # the one pass: after the deadline, so the round closes in it
NOW = "2025-03-26T09:00:00+01:00"  # the service clock while serving: the morning after


@dataclass(frozen=True)
class Case:
    """One municipality's application as it was sent: signed or not, minutes or not, and maybe the
    minutes sent on later from the same domain."""

    received: str
    signed: bool = True
    minutes: bool = True
    supplement: str = ""  # when the minutes came on their own

    @property
    def late(self) -> bool:
        return at(self.received) > DEADLINE

    @property
    def complete(self) -> bool:
        return not self.late and self.signed and (self.minutes or bool(self.supplement))

    @property
    def missing(self) -> tuple[str, ...]:
        """Danish, in the checks' order, as the page lists them."""
        if self.late:
            return ()
        return (("Direktørens underskrift",) if not self.signed else ()) + (
            ("Politisk opbakning (referat)",) if not (self.minutes or self.supplement) else ())

    @property
    def days_to_complete(self) -> int | None:
        if not self.complete:
            return None
        return (at(self.supplement).date() - at(self.received).date()).days if self.supplement else 0


CASES = [
    # complete in the first mail (14)
    *(Case(f"2025-03-{day:02d} {hour:02d}:15:00") for day, hour in
      [(10, 9), (10, 14), (11, 10), (12, 8), (12, 11), (12, 15), (14, 9), (17, 10), (18, 13), (19, 9), (20, 10), (24, 9), (24, 16), (25, 11)]),
    # the minutes sent on later: the same day, after 2, 5 and 9 days (4)
    Case("2025-03-11 09:00:00", minutes=False, supplement="2025-03-11 15:00:00"),
    Case("2025-03-13 10:00:00", minutes=False, supplement="2025-03-15 10:00:00"),
    Case("2025-03-14 10:00:00", minutes=False, supplement="2025-03-19 10:00:00"),
    Case("2025-03-12 13:00:00", minutes=False, supplement="2025-03-21 13:00:00"),
    # not signed (4), no minutes (4), neither, with the minutes sent on later (1)
    *(Case(f"2025-03-{day} 10:30:00", signed=False) for day in (13, 17, 20, 24)),
    *(Case(f"2025-03-{day} 11:30:00", minutes=False) for day in (17, 18, 21, 25)),
    Case("2025-03-18 09:00:00", signed=False, minutes=False, supplement="2025-03-20 09:00:00"),
    # after the deadline (3): 12:00:01 is late
    Case("2025-03-25 12:00:01"), Case("2025-03-25 12:10:00", signed=False), Case("2025-03-25 12:20:00"),
]


@dataclass(frozen=True)
class Municipality:
    name: str
    cvr: str
    domain: str


def municipalities(n: int) -> list[Municipality]:
    """The first n municipalities with a single mail domain, from the service's own list."""
    with (ROOT / "parsers" / "data" / "municipalities.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if ";" not in r["domains"]]
    return [Municipality(r["name"], r["cvr"], r["domains"]) for r in rows[:n]]


SEEDED = list(zip(municipalities(len(CASES)), CASES))


def seed(inst: Installation) -> None:
    """Every mail of every case into the Maildir in received order, then one pass."""
    mails: list[tuple[str, bytes]] = []
    for town, case in SEEDED:
        director = f"Dorte Bruun <dobr@{town.domain}>"
        form = FormSpec(municipality=town.name, cvr=town.cvr, address="Rådhuset, 1000 By", director_name="Dorte Bruun",
                        director_email=f"dobr@{town.domain}", signature="typed" if case.signed else "none")
        minutes = ("Referat udvalgsmøde.pdf", minutes_pdf(MinutesSpec(municipality=town.name), "numbered"))
        files = [("Ansøgningsskema.docx", form_docx(form, "table")), *([minutes] if case.minutes else [])]
        mails.append((case.received, mail(sender=director, attachments=files, received=case.received)))
        if case.supplement:
            mails.append((case.supplement, mail(sender=f"Sekretariatet <sekr@{town.domain}>", subject="Referat", body="Hermed referatet.",
                                                attachments=[minutes], received=case.supplement)))
    for _, raw in sorted(mails, key=lambda m: at(m[0])):
        inst.deliver(raw)
    inst.cli("run", "--once", now=PASS)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("round")
    inst = Installation(root, write_config(root))
    seed(inst)
    add_user(inst, USER, "laeser")  # the lowest role reads the page
    srv = Server.start(inst, now=NOW)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, server):
    context = browser.new_context(locale="da-DK", viewport={"width": 1360, "height": 900})
    pg = context.new_page()
    pg.requested = []  # type: ignore[attr-defined]
    pg.refused = []  # type: ignore[attr-defined]
    pg.on("request", lambda r: pg.requested.append(r.url))  # type: ignore[attr-defined]
    pg.on("console", lambda m: pg.refused.append(m.text) if "Content Security Policy" in m.text else None)  # type: ignore[attr-defined]
    pg.goto(server.url + "/")
    pg.fill("input[name=username]", USER)
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button:has-text('Log ind')")
    yield pg
    context.close()


def values(page, selector: str) -> dict[str, int]:
    """The chart's bars (or the table's rows) by key: data-key -> data-value (or the number in the row)."""
    return dict(page.locator(selector).evaluate_all("els => els.map(e => [e.dataset.key, Number(e.dataset.value)])"))


def table(page, selector: str, column: int = 1) -> dict[str, int]:
    return dict(page.locator(selector).evaluate_all(f"rs => rs.map(r => [r.dataset.key, Number(r.cells[{column}].innerText)])"))


def expected_per_day() -> dict[str, int]:
    """First mails by local day, from the first day to the deadline day, on time only."""
    days = Counter(at(c.received).date() for c in CASES if not c.late)
    first = min(days)
    return {(first + dt.timedelta(n)).isoformat(): days[first + dt.timedelta(n)] for n in range((DEADLINE.date() - first).days + 1)}


def test_the_round_page_shows_the_stored_round(server, page):
    expect(page.locator("h1")).to_have_text("Task Force børn og unge i udsatte positioner 2025")
    page.click("#round-overview")  # from the queue's round tab
    expect(page).to_have_url(server.url + "/rounds/boern-unge-2025")
    expect(page.locator("h1")).to_contain_text("runden i overblik")
    expect(page.locator("#deadline strong")).to_have_text("25.03.2025 12:00")
    # four charts, each an image named by its own title for a screen reader, each with its numbers as a table
    titles = page.locator("svg.chart-svg").evaluate_all(
        "ss => ss.map(s => document.getElementById(s.getAttribute('aria-labelledby')).textContent)")
    assert titles == ["Modtagne ansøgninger pr. dag", "Ansøgninger og henvendelser pr. status", "Ikke opfyldte minimumskriterier",
                      "Ansøgninger efter tid fra første mail til komplet"]
    expect(page.locator("figure.chart table.figures")).to_have_count(4)

    # received per day: one bar per day from the first mail to the deadline day; the late ones apart
    per_day = expected_per_day()
    assert values(page, "#received-svg g.column") == per_day
    assert table(page, "#received tbody tr") == {**per_day, "after-deadline": 3}
    expect(page.locator("#after-deadline")).to_have_text("3 modtaget efter fristen (ikke med i søjlerne).")
    expect(page.locator("#received-svg rect")).to_have_count(len(per_day))

    # statuses: complete; not complete when the round closed; late — and nothing else
    closed = sum(1 for c in CASES if not c.late and not c.complete)
    statuses = {"complete": sum(c.complete for c in CASES), "incomplete": 0, "needs_review": 0, "late": sum(c.late for c in CASES),
                "inquiry": 0, "incomplete_at_deadline": closed}
    assert statuses == {"complete": 18, "incomplete": 0, "needs_review": 0, "late": 3, "inquiry": 0, "incomplete_at_deadline": 9}
    assert values(page, "#statuses-svg g.row") == statuses
    assert table(page, "#statuses tbody tr") == statuses
    assert page.locator("#statuses-svg rect.status-complete").evaluate("r => getComputedStyle(r).fill") == "rgb(30, 107, 58)"  # var(--ok)

    # which check is most often not met: the signature (6, one of them late too), the minutes (4), the deadline (3)
    unsigned = sum(1 for c in CASES if not c.signed)
    no_minutes = sum(1 for c in CASES if not (c.minutes or c.supplement))
    assert (unsigned, no_minutes) == (6, 4)
    checks = {"director_signature": 6, "political_backing": 4, "deadline": 3, "application_form": 0, "initial_meeting": 0}
    assert values(page, "#checks-svg g.row") == checks
    assert page.locator("#checks-svg g.row").evaluate_all("rs => rs.map(r => r.dataset.key)") == list(checks)  # most often first
    assert table(page, "#checks tbody tr") == checks and set(table(page, "#checks tbody tr", 2).values()) == {0}

    # from the first mail to complete, by calendar day
    days = [c.days_to_complete for c in CASES]
    buckets = {"Samme dag": days.count(0), "1–3 dage": sum(1 for d in days if d is not None and 1 <= d <= 3),
               "4–7 dage": sum(1 for d in days if d is not None and 4 <= d <= 7), "Mere end 7 dage": sum(1 for d in days if d is not None and d > 7),
               "Ikke komplet": days.count(None)}
    assert buckets == {"Samme dag": 15, "1–3 dage": 1, "4–7 dage": 1, "Mere end 7 dage": 1, "Ikke komplet": 12}
    assert values(page, "#completion-svg g.column") == buckets
    assert table(page, "#completion tbody tr") == buckets
    expect(page.locator("#median")).to_have_text("Median under en time for de komplette ansøgninger.")  # 15 of 18 the same day

    # who was told what is missing and has not answered: every incomplete one, the deadline passed
    waiting = {town.name: ", ".join(case.missing) for town, case in SEEDED if case.missing and not case.complete}
    assert len(waiting) == 9
    rows = page.locator("#waiting tbody tr[data-reference]")
    shown = rows.evaluate_all("rs => rs.map(r => [r.cells[0].innerText, r.cells[3].innerText, r.cells[4].innerText, r.cells[2].innerText])")
    assert {name: missing for name, missing, _, _ in shown} == waiting
    assert {(left, sent) for _, _, left, sent in shown} == {("Fristen er udløbet", "25.03.2025 12:30")}  # all told in the one pass

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "round.png"), full_page=True)

    # a row leads to the application
    first = rows.first
    reference = first.get_attribute("data-reference")
    first.locator("a").click()
    expect(page).to_have_url(re.compile(rf"/applications/{reference}$"))
    expect(page.locator("#status")).to_have_text("Ufuldstændig ved fristen")

    assert page.locator("script").count() == 0 and page.refused == []  # type: ignore[attr-defined]  # nothing the CSP refused
    foreign = [url for url in page.requested if not url.startswith(server.url + "/")]  # type: ignore[attr-defined]
    assert page.requested and foreign == []  # type: ignore[attr-defined]


def test_a_rolling_round_and_an_unknown_one(server, page):
    page.goto(server.url + "/rounds/handicap")
    expect(page.locator("#deadline")).to_contain_text("Løbende runde")
    expect(page.locator("#received .empty")).to_have_text("Ingen ansøgninger endnu.")
    expect(page.locator("#waiting td.empty")).to_have_text("Ingen venter på at sende noget.")
    response = page.goto(server.url + "/rounds/ukendt")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Ikke fundet")
    expect(page.locator("main")).to_contain_text("Runden findes ikke")
