"""`automechanica prices`: import a competitor feed, refresh prices, show a part's prices."""

from __future__ import annotations

import getpass
import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import psycopg
import typer
from psycopg.rows import dict_row
from rich.markup import escape
from rich.table import Table

from automechanica.agents.pricing import DECISION
from automechanica.catalog.normalize import normalize_mpn
from automechanica.cli.common import console, run_on_database
from automechanica.cli.drive import drive
from automechanica.commerce.competitors import (
    CompetitorImport,
    import_competitor_prices,
    write_demo_competitor_feed,
)
from automechanica.commerce.pricing import PriceCard, money, price_card
from automechanica.config import Settings
from automechanica.errors import AutoMechanicaError, InvalidInputError, NotFoundError
from automechanica.orchestrator import get_policy, start_workflow
from automechanica.orchestrator.workflows.pricing import PRICING_REFRESH, pricing_rules

prices_app = typer.Typer(
    help="Prices: competitor feeds, the pricing refresh, a part's price history.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
SHOWN_PROBLEMS = 50

FIND_PART = """
SELECT p.id, b.name AS brand FROM parts p JOIN brands b ON b.id = p.brand_id
WHERE p.mpn_normalized = %(mpn)s ORDER BY b.name
"""


async def _connect(url: str) -> psycopg.AsyncConnection[Any]:
    return await psycopg.AsyncConnection.connect(url, autocommit=True, row_factory=dict_row)


def _print_import(report: CompetitorImport, shown: int = SHOWN_PROBLEMS) -> None:
    console.print(
        f"{report.source}: {report.rows_read} rows; matched {report.matched_by_mpn} by brand + "
        f"part number and {report.matched_by_upc} by UPC; {report.stored} prices stored, "
        f"{report.already_stored} already stored; {report.unmatched} unmatched, "
        f"{report.malformed} malformed.",
        markup=False,
    )
    if not report.problems:
        return
    table = Table("line", "row", "why")
    for p in report.problems[:shown]:
        table.add_row(str(p.line), p.kind, escape(p.reason))
    console.print(table)
    hidden = report.unmatched + report.malformed - min(shown, len(report.problems))
    if hidden > 0:
        console.print(f"… and {hidden} more (`--json` lists up to {len(report.problems)}).")


@prices_app.command("import-competitors")
def import_competitors(
    file: Annotated[Path, typer.Argument(help="a CSV: competitor, brand, part_number, upc, …")],
    source: Annotated[str | None, typer.Option(help="the feed's name (default: file name)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Store competitors' prices from a CSV; rows that match no part are reported."""

    async def job(url: str, settings: Settings) -> None:
        async with await _connect(url) as conn:
            report = await import_competitor_prices(conn, file, source=source)
        if as_json:
            console.print_json(json.dumps(asdict(report), default=str))
        else:
            _print_import(report)

    run_on_database(job)


async def run_refresh(
    url: str,
    settings: Settings,
    *,
    part_ids: list[int] | None = None,
    ask_model: bool = False,
    key: str | None = None,
    started_by: str | None = None,
    quiet: bool = False,
) -> dict[str, Any]:
    """Start `pricing_refresh` and run its batches in this process until it settles."""
    given: dict[str, Any] = {"ask_model": ask_model}
    if part_ids:
        given["part_ids"] = part_ids
    async with await _connect(url) as conn:
        workflow_id = await start_workflow(
            conn, PRICING_REFRESH, given, idempotency_key=key, started_by=started_by
        )
    timeline = await drive(url, settings, workflow_id, quiet=quiet)
    if timeline.status != "completed":
        raise AutoMechanicaError(
            f"pricing_refresh {workflow_id} ended {timeline.status}: {timeline.error or ''} "
            f"(`automechanica workflow show {workflow_id}`)"
        )
    output: dict[str, Any] = timeline.output or {}
    return output


@prices_app.command("refresh")
def refresh(
    part: Annotated[list[int] | None, typer.Option(help="only this part id (repeatable)")] = None,
    ask_model: Annotated[
        bool, typer.Option(help="let a language model propose prices (checked by policy)")
    ] = False,
    key: Annotated[str | None, typer.Option(help="idempotency key: run once per key")] = None,
) -> None:
    """Price every active part now (the workflow the schedule runs)."""

    async def job(url: str, settings: Settings) -> None:
        summary = await run_refresh(
            url, settings, part_ids=part, ask_model=ask_model, key=key, started_by=getpass.getuser()
        )
        console.print(
            "Prices refreshed: " + ", ".join(f"{k} {v}" for k, v in summary.items()), markup=False
        )
        if summary.get("held"):
            console.print("Held moves wait in `automechanica reviews list` (kind pricing.price).")

    run_on_database(job)


async def _find(conn: psycopg.AsyncConnection[Any], part: str) -> int:
    if part.isdigit():
        return int(part)
    async with conn.cursor() as cur:
        await cur.execute(FIND_PART, {"mpn": normalize_mpn(part)})
        rows = await cur.fetchall()
    if not rows:
        raise NotFoundError("part", part)
    if len(rows) > 1:
        brands = ", ".join(f"{r['brand']} (id {r['id']})" for r in rows)
        raise InvalidInputError(f"{part!r} is the number of several parts: {brands}; use the id.")
    return int(rows[0]["id"])


def _print_card(card: PriceCard) -> None:
    part, q = card.part, card.quote
    console.print(
        f"[bold]{escape(part['brand'])} {escape(part['part_number'])}[/] (part {part['id']}): "
        f"price {money(part['price'])}"
    )
    if q is not None:
        console.print(
            f"floor {money(q.floor)}, ceiling {money(q.ceiling)}; the rule says "
            f"{money(q.price)} ({q.basis}): {q.reason}",
            markup=False,
        )
    if card.competitors:
        table = Table("competitor", "price", "seen", "source", title="competitors")
        for c in card.competitors:
            table.add_row(
                escape(c["competitor"]),
                money(c["price"]),
                f"{c['seen_at']:%Y-%m-%d}",
                escape(c["source"] or ""),
            )
        console.print(table)
    table = Table("when", "price", "from", "floor", "ceiling", "reason", title="history")
    for h in card.history:
        table.add_row(
            f"{h['created_at']:%Y-%m-%d %H:%M}",
            money(h["price"]),
            money(h["previous_price"]),
            money(h["floor"]),
            money(h["ceiling"]),
            escape(h["reason"] or ""),
        )
    console.print(table if card.history else "No price changes yet.")


@prices_app.command("show")
def show(
    part: Annotated[str, typer.Argument(help="a part id, or its part number")],
    as_json: JsonOpt = False,
) -> None:
    """A part's price, floor, ceiling, competitors and history with reasons."""

    async def job(url: str, settings: Settings) -> None:
        async with await _connect(url) as conn:
            rules = pricing_rules(await get_policy(conn, DECISION))
            card = await price_card(conn, await _find(conn, part), rules)
        if as_json:
            body = {
                "part": card.part,
                "quote": card.quote.to_json() if card.quote else None,
                "competitors": card.competitors,
                "history": card.history,
            }
            console.print_json(json.dumps(body, default=str))
        else:
            _print_card(card)

    run_on_database(job)


async def price_demo_store(url: str, settings: Settings) -> None:
    """The demo's competitor feed written and imported, then every part priced."""
    path = settings.data_dir / "demo-feeds" / "competitors.csv"
    async with await _connect(url) as conn:
        rows = await write_demo_competitor_feed(conn, path, seed=settings.demo_seed)
        console.print(f"Importing the demo competitor feed ({rows} rows)…")
        _print_import(await import_competitor_prices(conn, path), shown=5)
    summary = await run_refresh(url, settings, key="demo-pricing", started_by="demo")
    console.print("Demo prices: " + ", ".join(f"{k} {v}" for k, v in summary.items()), markup=False)
