"""The roles, route by route, against the real `serve`: every route of the app (read from `app.routes`,
so a new route without a row in ROUTES fails here) as anonymous and as each role, with the expected
answer from the table; a `laeser` can POST no action; the pages leave out what a role may not use;
an account older than roles acts as a `sagsbehandler`; `user role` applies to open sessions; a user
named by the trusted proxy is a `laeser` until given a role."""
from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import Installation, write_config
from tests.web import PASSWORD, Server, add_user, csrf, installation, login

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # older FastAPI lists every route in app.routes itself
    iter_route_contexts = None

PUBLIC, LAESER, SAGSBEHANDLER, ADMIN = "offentlig", "laeser", "sagsbehandler", "admin"
RANK = [PUBLIC, LAESER, SAGSBEHANDLER, ADMIN]
ROLES = [None, LAESER, SAGSBEHANDLER, ADMIN]  # None: no session
USERS = {LAESER: "lena", SAGSBEHANDLER: "sara", ADMIN: "adam"}


@dataclass(frozen=True)
class Call:
    path: str
    form: dict[str, str] | None = None  # a POST's fields (the CSRF token is added)
    ok: frozenset[int] = frozenset({200})  # the answers when the role may
    location: str = ""  # a 303 when allowed goes here (prefix)


def post(path: str, location: str = "/applications/", **form: str) -> Call:
    return Call(path, form, frozenset({303}), location)


# (method, route) -> (the lowest role that may, the calls that try it)
ROUTES: dict[tuple[str, str], tuple[str, list[Call]]] = {
    ("GET", "/healthz"): (PUBLIC, [Call("/healthz")]),
    ("GET", "/readyz"): (PUBLIC, [Call("/readyz")]),
    ("GET", "/metrics"): (PUBLIC, [Call("/metrics")]),  # for monitoring; `[monitoring] metrics_token` may guard it
    ("GET", "/login"): (PUBLIC, [Call("/login", ok=frozenset({200, 303}))]),  # signed in: on to the queue
    ("POST", "/login"): (PUBLIC, [post("/login", location="/")]),  # with the role's own account (anonymous: lena's)
    ("GET", "/static"): (PUBLIC, [Call("/static/style.css")]),
    ("POST", "/logout"): (LAESER, [post("/logout", location="/login")]),
    ("GET", "/"): (LAESER, [Call("/"), Call("/?round=handicap&status=complete")]),
    ("GET", "/applications/{reference}"): (LAESER, [Call("/applications/TFB-2025-0001"), Call("/applications/TFB-2025-0003")]),
    ("GET", "/attachments/{attachment_id}"): (LAESER, [Call("/attachments/1")]),
    ("GET", "/attachments/{attachment_id}/view"): (LAESER, [Call("/attachments/1/view"), Call("/attachments/2/view?page=2")]),
    ("GET", "/pictures/{picture_id}.png"): (LAESER, [Call("/pictures/2.png")]),  # 1 is the Word form's `done` row
    ("GET", "/messages/{message_id}.eml"): (LAESER, [Call("/messages/1.eml")]),
    ("GET", "/audit"): (LAESER, [Call("/audit")]),
    # the round at a glance: counts and the not-answered list, no more than the queue shows a reader
    ("GET", "/rounds/{round_id}"): (LAESER, [Call("/rounds/boern-unge-2025"), Call("/rounds/handicap")]),
    ("POST", "/applications/{reference}/override"): (SAGSBEHANDLER, [
        post("/applications/TFB-2025-0002/override", check="political_backing", status="ok", reason="Referat modtaget pr. post")]),
    ("POST", "/applications/{reference}/note"): (SAGSBEHANDLER, [post("/applications/TFB-2025-0001/note", note="Rundgang")]),
    ("POST", "/applications/{reference}/decision"): (SAGSBEHANDLER, [
        post("/applications/TFB-2025-0001/decision", decision="waiting_list", comment="")]),
    ("POST", "/applications/{reference}/inquiry-answered"): (SAGSBEHANDLER, [post("/applications/TFB-2025-0003/inquiry-answered")]),
    ("POST", "/applications/{reference}/information-request"): (SAGSBEHANDLER, [
        post("/applications/TFB-2025-0002/information-request", text="Send venligst referatet.")]),
    ("POST", "/applications/{reference}/information-request/{request_id}/close"): (SAGSBEHANDLER, [
        post("/applications/TFB-2025-0002/information-request/1/close")]),
    ("POST", "/applications/{reference}/messages/{message_id}/answer"): (SAGSBEHANDLER, [
        post("/applications/TFB-2025-0001/messages/1/answer")]),
    # the exports of personal data: the journal (senders, recipients, subjects, file names) and the
    # steering-group list (the overrides' reasons and who wrote them)
    # toward the steering group: scoring and the decision letter act; the pack is an export of personal data
    ("POST", "/applications/{reference}/scores"): (SAGSBEHANDLER, [
        post("/applications/TFB-2025-0001/scores", value_motivation="4", note_motivation="Konkret fokus på sagsbehandlingen")]),
    ("POST", "/applications/{reference}/decision-letter"): (SAGSBEHANDLER, [
        post("/applications/TFB-2025-0001/decision-letter", text="Kære Slagelse Kommune", decision_id="1")]),
    ("GET", "/rounds/{round_id}/pack.pdf"): (ADMIN, [Call("/rounds/boern-unge-2025/pack.pdf"), Call("/rounds/handicap/pack.pdf")]),
    ("GET", "/rounds/{round_id}/{what}.{fmt}"): (ADMIN, [
        Call(f"/rounds/boern-unge-2025/{what}.{fmt}") for what in ("export", "journal") for fmt in ("csv", "xlsx")]),
}
ACTIONS = [(key, call) for key, (lowest, calls) in ROUTES.items() for call in calls
           if key[0] == "POST" and key[1] not in ("/login", "/logout")]
ACTION_TABLES = ["note", "checkoverride", "decision", "inquiryanswered", "informationrequest", "reply", "score"]


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) of the app: its routes and mounts, an included router's one by one."""
    found: set[tuple[str, str]] = set()
    contexts = iter_route_contexts(app.routes) if iter_route_contexts else app.routes
    for route in contexts:
        for method in getattr(route, "methods", None) or {"GET"}:  # a mount (the stylesheet) answers GET
            found.add((method, route.path))
    return found


@dataclass
class Walk:
    server: Server
    routes: set[tuple[str, str]] = field(default_factory=set)

    @contextmanager
    def client(self, role: str | None) -> Iterator[httpx.Client]:
        """A browser of its own, signed in as `role` (None: not signed in)."""
        with self.server.client() as client:
            if role is not None:
                assert login(client, USERS[role]).status_code == 303
            yield client


@pytest.fixture(scope="module")
def walk(tmp_path_factory) -> Walk:
    from bot.runtime import Runtime
    from config.settings import load_settings
    from triage.app import create_app

    inst = installation(tmp_path_factory.mktemp("roles"))
    for role, name in USERS.items():
        add_user(inst, name, role)
    rt = Runtime.open(load_settings(inst.config))
    try:
        routes = app_routes(create_app(rt, lambda: dt.datetime.now(dt.timezone.utc)))
    finally:
        rt.close()
    server = Server.start(inst)
    yield Walk(server, routes)
    server.stop()


def rows(inst: Installation, table: str) -> int:
    with sqlite3.connect(inst.root / "intake.db") as db:
        return int(db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])


def test_the_table_names_every_route_of_the_app(walk):
    assert walk.routes == set(ROUTES), "a route without a row in ROUTES (or a row for a route that is gone)"


def request(client: httpx.Client, method: str, call: Call, role: str | None) -> httpx.Response:
    if method == "GET":
        return client.get(call.path)
    page = client.get("/" if role is not None else "/login")
    form = dict(call.form or {})
    if call.path == "/login":
        form |= {"username": USERS[role or LAESER], "password": PASSWORD}
    return client.post(call.path, data={**form, "csrf_token": csrf(page.text)})


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonym")
@pytest.mark.parametrize("key", list(ROUTES), ids=lambda k: f"{k[0]} {k[1]}")
def test_every_route_as_every_role(walk, key, role):
    method, _ = key
    lowest, calls = ROUTES[key]
    allowed = lowest == PUBLIC or (role is not None and RANK.index(role) >= RANK.index(lowest))
    for call in calls:
        with walk.client(role) as client:
            response = request(client, method, call, role)
        where = f"{method} {call.path} as {role or 'anonym'}"
        assert response.headers["x-content-type-options"] == "nosniff", where
        assert "default-src 'none'" in response.headers["content-security-policy"], where
        if allowed:
            assert response.status_code in call.ok, f"{where}: {response.status_code}"
            if response.status_code == 303 and call.location:
                assert response.headers["location"].startswith(call.location), where
        elif role is None:
            assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), where
        else:
            assert response.status_code == 403, f"{where}: {response.status_code}"
            assert "Afvist" in response.text and "har du ikke adgang til dette" in response.text, where


def test_a_reader_can_post_no_action(walk):
    inst = walk.server.inst
    before = {t: rows(inst, t) for t in ACTION_TABLES}
    outbox = len(inst.outbox)
    with walk.client(LAESER) as client:
        for (method, route), call in ACTIONS:
            token = csrf(client.get("/").text)  # a valid token: only the role stands in the way
            response = client.post(call.path, data={**(call.form or {}), "csrf_token": token})
            assert response.status_code == 403 and "Som læser har du ikke adgang" in response.text, route
    assert {t: rows(inst, t) for t in ACTION_TABLES} == before and len(inst.outbox) == outbox
    with sqlite3.connect(inst.root / "intake.db") as db:
        done = db.execute("SELECT action FROM auditevent WHERE actor = 'lena' AND action NOT IN ('login', 'logout')").fetchall()
    assert done == []


def test_the_pages_leave_out_what_the_role_may_not_use(walk):
    def page(role: str, path: str) -> str:
        with walk.client(role) as client:
            return client.get(path).text

    reader = page(LAESER, "/applications/TFB-2025-0002")
    assert 'action="/applications/' not in reader and "<summary>Overstyr</summary>" not in reader and "Send anmodning" not in reader
    assert 'action="/logout"' in reader and 'class="role muted small">læser<' in reader
    caseworker = page(SAGSBEHANDLER, "/applications/TFB-2025-0002")
    for form in ("override", "note", "decision", "information-request", "scores"):
        assert f'action="/applications/TFB-2025-0002/{form}"' in caseworker, form
    assert "/journal.csv" not in page(SAGSBEHANDLER, "/") and "/export.xlsx" not in page(LAESER, "/")
    assert "/journal.csv" in page(ADMIN, "/") and "/export.xlsx" in page(ADMIN, "/")


def test_an_account_older_than_roles_is_a_caseworker(tmp_path):
    inst = Installation(tmp_path, write_config(tmp_path))
    inst.cli("user", "add", "gammel", stdin=PASSWORD + "\n")
    with sqlite3.connect(tmp_path / "intake.db") as db:  # as `db upgrade` leaves an account made before roles came:
        db.execute("UPDATE user SET role = NULL")  # the column added, NULL (tests/integration/test_migrations.py)
    from tests.mails import mail
    inst.deliver(mail())
    inst.cli("run", "--once", now="2025-03-21T12:00:00+01:00")
    srv = Server.start(inst)
    try:
        with srv.client() as client:
            assert login(client, "gammel").status_code == 303
            token = csrf(client.get("/").text)
            assert client.post("/applications/TFB-2025-0001/note", data={"note": "fra før roller", "csrf_token": token}).status_code == 303
            assert client.get("/rounds/boern-unge-2025/journal.csv").status_code == 403
    finally:
        srv.stop()
    assert rows(inst, "note") == 1


def test_a_new_role_applies_to_the_open_session(walk):
    inst = walk.server.inst
    add_user(inst, "rita", LAESER)
    with walk.server.client() as client:
        assert login(client, "rita").status_code == 303
        note = {"note": "rolle skiftet"}
        assert client.post("/applications/TFB-2025-0001/note", data={**note, "csrf_token": csrf(client.get("/").text)}).status_code == 403
        assert "brugeren rita er nu sagsbehandler" in inst.cli("user", "role", "rita", SAGSBEHANDLER).stderr
        assert client.post("/applications/TFB-2025-0001/note", data={**note, "csrf_token": csrf(client.get("/").text)}).status_code == 303
        inst.cli("user", "role", "rita", LAESER)
        assert client.post("/applications/TFB-2025-0001/note", data={**note, "csrf_token": csrf(client.get("/").text)}).status_code == 403
    unknown = inst.cli("user", "role", "rita", "chef", check=False)
    assert unknown.returncode != 0 and "chef" in unknown.stderr
    assert inst.cli("user", "role", "ingen", ADMIN, check=False).returncode == 1


def test_a_user_named_by_the_proxy_is_a_reader_until_given_a_role(tmp_path):
    # no trusted_user_role: the default, laeser; plain HTTP here, so the cookie is not Secure
    inst = installation(tmp_path, '[web]\ntrusted_user_header = "X-Forwarded-User"\ntrusted_proxies = ["127.0.0.1"]\nsecure_cookies = false\n')
    srv = Server.start(inst)
    try:
        with srv.client(headers={"X-Forwarded-User": "sso.bruger"}) as client:
            def note() -> int:
                return client.post("/applications/TFB-2025-0001/note", data={"note": "via SSO", "csrf_token": csrf(client.get("/").text)}).status_code

            assert note() == 403
            inst.cli("user", "role", "sso.bruger", SAGSBEHANDLER)
            assert note() == 303
            inst.cli("user", "disable", "sso.bruger")  # the proxy vouches for who; a closed account still closes
            assert client.get("/").status_code == 303
    finally:
        srv.stop()
    with sqlite3.connect(tmp_path / "intake.db") as db:
        assert db.execute("SELECT role, active FROM user WHERE username = 'sso.bruger'").fetchall() == [(SAGSBEHANDLER, 0)]
        assert db.execute("SELECT by FROM note").fetchall() == [("sso.bruger",)]


def test_a_route_without_a_level_stops_the_app():
    from fastapi import APIRouter

    from triage.access import READ, check_routes

    router = APIRouter()
    router.add_api_route("/glemt", lambda: None)
    router.add_api_route("/husket", lambda: None, dependencies=READ)
    app = FastAPI()
    app.include_router(router)
    with pytest.raises(RuntimeError, match="/glemt"):
        check_routes(app.routes)


def test_the_proxy_role_setting_is_checked(tmp_path):
    from config.settings import ConfigError, Role, load_settings

    assert load_settings(write_config(tmp_path)).web.trusted_user_role == Role.LAESER
    with pytest.raises(ConfigError, match=r"\[web\] trusted_user_role = 'chef': skal være en af laeser, sagsbehandler, admin"):
        load_settings(write_config(tmp_path, extra='[web]\ntrusted_user_role = "chef"\n'))
