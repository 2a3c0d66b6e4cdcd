"""What every command shares: the consoles, the database to use, error reporting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from rich.console import Console

from automechanica.config import Settings
from automechanica.db.connection import check_server
from automechanica.db.embedded import EmbeddedPostgres
from automechanica.errors import AutoMechanicaError

T = TypeVar("T")

console = Console()
errors = Console(stderr=True)


@contextmanager
def database(settings: Settings) -> Iterator[str]:
    """The database URL to use: the configured server, or the embedded one (started here)."""
    if settings.database_url:
        check_server(settings.database_url)
        yield settings.database_url
        return
    server = EmbeddedPostgres(settings.embedded_pgdata)
    server.start()
    try:
        yield server.url()
    finally:
        server.stop()


def fail(exc: AutoMechanicaError) -> typer.Exit:
    """Print the error's own message and exit with status 1."""
    errors.print(f"[bold red]error:[/] {exc.message}")
    return typer.Exit(code=1)


def run_on_database(job: Callable[[str, Settings], Coroutine[Any, Any, T]]) -> T:
    """Run `job(url, settings)` against the database to use; an error exits with its message."""
    settings = Settings()
    try:
        with database(settings) as url:
            return asyncio.run(job(url, settings))
    except AutoMechanicaError as exc:
        raise fail(exc) from exc
