"""The pricing refresh over a generated catalog: parts/s beside a bare UPDATE, in one run.

    .venv/bin/python -m bench.commerce_pricing [--parts 100000] [--batch 2000]

A fresh embedded PostgreSQL (schema, reference data), then `--parts` parts with
one or two supplier offers each (cost < jobber < MAP <= MSRP, MAP on 70%, some
out of stock) written by COPY, and the demo's competitor feed for them
(`write_demo_competitor_feed`: ~75% of parts at one to three competitors),
imported by `import_competitor_prices` (rows/s). Then, on the same rows:

  - baseline: a bare `UPDATE parts SET price = …` over the same parts, one
    statement per batch of `--batch` ids (no reading of offers, no rule, no
    history, no workflow);
  - ours, first prices: `pricing_refresh` started and driven in process exactly as
    `automechanica prices refresh` does (a Worker of concurrency 4 over batches of
    2,000 parts: one read of the facts, the rule per part in Python, one statement
    writing prices and history, one agent event per batch);
  - ours, again: the same refresh with nothing changed (the scheduled steady state).

Target (issue 13): a refresh of 100,000 parts under 60 s.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import random
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

from automechanica.catalog.feeds.values import gtin_check_digit
from automechanica.cli.pricing import run_refresh
from automechanica.commerce.competitors import (
    import_competitor_prices,
    write_demo_competitor_feed,
)
from automechanica.config import Settings
from bench._setup import bench_database, prepare_catalog

CENT = Decimal("0.01")


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def _copy_text(rows: list[tuple[Any, ...]]) -> str:
    out = io.StringIO()
    for row in rows:
        out.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    return out.getvalue()


async def generate(url: str, parts: int, seed: int = 13) -> None:
    """`parts` parts with their offers, by COPY (the importer is benchmarked elsewhere)."""
    rng = random.Random(seed)
    async with await psycopg.AsyncConnection.connect(url) as conn:
        brands = [r[0] for r in await (await conn.execute("SELECT id FROM brands")).fetchall()]
        types = [r[0] for r in await (await conn.execute("SELECT id FROM part_types")).fetchall()]
        await conn.execute(
            "INSERT INTO suppliers (name, display_name) VALUES ('bench-a', 'A'), ('bench-b', 'B')"
        )
        suppliers = [
            r[0] for r in await (await conn.execute("SELECT id FROM suppliers")).fetchall()
        ]
        rows = []
        for i in range(parts):
            number = f"BN{i:07d}"
            upc = None
            if i % 5 == 0:
                body = f"0{i:010d}"
                upc = body + str(gtin_check_digit(body))
            rows.append((brands[i % len(brands)], number, number, types[i % len(types)],
                         f"Bench part {i}", upc))  # fmt: skip
        async with conn.cursor() as cur:
            async with cur.copy(
                "COPY parts (brand_id, part_number, mpn_normalized, part_type_id, title, upc) "
                "FROM STDIN"
            ) as copy:
                await copy.write(_copy_text(rows))
            await cur.execute("SELECT id, part_number FROM parts ORDER BY id")
            ids = await cur.fetchall()
        offers = []
        for part_id, number in ids:
            cost = rng.uniform(4, 300)
            jobber = cost * rng.uniform(1.25, 1.6)
            map_price = jobber * rng.uniform(1.05, 1.2) if rng.random() < 0.7 else None
            msrp = (map_price or jobber * 1.1) * rng.uniform(1.0, 1.25)
            for n, supplier in enumerate(suppliers[: rng.randint(1, 2)]):
                offer_cost = cost * rng.uniform(0.9, 1.1)
                offers.append((
                    supplier, f"{number}-{n}", part_id, "Bench", number, _money(offer_cost),
                    _money(jobber), None if map_price is None else _money(map_price),
                    _money(msrp), rng.choice((0, 3, 12)), "bench",
                ))  # fmt: skip
        async with (
            conn.cursor() as cur,
            cur.copy(
                "COPY supplier_parts (supplier_id, supplier_sku, part_id, brand_raw, mpn_raw, "
                "cost, jobber, map_price, msrp, stock_total, content_hash) FROM STDIN"
            ) as copy,
        ):
            await copy.write(_copy_text(offers))
        await conn.commit()
        await conn.set_autocommit(True)
        await conn.execute("VACUUM ANALYZE parts")
        await conn.execute("VACUUM ANALYZE supplier_parts")


async def competitors(url: str, folder: Path) -> tuple[int, float]:
    path = folder / "competitors.csv"
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await write_demo_competitor_feed(conn, path, seed=5)
        started = time.perf_counter()
        report = await import_competitor_prices(conn, path)
        took = time.perf_counter() - started
        await conn.execute("VACUUM ANALYZE competitor_prices")
    print(
        f"competitor feed: {report.rows_read} rows in {took:.2f} s "
        f"({report.rows_read / took:,.0f} rows/s); stored {report.stored}, "
        f"by MPN {report.matched_by_mpn}, by UPC {report.matched_by_upc}, "
        f"unmatched {report.unmatched}, malformed {report.malformed}"
    )
    return report.rows_read, took


async def baseline(url: str, batch: int) -> tuple[int, float]:
    """A bare UPDATE of the same rows, one statement per batch; prices cleared after."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        ids = [
            r[0] for r in await (await conn.execute("SELECT id FROM parts ORDER BY id")).fetchall()
        ]
        prices = [_money(10 + (i % 500)) for i in range(len(ids))]
        started = time.perf_counter()
        for at in range(0, len(ids), batch):
            chunk = ids[at : at + batch]
            await conn.execute(  # the range lets it use the primary key, as ours does
                "UPDATE parts p SET price = c.price FROM unnest(%s::bigint[], %s::numeric[]) "
                "AS c(id, price) WHERE p.id = c.id AND p.id BETWEEN %s AND %s",
                (chunk, prices[at : at + batch], chunk[0], chunk[-1]),
            )
        took = time.perf_counter() - started
        await conn.execute("UPDATE parts SET price = NULL")
        await conn.execute("VACUUM ANALYZE parts")
    return len(ids), took


async def ours(url: str) -> tuple[dict[str, Any], float]:
    settings = Settings(database_url=url)
    started = time.perf_counter()
    summary = await run_refresh(url, settings, quiet=True)
    return summary, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with bench_database("pricing") as (url, folder):
        prepare_catalog(url, vins_per_type=5)
        started = time.perf_counter()
        asyncio.run(generate(url, args.parts))
        print(f"catalog: {args.parts:,} parts generated in {time.perf_counter() - started:.1f} s")
        asyncio.run(competitors(url, folder))
        rows, took = asyncio.run(baseline(url, args.batch))
        print(f"baseline, bare UPDATE of {rows:,} parts: {took:.2f} s ({rows / took:,.0f} parts/s)")
        summary, took = asyncio.run(ours(url))
        priced = sum(summary.values()) - summary.get("no_offer", 0)
        print(
            f"ours, pricing_refresh (first prices): {priced:,} parts in {took:.2f} s "
            f"({priced / took:,.0f} parts/s) — {summary}"
        )
        summary, took = asyncio.run(ours(url))
        priced = sum(summary.values()) - summary.get("no_offer", 0)
        print(
            f"ours, pricing_refresh (nothing changed): {priced:,} parts in {took:.2f} s "
            f"({priced / took:,.0f} parts/s) — {summary}"
        )
        print("target: 100,000 parts under 60 s")


if __name__ == "__main__":
    main()
