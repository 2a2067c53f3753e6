"""The secretariat's day in a real browser (Playwright driving Debian's Chromium): log in, filter the
queue, open an application, override a check with a reason, ask for more information, download both
exports, and find every step in the audit trail.  Writes the README's screenshots."""
from __future__ import annotations

import csv
import email
import email.policy
import io
import re
import sqlite3
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import ROOT
from tests.browser import chromium, expect
from tests.web import PASSWORD, USER, Server, installation

SHOTS = ROOT / "docs" / "screenshots"
STORED_FILE = "<script>alert('file')<_script>.docx"  # the mail parser makes "/" in a filename "_"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server.start(installation(tmp_path_factory.mktemp("web")))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True, locale="da-DK", viewport={"width": 1360, "height": 900})
    pg = context.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs  # type: ignore[attr-defined]
    yield pg
    context.close()


def log_in(page, server: Server) -> None:
    page.goto(server.url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log ind')")
    expect(page.locator("h1")).to_have_text("Task Force børn og unge i udsatte positioner 2025")


def rows(page) -> list[str]:
    return page.locator("#queue tbody tr[data-reference]").evaluate_all("rs => rs.map(r => r.dataset.reference)")


def download(page, selector: str, tmp_path: Path) -> Path:
    with page.expect_download() as info:
        page.click(selector)
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    return target


def test_a_day_in_the_secretariat(server, page, tmp_path):
    log_in(page, server)
    expect(page.locator("#deadline .countdown")).to_have_text("1 dag og 2 timer tilbage")
    assert rows(page) == ["TFB-2025-0001", "TFB-2025-0002", "TFB-2025-0003"]
    expect(page.locator("a[data-status=incomplete] .count")).to_have_text("1")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "queue.png"), full_page=True)

    # filter by status, then search by municipality
    page.click("a[data-status=incomplete]")
    expect(page).to_have_url(re.compile(r"status=incomplete"))
    assert rows(page) == ["TFB-2025-0002"]
    page.click(".chips a:has-text('Alle')")
    page.fill("#q", "slag")
    page.click(".search button")
    assert rows(page) == ["TFB-2025-0001"]

    # the handicap round: first come, first served (arrival order, not delivery order)
    page.click(".tabs a:has-text('handicap')")
    expect(page.locator("#deadline")).to_contain_text("Først til mølle")
    assert [page.locator(f"tr[data-reference='{r}'] td").nth(2).inner_text().split(" CVR")[0] for r in rows(page)] == ["Holbæk Kommune", "Vejle Kommune"]

    # open an application from the queue
    page.click(".tabs a:has-text('børn og unge')")
    page.click("a:has-text('TFB-2025-0002')")
    expect(page.locator("#status")).to_have_text("Mangler noget")
    backing = page.locator("#check-political_backing")
    expect(backing.locator(".check-status")).to_have_text("Mangler")
    expect(page.locator("#check-director_signature .citations")).to_contain_text("Lone Berg")
    expect(page.locator("#skema dl.fields")).to_contain_text("55133018")
    expect(page.locator("#skema tr[data-section]")).to_have_count(5)
    expect(page.locator("#mails time").first).to_have_text("21.03.2025 10:00:00")

    # override with a reason: the bot's verdict stays visible
    backing.locator("summary:has-text('Overstyr')").click()
    backing.locator("select[name=status]").select_option("ok")
    backing.locator("textarea[name=reason]").fill("Referatet er modtaget med posten den 21.03.")
    backing.locator("button:has-text('Gem overstyring')").click()
    expect(page.locator(".flash.ok")).to_have_text("Tjekket er overstyret.")
    expect(backing.locator("[data-effective]")).to_have_text("Opfyldt")
    expect(backing.locator(".check-status.struck")).to_have_text("Mangler")
    expect(backing.locator(".override .reason")).to_have_text("Referatet er modtaget med posten den 21.03.")
    expect(page.locator("#status")).to_have_text("Komplet")

    # ask for more information: the Danish template, edited by the user, through the outbox
    text = page.locator("#request-text")
    expect(text).to_have_value(re.compile(r"^Kære Aarhus Kommune\n[\s\S]*TFB-2025-0002"))
    text.fill(text.input_value().replace("[skriv her, hvad I mangler]", "Et underskrevet referat fra Børne- og Ungeudvalget"))
    page.click("button:has-text('Send anmodning')")
    expect(page.locator(".flash.ok")).to_contain_text("Anmodningen om oplysninger")
    expect(page.locator("#svar .reply[data-kind=information_request] .state-sent")).to_have_text("Sendt")
    sent = [email.message_from_bytes(raw, policy=email.policy.default) for raw in server.inst.outbox]
    (request,) = [m for m in sent if m["X-Taskforce-Reply"] == "information_request"]
    assert request["To"] == "lobe@aarhus.dk" and request["From"] == "taskforce@sbst.dk"
    assert request["In-Reply-To"] == "<aarhus-1@aarhus.dk>" and "[TFB-2025-0002]" in request["Subject"]
    assert "Et underskrevet referat fra Børne- og Ungeudvalget" in request.get_content()
    with sqlite3.connect(server.inst.root / "intake.db") as db:
        assert db.execute("SELECT open, requested_by FROM informationrequest").fetchall() == [(1, USER)]

    # the attachment is a download, never a page
    attachment = download(page, "#mails a.filename", tmp_path)
    assert attachment.read_bytes()[:2] == b"PK"
    page.screenshot(path=str(SHOTS / "application.png"), full_page=True)

    # both exports
    page.click(".crumbs a")
    xlsx = load_workbook(download(page, "#export-xlsx", tmp_path)).active
    table = {r[0]: r for r in xlsx.iter_rows(min_row=2, values_only=True)}
    header = [c.value for c in xlsx[1]]
    aarhus = dict(zip(header, table["TFB-2025-0002"]))
    assert aarhus["Status"] == "Komplet" and aarhus["Bottens status"] == "Mangler noget"
    assert aarhus["Politisk opbakning (referat)"] == "Opfyldt" and "Referatet er modtaget med posten" in aarhus["Overstyringer"]
    assert "TFB-2025-0003" not in table  # an inquiry is not an application
    steering = list(csv.DictReader(io.StringIO(download(page, "#export-csv", tmp_path).read_text("utf-8-sig")), delimiter=";"))
    assert [r["Reference"] for r in steering] == ["TFB-2025-0001", "TFB-2025-0002"]
    journal = list(csv.DictReader(io.StringIO(download(page, "#journal-csv", tmp_path).read_text("utf-8-sig")), delimiter=";"))
    received = [r for r in journal if r["Retning"] == "Modtaget"]
    assert [r["Reference"] for r in received] == ["TFB-2025-0001", "TFB-2025-0002", "TFB-2025-0003"]
    assert received[1]["Vedhæftede filer"] == STORED_FILE and received[1]["Tidspunkt"] == "21.03.2025 10:00:00"
    sent_rows = [r for r in journal if r["Retning"] == "Afsendt"]
    assert {r["Type"] for r in sent_rows} == {"Kvittering", "Mangler", "Påmindelse", "Anmodning om oplysninger"}  # the 22 March reminder run
    assert all(r["Til"] and r["Fra"] == "taskforce@sbst.dk" and r["Tidspunkt"] for r in sent_rows)
    journal_xlsx = load_workbook(download(page, "#journal-xlsx", tmp_path)).active
    assert journal_xlsx.max_row == len(journal) + 1

    # the audit trail shows each step, with who
    page.click("a:has-text('Revisionsspor')")
    actions = page.locator("#audit tbody tr").evaluate_all("rs => rs.map(r => [r.dataset.action, r.cells[1].innerText])")
    assert [a for a, _ in reversed(actions)] == ["login", "override", "information_request", "export", "export", "export", "export"]
    assert {who for _, who in actions} == {USER}
    page.goto(server.url + "/applications/TFB-2025-0002")
    expect(page.locator("#spor li[data-action]")).to_have_count(2)
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_mail_content_renders_inert(server, page):
    log_in(page, server)
    page.goto(server.url + "/applications/TFB-2025-0002")
    expect(page.locator("#mails .subject")).to_have_text("Ansøgning <script>alert('subject')</script>")
    expect(page.locator("#mails a.filename")).to_have_text(STORED_FILE)
    page.locator("#mails summary:has-text('Vis mailens tekst')").click()
    expect(page.locator("#mails pre.body")).to_contain_text("<script>alert('body')</script>\n<b>fed</b>")
    assert page.locator("script").count() == 0 and page.locator("#mails b").count() == 0
    page.goto(server.url + "/?q=aarhus")
    expect(page.locator("#queue tbody tr")).to_have_count(1)
    assert page.locator("script").count() == 0
    assert page.dialogs == []  # type: ignore[attr-defined]
