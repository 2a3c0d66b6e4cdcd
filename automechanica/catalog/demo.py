"""The demo store: reference data, vehicles from VIN decodes, three suppliers' feeds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from psycopg import AsyncConnection

from automechanica.catalog.feeds.generator import generate_demo_feeds
from automechanica.catalog.feeds.importer import import_feed
from automechanica.catalog.reference import store_reference_data
from automechanica.catalog.vehicles import demo_vehicle_configs, store_vehicles

#: (supplier name, file name) in import order: PIES before its ACES fitment.
DEMO_FEEDS = (
    ("northstar", "northstar.csv"),
    ("parts-direct", "parts-direct.jsonl"),
    ("atlas", "atlas-pies.xml"),
    ("atlas", "atlas-aces.xml"),
)
Say = Callable[[str], None]

HAS_CATALOG = "SELECT EXISTS (SELECT 1 FROM parts) AS loaded"


async def demo_loaded(conn: AsyncConnection[Any]) -> bool:
    async with conn.cursor() as cur:
        await cur.execute(HAS_CATALOG)
        row = await cur.fetchone()
    return bool(row and row[0])


#: Imports one demo file for a supplier and returns its import counts. The CLI passes
#: one that onboards the file through the orchestrator's workflow.
Onboard = Callable[[Path, str], Awaitable[dict[str, Any]]]


async def load_demo_store(
    conn: AsyncConnection[Any],
    feeds_dir: Path,
    *,
    seed: int = 2026,
    parts: int = 5200,
    vins_per_type: int = 300,
    say: Say = print,
    onboard: Onboard | None = None,
) -> list[dict[str, Any]]:
    """Load reference data and vehicles, write the demo feeds, import them (through
    `onboard` when given, else the importer directly)."""
    async with conn.transaction():
        await store_reference_data(conn)
    say("Decoding VINs into vehicle configurations (ultravin, offline)…")
    configs = demo_vehicle_configs(vins_per_type=vins_per_type)
    async with conn.transaction():
        added = await store_vehicles(conn, configs)
    say(f"  {added} vehicle configurations stored")
    feeds_dir.mkdir(parents=True, exist_ok=True)
    generate_demo_feeds(feeds_dir, configs, seed=seed, parts=parts)
    summaries = []
    for supplier, name in DEMO_FEEDS:
        say(f"Importing {name} from {supplier}…")
        if onboard is not None:
            counts = await onboard(feeds_dir / name, supplier)
        else:
            counts = asdict(await import_feed(conn, feeds_dir / name, supplier=supplier))
        say(
            f"  {counts['rows_read']} rows, {counts['parts_created']} parts created, "
            f"{counts['parts_merged']} merged, {counts['fitments']} fitments, "
            f"{counts['rows_rejected']} rejected"
        )
        summaries.append(counts)
    return summaries
