"""`automechanica vin | feeds | fitment | demo`: the catalog's commands."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import psycopg
import typer
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
from automechanica.cli.common import console, database, errors, fail
from automechanica.config import Settings
from automechanica.db import migrate as migrations
from automechanica.errors import AutoMechanicaError

vin_app = typer.Typer(help="VIN decoding (offline NHTSA data).", no_args_is_help=True)
feeds_app = typer.Typer(help="Supplier feeds.", no_args_is_help=True)
fitment_app = typer.Typer(help="Fitment tools.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo store.", no_args_is_help=True)


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
        raise fail(exc) from exc
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
        raise fail(exc) from exc
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
        raise fail(exc) from exc
    typer.echo(json.dumps(parsed.to_json(), indent=2))


@demo_app.command("load")
def demo_load() -> None:
    """Load the demo store (vehicles, three suppliers' feeds) into the database."""
    settings = Settings()
    try:
        with database(settings) as url:
            migrations.migrate(url)
            asyncio.run(load_demo(url, settings))
    except AutoMechanicaError as exc:
        raise fail(exc) from exc


async def load_demo(url: str, settings: Settings) -> None:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        await load_demo_store(
            conn,
            settings.data_dir / "demo-feeds",
            seed=settings.demo_seed,
            parts=settings.demo_parts,
            vins_per_type=settings.demo_vins_per_type,
            say=console.print,
        )


async def demo_missing(url: str) -> bool:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        return not await demo_loaded(conn)
