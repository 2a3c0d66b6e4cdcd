"""A small demo catalog with store prices, for tests of what outside shoppers see.

Nothing writes `parts.price` before the pricing agent runs, so the tests price the
parts themselves: cost plus 35 %, and every tenth part left unpriced on purpose.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg

from automechanica.catalog.demo import DEMO_FEEDS
from automechanica.catalog.feeds.generator import generate_demo_feeds
from automechanica.catalog.feeds.importer import import_feed
from automechanica.catalog.vehicle_config import VehicleConfig

PRICE_PARTS = """
UPDATE parts p SET price = round(o.cost * 1.35, 2)
FROM (SELECT part_id, min(cost) AS cost FROM supplier_parts GROUP BY part_id) o
WHERE o.part_id = p.id AND p.id % 10 <> 0
"""


async def load_priced_store(
    conn: psycopg.AsyncConnection[object], folder: Path, vehicles: list[VehicleConfig]
) -> None:
    generate_demo_feeds(folder, vehicles, seed=9, parts=400)
    for supplier, name in DEMO_FEEDS:
        await import_feed(conn, folder / name, supplier=supplier)
    await conn.execute(PRICE_PARTS)


def load_priced_store_sync(db_url: str, folder: Path, vehicles: list[VehicleConfig]) -> None:
    async def run() -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            await load_priced_store(conn, folder, vehicles)

    asyncio.run(run())
