"""`automechanica brands add|alias|list|rename` and `automechanica part-types
list|add|edit|synonym`: people extend the brand table and the taxonomy."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

import psycopg
import typer
from rich.table import Table

from automechanica.catalog.brands import (
    add_brand,
    get_brand,
    learn_alias,
    list_brands,
    rename_brand,
)
from automechanica.catalog.taxonomy import (
    PartTypeRow,
    add_part_type,
    add_synonyms,
    edit_part_type,
    list_part_types,
)
from automechanica.cli.common import console, run_on_database
from automechanica.config import Settings

brands_app = typer.Typer(help="Brands and their spellings.", no_args_is_help=True)
part_types_app = typer.Typer(help="The part-type taxonomy.", no_args_is_help=True)


async def _connect(url: str) -> psycopg.AsyncConnection[Any]:
    return await psycopg.AsyncConnection.connect(url, autocommit=True)


@brands_app.command("list")
def brands_list(
    search: Annotated[str | None, typer.Option(help="part of the name")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 100,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Brands with their AAIA id and spellings."""

    async def job(url: str, _: Settings) -> list[Any]:
        async with await _connect(url) as conn:
            return await list_brands(conn, search=search, limit=limit)

    rows = run_on_database(job)
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in rows], indent=2))
        return
    table = Table("id", "brand", "AAIA", "spellings")
    for r in rows:
        table.add_row(str(r.id), r.name, r.aaia_id or "", ", ".join(r.aliases))
    console.print(table)


@brands_app.command("add")
def brands_add(
    name: str,
    aaia: Annotated[str | None, typer.Option(help="AAIA brand id (4 letters)")] = None,
    alias: Annotated[list[str] | None, typer.Option(help="another spelling (repeatable)")] = None,
) -> None:
    """Add a brand the store carries."""

    async def job(url: str, _: Settings) -> Any:
        async with await _connect(url) as conn:
            return await add_brand(conn, name, aaia_id=aaia, aliases=alias or [])

    row = run_on_database(job)
    console.print(f"Added brand {row.name} (#{row.id}) with spellings: {', '.join(row.aliases)}")


@brands_app.command("alias")
def brands_alias(
    alias: Annotated[str, typer.Argument(help="the spelling, as a supplier writes it")],
    brand: Annotated[str, typer.Argument(help="the brand's name or id")],
) -> None:
    """Teach a spelling of a brand ('Moog Chassis Parts' -> Moog)."""

    async def job(url: str, _: Settings) -> tuple[str, str]:
        async with await _connect(url) as conn:
            ref = await get_brand(conn, int(brand) if brand.isdigit() else brand)
            return await learn_alias(conn, alias, ref.id, source="operator"), ref.name

    key, name = run_on_database(job)
    console.print(f"{alias!r} (key {key}) now names {name}.")


@brands_app.command("rename")
def brands_rename(old: str, new: str) -> None:
    """Rename a brand; the old name stays a spelling of it."""

    async def job(url: str, _: Settings) -> Any:
        async with await _connect(url) as conn:
            return await rename_brand(conn, int(old) if old.isdigit() else old, new)

    ref = run_on_database(job)
    console.print(f"Brand #{ref.id} is now {ref.name}.")


@part_types_app.command("list")
def part_types_list(
    category: Annotated[str | None, typer.Option(help="only this category")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Part types by category, with their synonyms."""

    async def job(url: str, _: Settings) -> list[PartTypeRow]:
        async with await _connect(url) as conn:
            return await list_part_types(conn)

    rows = [
        r
        for r in run_on_database(job)
        if category is None or r.category.lower() == category.lower()
    ]
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in rows], indent=2))
        return
    table = Table("slug", "category", "fits by", "synonyms")
    for r in rows:
        table.add_row(
            r.slug,
            r.category,
            ", ".join(r.fit_attributes) or "universal",
            ", ".join(r.synonyms[:6]),
        )
    console.print(table)


@part_types_app.command("add")
def part_types_add(
    name: str,
    category: Annotated[str, typer.Option(help="the system, e.g. Brakes")],
    description: Annotated[str, typer.Option(help="one sentence: what it is")],
    synonym: Annotated[list[str] | None, typer.Option(help="a trade name (repeatable)")] = None,
    fit: Annotated[list[str] | None, typer.Option(help="an attribute deciding fit")] = None,
    universal: Annotated[bool, typer.Option(help="fits any vehicle")] = False,
) -> None:
    """Add a part type to the taxonomy."""

    async def job(url: str, _: Settings) -> PartTypeRow:
        async with await _connect(url) as conn:
            return await add_part_type(
                conn,
                name,
                category=category,
                description=description,
                synonyms=synonym or [],
                fit_attributes=fit or [],
                universal=universal,
            )

    row = run_on_database(job)
    console.print(f"Added part type {row.name} ({row.slug}) in {row.category}.")


@part_types_app.command("edit")
def part_types_edit(
    key: Annotated[str, typer.Argument(help="slug or name")],
    category: Annotated[str | None, typer.Option()] = None,
    description: Annotated[str | None, typer.Option()] = None,
    fit: Annotated[list[str] | None, typer.Option(help="attributes deciding fit")] = None,
    universal: Annotated[bool | None, typer.Option("--universal/--not-universal")] = None,
    not_word: Annotated[list[str] | None, typer.Option(help="a word saying it is not this")] = None,
) -> None:
    """Change a part type's category, description, fit attributes or not-words."""

    async def job(url: str, _: Settings) -> PartTypeRow:
        async with await _connect(url) as conn:
            return await edit_part_type(
                conn,
                key,
                category=category,
                description=description,
                fit_attributes=fit,
                universal=universal,
                not_words=not_word,
            )

    row = run_on_database(job)
    console.print(f"Part type {row.name}: {row.category}; {row.description}")


@part_types_app.command("synonym")
def part_types_synonym(
    key: Annotated[str, typer.Argument(help="slug or name")],
    words: Annotated[list[str], typer.Argument(help="trade names to add")],
) -> None:
    """Teach a part type more of the words people use for it."""

    async def job(url: str, _: Settings) -> PartTypeRow:
        async with await _connect(url) as conn:
            return await add_synonyms(conn, key, words)

    row = run_on_database(job)
    console.print(f"{row.name} is also called: {', '.join(row.synonyms)}")
