"""Loading and validating the TOML settings.  Errors name the file and the key, so an operator can fix
them without reading code.  Secrets may come from `*_FILE` keys or environment variables (`SECRETS`),
and any key from a `TASKFORCE_INTAKE__SECTION__KEY` variable (`apply_environment`)."""
from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

CONFIG_ENV = "TASKFORCE_INTAKE_CONFIG"
Programme = Literal["boern-unge", "handicap"]


class ConfigError(ValueError):
    """A setting is missing or wrong; the message names file and key."""


@dataclass(frozen=True)
class Round:
    """One application round of one programme, reached at one address."""

    id: str
    programme: Programme
    address: str
    reference_prefix: str
    opens: dt.datetime
    deadline: dt.datetime | None
    reminders: tuple[dt.timedelta, ...] = (dt.timedelta(days=3), dt.timedelta(days=1))
    reminder_time: dt.time = dt.time(9, 0)
    title: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def addresses(self) -> tuple[str, ...]:
        """The round's address and its aliases (an old address municipalities still write to)."""
        return (self.address, *self.aliases)

    def is_open_at(self, when: dt.datetime) -> bool:
        return when >= self.opens


@dataclass(frozen=True)
class OAuthSettings:
    """Microsoft Entra ID app for XOAUTH2 (client-credentials flow, token fetched with msal)."""

    tenant_id: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    authority: str = "https://login.microsoftonline.com"
    scope: str = "https://outlook.office365.com/.default"


@dataclass(frozen=True)
class LoopSettings:
    """Loop and abuse protection beyond RFC 3834: our own addresses are never answered, and automatic
    replies are capped per sender per day and per application (thread) per ten minutes."""

    own_addresses: tuple[str, ...] = ()
    per_sender_per_day: int = 10
    per_thread_per_10min: int = 3


@dataclass(frozen=True)
class MailboxSettings:
    kind: Literal["maildir", "imap"]
    path: Path | None = None
    host: str = "localhost"
    port: int = 993
    tls: Literal["none", "ssl", "starttls"] = "ssl"
    username: str = ""
    password: str = field(default="", repr=False)
    folder: str = "INBOX"
    done_folder: str = "Behandlet"
    answer_from: dt.datetime | None = None
    auth: Literal["password", "xoauth2"] = "password"
    oauth: OAuthSettings = OAuthSettings()
    ca_file: Path | None = None
    timeout: int = 60
    batch_size: int = 25
    idle: bool = True
    idle_seconds: int = 600
    poll_seconds: int = 30
    use_move: bool = True
    reconnect_attempts: int = 5
    # a mail whose processing fails unexpectedly is tried again from the stored copy, `failed_attempts`
    # times in all, waiting `failed_retry_seconds` doubling up to `failed_retry_max_seconds`; then it is
    # quarantined until `taskforce-intake retry` (bot/quarantine.py)
    failed_attempts: int = 5
    failed_retry_seconds: int = 60
    failed_retry_max_seconds: int = 3600
    # `[mailbox] trusted_authserv_id`: the receiving server(s) whose Authentication-Results are believed
    # (RFC 8601 authserv-ids, lower case; "microsoft365" = Exchange Online's header without an id, see
    # parsers/authentication.py).  Empty: no Authentication-Results header is trusted.
    trusted_authserv_id: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeliverySettings:
    kind: Literal["maildir", "smtp"]
    path: Path | None = None
    host: str = "localhost"
    port: int = 587
    tls: Literal["none", "ssl", "starttls"] = "starttls"
    username: str = ""
    password: str = field(default="", repr=False)
    auth: Literal["password", "xoauth2"] = "password"
    oauth: OAuthSettings = OAuthSettings()
    ca_file: Path | None = None
    timeout: int = 60
    retry_seconds: int = 60
    retry_max_seconds: int = 3600
    max_attempts: int = 12
    in_doubt: Literal["hold", "resend"] = "hold"
    flush_seconds: int = 30


class Role(StrEnum):
    """The web app's roles, lowest first; each may do what the ones before it may (triage/access.py).
    Here because a setting names one (`[web] trusted_user_role`) and the accounts store one (`user.role`)."""

    LAESER = "laeser"  # reads the queue, the applications and the audit trail
    SAGSBEHANDLER = "sagsbehandler"  # also acts: overrides, notes, requests, replies, decisions
    ADMIN = "admin"  # also the round exports of personal data (the accounts are the command line's)

    def allows(self, needed: "Role") -> bool:
        return ROLE_ORDER.index(self) >= ROLE_ORDER.index(needed)


ROLE_ORDER: tuple[Role, ...] = tuple(Role)


@dataclass(frozen=True)
class WebSettings:
    """The secretariat's web app (`serve`).  `trusted_user_header` names the user when the request comes
    straight from one of `trusted_proxies` (an SSO proxy in front); otherwise it is ignored."""

    host: str = "127.0.0.1"
    port: int = 8080
    trusted_user_header: str = ""
    trusted_proxies: tuple[str, ...] = ()
    secure_cookies: bool = False
    session_hours: int = 8
    login_attempts_per_minute: int = 5
    trusted_user_role: Role = Role.LAESER  # the role of a name the proxy vouches for that has no account yet


@dataclass(frozen=True)
class LimitSettings:
    """`[limits]`: what one mail and one attachment may cost before they are called too large or too
    slow (the document is then unreadable, with the reason, and the rest of the mail is judged)."""

    attachment_mb: int = 25  # one attachment, decoded (Microsoft 365 takes mail of 25-35 MB)
    message_mb: int = 50  # all attachments of one mail together
    reader_seconds: int = 120  # one attachment with every document in it, OCR included
    reader_memory_mb: int = 2048  # address space a reader process may add to what it was started with
    reader_workers: int = 0  # reader processes; 0 = one per core
    documents_per_worker: int = 500  # then the process is replaced (whatever memory a reader kept)

    @property
    def processes(self) -> int:
        return self.reader_workers or os.cpu_count() or 1


@dataclass(frozen=True)
class RetentionSettings:
    """`[retention]`: how long personal data is kept (bot/retention.py).  A round's raw mails, files and
    document text are deleted `after_close_days` after it closed; `run_daily_at` (local time, optional)
    makes the long-running service do it every day, else run `taskforce-intake retention apply` from cron."""

    after_close_days: int = 365
    run_daily_at: dt.time | None = None


@dataclass(frozen=True)
class Settings:
    source: str
    timezone: ZoneInfo
    database_url: str = field(repr=False)  # may carry the database password ([storage] password)
    files: Path
    mailbox: MailboxSettings
    delivery: DeliverySettings
    rounds: tuple[Round, ...]
    templates: Path | None = None
    secret_key: str = field(default="", repr=False)
    web: WebSettings = field(default_factory=WebSettings)
    loops: LoopSettings = LoopSettings()
    trust_roots: tuple[bytes, ...] = field(default=(), repr=False)  # [signatures] trust_roots, the files' bytes
    retention: RetentionSettings = RetentionSettings()
    limits: LimitSettings = LimitSettings()
    monitoring: "MonitoringSettings" = field(default_factory=lambda: MonitoringSettings())


class _Section:
    """Typed access to one table of the TOML file, naming `file: [table] key` in every error."""

    def __init__(self, source: str, name: str, data: object) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: [{name}] skal være en tabel")
        self.source, self.name, self.data = source, name, data
        self.origins: dict[str, str] = getattr(data, "origins", {})  # set by apply_environment
        self.texts: dict[str, str] = getattr(data, "texts", {})  # the variables' own text, for a key that is text

    def where(self, key: str) -> str:
        origin = f" (fra miljøvariablen {self.origins[key]})" if key in self.origins else ""
        return f"{self.source}: [{self.name}] {key}{origin}"

    def str(self, key: str, default: str | None = None, choices: tuple[str, ...] = ()) -> str:
        value = self.data.get(key, default)
        env_file = self.data.get(f"{key}_file")
        if env_file:
            try:
                value = Path(env_file).read_text(encoding="utf-8").strip()
            except (OSError, TypeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else "skal være et filnavn"
                raise ConfigError(f"{self.where(key + '_file')} = {env_file!r}: filen kan ikke læses ({reason})") from None
        if value is None:
            raise ConfigError(f"{self.where(key)} mangler")
        if not isinstance(value, str) and key in self.texts:
            value = self.texts[key]  # TASKFORCE_INTAKE__MAILBOX__USERNAME=12345 is the text "12345", not a number
        if not isinstance(value, str):
            shown = "en værdi" if key in SECRET_KEYS else repr(value)  # a secret is never printed
            raise ConfigError(f"{self.where(key)} skal være tekst, ikke {shown}")
        if choices and value not in choices:
            raise ConfigError(f"{self.where(key)} = {value!r}: skal være en af {', '.join(choices)}")
        return value

    def int(self, key: str, default: int) -> int:
        value = self.data.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"{self.where(key)} skal være et helt tal, ikke {value!r}")
        return value

    def path(self, key: str, base: Path) -> Path:
        value = Path(self.str(key))
        return value if value.is_absolute() else (base / value)

    def time(self, key: str, tz: ZoneInfo, required: bool = True) -> dt.datetime | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise ConfigError(f"{self.where(key)} mangler")
            return None
        if isinstance(value, dt.datetime):
            parsed = value
        elif isinstance(value, dt.date):
            parsed = dt.datetime.combine(value, dt.time())
        else:
            try:
                parsed = dt.datetime.fromisoformat(str(value))
            except ValueError:
                raise ConfigError(f"{self.where(key)} = {value!r}: forventede en tid som 2025-03-25T12:00") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def _secret(section: _Section, key: str) -> str:
    """A secret: `key` or `<key>_file`; its environment variables (`SECRETS`) were merged in before by
    `apply_environment`, so the TOML need not hold it and an error names the variable it came from."""
    return section.str(key, "")


def _database_url(storage: _Section, base: Path) -> str:
    """`[storage] url` with `[storage] password` (TASKFORCE_INTAKE_DATABASE_PASSWORD[_FILE]) put in by
    sqlalchemy, which escapes what a URL cannot hold as it is (@ : / % …)."""
    url = storage.str("url", f"sqlite:///{base / 'var' / 'intake.db'}")
    password = _secret(storage, "password")
    if not password:
        return url
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"{storage.where('url')} = {url!r}: ikke en database-URL, fx postgresql+psycopg://intake@db:5432/intake") from None
    if parsed.get_backend_name() == "sqlite":
        raise ConfigError(f"{storage.where('password')}: en SQLite-database har ingen adgangskode; fjern den, eller brug en PostgreSQL-URL")
    return parsed.set(password=password).render_as_string(hide_password=False)


def _oauth(section: _Section) -> OAuthSettings:
    return OAuthSettings(
        tenant_id=section.str("tenant_id", ""),
        client_id=section.str("client_id", ""),
        client_secret=_secret(section, "client_secret"),
        authority=section.str("authority", OAuthSettings.authority),
        scope=section.str("scope", OAuthSettings.scope),
    )


def _connection(section: _Section, base: Path) -> dict:
    """The keys IMAP and SMTP share: auth, OAuth app, CA file, timeout."""
    auth = section.str("auth", "password", ("password", "xoauth2"))
    oauth = _oauth(section)
    if auth == "xoauth2" and not (oauth.tenant_id and oauth.client_id and oauth.client_secret):
        raise ConfigError(f"{section.where('auth')} = 'xoauth2' kræver tenant_id, client_id og client_secret")
    return {"auth": auth, "oauth": oauth, "ca_file": section.path("ca_file", base) if "ca_file" in section.data else None,
            "timeout": section.int("timeout", 60)}


def _loops(source: str, data: object, rounds: tuple[Round, ...]) -> LoopSettings:
    s = _Section(source, "loops", data)
    own = s.data.get("own_addresses", [])
    if not isinstance(own, list) or not all(isinstance(a, str) for a in own):
        raise ConfigError(f"{s.where('own_addresses')} skal være en liste af adresser")
    return LoopSettings(
        own_addresses=tuple(dict.fromkeys([*(a.lower() for a in own), *(r.address for r in rounds)])),
        per_sender_per_day=s.int("per_sender_per_day", LoopSettings.per_sender_per_day),
        per_thread_per_10min=s.int("per_thread_per_10min", LoopSettings.per_thread_per_10min),
    )


def _round(source: str, index: int, data: object, tz: ZoneInfo) -> Round:
    s = _Section(source, f"rounds[{index}]", data)
    days = s.data.get("reminder_days", [3, 1])
    if not isinstance(days, list) or not all(isinstance(d, int) and d >= 0 for d in days):
        raise ConfigError(f"{s.where('reminder_days')} skal være en liste af hele dage, fx [3, 1]")
    at = s.str("reminder_time", "09:00")
    try:
        reminder_time = dt.time.fromisoformat(at)
    except ValueError:
        raise ConfigError(f"{s.where('reminder_time')} = {at!r}: forventede fx \"09:00\"") from None
    aliases = s.data.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and "@" in a for a in aliases):
        raise ConfigError(f"{s.where('aliases')} skal være en liste af e-mailadresser")
    return Round(
        aliases=tuple(a.lower() for a in aliases),
        id=s.str("id"),
        programme=s.str("programme", choices=("boern-unge", "handicap")),  # type: ignore[arg-type]
        address=s.str("address").lower(),
        reference_prefix=s.str("reference_prefix"),
        opens=s.time("opens", tz),  # type: ignore[arg-type]
        deadline=s.time("deadline", tz, required=False),
        reminders=tuple(dt.timedelta(days=d) for d in sorted(days, reverse=True)),
        reminder_time=reminder_time,
        title=s.str("title", ""),
    )


def _example_rounds(tz: ZoneInfo) -> list[object]:
    folder = resources.files("config").joinpath("rounds")
    rounds: list[object] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            rounds.extend(tomllib.loads(entry.read_text(encoding="utf-8")).get("rounds", []))
    return rounds


def _web(source: str, data: object) -> WebSettings:
    s = _Section(source, "web", data)
    proxies = s.data.get("trusted_proxies", [])
    if not isinstance(proxies, list) or not all(isinstance(p, str) for p in proxies):
        raise ConfigError(f"{s.where('trusted_proxies')} skal være en liste af IP-adresser, fx [\"127.0.0.1\"]")
    header = s.str("trusted_user_header", "")
    if header and not proxies:
        raise ConfigError(f"{s.where('trusted_proxies')} mangler: trusted_user_header gælder kun fra kendte proxyer")
    secure = s.data.get("secure_cookies", bool(proxies))
    if not isinstance(secure, bool):
        raise ConfigError(f"{s.where('secure_cookies')} skal være true eller false")
    return WebSettings(
        host=s.str("host", "127.0.0.1"), port=s.int("port", 8080), trusted_user_header=header,
        trusted_proxies=tuple(proxies), secure_cookies=secure, session_hours=s.int("session_hours", 8),
        login_attempts_per_minute=s.int("login_attempts_per_minute", 5),
        trusted_user_role=Role(s.str("trusted_user_role", Role.LAESER, choices=tuple(Role))),
    )


def parse_settings(data: dict, source: str, base: Path) -> Settings:
    """Settings from parsed TOML.  Relative paths are taken from `base` (the file's folder, or the
    working directory for the embedded default)."""
    top = _Section(source, "top", data)
    tz_name = top.str("timezone", "Europe/Copenhagen")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{source}: timezone = {tz_name!r} er ikke en kendt tidszone") from None
    storage = _Section(source, "storage", data.get("storage", {}))
    mailbox = _Section(source, "mailbox", data.get("mailbox", {}))
    delivery = _Section(source, "delivery", data.get("delivery", {}))
    rounds_data = data.get("rounds")
    if rounds_data is None:
        rounds_data = _example_rounds(tz)
    if not isinstance(rounds_data, list) or not rounds_data:
        raise ConfigError(f"{source}: [[rounds]] mangler (mindst én ansøgningsrunde)")
    rounds = tuple(_round(source, i, r, tz) for i, r in enumerate(rounds_data))
    if len({r.id for r in rounds}) != len(rounds):
        raise ConfigError(f"{source}: [[rounds]] id skal være unikt")
    mailbox_kind = mailbox.str("kind", "maildir", ("maildir", "imap"))
    delivery_kind = delivery.str("kind", "maildir", ("maildir", "smtp"))
    templates = data.get("templates")
    return Settings(
        source=source,
        timezone=tz,
        database_url=_database_url(storage, base),
        files=storage.path("files", base) if "files" in storage.data else base / "var" / "files",
        mailbox=MailboxSettings(
            kind=mailbox_kind,  # type: ignore[arg-type]
            path=(mailbox.path("path", base) if "path" in mailbox.data else base / "var" / "inbox") if mailbox_kind == "maildir" else None,
            host=mailbox.str("host", "localhost"),
            port=mailbox.int("port", 993),
            tls=mailbox.str("tls", "ssl", ("none", "ssl", "starttls")),  # type: ignore[arg-type]
            username=mailbox.str("username", ""),
            password=_secret(mailbox, "password"),
            folder=mailbox.str("folder", "INBOX"),
            done_folder=mailbox.str("done_folder", "Behandlet"),
            answer_from=mailbox.time("answer_from", tz, required=False),
            batch_size=mailbox.int("batch_size", 25),
            idle=mailbox.data.get("idle", True) is not False,
            idle_seconds=mailbox.int("idle_seconds", 600),
            poll_seconds=mailbox.int("poll_seconds", 30),
            use_move=mailbox.data.get("use_move", True) is not False,
            reconnect_attempts=max(1, mailbox.int("reconnect_attempts", 5)),
            failed_attempts=max(1, mailbox.int("failed_attempts", MailboxSettings.failed_attempts)),
            failed_retry_seconds=mailbox.int("failed_retry_seconds", MailboxSettings.failed_retry_seconds),
            failed_retry_max_seconds=mailbox.int("failed_retry_max_seconds", MailboxSettings.failed_retry_max_seconds),
            trusted_authserv_id=_authserv_ids(mailbox),
            **_connection(mailbox, base),
        ),
        delivery=DeliverySettings(
            kind=delivery_kind,  # type: ignore[arg-type]
            path=(delivery.path("path", base) if "path" in delivery.data else base / "var" / "outbox") if delivery_kind == "maildir" else None,
            host=delivery.str("host", "localhost"),
            port=delivery.int("port", 587),
            tls=delivery.str("tls", "starttls", ("none", "ssl", "starttls")),  # type: ignore[arg-type]
            username=delivery.str("username", ""),
            password=_secret(delivery, "password"),
            retry_seconds=delivery.int("retry_seconds", 60),
            retry_max_seconds=delivery.int("retry_max_seconds", 3600),
            max_attempts=delivery.int("max_attempts", 12),
            in_doubt=delivery.str("in_doubt", "hold", ("hold", "resend")),  # type: ignore[arg-type]
            flush_seconds=delivery.int("flush_seconds", 30),
            **_connection(delivery, base),
        ),
        rounds=rounds,
        templates=Path(templates) if isinstance(templates, str) else None,
        secret_key=_secret(top, "secret_key"),
        web=_web(source, data.get("web", {})),
        loops=_loops(source, data.get("loops", {}), rounds),
        trust_roots=_trust_roots(source, data.get("signatures", {}), base),
        limits=_limits(source, data.get("limits", {})),
        retention=_retention(source, data.get("retention", {})),
        monitoring=_monitoring(source, data.get("monitoring", {}), data.get("mailbox", {})),
    )


def _retention(source: str, data: object) -> RetentionSettings:
    s = _Section(source, "retention", data)
    days = s.int("after_close_days", RetentionSettings.after_close_days)
    if days < 0:
        raise ConfigError(f"{s.where('after_close_days')} = {days}: skal være 0 eller flere dage")
    at = s.str("run_daily_at", "")
    try:
        daily = dt.time.fromisoformat(at) if at else None
    except ValueError:
        raise ConfigError(f"{s.where('run_daily_at')} = {at!r}: forventede fx \"03:00\"") from None
    return RetentionSettings(after_close_days=days, run_daily_at=daily)


@dataclass(frozen=True)
class MonitoringSettings:
    """`[monitoring]` (bot/health.py, bot/metrics.py, bot/logs.py): the service is unhealthy when its last
    successful mailbox poll is older than `poll_stale_seconds` (0, the default: not watched -- an
    operator sets the limit where workers run, deploy/intake.example.toml does; a web app alone, a demo
    or a replayed clock must not read as a dead service);
    `metrics_token`, when set, is the Bearer token /metrics asks for; `log_format` "text" for a terminal,
    "json" (one object a line) for a log collector."""

    poll_stale_seconds: int = 0
    metrics_token: str = field(default="", repr=False)
    log_format: Literal["text", "json"] = "text"


def _monitoring(source: str, data: object, mailbox_data: object) -> MonitoringSettings:
    """The limit must be longer than the longest quiet wait between two polls: `[mailbox] idle_seconds`
    with IMAP IDLE, else `poll_seconds`; a shorter one would call an idle mailbox dead."""
    s, mailbox = _Section(source, "monitoring", data), _Section(source, "mailbox", mailbox_data)
    stale = s.int("poll_stale_seconds", MonitoringSettings.poll_stale_seconds)
    idles = mailbox.str("kind", "maildir") == "imap" and mailbox.data.get("idle", True) is not False
    wait_key = "idle_seconds" if idles else "poll_seconds"
    wait = mailbox.int(wait_key, getattr(MailboxSettings, wait_key))
    if stale < 0 or 0 < stale <= wait:
        raise ConfigError(f"{s.where('poll_stale_seconds')} = {stale}: skal være 0 (slået fra) eller længere end "
                          f"[mailbox] {wait_key} ({wait} sekunder), ellers kaldes en stille postkasse død")
    return MonitoringSettings(
        poll_stale_seconds=stale,
        metrics_token=_secret(s, "metrics_token"),
        log_format=s.str("log_format", "text", ("text", "json")),  # type: ignore[arg-type]
    )


def _limits(source: str, data: object) -> LimitSettings:
    s = _Section(source, "limits", data)
    values = {name: s.int(name, getattr(LimitSettings, name)) for name in LimitSettings.__dataclass_fields__}
    for name, value in values.items():
        if value < (0 if name == "reader_workers" else 1):
            raise ConfigError(f"{s.where(name)} = {value}: skal være et positivt helt tal")
    return LimitSettings(**values)


def _authserv_ids(section: _Section) -> tuple[str, ...]:
    """`trusted_authserv_id = "mx.sbst.dk"`, `"mx.sbst.dk, microsoft365"` or `["mx.sbst.dk", "microsoft365"]`."""
    value = section.data.get("trusted_authserv_id", [])
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ConfigError(f"{section.where('trusted_authserv_id')} skal være tekst eller en liste, fx [\"mx.sbst.dk\"] eller \"microsoft365\"")
    ids = [i.strip().lower().rstrip(".") for i in items if i.strip()]
    bad = [i for i in ids if not re.fullmatch(r"[a-z0-9!#$%&'*+.^_`{|}~-]+", i)]
    if bad:
        raise ConfigError(f"{section.where('trusted_authserv_id')} = {bad[0]!r}: et authserv-id er ét ord, fx mx.sbst.dk")
    return tuple(dict.fromkeys(ids))


def _trust_roots(source: str, data: object, base: Path) -> tuple[bytes, ...]:
    """`[signatures] trust_roots = ["ca.pem", …]`: CA certificates (PEM or DER) a digital signature on the
    application must chain to for `ok`; read once here, handed to the parsers as bytes."""
    section = _Section(source, "signatures", data)
    paths = section.data.get("trust_roots", [])
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise ConfigError(f"{section.where('trust_roots')} skal være en liste af filnavne, fx [\"/etc/ssl/ca.pem\"]")
    roots = []
    for name in paths:
        file = Path(name) if Path(name).is_absolute() else base / name
        try:
            blob = file.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{section.where('trust_roots')}: {file} kan ikke læses ({exc.strerror})") from None
        if b"-----BEGIN CERTIFICATE-----" not in blob and not blob.startswith(b"\x30"):
            raise ConfigError(f"{section.where('trust_roots')}: {file} er ikke et certifikat (PEM eller DER)")
        roots.append(blob)
    return tuple(roots)


# -- the environment: secrets and per-environment overrides, merged into the TOML data before it is validated

ENV_PREFIX = "TASKFORCE_INTAKE__"  # TASKFORCE_INTAKE__SECTION__KEY, or TASKFORCE_INTAKE__KEY for a top-level key
SECRETS: dict[str, tuple[str, str]] = {  # variable (and variable_FILE, a Docker secret) -> ([section], key)
    "TASKFORCE_INTAKE_IMAP_PASSWORD": ("mailbox", "password"),
    "TASKFORCE_INTAKE_IMAP_CLIENT_SECRET": ("mailbox", "client_secret"),
    "TASKFORCE_INTAKE_SMTP_PASSWORD": ("delivery", "password"),
    "TASKFORCE_INTAKE_SMTP_CLIENT_SECRET": ("delivery", "client_secret"),
    "TASKFORCE_INTAKE_SECRET_KEY": ("", "secret_key"),
    "TASKFORCE_INTAKE_DATABASE_PASSWORD": ("storage", "password"),
    "TASKFORCE_INTAKE_METRICS_TOKEN": ("monitoring", "metrics_token"),
}


SECRET_KEYS = frozenset(key for _, key in SECRETS.values())  # password, client_secret, secret_key, metrics_token


def _keys(settings: type, *more: str, without: tuple[str, ...] = ()) -> frozenset[str]:
    return frozenset({f.name for f in fields(settings)} - set(without) | set(more))


_OAUTH_KEYS = tuple(f.name for f in fields(OAuthSettings))
KNOWN_KEYS: dict[str, frozenset[str]] = {  # "" = the top level; [[rounds]] are not per environment
    "": frozenset({"timezone", "templates", "secret_key"}),
    "storage": frozenset({"url", "files", "password"}),
    "mailbox": _keys(MailboxSettings, *_OAUTH_KEYS, without=("oauth",)),
    "delivery": _keys(DeliverySettings, *_OAUTH_KEYS, without=("oauth",)),
    "web": _keys(WebSettings),
    "loops": _keys(LoopSettings),
    "limits": _keys(LimitSettings),
    "retention": _keys(RetentionSettings),
    "monitoring": _keys(MonitoringSettings),
    "signatures": frozenset({"trust_roots"}),
}


class _EnvTable(dict):
    """A TOML table with keys set from the environment; `origins` (key -> variable) lets `_Section.where`
    say where a wrong value came from, `texts` keeps each variable's own text (a key that is text takes
    it as written: a password `493817` or `"abc"` stays what was typed)."""

    origins: dict[str, str]
    texts: dict[str, str]


def _toml_value(text: str) -> object:
    """`993` -> 993, `true` -> True, `"x"` -> "x", `["a", "b"]` -> a list; anything else is the text itself."""
    if "\n" in text:
        return text
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _override_target(variable: str, data: dict) -> tuple[str, str]:
    """([section], key) of one TASKFORCE_INTAKE__… variable, or a ConfigError naming it."""
    parts = variable.removeprefix(ENV_PREFIX).lower().split("__")
    if len(parts) > 2 or not all(parts):
        raise ConfigError(f"miljøvariablen {variable}: skriv {ENV_PREFIX}SEKTION__NØGLE, fx {ENV_PREFIX}MAILBOX__HOST")
    section, key = ("", parts[0]) if len(parts) == 1 else (parts[0], parts[1])
    table = data.get(section, {}) if section else data
    if (section or key) == "rounds":
        raise ConfigError(f"miljøvariablen {variable}: [[rounds]] sættes kun i konfigurationsfilen")
    if section and (section not in KNOWN_KEYS and section not in data or not isinstance(table, dict)):
        raise ConfigError(f"miljøvariablen {variable}: der er ingen sektion [{section}] (kendte: {', '.join(k for k in KNOWN_KEYS if k)})")
    if not section and (key in KNOWN_KEYS or isinstance(data.get(key), dict)):
        raise ConfigError(f"miljøvariablen {variable}: [{key}] er en sektion; navngiv nøglen, fx {ENV_PREFIX}{key.upper()}__…")
    known = KNOWN_KEYS.get(section, frozenset()) | set(table)
    if key not in known and not (key.endswith("_file") and key.removesuffix("_file") in known):
        where = f"[{section}]" if section else "øverste niveau"
        raise ConfigError(f"miljøvariablen {variable}: {where} har ingen nøgle {key!r} (kendte: {', '.join(sorted(known))})")
    return section, key


def _assignments(env: Mapping[str, str], data: dict) -> list[tuple[str, str, str, object, str]]:
    """(variable, section, key, value, text) in rising precedence: overrides, then each secret's _FILE,
    then the secret.  A secret's value is its text as it is (never read as a TOML number or string)."""
    found: list[tuple[str, str, str, object, str]] = []
    for variable, text in sorted(env.items()):
        if variable.startswith(ENV_PREFIX) and text:
            section, key = _override_target(variable, data)
            found.append((variable, section, key, text if key in SECRET_KEYS else _toml_value(text), text))
    for variable, (section, key) in SECRETS.items():
        for name, target in ((variable + "_FILE", key + "_file"), (variable, key)):
            if env.get(name):
                found.append((name, section, target, env[name], env[name]))
    return found


def apply_environment(data: dict, env: Mapping[str, str]) -> dict:
    """The TOML data with the environment's secrets (`SECRETS`) and overrides (`ENV_PREFIX`) merged in,
    ready for `parse_settings`; `data` itself is left as it was.  An empty variable counts as unset.
    A key set here replaces both `key` and `key_file` of the file (the environment wins)."""
    merged = _EnvTable(data)
    merged.origins, merged.texts = dict(getattr(data, "origins", {})), dict(getattr(data, "texts", {}))
    for variable, section, key, value, text in _assignments(env, data):
        if section:
            table = merged.get(section, {})
            if not isinstance(table, _EnvTable):
                table = _EnvTable(table)
                table.origins, table.texts = {}, {}
                merged[section] = table
        else:
            table = merged
        twin = key.removesuffix("_file") if key.endswith("_file") else f"{key}_file"
        table.pop(twin, None)
        table[key] = value
        table.origins[key], table.texts[key] = variable, text
    return merged


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """The settings file given (or named by TASKFORCE_INTAKE_CONFIG), else the embedded default:
    SQLite and Maildirs under ./var and the example rounds of config/rounds/; with the environment
    (`env`, default os.environ) merged in by `apply_environment`."""
    env = os.environ if env is None else env
    chosen = path or env.get(CONFIG_ENV)
    if not chosen:
        return parse_settings(apply_environment({}, env), "indbygget standard", Path.cwd())
    file = Path(chosen)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: filen findes ikke") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: ikke gyldig TOML ({exc})") from None
    return parse_settings(apply_environment(data, env), str(file), file.resolve().parent)
