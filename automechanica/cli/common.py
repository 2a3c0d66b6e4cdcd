"""What every command shares: the consoles, the database to use, error reporting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
import typer
from rich.console import Console
from rich.markup import escape

from automechanica.config import Settings
from automechanica.db.connection import check_schema, check_server, translate
from automechanica.db.embedded import EmbeddedPostgres
from automechanica.errors import AutoMechanicaError

T = TypeVar("T")

console = Console()
errors = Console(stderr=True)


@contextmanager
def database(settings: Settings, *, migrated: bool = True) -> Iterator[str]:
    """The database URL to use: the configured server, or the embedded one (started here).

    With `migrated` (all but `db` and `up`, which migrate) a database without the
    schema is refused with one sentence. Inside the block, a driver error meaning
    "unreachable" or "not migrated" becomes a `DatabaseError` saying what to do.
    """
    if settings.database_url:
        check_server(settings.database_url)
        with _translated(settings.database_url, migrated):
            yield settings.database_url
        return
    server = EmbeddedPostgres(settings.embedded_pgdata)
    server.start()
    try:
        with _translated(server.url(), migrated):
            yield server.url()
    finally:
        server.stop()


@contextmanager
def _translated(url: str, migrated: bool) -> Iterator[None]:
    if migrated:
        check_schema(url)
    try:
        yield
    except psycopg.Error as exc:
        error = translate(url, exc)
        if error is None:
            raise
        raise error from exc  # (a pool's PoolTimeout is an OperationalError: unreachable)


def fail(exc: AutoMechanicaError) -> typer.Exit:
    """Print the error's own message, on one line, and exit with status 1."""
    errors.print(f"[bold red]error:[/] {escape(exc.message)}", soft_wrap=True)
    return typer.Exit(code=1)


def run_on_database(job: Callable[[str, Settings], Coroutine[Any, Any, T]]) -> T:
    """Run `job(url, settings)` against the database to use; an error exits with its message."""
    try:
        settings = Settings()
        with database(settings) as url:
            return asyncio.run(job(url, settings))
    except AutoMechanicaError as exc:
        raise fail(exc) from exc
