"""`automechanica vehicles`: the vehicle base (vPIC, an owner's VCdb) and proposed vehicles."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import psycopg
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from automechanica.catalog.vcdb import VcdbLoad, load_vcdb
from automechanica.catalog.vehicle_aliases import store_model_aliases
from automechanica.catalog.vehicle_base_load import BaseLoad, full_base_loaded, load_full_base
from automechanica.catalog.vehicle_proposed import (
    Status,
    accept_proposed,
    list_proposed,
    reject_proposed,
)
from automechanica.cli.common import console, database, errors, fail
from automechanica.config import Settings
from automechanica.db import migrate as migrations
from automechanica.errors import AutoMechanicaError

vehicles_app = typer.Typer(
    help="The vehicle base: vPIC, your VCdb, proposals.", no_args_is_help=True
)
proposed_app = typer.Typer(
    help="Base vehicles suppliers named that vPIC lacks.", no_args_is_help=True
)
vehicles_app.add_typer(proposed_app, name="proposed")


async def load_full(url: str, *, force: bool = False) -> BaseLoad:
    """Load every vPIC vehicle with a progress bar, then the seed model aliases."""
    async with await psycopg.AsyncConnection.connect(url) as conn:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("vehicle base", total=1)

            def progress(stage: str, done: int, total: int) -> None:
                bar.update(task, description=f"vehicle base: {stage}", completed=done, total=total)

            result = await load_full_base(conn, force=force, progress=progress)
        await store_model_aliases(conn)
        await conn.commit()
        return result


async def full_base_missing(url: str) -> bool:
    """Whether `up` still has to load the full vehicle base (first start)."""
    async with await psycopg.AsyncConnection.connect(url) as conn:
        return not await full_base_loaded(conn)


def say_load(result: BaseLoad) -> None:
    t = result.totals
    totals = (
        f"{t.makes:,} makes, {t.models:,} models, {t.base_vehicles:,} base vehicles, "
        f"{t.vehicles:,} configurations"
    )
    if result.skipped:
        console.print(f"The vehicle base ({result.source}) is already loaded: {totals}.")
        return
    a = result.added
    console.print(
        f"Vehicle base {result.source}: {result.decodes:,} VIN decodes in {result.seconds:.0f} s; "
        f"added {a.makes:,} makes, {a.models:,} models, {a.base_vehicles:,} base vehicles, "
        f"{a.vehicles:,} configurations. Now {totals}."
    )


@vehicles_app.command("load")
def vehicles_load(
    full: Annotated[
        bool, typer.Option("--full", help="every vPIC car, MPV and truck, 1981 on")
    ] = False,
    vcdb: Annotated[
        Path | None, typer.Option("--vcdb", help="a directory holding your VCdb ASCII export")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="enumerate again even if this data month is loaded")
    ] = False,
) -> None:
    """Load the vehicle base: `--full` from vPIC (offline), `--vcdb DIR` from your VCdb export."""
    if not full and vcdb is None:
        errors.print("[bold red]error:[/] say what to load: --full, --vcdb DIR, or both")
        raise typer.Exit(2)
    try:
        with database(Settings(), migrated=False) as url:
            migrations.migrate(url)
            if full:
                say_load(asyncio.run(load_full(url, force=force)))
            if vcdb is not None:
                say_vcdb(asyncio.run(_load_vcdb(url, vcdb)))
    except AutoMechanicaError as exc:
        raise fail(exc) from exc


async def _load_vcdb(url: str, directory: Path) -> VcdbLoad:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        result = await load_vcdb(conn, directory)
        await store_model_aliases(conn)
        await conn.commit()
        return result


def say_vcdb(result: VcdbLoad) -> None:
    a = result.added
    console.print(
        f"VCdb: {result.base_vehicles:,} base vehicles, {result.vehicles:,} vehicles, "
        f"{result.configurations:,} engine configurations mapped; added {a.base_vehicles:,} "
        f"base vehicles and {a.vehicles:,} configurations."
    )


@proposed_app.command("list")
def proposed_list(
    status: Annotated[str, typer.Option(help="proposed, accepted, rejected or all")] = "proposed",
) -> None:
    """List proposed base vehicles (by default those waiting for a decision)."""
    if status not in {"proposed", "accepted", "rejected", "all"}:
        errors.print("[bold red]error:[/] --status is proposed, accepted, rejected or all")
        raise typer.Exit(2)
    wanted: Status | None = None if status == "all" else status  # type: ignore[assignment]

    async def run(url: str) -> list[Any]:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            return list(await list_proposed(conn, wanted))

    try:
        with database(Settings()) as url:
            rows = asyncio.run(run(url))
    except AutoMechanicaError as exc:
        raise fail(exc) from exc
    table = Table("id", "year", "make", "model", "named by", "status")
    for r in rows:
        table.add_row(
            str(r.id), str(r.year), r.make, r.model, f"{r.supplier}: {r.file_name}", r.status
        )
    empty = "No vehicles have been proposed." if status == "all" else f"No {status} vehicles."
    console.print(table if rows else empty)


@proposed_app.command("accept")
def proposed_accept(proposal_id: int) -> None:
    """Accept a proposed vehicle: it becomes a base vehicle."""

    async def run(url: str) -> int:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            base_vehicle_id = await accept_proposed(conn, proposal_id)
            await conn.commit()
            return base_vehicle_id

    try:
        with database(Settings()) as url:
            base_vehicle_id = asyncio.run(run(url))
    except AutoMechanicaError as exc:
        raise fail(exc) from exc
    console.print(f"Accepted #{proposal_id}: base vehicle {base_vehicle_id}.")


@proposed_app.command("reject")
def proposed_reject(proposal_id: int) -> None:
    """Reject a proposed vehicle."""

    async def run(url: str) -> None:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            await reject_proposed(conn, proposal_id)
            await conn.commit()

    try:
        with database(Settings()) as url:
            asyncio.run(run(url))
    except AutoMechanicaError as exc:
        raise fail(exc) from exc
    console.print(f"Rejected #{proposal_id}.")
