"""Loading and validating the TOML settings.  Errors name the file and the key, so an operator can fix
them without reading code.  Secrets may come from `*_FILE` keys or environment variables."""
from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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

    def is_open_at(self, when: dt.datetime) -> bool:
        return when >= self.opens


@dataclass(frozen=True)
class MailboxSettings:
    kind: Literal["maildir", "imap"]
    path: Path | None = None
    host: str = "localhost"
    port: int = 993
    tls: Literal["none", "ssl", "starttls"] = "ssl"
    username: str = ""
    password: str = ""
    folder: str = "INBOX"
    done_folder: str = "Behandlet"
    answer_from: dt.datetime | None = None


@dataclass(frozen=True)
class DeliverySettings:
    kind: Literal["maildir", "smtp"]
    path: Path | None = None
    host: str = "localhost"
    port: int = 587
    tls: Literal["none", "ssl", "starttls"] = "starttls"
    username: str = ""
    password: str = ""


@dataclass(frozen=True)
class Settings:
    source: str
    timezone: ZoneInfo
    database_url: str
    files: Path
    mailbox: MailboxSettings
    delivery: DeliverySettings
    rounds: tuple[Round, ...]
    templates: Path | None = None
    secret_key: str = field(default="", repr=False)
    trust_roots: tuple[bytes, ...] = field(default=(), repr=False)  # [signatures] trust_roots, the files' bytes


class _Section:
    """Typed access to one table of the TOML file, naming `file: [table] key` in every error."""

    def __init__(self, source: str, name: str, data: object) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: [{name}] skal være en tabel")
        self.source, self.name, self.data = source, name, data

    def where(self, key: str) -> str:
        return f"{self.source}: [{self.name}] {key}"

    def str(self, key: str, default: str | None = None, choices: tuple[str, ...] = ()) -> str:
        value = self.data.get(key, default)
        env_file = self.data.get(f"{key}_file")
        if env_file:
            value = Path(env_file).read_text(encoding="utf-8").strip()
        if value is None:
            raise ConfigError(f"{self.where(key)} mangler")
        if not isinstance(value, str):
            raise ConfigError(f"{self.where(key)} skal være tekst, ikke {value!r}")
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


def _secret(section: _Section, key: str, env: str) -> str:
    """A secret from the config, its `<key>_file`, or the environment (`env`, `env_FILE`)."""
    if os.environ.get(env):
        return os.environ[env]
    if os.environ.get(env + "_FILE"):
        return Path(os.environ[env + "_FILE"]).read_text(encoding="utf-8").strip()
    return section.str(key, "")


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
    return Round(
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
        database_url=storage.str("url", f"sqlite:///{base / 'var' / 'intake.db'}"),
        files=storage.path("files", base) if "files" in storage.data else base / "var" / "files",
        mailbox=MailboxSettings(
            kind=mailbox_kind,  # type: ignore[arg-type]
            path=(mailbox.path("path", base) if "path" in mailbox.data else base / "var" / "inbox") if mailbox_kind == "maildir" else None,
            host=mailbox.str("host", "localhost"),
            port=mailbox.int("port", 993),
            tls=mailbox.str("tls", "ssl", ("none", "ssl", "starttls")),  # type: ignore[arg-type]
            username=mailbox.str("username", ""),
            password=_secret(mailbox, "password", "TASKFORCE_INTAKE_IMAP_PASSWORD"),
            folder=mailbox.str("folder", "INBOX"),
            done_folder=mailbox.str("done_folder", "Behandlet"),
            answer_from=mailbox.time("answer_from", tz, required=False),
        ),
        delivery=DeliverySettings(
            kind=delivery_kind,  # type: ignore[arg-type]
            path=(delivery.path("path", base) if "path" in delivery.data else base / "var" / "outbox") if delivery_kind == "maildir" else None,
            host=delivery.str("host", "localhost"),
            port=delivery.int("port", 587),
            tls=delivery.str("tls", "starttls", ("none", "ssl", "starttls")),  # type: ignore[arg-type]
            username=delivery.str("username", ""),
            password=_secret(delivery, "password", "TASKFORCE_INTAKE_SMTP_PASSWORD"),
        ),
        rounds=rounds,
        templates=Path(templates) if isinstance(templates, str) else None,
        secret_key=_secret(top, "secret_key", "TASKFORCE_INTAKE_SECRET_KEY"),
        trust_roots=_trust_roots(source, data.get("signatures", {}), base),
    )


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


def load_settings(path: str | Path | None = None) -> Settings:
    """The settings file given (or named by TASKFORCE_INTAKE_CONFIG), else the embedded default:
    SQLite and Maildirs under ./var and the example rounds of config/rounds/."""
    chosen = path or os.environ.get(CONFIG_ENV)
    if not chosen:
        return parse_settings({}, "indbygget standard", Path.cwd())
    file = Path(chosen)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: filen findes ikke") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: ikke gyldig TOML ({exc})") from None
    return parse_settings(data, str(file), file.resolve().parent)
