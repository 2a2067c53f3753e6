"""The `taskforce-intake` command (Typer).  Settings and the clock are read here, at the edge, and
handed down as values."""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlmodel import Session

from config.settings import CONFIG_ENV, ConfigError, Settings, load_settings
from bot import clock
from bot.engines import quiet_libraries
from bot.runtime import Runtime

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Task Force intake: the mailbox bot and the secretariat's queue.")
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
    from bot.mailboxes import MailboxError
    from bot.service import run_once

    config = settings()
    rt = Runtime.open(config)
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

    config = settings()
    report = reread_all(Runtime.open(config), now(), round_id)
    console.print(f"læst igen: {report.documents} dokumenter i {report.applications} ansøgninger; "
                  f"ændret: {len(report.changed_documents)} dokumenter, {len(report.changed_applications)} ansøgninger")
    for d in report.changed_documents:
        what = f"{d.before} → {d.after}" + (" (nye oplysninger)" if d.facts_changed and d.before.split()[0] == d.after else "")
        console.print(f"  {escape(d.reference)} {escape(d.filename)}: {escape(what)}", soft_wrap=True)
    for a in report.changed_applications:
        checks = ", ".join(f"{name}: {b or '-'} → {s}" for name, b, s in a.checks)
        console.print(f"  {escape(a.reference)}: {a.before} → {a.after} ({escape(checks)})", soft_wrap=True)


@app.command("queue")
def queue_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON (the contract's shape)")) -> None:
    """The triage queue."""
    from bot.queue import queue, unrouted_messages

    config = settings()
    rt = Runtime.open(config)
    with Session(rt.engine) as session:
        items = queue(session, config)
    if as_json:
        typer.echo(json.dumps([i.to_json(config.timezone) for i in items], ensure_ascii=False, indent=2))
        return
    print_queue(items, config)
    with Session(rt.engine) as session:
        unrouted = unrouted_messages(session)
    if unrouted:
        console.print(f"[yellow]{unrouted} mail(s) matched no round's address; they are stored (message.kind = unrouted).[/yellow]")


def print_queue(items, config: Settings) -> None:
    table = Table(title="Triagekø", show_lines=False)
    for column in ("Reference", "Runde", "Kommune", "Status", "Modtaget", "Mails", "Skema", "Underskrift", "Referat", "Møde"):
        table.add_column(column)
    for i in items:
        checks = [i.checks.get(n, {}).get("status", "") for n in ("application_form", "director_signature", "political_backing", "initial_meeting")]
        table.add_row(i.reference, i.round, i.municipality or "?", i.status,
                      i.received_at.astimezone(config.timezone).strftime("%d.%m.%Y %H:%M:%S"), str(i.messages), *checks)
    Console().print(table)


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, "--host", help="Address to listen on (default [web] host, 127.0.0.1)"),
    port: Optional[int] = typer.Option(None, "--port", help="Port (default [web] port, 8080)"),
) -> None:
    """The secretariat's web app: the triage queue, applications, actions, exports."""
    from triage.server import serve as serve_app

    config = settings()
    now()  # a wrong TASKFORCE_INTAKE_NOW is reported here, not on the first page
    serve_app(Runtime.open(config), clock.now, host or config.web.host, port or config.web.port)


user_app = typer.Typer(no_args_is_help=True, help="Secretariat accounts for the web app.")
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(name: str = typer.Argument(..., help="User name")) -> None:
    """Create an account; the password is read from stdin (first line)."""
    from triage.auth import AccountError, add_user

    password = sys.stdin.readline().rstrip("\r\n")
    rt = Runtime.open(settings())
    try:
        add_user(rt.engine, name, password, now())
    except AccountError as exc:
        console.print(f"[red]Fejl:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"brugeren {escape(name)} er oprettet")


def _change_user(name: str, done: str, **change: object) -> None:
    from triage.auth import AccountError, change_user

    rt = Runtime.open(settings())
    try:
        change_user(rt.engine, name, **change)  # type: ignore[arg-type]
    except AccountError as exc:
        console.print(f"[red]Fejl:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"brugeren {escape(name)} {done}")


@user_app.command("passwd")
def user_passwd(name: str = typer.Argument(..., help="User name")) -> None:
    """Set a new password, read from stdin (first line)."""
    _change_user(name, "har fået ny adgangskode", password=sys.stdin.readline().rstrip("\r\n"))


@user_app.command("disable")
def user_disable(name: str = typer.Argument(..., help="User name")) -> None:
    """Close an account; its open sessions end at their next request."""
    _change_user(name, "er lukket", active=False)


@user_app.command("enable")
def user_enable(name: str = typer.Argument(..., help="User name")) -> None:
    """Open a closed account again."""
    _change_user(name, "er åbnet igen", active=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
