"""Toward the steering group, over HTTP against the real `serve` on a round seeded by `run --once`:
a caseworker scores the five weighing criteria (history kept, newest in force, audited), records a
decision, edits the letter drafted from the decision's template and sends it through the outbox to
the Maildir; the admin downloads the steering-group pack, whose text holds the scores and notes; a
reader sees the scores but cannot score."""
from __future__ import annotations

import email
import email.policy
import html
import re
import sqlite3

import pypdfium2 as pdfium
import pytest

from tests.web import Server, add_user, csrf, installation, login

pytestmark = pytest.mark.integration

REF = "TFB-2025-0001"  # Slagelse: form and minutes, complete
PAGE = f"/applications/{REF}"
SCORES = {
    "motivation": ("5", "Stærkt fokus på den konkrete sagsbehandling i børnesagerne."),
    "readiness": ("4", "Udvalg, direktør og ledere står bag; medarbejderne er orienteret."),
    "other_activities": ("3", "En mindre omorganisering af myndighedsafdelingen er i gang."),
    "earlier_course": ("5", "Intet tidligere forløb med Task Forcen."),
    "largest_difference": ("", ""),  # ikke vurderet
}


def form(scores: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {f"{field}_{c}": v for c, (value, note) in scores.items() for field, v in (("value", value), ("note", note))}


def flash(page: str) -> str:
    match = re.search(r'<p class="flash (\w+)" role="status">(.*?)</p>', page, re.S)
    assert match, "no message on the page"
    return f"{match.group(1)}: {html.unescape(match.group(2)).strip()}"


def letters(inst) -> list[email.message.EmailMessage]:
    found = [email.message_from_bytes(raw, policy=email.policy.default) for raw in inst.outbox]
    return [m for m in found if str(m["X-Taskforce-Reply"]).startswith("decision_")]  # type: ignore[misc]


def pdf_pages(data: bytes) -> list[str]:
    doc = pdfium.PdfDocument(data)
    try:
        return [" ".join(page.get_textpage().get_text_range().split()) for page in doc]
    finally:
        doc.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    inst = installation(tmp_path_factory.mktemp("steering"))  # `anna` is an admin
    add_user(inst, "sara", "sagsbehandler")
    add_user(inst, "lena", "laeser")
    srv = Server.start(inst)
    yield srv
    srv.stop()


def db(server: Server) -> sqlite3.Connection:
    return sqlite3.connect(server.inst.root / "intake.db")


def test_scores_decision_letter_and_pack(server):
    inst = server.inst
    with server.client() as sara:
        assert login(sara, "sara").status_code == 303
        page = sara.get(PAGE).text
        assert f'action="{PAGE}/scores"' in page and "Vurdering til styregruppen" in page
        assert "Parathed" in page and "Tidligere Task Force-forløb" in page

        # one submit scores all five; the fifth stays "ikke vurderet"
        response = sara.post(f"{PAGE}/scores", data={**form(SCORES), "csrf_token": csrf(page)})
        assert response.status_code == 303 and response.headers["location"].endswith("#vurdering")
        page = sara.get(PAGE).text
        assert flash(page) == "ok: Vurderingen er gemt."
        assert '<strong id="score-total">17</strong> (4 af 5 vurderet)' in page
        # a second scoring changes one criterion: one new row, the old one kept as history
        changed = {**SCORES, "other_activities": ("2", "Omorganiseringen er større end først oplyst.")}
        sara.post(f"{PAGE}/scores", data={**form(changed), "csrf_token": csrf(page)})
        page = sara.get(PAGE).text
        assert '<strong id="score-total">16</strong>' in page and "Tidligere vurderinger" in page
        with db(server) as conn:
            rows = conn.execute("select criterion, value, note, actor from score order by id").fetchall()
            assert len(rows) == 5 and rows[-1] == ("other_activities", 2, "Omorganiseringen er større end først oplyst.", "sara")
            assert ("other_activities", 3, SCORES["other_activities"][1], "sara") in rows
            assert conn.execute("select count(*) from auditevent where action = 'score' and actor = 'sara'").fetchone() == (2,)
        # a value outside 1–5 is refused in Danish, nothing written
        sara.post(f"{PAGE}/scores", data={**form({**SCORES, "motivation": ("9", "")}), "csrf_token": csrf(page)})
        page = sara.get(PAGE).text
        assert flash(page).startswith("error: Motivation: vælg et point fra 1 til 5")
        with db(server) as conn:
            assert conn.execute("select count(*) from score").fetchone() == (5,)

        # a decision drafts its letter from decision_approved.txt.j2, edited and sent in the page
        assert sara.post(f"{PAGE}/decision", data={"decision": "approved", "comment": "", "csrf_token": csrf(page)}).status_code == 303
        page = sara.get(PAGE).text
        draft = html.unescape(re.search(r'<textarea id="letter-text" name="text"[^>]*>(.*?)</textarea>', page, re.S).group(1))
        assert "Kære Slagelse Kommune" in draft and REF in draft and "er udvalgt til et forløb med Task Forcen" in draft
        assert "opstartsmøde" in draft
        decision_id = re.search(r'name="decision_id" value="(\d+)"', page).group(1)
        edited = draft.replace("inden for de næste uger", "i uge 16")
        response = sara.post(f"{PAGE}/decision-letter", data={"text": edited, "decision_id": decision_id, "csrf_token": csrf(page)})
        assert response.status_code == 303
        page = sara.get(PAGE).text
        assert flash(page) == "ok: Afgørelsesbrevet er lagt i udbakken." and "Brevet er lagt i udbakken til meha@slagelse.dk" in page
        sent = letters(inst)
        assert len(sent) == 1
        letter = sent[0]
        assert letter["X-Taskforce-Reply"] == "decision_approved" and f"[{REF}]" in letter["Subject"]
        assert letter["To"] == "meha@slagelse.dk" and letter["From"] == "taskforce@sbst.dk"
        assert letter["In-Reply-To"] == "<slagelse-1@slagelse.dk>"
        body = letter.get_body(preferencelist=("plain",)).get_content()
        assert "i uge 16" in body and "inden for de næste uger" not in body
        with db(server) as conn:
            assert conn.execute("select kind, template, state from reply where kind like 'decision_%'").fetchall() == [
                ("decision_approved", "decision_approved", "sent")]
            assert conn.execute("select count(*) from auditevent where action = 'decision_letter'").fetchone() == (1,)
        # the same decision's letter again: refused, nothing more sent
        sara.post(f"{PAGE}/decision-letter", data={"text": edited, "decision_id": decision_id, "csrf_token": csrf(page)})
        assert flash(sara.get(PAGE).text) == "error: Brevet om denne afgørelse er allerede sendt." and len(letters(inst)) == 1

        # a new decision: a new draft from its own template; the old page's letter is refused
        page = sara.get(PAGE).text
        sara.post(f"{PAGE}/decision", data={"decision": "waiting_list", "comment": "Plads 1", "csrf_token": csrf(page)})
        page = sara.get(PAGE).text
        assert "er sat på venteliste" in html.unescape(page)
        sara.post(f"{PAGE}/decision-letter", data={"text": edited, "decision_id": decision_id, "csrf_token": csrf(page)})
        assert flash(sara.get(PAGE).text).startswith("error: Afgørelsen er ændret") and len(letters(inst)) == 1
        # the pack is the admin's
        assert sara.get("/rounds/boern-unge-2025/pack.pdf").status_code == 403

    with server.client() as anna:
        assert login(anna).status_code == 303
        assert 'href="/rounds/boern-unge-2025/pack.pdf"' in anna.get(PAGE).text
        response = anna.get("/rounds/boern-unge-2025/pack.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith('attachment; filename="styregruppepakke-boern-unge-2025-')
    pages = pdf_pages(response.content)
    complete = [i for i in inst.queue() if i["round"] == "boern-unge-2025" and i["kind"] == "application" and i["status"] == "complete"]
    assert [i["reference"] for i in complete] == [REF]
    assert len(pages) == 1 + len(complete)
    assert f"{REF} Slagelse Kommune" in pages[0] and "5 4 2 5 – 16 (4/5)" in pages[0]
    assert pages[1].startswith(f"{REF} · Slagelse Kommune")
    assert "Omorganiseringen er større end først oplyst. (sara)" in pages[1] and "Stærkt fokus på den konkrete sagsbehandling" in pages[1]
    assert "Politisk opbakning (referat)" in pages[1] and "Venteliste — Plads 1" in pages[1]
    with db(server) as conn:
        assert conn.execute("select detail from auditevent where action = 'export' and actor = 'anna'").fetchall() == [
            ("Styregruppepakke for boern-unge-2025 (PDF, 1 ansøgninger)",)]

    with server.client() as sara:
        assert login(sara, "sara").status_code == 303
        # a refusal's draft leaves the reason to the caseworker: sent with the place unfilled, it is refused
        page = sara.get(PAGE).text
        sara.post(f"{PAGE}/decision", data={"decision": "declined", "comment": "", "csrf_token": csrf(page)})
        page = sara.get(PAGE).text
        draft = html.unescape(re.search(r'<textarea id="letter-text" name="text"[^>]*>(.*?)</textarea>', page, re.S).group(1))
        assert "[Begrundelse: skriv her" in draft
        declined_id = re.search(r'name="decision_id" value="(\d+)"', page).group(1)
        sara.post(f"{PAGE}/decision-letter", data={"text": draft, "decision_id": declined_id, "csrf_token": csrf(page)})
        assert flash(sara.get(PAGE).text).startswith("error: Brevet har stadig en tekst i [firkantede parenteser]") and len(letters(inst)) == 1
        reason = re.sub(r"\[Begrundelse:[^\]]*\]", "Ansøgningen manglede det politiske referat ved fristen.", draft)
        page = sara.get(PAGE).text
        sara.post(f"{PAGE}/decision-letter", data={"text": reason, "decision_id": declined_id, "csrf_token": csrf(page)})
        assert len(letters(inst)) == 2 and letters(inst)[-1]["X-Taskforce-Reply"] == "decision_declined"


def test_a_reader_sees_the_scores_but_cannot_score(server):
    with server.client() as lena:
        assert login(lena, "lena").status_code == 303
        page = lena.get(PAGE).text
        assert "Vurdering til styregruppen" in page and 'action="/applications/' not in page
        assert '<table class="list scores">' in page
        with db(server) as conn:
            before = conn.execute("select count(*) from score").fetchone()
        response = lena.post(f"{PAGE}/scores", data={**form(SCORES), "csrf_token": csrf(page)})
        assert response.status_code == 403 and "Som læser har du ikke adgang" in response.text
        with db(server) as conn:
            assert conn.execute("select count(*) from score").fetchone() == before
