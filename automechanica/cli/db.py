"""`automechanica db`: schema migrations."""

from __future__ import annotations

from typing import Annotated

import typer

from automechanica.cli.common import console, database, fail
from automechanica.config import Settings
from automechanica.db import migrate as migrations
from automechanica.errors import AutoMechanicaError

db_app = typer.Typer(help="Schema migrations.", no_args_is_help=True)


@db_app.command("migrate")
def db_migrate() -> None:
    """Bring the schema to the newest revision."""
    try:
        with database(Settings(), migrated=False) as url:
            migrations.migrate(url)
            console.print(f"Schema at revision {migrations.status(url).current}.")
    except AutoMechanicaError as exc:
        raise fail(exc) from exc


@db_app.command("status")
def db_status() -> None:
    """Show the applied revision and what is still to apply."""
    try:
        with database(Settings(), migrated=False) as url:
            state = migrations.status(url)
    except AutoMechanicaError as exc:
        raise fail(exc) from exc
    console.print(f"current: {state.current or '(empty database)'}  head: {state.head}")
    console.print("up to date" if state.up_to_date else f"pending: {', '.join(state.pending)}")


@db_app.command("reset")
def db_reset(
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Drop every table and migrate again (all data is lost)."""
    if not yes:
        typer.confirm("This deletes every part, order and decision. Continue?", abort=True)
    try:
        with database(Settings(), migrated=False) as url:
            migrations.reset(url)
    except AutoMechanicaError as exc:
        raise fail(exc) from exc
    console.print("Schema dropped and migrated again.")
