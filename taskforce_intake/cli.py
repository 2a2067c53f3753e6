"""The `taskforce-intake` command (Typer).  Settings and the clock are read here, at the edge, and
handed down as values."""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from collections.abc import Callable
from typing import Optional, TypeVar

import click
import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.core import TyperGroup

from config.settings import CONFIG_ENV, ConfigError, Role, Settings, load_settings
from bot import clock
from bot.engines import quiet_libraries
from bot.runtime import Runtime
from storage.schema import SchemaError


class _Commands(TyperGroup):
    """Every command: a database this program cannot use (storage.schema.SchemaError: made before
    migrations, older, newer) is one Danish line naming the command to run and exit 1, no traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SchemaError as exc:
            console.print(f"[red]Fejl:[/red] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(1) from None


app = typer.Typer(cls=_Commands, add_completion=False, no_args_is_help=True, help="Task Force intake: the mailbox bot and the secretariat's queue.")
console = Console(stderr=True)


class State:
    config: Optional[Path] = None


def settings() -> Settings:
    try:
        return load_settings(State.config)
    except (ConfigError, clock.ClockError) as exc:
        console.print(f"[red]Konfigurationsfejl:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from None


def now():
    try:
        return clock.now()
    except clock.ClockError as exc:
        console.print(f"[red]Fejl:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from None


@app.callback()
def main(
    config: Optional[Path] = typer.Option(None, "--config", envvar=CONFIG_ENV, help="TOML settings file (default: embedded, under ./var)"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every step"),
) -> None:
    State.config = config
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_libraries()  # pyHanko logs an untrusted chain with a traceback; the check reports it in Danish


@app.command()
def check(
    message: Path = typer.Argument(..., exists=True, dir_okay=False, help="A raw message (.eml)"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the contract's shape)"),
) -> None:
    """Assess one message on its own: no database, nothing sent."""
    from bot.check import check_file

    result = check_file(message, settings(), now())
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{result['kind']} · {result['received_at']} · svar: {result['reply']} · komplet: {result['complete']}")
    for name, c in result["checks"].items():  # type: ignore[union-attr]
        typer.echo(f"  {name:20} {c['status']:12} {c['detail']}")


@app.command()
def run(
    once: bool = typer.Option(False, "--once", help="One pass: fetch, process, deliver, exit"),
    serve_web: bool = typer.Option(False, "--serve", help="Also serve the secretariat's web app (see `serve`)"),
    host: Optional[str] = typer.Option(None, "--host", help="With --serve: address (default [web] host, 127.0.0.1)"),
    port: Optional[int] = typer.Option(None, "--port", help="With --serve: port (default [web] port, 8080)"),
) -> None:
    """Fetch new mail, process it and deliver the replies."""
    config = settings()
    _configure_logging(config, once)
    from bot.claims import AnotherWorker, WorkerGuard

    try:  # SQLite: one `run` per database file; PostgreSQL: any number of workers (bot/claims.py)
        guard = WorkerGuard.take(config.database_url)
    except AnotherWorker as exc:
        console.print(f"[red]Fejl:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None
    rt = Runtime.open(config)
    try:
        _run(rt, config, once, serve_web, host, port)
    finally:
        rt.close()  # the reader processes stop with the service
        guard.release()


def _run(rt: Runtime, config: Settings, once: bool, serve_web: bool, host: Optional[str], port: Optional[int]) -> None:
    from bot.mailboxes import MailboxError
    from bot.service import run_once

    if not once:
        from bot.scheduler import run_forever

        if serve_web:
            from triage.server import serve_in_background

            server = serve_in_background(rt, clock.now, host or config.web.host, port or config.web.port)
            try:
                run_forever(rt)
            finally:
                server.should_exit = True
            return
        run_forever(rt)
        return
    try:
        summary = run_once(rt, now())
    except MailboxError as exc:  # unreachable or refused: say which server, exit non-zero, no traceback
        console.print(f"[red]Fejl:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(
        f"hentet {summary.fetched}, gemt {summary.stored}, behandlet {summary.processed}, "
        f"fejlet {summary.failed}, påmindelser {summary.reminders}, lukket {summary.closed}, svar sendt {summary.replies_sent}"
    )
    for error in summary.errors:
        console.print(f"[yellow]{escape(error)}[/yellow]", soft_wrap=True)


@app.command()
def reread(round_id: Optional[str] = typer.Option(None, "--round", help="Only this round's applications")) -> None:
    """Read the stored documents again with the current readers and report what changed (no mail is sent)."""
    from bot.reread import reread as reread_all

    rt = Runtime.open(settings())
    try:
        report = reread_all(rt, now(), round_id)
    finally:
        rt.close()
    console.print(f"læst igen: {report.documents} dokumenter i {report.applications} ansøgninger; "
                  f"ændret: {len(report.changed_documents)} dokumenter, {len(report.changed_applications)} ansøgninger")
    for d in report.changed_documents:
        what = f"{d.before} → {d.after}" + (" (nye oplysninger)" if d.facts_changed and d.before.split()[0] == d.after else "")
        console.print(f"  {escape(d.reference)} {escape(d.filename)}: {escape(what)}", soft_wrap=True)
    for a in report.changed_applications:
        checks = ", ".join(f"{name}: {b or '-'} → {s}" for name, b, s in a.checks)
        console.print(f"  {escape(a.reference)}: {a.before} → {a.after} ({escape(checks)})", soft_wrap=True)


@app.command()
def retry(message: str = typer.Argument(..., help="The mail: its number in the web app, its Message-ID or its sha256")) -> None:
    """Process a failed or quarantined mail again now, from its stored copy, and send its reply."""
    from bot.outbox import send_pending
    from bot.quarantine import find, retry as retry_one

    rt = Runtime.open(settings())
    try:
        with Session(rt.engine) as session:
            row = find(session, message)
        if row is None:
            console.print(f"[red]Fejl:[/red] ingen mail svarer til {escape(message)!r} (brug nummeret, Message-ID eller sha256)")
            raise typer.Exit(1)
        try:
            row, reply = retry_one(rt, row.id, now())
        except ValueError as exc:
            console.print(f"[red]Fejl:[/red] mail {row.id}: {escape(str(exc))}")
            raise typer.Exit(1) from None
        if row.state != "processed":
            console.print(f"[red]mail {row.id} fejlede igen[/red] (forsøg {row.attempts}): {escape(row.error)}", soft_wrap=True)
            raise typer.Exit(1)
        sent = send_pending(rt.engine, rt.settings.delivery, now()).sent if reply is not None else 0
        console.print(f"mail {row.id} behandlet: {escape(row.kind)}" + (f", svar sendt ({sent})" if reply is not None else ", intet svar"))
    finally:
        rt.close()


@app.command("queue")
def queue_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the contract's shape)"),
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV: one row an application, a column a check"),
    wide: bool = typer.Option(False, "--wide", help="A column for every check (wider than 80 columns)"),
) -> None:
    """The triage queue."""
    from bot.queue import failed_mail, queue, unrouted_messages
    from taskforce_intake.tables import queue_csv, queue_table

    config = settings()
    rt = Runtime.open(config)
    with Session(rt.engine) as session:
        items = queue(session, config)
        failed = failed_mail(session)
        unrouted = unrouted_messages(session)
    if as_json:  # the applications and inquiries, then any mail that failed (kind "message")
        typer.echo(json.dumps([i.to_json(config.timezone) for i in [*items, *failed]], ensure_ascii=False, indent=2))
        return
    if as_csv:
        queue_csv(items, config.timezone, sys.stdout)
        return
    table = queue_table(items, config.timezone, wide)
    width = Console(width=1000).measure(table).maximum if wide else None  # --wide: as wide as its columns, whatever the terminal
    Console(width=width).print(table)
    for f in failed:
        console.print(f"[red]mail {f.id}[/red] fra {escape(f.sender)} ({escape(f.subject[:60])}): {escape(f.reason(config.timezone))}",
                      soft_wrap=True)
    if unrouted:
        console.print(f"[yellow]{unrouted} mail(s) matched no round's address; they are stored (message.kind = unrouted).[/yellow]")


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, "--host", help="Address to listen on (default [web] host, 127.0.0.1)"),
    port: Optional[int] = typer.Option(None, "--port", help="Port (default [web] port, 8080)"),
) -> None:
    """The secretariat's web app: the triage queue, applications, actions, exports."""
    from triage.server import serve as serve_app

    config = settings()
    _configure_logging(config)
    now()  # a wrong TASKFORCE_INTAKE_NOW is reported here, not on the first page
    serve_app(Runtime.open(config), clock.now, host or config.web.host, port or config.web.port)


def _configure_logging(config: Settings, once: bool = False) -> None:
    """The long-running commands log in `[monitoring] log_format` (json in the image); the level stays
    the one `--verbose` chose.  `run --once` in text format prints its summary, and a line per mail only
    with `--verbose` (a log collector, json, always gets one)."""
    from bot.logs import configure_logging

    configure_logging(config.monitoring.log_format, logging.getLogger().level,
                      events=not (once and config.monitoring.log_format == "text"))


@app.command("health")
def health_cmd(as_json: bool = typer.Option(False, "--json", help="Print the verdict as JSON (the body of /healthz)")) -> None:
    """Exit 0 when the database answers and the last mailbox poll is recent ([monitoring] poll_stale_seconds), else 1:
    the worker container's healthcheck."""
    from bot.health import check
    from storage.db import make_engine

    config = settings()
    engine = make_engine(config.database_url)  # no migration: a health check changes nothing
    try:
        verdict = check(engine, now(), config.monitoring.poll_stale_seconds)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(verdict.to_json(), ensure_ascii=False))
    elif verdict.healthy:
        age = f"sidste postkassekontrol for {verdict.last_poll_age:.0f} sekunder siden" if verdict.last_poll_age is not None else "ok"
        limit = config.monitoring.poll_stale_seconds
        typer.echo(f"sund: {age} " + (f"(grænse {limit} sekunder)" if limit else "(alderen overvåges ikke: [monitoring] poll_stale_seconds = 0)"))
    else:
        typer.echo("usund: " + "; ".join(verdict.reasons))
    raise typer.Exit(0 if verdict.healthy else 1)


user_app = typer.Typer(no_args_is_help=True, help="Secretariat accounts for the web app.")
app.add_typer(user_app, name="user")


T = TypeVar("T")
ROLE_HELP = "laeser (reads), sagsbehandler (also acts on applications), admin (also the round exports of personal data)"


def _on_accounts(change: Callable[[Engine], T]) -> T:
    """Run one change to the accounts on the database alone (not the readers a Runtime starts); a
    refused change (triage.auth.AccountError, Danish) is printed and exits with 1."""
    from storage.db import make_engine
    from storage.schema import prepare
    from triage.auth import AccountError

    engine = make_engine(settings().database_url)
    try:
        prepare(engine)  # `user add` may be a new installation's first command
        return change(engine)
    except AccountError as exc:
        console.print(f"[red]Fejl:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@user_app.command("add")
def user_add(name: str = typer.Argument(..., help="User name"),
             role: Role = typer.Option(Role.SAGSBEHANDLER, "--role", help=ROLE_HELP)) -> None:
    """Create an account; the password is read from stdin (first line)."""
    from triage.auth import add_user

    password = sys.stdin.readline().rstrip("\r\n")
    _on_accounts(lambda engine: add_user(engine, name, password, now(), role))
    console.print(f"brugeren {escape(name)} er oprettet som {role.value}")


def _change_user(name: str, done: str, **change: object) -> None:
    """A new password or a closed account ends the account's sessions at once (triage/auth.py)."""
    from triage.auth import change_user

    ended = _on_accounts(lambda engine: change_user(engine, name, **change))  # type: ignore[arg-type]
    console.print(f"brugeren {escape(name)} {done}" + (f"; {ended} session(er) er afsluttet" if ended else ""))


@user_app.command("role")
def user_role(name: str = typer.Argument(..., help="User name"), role: Role = typer.Argument(..., help=ROLE_HELP)) -> None:
    """Give an account another role; it applies at the account's next request, open sessions included."""
    from triage.auth import set_role

    _on_accounts(lambda engine: set_role(engine, name, role))
    console.print(f"brugeren {escape(name)} er nu {role.value}")


@user_app.command("passwd")
def user_passwd(name: str = typer.Argument(..., help="User name")) -> None:
    """Set a new password, read from stdin (first line); the account's open sessions end at once."""
    _change_user(name, "har fået ny adgangskode", password=sys.stdin.readline().rstrip("\r\n"))


@user_app.command("disable")
def user_disable(name: str = typer.Argument(..., help="User name")) -> None:
    """Close an account; its open sessions end at once."""
    _change_user(name, "er lukket", active=False)


@user_app.command("enable")
def user_enable(name: str = typer.Argument(..., help="User name")) -> None:
    """Open a closed account again."""
    _change_user(name, "er åbnet igen", active=True)


db_app = typer.Typer(no_args_is_help=True, help="The database's schema: its version, and the upgrade to this program's (Alembic migrations).")
app.add_typer(db_app, name="db")


def _on_database(use: Callable[[Engine], T]) -> T:
    """The database alone, no readers; a refusal (storage.schema.SchemaError) is printed by _Commands."""
    from storage.db import make_engine

    engine = make_engine(settings().database_url)
    try:
        return use(engine)
    finally:
        engine.dispose()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to this program's schema, also one made before migrations (take a backup first)."""
    from storage.schema import SchemaState, upgrade

    before, after = _on_database(upgrade)
    was = {SchemaState.EMPTY: "tom database", SchemaState.PRE_ALEMBIC: "uden version (før migreringerne)"}.get(before.state, before.revision)
    if before.revision == after.revision:
        typer.echo(f"{after.database}: allerede i version {after.revision}, den nyeste; intet ændret")
    else:
        typer.echo(f"{after.database}: opgraderet fra {was} til version {after.revision}")


@db_app.command("current")
def db_current() -> None:
    """The database's schema version and whether this program can use it."""
    from storage.schema import current

    schema = _on_database(current)
    typer.echo(f"{schema.database}: {schema.describe()}")


@db_app.command("revision")
def db_revision(message: str = typer.Argument(..., help="What the migration changes, e.g. \"application priority\"")) -> None:
    """For developers: write the next migration (storage/migrations/versions) from the models' differences to the newest."""
    from sqlmodel import SQLModel

    from storage import models  # noqa: F401  (the tables)
    from storage.schema import new_revision

    path = new_revision(message, SQLModel.metadata)
    typer.echo(f"skrevet: {path}; læs og ryd den op, og kør tests/integration/test_migrations.py")


retention_app = typer.Typer(no_args_is_help=True, help="Personal data: deleted after_close_days (section retention) after a case ended.")
app.add_typer(retention_app, name="retention")


def _megabytes(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB".replace(".", ",")


@retention_app.command("apply")
def retention_apply(
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be deleted; change nothing"),
    by: Optional[str] = typer.Option(None, "--by", help="Who runs it, for the audit trail (default: the OS user)"),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON"),
) -> None:
    """Delete the raw mails, files and document text of every case that ended `after_close_days` ago; keep the record."""
    from bot.claims import no_mail_in_hand
    from bot.retention import actor, apply_retention

    rt = Runtime.open(settings())
    try:
        with no_mail_in_hand(rt.engine):  # as the service's daily job: no worker has a mail half stored meanwhile
            report = apply_retention(rt, now(), actor(by), dry_run)
    finally:
        rt.close()
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return
    r = report.removal
    verb = "ville slette" if dry_run else "slettet"
    console.print(f"{verb}: indholdet af {len(r.messages)} mails, {len(r.blobs)} filer ({_megabytes(r.bytes)}), tekst i {r.readings} læsninger, "
                  f"{len(r.replies)} sendte svar; ansøgninger: {', '.join(report.applications) or 'ingen'}", soft_wrap=True)
    console.print(f"bevaret: {len(r.shared)} filer som en mail der endnu gemmes også har, {len(r.pending_replies)} svar der ikke er sendt, "
                  f"{report.waiting} mails hvis frist ({report.after_close_days} dage efter sagens afslutning) ikke er udløbet, "
                  f"{report.unprocessed} ubehandlede mails", soft_wrap=True)


subject_app = typer.Typer(no_args_is_help=True, help="One person's data by mail address: export (GDPR art. 15), erasure (art. 17).")
app.add_typer(subject_app, name="subject")


@subject_app.command("export")
def subject_export(
    address: str = typer.Argument(..., help="The mail address (case does not matter)"),
    out: Optional[Path] = typer.Option(None, "--out", help="The zip to write (default: indsigt-ADDRESS-DATE.zip here)"),
    by: Optional[str] = typer.Option(None, "--by", help="Who runs it, for the audit trail (default: the OS user)"),
) -> None:
    """Everything about one address as a zip with index.json: mails, files, replies, applications, notes."""
    from bot.retention import actor
    from bot.subjects import AddressError, export

    rt = Runtime.open(settings())
    try:
        report = export(rt, address, out, now(), actor(by))
    except AddressError as exc:
        console.print(f"[red]Fejl:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from None
    finally:
        rt.close()
    what = ", ".join(f"{k} {v}" for k, v in report.counts.items() if v)
    console.print(f"{escape(str(report.out))}: {escape(what or 'intet fundet')}", soft_wrap=True)


@subject_app.command("erase")
def subject_erase(
    address: str = typer.Argument(..., help="The mail address (case does not matter)"),
    yes: bool = typer.Option(False, "--yes", help="Erase without asking"),
    by: Optional[str] = typer.Option(None, "--by", help="Who runs it, for the audit trail (default: the OS user)"),
) -> None:
    """Delete what one address sent and replace the address by a pseudonym; the applications' record stays."""
    from bot.claims import no_mail_in_hand
    from bot.retention import actor
    from bot.subjects import AddressError, erase

    rt = Runtime.open(settings())
    try:
        at, who = now(), actor(by)
        try:
            plan = erase(rt, address, at, who, dry_run=True)
        except AddressError as exc:
            console.print(f"[red]Fejl:[/red] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2) from None
        c = plan.counts()
        console.print(f"{plan.address}: {c['messages']} mails ({c['files']} filer), {c['replies']} svar, {c['texts']} tekster der nævner adressen, "
                      f"ansøgninger: {', '.join(plan.applications) or 'ingen'}; andres mails der nævner adressen (bevares): "
                      f"{c['other_mails_naming_the_address']}", soft_wrap=True)
        if not yes:
            typer.confirm(f"Slet og erstat adressen med {plan.pseudonym}?", abort=True)
        with no_mail_in_hand(rt.engine):
            report = erase(rt, address, at, who)
    finally:
        rt.close()
    c = report.counts()
    console.print(f"slettet: {c['messages']} mails, {c['files']} filer ({_megabytes(c['bytes'])}), {c['replies']} svar "
                  f"({c['cancelled_replies']} ikke sendt: annulleret), {c['readings']} læsninger; adressen erstattet i {c['texts']} tekster "
                  f"af {report.pseudonym}; bevaret: {c['shared_files_kept']} filer som andre også har sendt", soft_wrap=True)
    console.print("Husk postkassens egen kopi (mappen Behandlet): søg adressen frem og slet mailene dér.", soft_wrap=True)


config_app = typer.Typer(no_args_is_help=True, help="The settings: validated, and every connection they name tried.")
app.add_typer(config_app, name="config")


@config_app.command("check")
def config_check() -> None:
    """Validate the settings (file and environment) and try each connection: database, IMAP, SMTP, the OAuth
    token, the folders; one line a check, exit 1 if any failed.  Nothing is created and no mail is sent."""
    from bot.config_check import run_checks

    results = run_checks(State.config)
    for result in results:
        typer.echo(result.line())
    if any(result.failed for result in results):
        raise typer.Exit(1)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
