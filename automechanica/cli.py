"""The `automechanica` command."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import psycopg
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from automechanica.catalog.demo import demo_loaded, load_demo_store
from automechanica.catalog.feeds.importer import ImportSummary, import_feed
from automechanica.catalog.feeds.readers import count_records, detect_format
from automechanica.catalog.feeds.records import FEED_FORMATS
from automechanica.catalog.fitment_text import VehicleVocabulary, parse_fitment_text
from automechanica.catalog.vehicles import SELECT_MAKE_MODEL_PAIRS
from automechanica.catalog.vin_match import match_vin
from automechanica.config import Settings
from automechanica.db import migrate as migrations
from automechanica.db.connection import check_server
from automechanica.db.embedded import EmbeddedPostgres
from automechanica.errors import AutoMechanicaError

app = typer.Typer(help="AutoMechanica: run an online auto-parts store.", no_args_is_help=True)
db_app = typer.Typer(help="Schema migrations.", no_args_is_help=True)
vin_app = typer.Typer(help="VIN decoding (offline NHTSA data).", no_args_is_help=True)
feeds_app = typer.Typer(help="Supplier feeds.", no_args_is_help=True)
fitment_app = typer.Typer(help="Fitment tools.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo store.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(vin_app, name="vin")
app.add_typer(feeds_app, name="feeds")
app.add_typer(fitment_app, name="fitment")
app.add_typer(demo_app, name="demo")

#: The CLI starts the API by name: nothing imports `api` (DESIGN.md §2).
API_FACTORY = "automechanica.api.app:create_app_from_settings"
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


def _fail(exc: AutoMechanicaError) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {exc.message}")
    return typer.Exit(code=1)


@db_app.command("migrate")
def db_migrate() -> None:
    """Bring the schema to the newest revision."""
    try:
        with database(Settings()) as url:
            migrations.migrate(url)
            console.print(f"Schema at revision {migrations.status(url).current}.")
    except AutoMechanicaError as exc:
        raise _fail(exc) from exc


@db_app.command("status")
def db_status() -> None:
    """Show the applied revision and what is still to apply."""
    try:
        with database(Settings()) as url:
            state = migrations.status(url)
    except AutoMechanicaError as exc:
        raise _fail(exc) from exc
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
        with database(Settings()) as url:
            migrations.reset(url)
    except AutoMechanicaError as exc:
        raise _fail(exc) from exc
    console.print("Schema dropped and migrated again.")


@vin_app.command("decode")
def vin_decode(vin: str) -> None:
    """Decode a VIN and name the matching configurations in the catalog."""

    async def run(url: str) -> dict[str, Any]:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            return await match_vin(conn, vin)

    try:
        with database(Settings()) as url:
            result = asyncio.run(run(url))
    except AutoMechanicaError as exc:
        raise _fail(exc) from exc
    console.print(result["message"])
    decoded = result["decoded"]
    console.print("decoded: " + ", ".join(f"{k}={v}" for k, v in decoded.items() if v is not None))
    for problem in result["problems"]:
        console.print(f"[yellow]warning:[/] {problem}")
    table = Table("id", "vehicle", "engine", "drive", "body", "transmission")
    for m in result["matches"]:
        engine = (
            f"{m['engine_liters']}L {m['engine_cylinders'] or ''}cyl"
            if m["engine_liters"]
            else (m["fuel"] or "")
        )
        table.add_row(
            str(m["id"]),
            f"{m['year']} {m['make']} {m['model']} {m['submodel'] or ''}",
            engine,
            m["drive"] or "",
            m["body"] or "",
            m["transmission"] or "",
        )
    if result["matches"]:
        console.print(table)


@feeds_app.command("import")
def feeds_import(
    file: Annotated[Path, typer.Argument(help="the supplier's file")],
    supplier: Annotated[str, typer.Option(help="the supplier's name, e.g. northstar")],
    format: Annotated[str | None, typer.Option(help="csv, jsonl, pies or aces")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Import a supplier feed: normalize, dedupe, store offers and fitments."""
    if format is not None and format not in FEED_FORMATS:
        errors.print(
            f"[bold red]error:[/] unknown format {format!r}; use one of {', '.join(FEED_FORMATS)}"
        )
        raise typer.Exit(2)

    async def run(url: str) -> ImportSummary:
        fmt = format or detect_format(file)
        total = count_records(file, fmt)
        async with await psycopg.AsyncConnection.connect(url) as conn:
            with Progress(
                TextColumn("Importing {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            ) as progress:
                task = progress.add_task(file.name, total=total)

                def advance(rows: int) -> None:
                    progress.update(task, completed=min(rows, total))

                return await import_feed(
                    conn, file, supplier=supplier, fmt=fmt, on_progress=advance
                )

    try:
        with database(Settings()) as url:
            migrations.migrate(url)
            summary = asyncio.run(run(url))
    except AutoMechanicaError as exc:
        raise _fail(exc) from exc
    if as_json:
        typer.echo(json.dumps(asdict(summary), default=str, indent=2))
    else:
        _print_summary(summary)


def _print_summary(summary: ImportSummary) -> None:
    table = Table(
        title=f"{summary.file_name} ({summary.format}) from {summary.supplier}", show_header=False
    )
    for label, value in (
        ("rows read", summary.rows_read),
        ("parts created", summary.parts_created),
        ("parts updated", summary.parts_updated),
        ("parts merged", summary.parts_merged),
        ("offers", summary.offers),
        ("fitments", summary.fitments),
        ("rows rejected", summary.rows_rejected),
        ("warnings", summary.warnings),
    ):
        table.add_row(label, f"{value:,}")
    console.print(table)
    for r in summary.rejections:
        console.print(f"  {r.where}: {r.reason}")
    hidden = summary.rows_rejected + summary.warnings - len(summary.rejections)
    if hidden > 0:
        console.print(f"  … and {hidden} more in import report #{summary.report_id}")


@fitment_app.command("parse")
def fitment_parse(text: str) -> None:
    """Parse free-text fitment into structured applications (JSON)."""

    async def pairs(url: str) -> list[tuple[str, str]]:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            cur = await conn.execute(SELECT_MAKE_MODEL_PAIRS)
            return [(r[0], r[1]) for r in await cur.fetchall()]

    try:
        with database(Settings()) as url:
            vocabulary = VehicleVocabulary.from_pairs(asyncio.run(pairs(url)))
        parsed = parse_fitment_text(text, vocabulary)
    except AutoMechanicaError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps(parsed.to_json(), indent=2))


@demo_app.command("load")
def demo_load() -> None:
    """Load the demo store (vehicles, three suppliers' feeds) into the database."""
    settings = Settings()
    try:
        with database(settings) as url:
            migrations.migrate(url)
            asyncio.run(_load_demo(url, settings))
    except AutoMechanicaError as exc:
        raise _fail(exc) from exc


async def _load_demo(url: str, settings: Settings) -> None:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        await load_demo_store(
            conn,
            settings.data_dir / "demo-feeds",
            seed=settings.demo_seed,
            parts=settings.demo_parts,
            vins_per_type=settings.demo_vins_per_type,
            say=console.print,
        )


async def _demo_missing(url: str) -> bool:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        return not await demo_loaded(conn)


@app.command("up")
def up(
    host: Annotated[str | None, typer.Option(help="address to serve on")] = None,
    port: Annotated[int | None, typer.Option(help="port to serve on")] = None,
    demo: Annotated[bool, typer.Option(help="load the demo store on first start")] = True,
) -> None:
    """Migrate, load the demo store on first start, and serve the API until Ctrl-C."""
    import uvicorn

    settings = Settings()
    try:
        with database(settings) as url:
            console.print("Migrating the schema…")
            migrations.migrate(url)
            if demo and asyncio.run(_demo_missing(url)):
                console.print("First start: loading the demo store.")
                asyncio.run(_load_demo(url, settings))
            os.environ["AUTOMECHANICA_DATABASE_URL"] = url  # read by the API's factory
            bind_host, bind_port = host or settings.host, port or settings.port
            console.print(
                f"Serving on http://{bind_host}:{bind_port} (API docs at /docs). Ctrl-C stops."
            )
            uvicorn.run(
                API_FACTORY, factory=True, host=bind_host, port=bind_port, log_level="warning"
            )
    except AutoMechanicaError as exc:
        raise _fail(exc) from exc
    console.print("Stopped.")
