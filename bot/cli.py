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

from bot import clock
from config.settings import CONFIG_ENV, ConfigError, Settings, load_settings

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
def run(once: bool = typer.Option(False, "--once", help="One pass: fetch, process, deliver, exit")) -> None:
    """Fetch new mail, process it and deliver the replies."""
    from bot.intake import Runtime
    from bot.mailboxes import MailboxError
    from bot.service import run_once

    config = settings()
    rt = Runtime.open(config)
    if not once:
        from bot.scheduler import run_forever

        run_forever(rt)
        return
    try:
        summary = run_once(rt, now())
    except MailboxError as exc:  # unreachable or refused: say which server, exit non-zero, no traceback
        console.print(f"[red]Fejl:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(
        f"hentet {summary.fetched}, gemt {summary.stored}, behandlet {summary.processed}, "
        f"fejlet {summary.failed}, svar sendt {summary.replies_sent}"
    )
    for error in summary.errors:
        console.print(f"[yellow]{escape(error)}[/yellow]", soft_wrap=True)


@app.command("queue")
def queue_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON (the contract's shape)")) -> None:
    """The triage queue."""
    from bot.intake import Runtime
    from bot.queue import queue

    config = settings()
    rt = Runtime.open(config)
    with Session(rt.engine) as session:
        items = queue(session, config)
    if as_json:
        typer.echo(json.dumps([i.to_json(config.timezone) for i in items], ensure_ascii=False, indent=2))
        return
    print_queue(items, config)


def print_queue(items, config: Settings) -> None:
    table = Table(title="Triagekø", show_lines=False)
    for column in ("Reference", "Runde", "Kommune", "Status", "Modtaget", "Mails", "Skema", "Underskrift", "Referat", "Møde"):
        table.add_column(column)
    for i in items:
        checks = [i.checks.get(n, {}).get("status", "") for n in ("application_form", "director_signature", "political_backing", "initial_meeting")]
        table.add_row(i.reference, i.round, i.municipality or "?", i.status,
                      i.received_at.astimezone(config.timezone).strftime("%d.%m.%Y %H:%M:%S"), str(i.messages), *checks)
    Console().print(table)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
