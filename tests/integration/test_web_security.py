"""The web app's doors, over plain HTTP against the real `serve`: sessions, CSRF, rate limiting, the
trusted proxy header, safe downloads and exports, and `user add`.  (Server-side sessions and shared
throttling in detail: test_web_sessions.py; the roles, route by route: test_web_roles.py.)"""
from __future__ import annotations

import io
import re
import sqlite3

import pytest
from openpyxl import load_workbook

from tests.web import PASSWORD, USER, Server, csrf, installation, login

PAGES = ["/", "/?round=handicap&status=complete", "/audit", "/applications/TFB-2025-0001", "/applications/NOPE",
         "/attachments/1", "/messages/1.eml", "/rounds/boern-unge-2025/export.csv", "/rounds/boern-unge-2025/export.xlsx",
         "/rounds/boern-unge-2025/journal.csv", "/rounds/boern-unge-2025/journal.xlsx", "/no/such/page"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server.start(installation(tmp_path_factory.mktemp("websec")))
    yield srv
    srv.stop()


@pytest.fixture
def signed_in(server):
    with server.client() as client:
        assert login(client).status_code == 303
        yield client


def rows(server: Server, sql: str) -> list[tuple]:
    with sqlite3.connect(server.inst.root / "intake.db") as db:
        return db.execute(sql).fetchall()


@pytest.mark.parametrize("path", PAGES)
def test_every_page_but_login_redirects_there_without_a_session(server, path):
    with server.client() as client:
        response = client.get(path)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


def test_posts_without_a_session_go_to_login_and_change_nothing(server):
    with server.client() as client:
        response = client.post("/applications/TFB-2025-0001/note", data={"note": "x", "csrf_token": csrf(client.get("/login").text)})
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert rows(server, "SELECT * FROM note") == []


def test_login_page_healthz_and_headers(server):
    with server.client() as client:
        page = client.get("/login")
        assert page.status_code == 200
        for name in ("username", "password", "csrf_token"):
            assert f'name="{name}"' in page.text
        csp = page.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        cookie = page.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie  # plain HTTP here
        assert client.get("/healthz").json()["status"] == "ok"


def test_login_with_the_wrong_password_is_refused(server):
    with server.client() as client:
        response = login(client, password="forkert-kodeord")
        assert response.status_code == 401 and "Forkert brugernavn eller adgangskode" in response.text
        assert client.get("/").status_code == 303


def test_the_login_follows_only_local_next(server):
    with server.client() as client:
        token = csrf(client.get("/login").text)
        response = client.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"})
    assert response.headers["location"] == "/"


@pytest.mark.parametrize("token", [None, "", "forged.token.value"])
def test_a_post_without_the_csrf_token_is_refused(server, signed_in, token):
    data = {"note": "uden token"} | ({"csrf_token": token} if token is not None else {})
    response = signed_in.post("/applications/TFB-2025-0001/note", data=data)
    assert response.status_code == 403 and "CSRF" in response.text
    assert rows(server, "SELECT * FROM note WHERE text = 'uden token'") == []


def test_a_token_from_another_session_is_refused(server, signed_in):
    with server.client() as other:
        login(other)
        foreign = csrf(other.get("/").text)
    response = signed_in.post("/applications/TFB-2025-0001/note", data={"note": "fremmed", "csrf_token": foreign})
    assert response.status_code == 403
    own = csrf(signed_in.get("/").text)
    assert signed_in.post("/applications/TFB-2025-0001/note", data={"note": "egen", "csrf_token": own}).status_code == 303
    assert rows(server, "SELECT text, by FROM note WHERE text IN ('fremmed', 'egen')") == [("egen", USER)]


def test_login_itself_needs_the_csrf_token(server):
    with server.client() as client:
        client.get("/login")
        assert client.post("/login", data={"username": USER, "password": PASSWORD}).status_code == 403


def test_an_override_needs_a_reason_and_keeps_the_bots_verdict(server, signed_in):
    token = csrf(signed_in.get("/applications/TFB-2025-0002").text)
    signed_in.post("/applications/TFB-2025-0002/override", data={"check": "political_backing", "status": "ok", "reason": "  ", "csrf_token": token})
    assert "En overstyring kræver en begrundelse." in signed_in.get("/applications/TFB-2025-0002").text
    assert rows(server, "SELECT * FROM checkoverride") == []
    (before,) = [q for q in server.inst.queue() if q["reference"] == "TFB-2025-0002"]
    signed_in.post("/applications/TFB-2025-0002/override", data={"check": "political_backing", "status": "ok",
                                                                  "reason": "Referat modtaget pr. post", "csrf_token": token})
    (after,) = [q for q in server.inst.queue() if q["reference"] == "TFB-2025-0002"]
    assert (before["status"], after["status"], after["bot_status"]) == ("incomplete", "complete", "incomplete")
    assert after["checks"]["political_backing"]["status"] == "missing"  # the bot's verdict is kept
    assert after["overrides"]["political_backing"] == {"status": "ok", "reason": "Referat modtaget pr. post", "by": USER}


def test_decision_and_inquiry_answered_are_recorded_with_who_and_when(server, signed_in):
    token = csrf(signed_in.get("/").text)
    signed_in.post("/applications/TFB-2025-0001/decision", data={"decision": "waiting_list", "comment": "", "csrf_token": token})
    signed_in.post("/applications/TFB-2025-0003/inquiry-answered", data={"csrf_token": token})
    queue = {q["reference"]: q for q in server.inst.queue()}
    assert queue["TFB-2025-0001"]["decision"] == "waiting_list"
    assert rows(server, "SELECT by FROM inquiryanswered") == [(USER,)]
    events = rows(server, "SELECT action, actor, created_at FROM auditevent WHERE action IN ('decision', 'inquiry_answered')")
    assert [(a, who) for a, who, _ in events] == [("decision", USER), ("inquiry_answered", USER)]
    assert all(when.startswith("2025-03-24 09:00:00") for _, _, when in events)  # the service clock, in UTC
    assert "Henvendelse besvaret" in signed_in.get("/applications/TFB-2025-0003").text


def test_attachments_are_downloads_never_pages(server, signed_in):
    html = signed_in.get("/applications/TFB-2025-0002").text
    link = re.search(r'href="(/attachments/\d+)"', html).group(1)
    response = signed_in.get(link)
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''%3Cscript%3E" in disposition
    assert response.headers["content-type"] == "application/octet-stream"
    assert "sandbox" in response.headers["content-security-policy"]
    raw = signed_in.get(re.search(r'href="(/messages/\d+\.eml)"', html).group(1))
    assert raw.headers["content-disposition"].startswith("attachment;") and b"<script>" in raw.content


def test_exports_never_hold_a_formula(tmp_path):
    from tests.conftest import Installation, write_config
    from tests.mails import mail
    from tests.factories.forms import FormSpec, form_docx

    inst = Installation(tmp_path, write_config(tmp_path))
    inst.deliver(mail(subject="=HYPERLINK(\"http://evil\")", attachments=[("=cmd.docx", form_docx(FormSpec(), "table"))]))
    inst.cli("run", "--once", now="2025-03-21T12:00:00+01:00")
    inst.cli("user", "add", USER, "--role", "admin", stdin=PASSWORD)  # the exports are the admin's
    srv = Server.start(inst)
    try:
        with srv.client() as client:
            login(client)
            journal = load_workbook(io.BytesIO(client.get("/rounds/boern-unge-2025/journal.xlsx").content)).active
            cells = [c for row in journal.iter_rows(min_row=2) for c in row]
            assert all(c.data_type != "f" for c in cells)
            assert "'=HYPERLINK(\"http://evil\")" in [c.value for c in cells]
            assert ";'=cmd.docx;" in client.get("/rounds/boern-unge-2025/journal.csv").text
    finally:
        srv.stop()


def test_login_is_rate_limited(tmp_path):
    srv = Server.start(installation(tmp_path))
    try:
        with srv.client() as client:
            statuses = [login(client, password=f"forkert-{i}").status_code for i in range(5)]
            assert statuses == [401] * 5
            blocked = login(client)  # even the right password, for a while
            assert blocked.status_code == 429 and "For mange forkerte forsøg" in blocked.text
            assert client.get("/").status_code == 303
    finally:
        srv.stop()


WEB_BEHIND_PROXY = '[web]\ntrusted_user_header = "X-Forwarded-User"\ntrusted_proxies = [{}]\ntrusted_user_role = "sagsbehandler"\n'


def test_the_trusted_proxy_header_names_the_user_only_from_a_configured_proxy(tmp_path):
    trusted = Server.start(installation(tmp_path / "a", WEB_BEHIND_PROXY.format('"127.0.0.1"')))
    elsewhere = Server.start(installation(tmp_path / "b", WEB_BEHIND_PROXY.format('"192.0.2.1"')))
    try:
        with trusted.client(headers={"X-Forwarded-User": "sso.bruger"}) as client:
            page = client.get("/")
            assert page.status_code == 200 and 'class="who">sso.bruger<' in page.text
            assert "secure" in page.headers["set-cookie"].lower()  # behind a TLS proxy, the cookie is Secure
            session = page.headers["set-cookie"].split(";", 1)[0]  # what a browser sends back over TLS
            client.post("/applications/TFB-2025-0001/note", data={"note": "via SSO", "csrf_token": csrf(page.text)},
                        headers={"Cookie": session})
        assert rows(trusted, "SELECT by FROM note") == [("sso.bruger",)]
        with trusted.client() as client:
            assert client.get("/").status_code == 303
        with elsewhere.client(headers={"X-Forwarded-User": "sso.bruger"}) as client:
            assert client.get("/").status_code == 303
    finally:
        trusted.stop()
        elsewhere.stop()


def test_user_add_reads_the_password_from_stdin_and_keeps_only_an_argon2_hash(installation):
    installation.cli("user", "add", "bent", stdin="et-langt-kodeord\n")
    with sqlite3.connect(installation.root / "intake.db") as db:
        ((stored,),) = db.execute("SELECT password_hash FROM user WHERE username = 'bent'").fetchall()
    assert stored.startswith("$argon2id$") and "et-langt-kodeord" not in stored
    with sqlite3.connect(installation.root / "intake.db") as db:
        assert db.execute("SELECT role FROM user WHERE username = 'bent'").fetchall() == [("sagsbehandler",)]  # the default
    again = installation.cli("user", "add", "bent", stdin="et-andet-kodeord\n", check=False)
    assert again.returncode == 1 and "findes allerede" in again.stderr
    short = installation.cli("user", "add", "kurt", stdin="kort\n", check=False)
    assert short.returncode == 1 and "mindst 8 tegn" in short.stderr


def test_run_can_serve_the_web_app_too(tmp_path):
    # the real clock: the scheduler counts its intervals from "now"
    srv = Server.start(installation(tmp_path), now=None, command=("run", "--serve"))
    try:
        with srv.client() as client:
            assert client.get("/healthz").status_code == 200
            assert login(client).status_code == 303 and client.get("/applications/TFB-2025-0001").status_code == 200
    finally:
        srv.stop()


def test_a_closed_account_loses_its_session_and_a_new_password_takes_effect(tmp_path):
    srv = Server.start(installation(tmp_path))
    try:
        with srv.client() as client:
            login(client)
            assert client.get("/").status_code == 200
            srv.inst.cli("user", "disable", USER)
            assert client.get("/").status_code == 303
            assert login(client).status_code == 401
            srv.inst.cli("user", "enable", USER)
            srv.inst.cli("user", "passwd", USER, stdin="et-helt-nyt-kodeord\n")
            assert login(client).status_code == 401
            assert login(client, password="et-helt-nyt-kodeord").status_code == 303
    finally:
        srv.stop()
