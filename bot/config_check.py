"""`taskforce-intake config check`: the settings loaded and every connection they name tried, each
answered in one Danish sentence that names the server, account or key and the likely cause.

Nothing is changed and nothing is sent: the IMAP folders are looked at, not created; SMTP goes as far
as EHLO and AUTH, never MAIL FROM; a SQLite file that does not exist yet is not created.  Each check
gives up after at most `CHECK_SECONDS` (or the connection's own, shorter `timeout`)."""
from __future__ import annotations

import contextlib
import imaplib
import os
import smtplib
import socket
import ssl
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.settings import ConfigError, DeliverySettings, MailboxSettings, OAuthSettings, Settings, load_settings

CHECK_SECONDS = 5.0


@dataclass(frozen=True)
class CheckResult:
    """One check: `sentence` says what was found, or what is wrong and what to do.  A failed `warning`
    (Tesseract) is reported without failing the whole check."""

    name: str
    ok: bool
    sentence: str
    warning: bool = False

    @property
    def failed(self) -> bool:
        return not self.ok and not self.warning

    def line(self) -> str:
        return f"{'✓' if self.ok else '!' if self.warning else '✗'} {self.name}: {self.sentence}"


def run_checks(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> list[CheckResult]:
    """The settings as `load_settings` reads them (file, environment), then each connection."""
    try:
        settings = load_settings(path, env)
    except ConfigError as exc:
        return [CheckResult("konfiguration", False, f"Konfigurationen kan ikke bruges: {exc}")]
    except OSError as exc:  # the file is there but cannot be read (a missing one is a ConfigError)
        return [CheckResult("konfiguration", False, f"Konfigurationsfilen {exc.filename} kan ikke læses ({exc.strerror}): "
                            "kontrollér filens rettigheder")]
    return [CheckResult("konfiguration", True, f"Konfigurationen ({settings.source}) er gyldig"), *check_settings(settings)]


def check_settings(settings: Settings) -> list[CheckResult]:
    """Every check at once (threads), so unreachable servers cost one timeout, not one each; in a fixed order."""
    mailbox, delivery = settings.mailbox, settings.delivery
    jobs: list[Callable[[], list[CheckResult]]] = [lambda: [check_database(settings.database_url)]]
    if mailbox.kind == "imap":
        jobs.append(lambda: _with_token(mailbox, "OAuth (IMAP)", "[mailbox]", "TASKFORCE_INTAKE_IMAP_CLIENT_SECRET", check_imap))
    else:
        jobs.append(lambda: [check_maildir("indbakke", mailbox.path, "[mailbox] path")])
    if delivery.kind == "smtp":
        jobs.append(lambda: _with_token(delivery, "OAuth (SMTP)", "[delivery]", "TASKFORCE_INTAKE_SMTP_CLIENT_SECRET", check_smtp))
    else:
        jobs.append(lambda: [check_maildir("udbakke", delivery.path, "[delivery] path")])
    jobs += [lambda: [check_files(settings.files)], lambda: [check_tesseract()]]
    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="config-check") as pool:
        return [result for results in pool.map(lambda job: job(), jobs) for result in results]


def _with_token(s: Any, name: str, section: str, variable: str, check: Callable[[Any, str | None], CheckResult]) -> list[CheckResult]:
    """The login check, after the OAuth token check when `auth = "xoauth2"` (the login needs its token)."""
    if s.auth != "xoauth2":
        return [check(s, None)]
    result, token = check_token(name, s.oauth, section, variable, s.timeout)
    return [result, check(s, token)]


def _seconds(configured: float) -> float:
    return max(1.0, min(float(configured), CHECK_SECONDS))


def _first_line(exc: object) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__


def _network(what: str, at: str, section: str, exc: BaseException, seconds: float) -> str:
    """One sentence for a server that could not be reached or spoken to securely."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (f"{what} {at} har et certifikat, der ikke kan godkendes ({exc.verify_message}): kontrollér {section} host, "
                "eller angiv ca_file for en privat CA")
    if isinstance(exc, ssl.SSLError):
        return (f"{what} {at} kunne ikke tale TLS med os ({exc.reason or _first_line(exc)}): kontrollér {section} tls "
                "(\"ssl\" til port 993/465, \"starttls\" til 143/587) og port")
    if isinstance(exc, ConnectionRefusedError):
        reason = "forbindelsen blev afvist"
    elif isinstance(exc, (TimeoutError, socket.timeout)):
        reason = f"intet svar inden for {seconds:.0f} sekunder"
    elif isinstance(exc, socket.gaierror):
        return f"{what} {at} findes ikke (navnet kan ikke slås op: {exc.strerror}): kontrollér {section} host"
    elif isinstance(exc, (smtplib.SMTPServerDisconnected, imaplib.IMAP4.abort, EOFError, ConnectionResetError)):
        return (f"{what} {at} lukkede forbindelsen ({_first_line(exc)}): kontrollér {section} tls og port "
                "(TLS mod en port uden TLS, eller omvendt)")
    else:
        reason = getattr(exc, "strerror", None) or _first_line(exc)
    return f"{what} {at} svarer ikke ({reason}): kontrollér {section} host og port og om en firewall blokerer"


# -- database ---------------------------------------------------------------------------------------

def check_database(url: str) -> CheckResult:
    """Connect, SELECT 1 and the schema's state (storage/schema.py); a SQLite file that is not there
    yet is not created."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database) if parsed.database and parsed.database != ":memory:" else None
        if path is None:
            return CheckResult("database", True, "SQLite i hukommelsen: intet gemmes ud over processen")
        if not path.exists():
            return _sqlite_to_come(path)
        where, at = f"SQLite-databasen {path}", str(parsed.database)  # it exists: opening it creates nothing
    else:
        at = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
        where = f"Databasen {parsed.database} på {at}" + (f" (bruger {parsed.username})" if parsed.username else "")
    try:
        engine = _engine(parsed)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return _schema_state(engine, where)
        finally:
            engine.dispose()
    except Exception as exc:  # noqa: BLE001 - every failure becomes the operator's sentence
        return CheckResult("database", False, _database_failure(exc, at, parsed.username or "", parsed.database or ""))


def _engine(url: Any) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    args = {"connect_timeout": int(CHECK_SECONDS)} if url.get_backend_name() == "postgresql" else {"timeout": CHECK_SECONDS}
    return create_engine(url, poolclass=NullPool, connect_args=args)


def _schema_state(engine: Any, where: str) -> CheckResult:
    """Fine when the service can start on it: at the newest revision, or empty (created on the first start)."""
    from storage.schema import SchemaError, SchemaState, current

    try:
        schema = current(engine)
    except SchemaError as exc:
        return CheckResult("database", False, str(exc))
    if schema.state in (SchemaState.HEAD, SchemaState.EMPTY):
        return CheckResult("database", True, f"{where} svarer; skemaet: {schema.describe()}")
    return CheckResult("database", False, schema.refusal())


def _database_failure(exc: Exception, at: str, user: str, database: str) -> str:
    from sqlalchemy.exc import NoSuchModuleError

    if isinstance(exc, (NoSuchModuleError, ModuleNotFoundError)):
        return f"Databasedriveren til [storage] url mangler ({_first_line(exc)}): installér taskforce-intake[postgres]"
    text = _first_line(getattr(exc, "orig", None) or exc)
    lower = str(getattr(exc, "orig", None) or exc).lower()
    if "password authentication failed" in lower:
        return (f"Databasen på {at} afviste login for brugeren {user}: forkert adgangskode "
                f"(TASKFORCE_INTAKE_DATABASE_PASSWORD eller [storage] url) ({text})")
    if "no password supplied" in lower:
        return f"Databasen på {at} kræver en adgangskode for brugeren {user}: sæt TASKFORCE_INTAKE_DATABASE_PASSWORD eller _FILE"
    if f'database "{database.lower()}" does not exist' in lower:
        return f"Databasen {database} findes ikke på {at}: opret den (createdb {database}), eller ret [storage] url"
    if f'role "{user.lower()}" does not exist' in lower:
        return f"Brugeren {user} findes ikke i databasen på {at}: opret den, eller ret brugeren i [storage] url"
    if at == database:  # SQLite: the file is there but cannot be used
        return f"SQLite-databasen {at} kan ikke bruges ({text}): kontrollér filen, dens rettigheder og [storage] url"
    return (f"Databasen på {at} kan ikke nås: kontrollér [storage] url (vært og port), og at PostgreSQL kører "
            f"og tager imod forbindelser herfra ({text})")


def _sqlite_to_come(path: Path) -> CheckResult:
    folder = _existing_parent(path)
    if not _writable(folder):
        return CheckResult("database", False, f"SQLite-databasen {path} kan ikke oprettes: mappen {folder} er ikke skrivbar; ret [storage] url")
    return CheckResult("database", True, f"SQLite-databasen {path} findes ikke endnu; den oprettes ved første start")


# -- folders and programs ---------------------------------------------------------------------------

def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _writable(folder: Path) -> bool:
    """A file can really be made there (also a read-only mount, also as root); it is removed at once."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def check_maildir(what: str, path: Path | None, key: str) -> CheckResult:
    name = f"Maildir-{what}"
    if path is None:
        return CheckResult(name.lower(), False, f"{name} mangler: sæt {key}")
    if not path.is_dir():
        folder = _existing_parent(path)
        if folder.is_dir() and _writable(folder):  # the service makes it (tmp/new/cur) on its first pass
            return CheckResult(name.lower(), True, f"{name}n {path} findes ikke endnu; den oprettes ved første kørsel")
        return CheckResult(name.lower(), False, f"{name}n {path} findes ikke og kan ikke oprettes: {folder} er ikke en skrivbar mappe; "
                           f"opret mappen, eller ret {key}")
    if not all(_writable(folder) for folder in (path, *(path / sub for sub in ("tmp", "new", "cur") if (path / sub).is_dir()))):
        return CheckResult(name.lower(), False, f"{name}n {path} er ikke skrivbar for brugeren {_user()}: ret rettighederne, eller ret {key}")
    return CheckResult(name.lower(), True, f"{name}n {path} findes og er skrivbar")


def check_files(files: Path) -> CheckResult:
    if files.is_dir():
        if _writable(files):
            return CheckResult("filer", True, f"Fillageret {files} er skrivbart")
        return CheckResult("filer", False, f"Fillageret {files} er ikke skrivbart for brugeren {_user()}: ret rettighederne, eller ret [storage] files")
    folder = _existing_parent(files)
    if folder.is_dir() and _writable(folder):
        return CheckResult("filer", True, f"Fillageret {files} findes ikke endnu; det oprettes ved første gemte fil")
    return CheckResult("filer", False, f"Fillageret {files} kan ikke oprettes: {folder} er ikke en skrivbar mappe; ret [storage] files")


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def check_tesseract() -> CheckResult:
    """Only a warning: without Tesseract a scanned application is `review`, not lost."""
    from bot.engines import TesseractEngine

    engine = TesseractEngine()
    program = engine.command()[0]
    try:
        done = subprocess.run([program, "--list-langs"], capture_output=True, text=True, timeout=CHECK_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return CheckResult("tesseract", False, f"Tesseract ({program}) findes ikke: scannede dokumenter kan ikke læses "
                           "(installér tesseract-ocr og tesseract-ocr-dan)", warning=True)
    if engine.lang not in done.stdout.split():
        return CheckResult("tesseract", False, "Tesseract mangler den danske sprogmodel: scannede dokumenter læses dårligt "
                           "(installér tesseract-ocr-dan)", warning=True)
    return CheckResult("tesseract", True, "Tesseract med dansk sprogmodel er installeret")


# -- OAuth, IMAP, SMTP ------------------------------------------------------------------------------

def check_token(name: str, oauth: OAuthSettings, section: str, variable: str, timeout: int) -> tuple[CheckResult, str | None]:
    """An access token from Entra ID (client-credentials flow, msal), and the token for the login check."""
    import requests

    from bot.mailboxes.auth import entra_app

    app_name = f"app'en {oauth.client_id} i tenant {oauth.tenant_id}"
    try:
        app = entra_app(oauth, timeout=_seconds(timeout))  # the service's own (bot/mailboxes/auth.py)
        result = app.acquire_token_for_client(scopes=[oauth.scope])
    except requests.RequestException as exc:
        return CheckResult(name, False, f"Entra ID's token-tjeneste {oauth.authority} kan ikke nås ({_first_line(exc)}): "
                           f"kontrollér {section} authority, netværket og en evt. proxy"), None
    except ValueError as exc:  # msal: the authority answered no OpenID configuration for the tenant
        return CheckResult(name, False, f"Entra ID på {oauth.authority} kender ikke tenant {oauth.tenant_id} ({_first_line(exc)}): "
                           f"kontrollér {section} tenant_id og authority"), None
    if "access_token" in result:
        return CheckResult(name, True, f"Entra ID gav {app_name} et token til {oauth.scope}"), str(result["access_token"])
    error, detail = str(result.get("error", "")), _first_line(result.get("error_description") or "").split(" Trace ID")[0]
    causes = {
        "invalid_client": f"klienthemmeligheden er forkert eller udløbet ({section} client_secret eller {variable})",
        "unauthorized_client": f"app'en findes ikke i tenanten eller må ikke bruge client credentials: kontrollér {section} client_id og tenant_id",
        "invalid_scope": f"{section} scope = {oauth.scope!r} kendes ikke: brug https://outlook.office365.com/.default",
        "invalid_request": f"kontrollér {section} tenant_id og client_id",
    }
    cause = causes.get(error, f"se Entra ID's begrundelse og {section} tenant_id, client_id, client_secret")
    return CheckResult(name, False, f"Entra ID afviste {app_name}: {cause} ({error}: {detail})"), None


def check_imap(s: MailboxSettings, token: str | None) -> CheckResult:
    """Connect, TLS, login, the folder selected read-only, the done folder looked up (not created)."""
    from imapclient import IMAPClient
    from imapclient.exceptions import IMAPClientError, LoginError

    from bot.mailboxes.auth import tls_context

    at, seconds = f"{s.host}:{s.port}", _seconds(s.timeout)
    if s.auth == "xoauth2" and token is None:
        return CheckResult("IMAP", False, f"IMAP-login for {s.username} på {at} er ikke prøvet: Entra ID gav intet token (se OAuth-linjen)")
    if s.auth == "password" and not s.password:
        return CheckResult("IMAP", False, f"Ingen IMAP-adgangskode for {s.username}: sæt [mailbox] password_file "
                           "eller TASKFORCE_INTAKE_IMAP_PASSWORD(_FILE)")
    try:
        context = tls_context(s.ca_file)
        client = IMAPClient(s.host, port=s.port, ssl=s.tls == "ssl", ssl_context=context, timeout=seconds)
    except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
        return CheckResult("IMAP", False, _network("IMAP-serveren", at, "[mailbox]", exc, seconds))
    try:
        if s.tls == "starttls":
            client.starttls(context)
        if s.auth == "xoauth2":
            assert token is not None
            client.oauth2_login(s.username, token)
        else:
            client.login(s.username, s.password)
        return CheckResult("IMAP", *_imap_folders(client, s, at))
    except LoginError:
        cause = ("appen har et token, men ikke adgang til postkassen (IMAP.AccessAsApp og Add-MailboxPermission, se README)"
                 if s.auth == "xoauth2" else "forkert adgangskode, eller appen har ikke fået adgang til postkassen")
        return CheckResult("IMAP", False, f"IMAP-login afvist for {s.username} på {at}: {cause}")
    except (OSError, imaplib.IMAP4.abort) as exc:
        return CheckResult("IMAP", False, _network("IMAP-serveren", at, "[mailbox]", exc, seconds))
    except (IMAPClientError, imaplib.IMAP4.error) as exc:
        return CheckResult("IMAP", False, f"IMAP-serveren {at} svarede uventet ({_first_line(exc)}): kontrollér [mailbox] tls og port")
    finally:
        _leave(client)


def _leave(client: Any) -> None:
    """LOGOUT, or just the socket closed when the server already failed us."""
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - whatever a broken connection raises, the check's sentence is already made
        with contextlib.suppress(Exception):
            client.shutdown()


def _imap_folders(client: Any, s: MailboxSettings, at: str) -> tuple[bool, str]:
    account = f"postkassen {s.username} på {at}"
    if not client.folder_exists(s.folder):
        return False, f"IMAP-mappen {s.folder!r} findes ikke i {account}: kontrollér [mailbox] folder"
    count = int(client.select_folder(s.folder, readonly=True)[b"EXISTS"])
    personal = client.namespace().personal  # the done folder's name as bot/mailboxes/imap.py makes it
    delimiter = personal[0][1] if personal and personal[0][1] else "/"
    delimiter = delimiter.decode() if isinstance(delimiter, bytes) else delimiter
    done = s.done_folder.replace("/", delimiter)
    state = "findes" if client.folder_exists(done) else "findes ikke endnu og oprettes ved første behandlede mail"
    return True, f"login som {s.username} på {at} ({s.tls}, {s.auth}) lykkedes; mappen {s.folder!r} har {count} mails; færdigmappen {s.done_folder!r} {state}"


def check_smtp(s: DeliverySettings, token: str | None) -> CheckResult:
    """Connect, TLS, EHLO and AUTH when configured; QUIT before any mail."""
    from bot.mailboxes.auth import tls_context, xoauth2_string

    at, seconds = f"{s.host}:{s.port}", _seconds(s.timeout)
    if s.auth == "xoauth2" and token is None:
        return CheckResult("SMTP", False, f"SMTP-login for {s.username} på {at} er ikke prøvet: Entra ID gav intet token (se OAuth-linjen)")
    try:
        context = tls_context(s.ca_file)
        if s.tls == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=seconds, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=seconds)
    except (OSError, smtplib.SMTPException) as exc:
        return CheckResult("SMTP", False, _network("SMTP-serveren", at, "[delivery]", exc, seconds))
    try:
        if s.tls == "starttls":
            smtp.starttls(context=context)
        code, _ = smtp.ehlo()
        if code != 250:
            return CheckResult("SMTP", False, f"SMTP-serveren {at} afviste EHLO ({code}): kontrollér [delivery] host og port")
        if s.auth == "xoauth2":
            blob = xoauth2_string(s.username, token or "")
            smtp.auth("XOAUTH2", lambda challenge=None: blob)
        elif s.username:
            smtp.login(s.username, s.password)
        login = f"login som {s.username} lykkedes" if s.auth == "xoauth2" or s.username else "intet login sat op"
        return CheckResult("SMTP", True, f"SMTP-serveren {at} svarer ({s.tls}); {login}; der er ikke sendt nogen mail")
    except smtplib.SMTPAuthenticationError as exc:
        cause = ("appen har et token, men ikke lov at sende (SMTP.SendAsApp, og SMTP AUTH slået til for postkassen)" if s.auth == "xoauth2"
                 else "forkert brugernavn eller adgangskode, eller SMTP AUTH er slået fra for postkassen")
        return CheckResult("SMTP", False, f"SMTP-login afvist for {s.username} på {at}: {cause} ({exc.smtp_code})")
    except smtplib.SMTPNotSupportedError as exc:
        return CheckResult("SMTP", False, f"SMTP-serveren {at} tilbyder ikke det, [delivery] kræver ({_first_line(exc)}): "
                           "kontrollér [delivery] tls, port og username")
    except (OSError, smtplib.SMTPException) as exc:
        return CheckResult("SMTP", False, _network("SMTP-serveren", at, "[delivery]", exc, seconds))
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
