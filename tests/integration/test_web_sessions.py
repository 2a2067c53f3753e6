"""Server-side sessions and shared login throttling, against the real `serve`: the cookie is only a
random id (the database keeps its sha256); logout, `user passwd` and `user disable` end a session at
once, also a copy of its cookie elsewhere; an expired session is refused; two `serve` processes on one
database share the sessions and the count of failed logins (SQLite, and PostgreSQL from tests/pg.py)."""
from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing

import httpx
import pytest

from tests.conftest import Installation, write_config
from tests.web import PASSWORD, USER, Server, csrf, installation, login

COOKIE = "taskforce_session"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server.start(installation(tmp_path_factory.mktemp("sessions")))
    yield srv
    srv.stop()


def db(server: Server) -> sqlite3.Connection:
    return sqlite3.connect(server.inst.root / "intake.db")


def signed_in(server: Server, user: str = USER, password: str = PASSWORD) -> tuple[httpx.Client, str]:
    client = server.client()
    assert login(client, user, password).status_code == 303
    return client, client.cookies[COOKIE]


def with_cookie(server: Server, cookie: str) -> httpx.Client:
    """Another browser holding a copy of the cookie."""
    return server.client(cookies={COOKIE: cookie})


def refused(client: httpx.Client) -> bool:
    """The queue sends this client to the login page, and the login page is what it gets there."""
    response = client.get("/")
    if response.status_code != 303 or not response.headers["location"].startswith("/login?next="):
        return False
    page = client.get(response.headers["location"])
    return page.status_code == 200 and 'name="password"' in page.text


def test_the_cookie_is_a_random_id_and_only_its_hash_is_stored(server):
    client, cookie = signed_in(server)
    with closing(client):
        assert client.get("/").status_code == 200
    with db(server) as conn:
        stored = conn.execute("SELECT id_hash, csrf_nonce FROM websession").fetchall()
        row = conn.execute("SELECT u.username, s.expires_at > s.created_at FROM websession s JOIN user u ON u.id = s.user_id "
                           "WHERE s.id_hash = ?", (hashlib.sha256(cookie.encode()).hexdigest(),)).fetchall()
    assert row == [(USER, 1)]
    assert all(cookie not in (h, n) for h, n in stored)
    assert len(cookie) >= 43 and "." not in cookie  # 256 random bits, not a signed payload


def test_after_logout_the_old_cookie_gets_the_login_page(server):
    client, cookie = signed_in(server)
    with closing(client):
        token = csrf(client.get("/").text)
        response = client.post("/logout", data={"csrf_token": token})
        assert response.status_code == 303 and response.headers["location"] == "/login"
        assert refused(client)
    with with_cookie(server, cookie) as copy:  # a copy taken before the logout opens nothing now
        assert refused(copy)
        response = copy.post("/applications/TFB-2025-0001/note", data={"note": "efter logud", "csrf_token": token})
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    with db(server) as conn:
        assert conn.execute("SELECT count(*) FROM websession WHERE id_hash = ?", (hashlib.sha256(cookie.encode()).hexdigest(),)).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM note WHERE text = 'efter logud'").fetchone() == (0,)


def test_a_new_password_ends_every_session_of_the_account(server):
    server.inst.cli("user", "add", "pia", stdin=PASSWORD + "\n")
    first, cookie = signed_in(server, "pia")
    second, _ = signed_in(server, "pia")
    with closing(first), closing(second), with_cookie(server, cookie) as copy:
        assert all(c.get("/").status_code == 200 for c in (first, second, copy))
        result = server.inst.cli("user", "passwd", "pia", stdin="et-helt-nyt-kodeord\n")
        assert "2 session(er) er afsluttet" in result.stderr
        assert refused(first) and refused(second) and refused(copy)
        assert login(first, "pia").status_code == 401
        assert login(first, "pia", "et-helt-nyt-kodeord").status_code == 303 and first.get("/").status_code == 200


def test_a_closed_account_is_refused_at_once(server):
    server.inst.cli("user", "add", "ole", stdin=PASSWORD + "\n")
    client, cookie = signed_in(server, "ole")
    with closing(client), with_cookie(server, cookie) as copy:
        assert copy.get("/").status_code == 200
        assert "1 session(er) er afsluttet" in server.inst.cli("user", "disable", "ole").stderr
        assert refused(client) and refused(copy)
        server.inst.cli("user", "enable", "ole")
        assert refused(copy)  # opening the account again does not bring the session back


def test_an_expired_session_is_refused_and_removed(server):
    client, cookie = signed_in(server)
    digest = hashlib.sha256(cookie.encode()).hexdigest()
    with closing(client):
        with db(server) as conn:
            conn.execute("UPDATE websession SET expires_at = '2000-01-01 00:00:00' WHERE id_hash = ?", (digest,))
        assert refused(client)
    with db(server) as conn:
        assert conn.execute("SELECT count(*) FROM websession WHERE id_hash = ?", (digest,)).fetchone() == (0,)


def test_a_login_gives_a_new_session_id(server):
    with server.client() as client:
        login(client)
        before = client.cookies[COOKIE]
        token = csrf(client.get("/").text)
        assert client.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": token}).status_code == 303
        assert client.cookies[COOKIE] != before
    with with_cookie(server, before) as old:
        assert refused(old)


def two_servers(inst: Installation) -> tuple[Server, Server]:
    first = Server.start(inst)
    try:
        return first, Server.start(inst)
    except BaseException:
        first.stop()
        raise


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_two_processes_share_sessions_and_the_login_throttle(tmp_path, request, database):
    inst = request.getfixturevalue("pg_installation") if database == "postgresql" else Installation(tmp_path, write_config(tmp_path))
    inst.cli("user", "add", USER, stdin=PASSWORD + "\n")
    a, b = two_servers(inst)
    try:
        # a session made by one process is the other's too, and a logout on one ends it on both
        with a.client() as on_a:
            assert login(on_a, USER).status_code == 303
            cookie = on_a.cookies[COOKIE]
            with b.client(cookies={COOKIE: cookie}) as on_b:
                assert on_b.get("/").status_code == 200
                assert on_b.post("/logout", data={"csrf_token": csrf(on_b.get("/").text)}).status_code == 303
            assert refused(on_a)
        # five failed logins, spread over the two processes, block the sixth on either
        with a.client() as on_a, b.client() as on_b:
            statuses = [login(c, USER, f"forkert-{i}").status_code for i, c in enumerate([on_a, on_b, on_a, on_b, on_a])]
            assert statuses == [401] * 5
            for client in (on_b, on_a):
                blocked = login(client)  # even the right password, for a while
                assert blocked.status_code == 429 and "For mange forkerte forsøg" in blocked.text
    finally:
        a.stop()
        b.stop()
