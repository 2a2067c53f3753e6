"""`taskforce-intake config check` against the real servers: Dovecot, aiosmtpd, PostgreSQL, and a local
stand-in for Entra ID's token endpoint (HTTPS, reached through the `authority` setting).  Each failure
is one sentence naming the server or account and the cause; the exit code is 1.  The check changes
nothing: the done folder is not created, no mail is sent."""
from __future__ import annotations

import http.server
import json
import sqlite3
import ssl
import threading
import urllib.parse
from pathlib import Path

import pytest

from sqlalchemy import create_engine

from storage.schema import current
from tests.conftest import Installation
from tests.integration.conftest import imap_config
from tests.servers import PASSWORD, TOKEN, USER, Dovecot, Smtp, TokenInfo, free_port, self_signed, start_dovecot

pytestmark = pytest.mark.integration
HEAD = current(create_engine("sqlite://")).head  # the newest schema revision this program knows
TENANT, CLIENT, CLIENT_SECRET = "test-tenant", "test-client", "rigtig-klienthemmelighed"


def _installation(root: Path, dovecot: Dovecot, smtp: Smtp, password: str | None = None, **extra: str) -> Installation:
    """imap_config with the IMAP password left out of the TOML (None) or replaced."""
    config = imap_config(root, dovecot, smtp, **extra)
    text = config.read_text(encoding="utf-8").replace(f'password = "{PASSWORD}"\n', "" if password is None else f'password = "{password}"\n')
    config.write_text(text, encoding="utf-8")
    return Installation(root, config)


def _secret_file(root: Path, name: str, value: str) -> str:
    path = root / name
    path.write_text(value + "\n", encoding="utf-8")
    return str(path)


def _lines(result) -> dict[str, str]:
    """check name -> its line; every line is "✓|✗|! name: sentence"."""
    lines = result.stdout.strip().splitlines()
    assert all(line[:2] in ("✓ ", "✗ ", "! ") for line in lines), result.stdout + result.stderr
    return {line[2:].split(":", 1)[0]: line for line in lines}


def test_a_correct_config_passes_every_check_and_changes_nothing(tmp_path, dovecot, smtp, monkeypatch):
    installation = _installation(tmp_path, dovecot, smtp)  # the password only from a Docker-style secret file
    monkeypatch.setenv("TASKFORCE_INTAKE_IMAP_PASSWORD_FILE", _secret_file(tmp_path, "imap-password", PASSWORD))
    result = installation.cli("config", "check", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = _lines(result)
    assert set(lines) >= {"konfiguration", "database", "IMAP", "SMTP", "filer", "tesseract"}
    assert not [line for line in lines.values() if line.startswith("✗")]
    assert lines["IMAP"] == (f"✓ IMAP: login som {USER} på 127.0.0.1:{dovecot.port} (none, password) lykkedes; mappen 'INBOX' har 0 mails; "
                             "færdigmappen 'Ansøgninger/Behandlet' findes ikke endnu og oprettes ved første behandlede mail")
    assert lines["SMTP"].startswith(f"✓ SMTP: SMTP-serveren 127.0.0.1:{smtp.port} svarer")
    with dovecot.client() as client:
        assert not client.folder_exists("Ansøgninger.Behandlet")
    assert smtp.sink.received == []
    assert not (tmp_path / "intake.db").exists()


def test_a_wrong_imap_password_is_named(tmp_path, dovecot, smtp):
    result = _installation(tmp_path, dovecot, smtp, password="forkert").cli("config", "check", check=False)
    assert result.returncode == 1
    lines = _lines(result)
    assert lines["IMAP"] == (f"✗ IMAP: IMAP-login afvist for {USER} på 127.0.0.1:{dovecot.port}: forkert adgangskode, "
                             "eller appen har ikke fået adgang til postkassen")
    assert lines["SMTP"].startswith("✓") and lines["database"].startswith("✓")
    assert "Traceback" not in result.stderr


def test_a_missing_imap_folder_is_named(tmp_path, dovecot, smtp):
    result = _installation(tmp_path, dovecot, smtp, password=PASSWORD, mailbox_extra='folder = "Ansøgninger 2025"').cli(
        "config", "check", check=False)
    assert result.returncode == 1
    assert _lines(result)["IMAP"] == (f"✗ IMAP: IMAP-mappen 'Ansøgninger 2025' findes ikke i postkassen {USER} på 127.0.0.1:{dovecot.port}: "
                                      "kontrollér [mailbox] folder")


def test_an_smtp_server_that_does_not_listen_is_named(tmp_path, dovecot, smtp):
    installation = _installation(tmp_path, dovecot, smtp, password=PASSWORD)
    port = free_port()
    installation.config.write_text(installation.config.read_text(encoding="utf-8").replace(f"port = {smtp.port}", f"port = {port}"),
                                   encoding="utf-8")
    result = installation.cli("config", "check", check=False)
    assert result.returncode == 1
    assert _lines(result)["SMTP"] == (f"✗ SMTP: SMTP-serveren 127.0.0.1:{port} svarer ikke (forbindelsen blev afvist): "
                                      "kontrollér [delivery] host og port og om en firewall blokerer")


def _smtp_answering_logins(cert: tuple[Path, Path]) -> Smtp:
    """aiosmtpd with STARTTLS and AUTH that answers a refused login with 535, as a real server does
    (tests/servers.py's authenticator leaves a refused PLAIN/LOGIN unanswered: AuthResult's handled=True)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    from tests.servers import SmtpSink

    sink = SmtpSink()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == (USER, PASSWORD)
        sink.logins.append((mechanism, auth_data.login.decode() if isinstance(auth_data, LoginPassword) else ""))
        return AuthResult(success=ok, handled=False)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert[0]), str(cert[1]))
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, server_hostname="localhost", authenticator=authenticator,
                            auth_required=True, auth_require_tls=True, tls_context=context, require_starttls=True)
    controller.start()
    return Smtp(controller, sink, port, cert[0])


@pytest.mark.parametrize("password, expected", [(PASSWORD, "✓ SMTP:"), ("forkert", "✗ SMTP: SMTP-login afvist for")])
def test_smtp_starttls_and_login_with_the_password_from_the_environment(tmp_path, dovecot, monkeypatch, password, expected):
    cert = self_signed(tmp_path)
    smtp = _smtp_answering_logins(cert)
    try:
        installation = _installation(tmp_path, dovecot, smtp, password=PASSWORD, smtp_tls="starttls",
                                     delivery_extra=f'ca_file = "{cert[0]}"\nusername = "{USER}"')
        monkeypatch.setenv("TASKFORCE_INTAKE_SMTP_PASSWORD", password)
        result = installation.cli("config", "check", check=False)
        line = _lines(result)["SMTP"]
        assert line.startswith(expected) and result.returncode == (0 if password == PASSWORD else 1), result.stdout
        if password == PASSWORD:
            assert line == f"✓ SMTP: SMTP-serveren 127.0.0.1:{smtp.port} svarer (starttls); login som {USER} lykkedes; der er ikke sendt nogen mail"
            assert smtp.sink.logins == [("PLAIN", USER)]
        else:
            assert f"127.0.0.1:{smtp.port}: forkert brugernavn eller adgangskode" in line
        assert smtp.sink.received == []
    finally:
        smtp.stop()


def test_a_database_on_a_closed_port_is_named(tmp_path, dovecot, smtp):
    installation = _installation(tmp_path, dovecot, smtp, password=PASSWORD)
    port = free_port()
    text = installation.config.read_text(encoding="utf-8").replace(f'url = "sqlite:///{tmp_path}/intake.db"',
                                                                    f'url = "postgresql+psycopg://intake@127.0.0.1:{port}/intake"')
    installation.config.write_text(text, encoding="utf-8")
    result = installation.cli("config", "check", check=False)
    assert result.returncode == 1
    assert _lines(result)["database"].startswith(
        f"✗ database: Databasen på 127.0.0.1:{port} kan ikke nås: kontrollér [storage] url (vært og port), og at PostgreSQL kører")


def test_postgresql_reached_with_the_password_from_a_file_and_a_missing_database_named(tmp_path, dovecot, smtp, postgres_server, monkeypatch):
    installation = _installation(tmp_path, dovecot, smtp, password=PASSWORD)
    text = installation.config.read_text(encoding="utf-8")
    monkeypatch.setenv("TASKFORCE_INTAKE_DATABASE_PASSWORD_FILE", _secret_file(tmp_path, "db-password", "p@ss:w/rd%#?"))
    server = postgres_server.removeprefix("postgresql+psycopg://intake@")
    installation.config.write_text(text.replace(f'url = "sqlite:///{tmp_path}/intake.db"', f'url = "{postgres_server}/postgres"'), encoding="utf-8")
    result = installation.cli("config", "check", check=False)
    assert result.returncode == 0, result.stdout
    assert _lines(result)["database"] == (f"✓ database: Databasen postgres på {server} (bruger intake) svarer; skemaet: ingen tabeller "
                                          "(tom database); den oprettes i version " + HEAD + " ved første start eller med `taskforce-intake db upgrade`")
    installation.config.write_text(text.replace(f'url = "sqlite:///{tmp_path}/intake.db"', f'url = "{postgres_server}/findes_ikke"'),
                                   encoding="utf-8")
    result = installation.cli("config", "check", check=False)
    assert result.returncode == 1
    assert _lines(result)["database"] == (f"✗ database: Databasen findes_ikke findes ikke på {server}: opret den (createdb findes_ikke), "
                                          "eller ret [storage] url")


def test_a_maildir_installation_and_its_schema_state(installation):
    """The embedded kinds: Maildir folders and an existing SQLite file, whose schema state is reported."""
    installation.cli("queue", "--json")  # the first start creates the database at the newest revision
    result = installation.cli("config", "check", check=False)
    assert result.returncode == 0, result.stdout  # the service makes missing Maildirs on its first pass
    lines = _lines(result)
    assert lines["maildir-indbakke"] == (f"✓ maildir-indbakke: Maildir-indbakken {installation.root}/inbox findes ikke endnu; "
                                         "den oprettes ved første kørsel")
    assert lines["database"] == (f"✓ database: SQLite-databasen {installation.root}/intake.db svarer; skemaet: version {HEAD}, den nyeste; "
                                 "databasen er klar")
    (installation.root / "inbox").write_text("en fil, hvor indbakken skulle være", encoding="utf-8")
    result = installation.cli("config", "check", check=False)
    assert result.returncode == 1
    assert _lines(result)["maildir-indbakke"] == (
        f"✗ maildir-indbakke: Maildir-indbakken {installation.root}/inbox findes ikke og kan ikke oprettes: {installation.root}/inbox "
        "er ikke en skrivbar mappe; opret mappen, eller ret [mailbox] path")
    (installation.root / "inbox").unlink()
    for folder in ("inbox", "outbox"):
        (installation.root / folder).mkdir()
    result = installation.cli("config", "check", check=False)
    assert result.returncode == 0, result.stdout
    assert _lines(result)["maildir-udbakke"] == f"✓ maildir-udbakke: Maildir-udbakken {installation.root}/outbox findes og er skrivbar"
    with sqlite3.connect(installation.root / "intake.db") as conn:  # as if a newer taskforce-intake had upgraded it
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    result = installation.cli("config", "check", check=False)
    assert result.returncode == 1
    assert _lines(result)["database"].startswith(
        f"✗ database: Databasen sqlite:///{installation.root}/intake.db er lavet af en nyere taskforce-intake (version 9999;")


def test_a_config_error_is_one_line_naming_the_variable(tmp_path, dovecot, smtp, monkeypatch):
    monkeypatch.setenv("TASKFORCE_INTAKE__WEB__PORT", "otte-tusind")
    result = _installation(tmp_path, dovecot, smtp, password=PASSWORD).cli("config", "check", check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stdout.strip() == (f"✗ konfiguration: Konfigurationen kan ikke bruges: {tmp_path}/intake.toml: [web] port "
                                     "(fra miljøvariablen TASKFORCE_INTAKE__WEB__PORT) skal være et helt tal, ikke 'otte-tusind'")


class EntraStandIn:
    """Entra ID's OpenID configuration and token endpoint for one tenant, over HTTPS with the tests'
    certificate: CLIENT_SECRET gets TOKEN, any other secret 401 invalid_client, as Entra answers it."""

    def __init__(self, cert: Path, key: Path) -> None:
        base: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802 - http.server's hook name
                if self.path != f"/{TENANT}/v2.0/.well-known/openid-configuration":
                    return self._answer(404, {"error": "not_found"})
                root = f"{base[0]}/{TENANT}"
                self._answer(200, {"issuer": f"{root}/v2.0", "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                                   "token_endpoint": f"{root}/oauth2/v2.0/token"})

            def do_POST(self):  # noqa: N802
                form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                if form.get("client_secret") == [CLIENT_SECRET] and form.get("client_id") == [CLIENT]:
                    return self._answer(200, {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600})
                self._answer(401, {"error": "invalid_client", "error_description":
                                   "AADSTS7000215: Invalid client secret provided. Trace ID: 1 Correlation ID: 2"})

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert), str(key))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.authority = f"https://127.0.0.1:{self.server.server_address[1]}"
        base.append(self.authority)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("secret", [CLIENT_SECRET, "udløbet-hemmelighed"])
def test_xoauth2_token_endpoint_and_imap_login(tmp_path, smtp, monkeypatch, secret):
    info = TokenInfo()
    dovecot = start_dovecot(tls=True, tokeninfo_url=info.url)
    assert dovecot.cert is not None
    entra = EntraStandIn(dovecot.cert, dovecot.cert.parent / "key.pem")
    try:
        installation = _installation(tmp_path, dovecot, smtp, imap_tls="starttls", mailbox_extra=(
            f'auth = "xoauth2"\ntenant_id = "{TENANT}"\nclient_id = "{CLIENT}"\nauthority = "{entra.authority}"\nca_file = "{dovecot.cert}"'))
        monkeypatch.setenv("TASKFORCE_INTAKE_IMAP_CLIENT_SECRET_FILE", _secret_file(tmp_path, "client-secret", secret))
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(dovecot.cert))  # how an operator trusts a private CA for HTTPS (requests)
        result = installation.cli("config", "check", check=False)
        lines = _lines(result)
        if secret == CLIENT_SECRET:
            assert result.returncode == 0, result.stdout
            assert lines["OAuth (IMAP)"] == (f"✓ OAuth (IMAP): Entra ID gav app'en {CLIENT} i tenant {TENANT} et token til "
                                             "https://outlook.office365.com/.default")
            assert lines["IMAP"].startswith(f"✓ IMAP: login som {USER} på 127.0.0.1:{dovecot.port} (starttls, xoauth2) lykkedes")
            assert "method=XOAUTH2" in (dovecot.root / "dovecot.log").read_text()
        else:
            assert result.returncode == 1
            assert lines["OAuth (IMAP)"] == (
                f"✗ OAuth (IMAP): Entra ID afviste app'en {CLIENT} i tenant {TENANT}: klienthemmeligheden er forkert eller udløbet "
                "([mailbox] client_secret eller TASKFORCE_INTAKE_IMAP_CLIENT_SECRET) (invalid_client: AADSTS7000215: Invalid client secret provided.)")
            assert lines["IMAP"] == (f"✗ IMAP: IMAP-login for {USER} på 127.0.0.1:{dovecot.port} er ikke prøvet: "
                                     "Entra ID gav intet token (se OAuth-linjen)")
    finally:
        entra.stop()
        dovecot.stop()
        info.stop()


def test_an_unreachable_token_endpoint_is_named(tmp_path, dovecot, smtp):
    port = free_port()
    installation = _installation(tmp_path, dovecot, smtp, mailbox_extra=(
        f'auth = "xoauth2"\ntenant_id = "{TENANT}"\nclient_id = "{CLIENT}"\nclient_secret = "x"\nauthority = "https://127.0.0.1:{port}"'))
    result = installation.cli("config", "check", check=False)
    assert result.returncode == 1
    assert _lines(result)["OAuth (IMAP)"].startswith(
        f"✗ OAuth (IMAP): Entra ID's token-tjeneste https://127.0.0.1:{port} kan ikke nås (")
