"""`automechanica feed export`: the product feed for shopping surfaces, to a file.

Supplier feeds coming in are `automechanica feeds`; this is the store's own feed
going out (catalog/product_feed.py). The file is written beside its final name and
renamed into place, so a surface fetching it never reads half a feed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import psycopg
import typer
from psycopg.rows import dict_row

from automechanica.catalog.product_feed import (
    FORMATS,
    FeedCounts,
    FeedOptions,
    feed_chunks,
)
from automechanica.cli.common import console, fail, run_on_database
from automechanica.config import Settings
from automechanica.errors import InvalidInputError
from automechanica.orchestrator.policies import get_policy

feed_app = typer.Typer(
    help="The store's product feed for AI shopping surfaces and Merchant Center.",
    no_args_is_help=True,
)


@feed_app.command("export")
def feed_export(
    out: Annotated[Path, typer.Option("--out", help="the file to write")],
    form: Annotated[str, typer.Option("--format", help="jsonl or csv")] = "jsonl",
    base_url: Annotated[
        str | None,
        typer.Option(help="the store's public address for product links [default: host:port]"),
    ] = None,
) -> None:
    """Write every priced, active part with its confident fitment; say what was left out."""

    if form not in FORMATS:  # refused before any database is started
        raise fail(InvalidInputError(f"--format {form!r}: use one of {', '.join(FORMATS)}."))
    if out.is_dir():
        raise fail(InvalidInputError(f"--out {out} is a folder; give a file name."))

    async def job(url: str, settings: Settings) -> tuple[FeedCounts, float]:
        async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row) as conn:
            threshold = (await get_policy(conn, "fitment.publish")).threshold
            options = FeedOptions(
                base_url=base_url or f"http://{settings.host}:{settings.port}",
                min_fitment_confidence=threshold,
            )
            counts = FeedCounts()
            partial = out.with_name(out.name + ".partial")
            out.parent.mkdir(parents=True, exist_ok=True)
            with partial.open("w", encoding="utf-8", newline="") as file:
                async for chunk in feed_chunks(conn, options, form, counts):
                    file.write(chunk)
            os.replace(partial, out)
        return counts, threshold

    counts, threshold = run_on_database(job)
    console.print(
        f"{counts.written} products written to {out} ({form}); "
        f"{counts.unpriced} active parts left out for having no price yet; "
        f"{counts.vehicle_ranges} vehicle ranges at fitment confidence ≥ {threshold:.2f}."
    )
