"""The catalog as a product feed for AI shopping surfaces and Google Merchant Center.

One row per priced, active part, with the attributes those readers know (id, title,
description, link, price, availability, brand, gtin/mpn, condition, product_type)
and the store's own in `custom_attributes`: neither format has a fitment field,
so the vehicles a part fits go there, collapsed into year ranges. Only confident
fitment is published (published rows at or above the `fitment.publish` policy's
threshold, which the caller passes in): a wrong fit claim in an ad can suspend a
merchant account (DOMAIN.md). Nothing an operator keeps to itself is in a row: no
cost, no supplier, no SKU.

Rows are read in batches by part id (keyset), each batch one statement that also
collapses its fitments, so exporting 100,000 parts holds one batch in memory.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from psycopg import AsyncConnection
from psycopg.rows import dict_row

FeedFormat = Literal["jsonl", "csv"]
FORMATS: tuple[FeedFormat, ...] = ("jsonl", "csv")
#: Google's product taxonomy path for every row: the store sells vehicle parts only.
GOOGLE_CATEGORY = "Vehicles & Parts > Vehicle Parts & Accessories"
#: The columns of the CSV feed, in order (the JSON lines carry the same, with
#: `custom_attributes` as an object instead of the flattened last columns).
CSV_COLUMNS = (
    "id",
    "title",
    "description",
    "link",
    "image_link",
    "price",
    "availability",
    "brand",
    "gtin",
    "mpn",
    "identifier_exists",
    "condition",
    "google_product_category",
    "product_type",
    "fitment_type",
    "compatible_vehicles",
    "core_charge",
)
_GTIN = re.compile(r"^(\d{8}|\d{12,14})$")

COUNT_UNPRICED = """
SELECT count(*) AS unpriced FROM parts WHERE status = 'active' AND price IS NULL
"""
#: One batch of feed rows after part id %(after)s, with its confident fitment
#: collapsed into year ranges (consecutive years of one make/model/trim/engine/drive:
#: year minus its rank is constant along a run).
SELECT_BATCH = """
WITH batch AS (
    SELECT p.id, p.part_number, p.title, p.description, p.upc, p.fit_class, p.price,
           b.name AS brand, t.name AS part_type, t.category
    FROM parts p
    JOIN brands b ON b.id = p.brand_id
    JOIN part_types t ON t.id = p.part_type_id
    WHERE p.status = 'active' AND p.price IS NOT NULL AND p.id > %(after)s
    ORDER BY p.id
    LIMIT %(limit)s
),
fits AS (
    SELECT DISTINCT f.part_id, ma.name AS make, mo.name AS model, bv.year, f.submodel,
           f.engine_liters, f.drive
    FROM batch x
    JOIN fitments f ON f.part_id = x.id
    JOIN base_vehicles bv ON bv.id = f.base_vehicle_id
    JOIN makes ma ON ma.id = bv.make_id
    JOIN models mo ON mo.id = bv.model_id
    WHERE f.status = 'published' AND f.confidence >= %(min_confidence)s
),
runs AS (
    SELECT part_id, make, model, submodel, engine_liters, drive, year,
           year - row_number() OVER (
               PARTITION BY part_id, make, model, submodel, engine_liters, drive
               ORDER BY year) AS run
    FROM fits
),
ranges AS (
    SELECT part_id, make, model, submodel, engine_liters, drive,
           min(year) AS year_start, max(year) AS year_end
    FROM runs
    GROUP BY part_id, make, model, submodel, engine_liters, drive, run
)
SELECT x.*, pc.title AS page_title, pc.description AS page_description,
       o.stock_total, o.core_charge,
       coalesce((
           SELECT jsonb_agg(jsonb_build_object(
               'year_start', r.year_start, 'year_end', r.year_end, 'make', r.make,
               'model', r.model, 'submodel', r.submodel, 'engine_liters', r.engine_liters,
               'drive', r.drive)
               ORDER BY r.make, r.model, r.year_start, r.submodel NULLS FIRST,
                        r.engine_liters NULLS FIRST, r.drive NULLS FIRST)
           FROM ranges r WHERE r.part_id = x.id), '[]') AS vehicles
FROM batch x
LEFT JOIN product_content pc ON pc.part_id = x.id
LEFT JOIN LATERAL (
    SELECT coalesce(sum(sp.stock_total), 0) AS stock_total, max(sp.core_charge) AS core_charge
    FROM supplier_parts sp WHERE sp.part_id = x.id
) o ON true
ORDER BY x.id
"""


@dataclass(frozen=True)
class FeedOptions:
    """Where product links point, and how sure a fitment must be to be published."""

    base_url: str
    min_fitment_confidence: float
    currency: str = "USD"
    batch_size: int = 500


@dataclass
class FeedCounts:
    """What an export wrote and what it left out, and why."""

    written: int = 0
    unpriced: int = 0
    vehicle_ranges: int = 0


async def count_unpriced(conn: AsyncConnection[Any]) -> int:
    """Active parts left out of the feed because they have no price yet."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(COUNT_UNPRICED)
        row = await cur.fetchone()
    return int(row["unpriced"]) if row else 0


async def feed_items(
    conn: AsyncConnection[Any], options: FeedOptions, counts: FeedCounts | None = None
) -> AsyncIterator[dict[str, Any]]:
    """Every feed row, in part id order; `counts` is filled in as rows go by."""
    counts = counts if counts is not None else FeedCounts()
    counts.unpriced = await count_unpriced(conn)
    after = 0
    while True:
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                SELECT_BATCH,
                {
                    "after": after,
                    "limit": options.batch_size,
                    "min_confidence": options.min_fitment_confidence,
                },
            )
            rows = await cur.fetchall()
        for row in rows:
            item = feed_item(row, options)
            counts.written += 1
            counts.vehicle_ranges += len(item["custom_attributes"]["compatible_vehicles"])
            yield item
        if len(rows) < options.batch_size:
            return
        after = rows[-1]["id"]


def feed_item(row: dict[str, Any], options: FeedOptions) -> dict[str, Any]:
    """One part as a feed row (Merchant Center attribute names)."""
    universal = row["fit_class"] == "universal"
    vehicles = [] if universal else [_vehicle(v) for v in row["vehicles"]]
    gtin = row["upc"] if row["upc"] and _GTIN.match(row["upc"]) else None
    return {
        "id": f"AM{row['id']}",
        "title": _clip(row["page_title"] or row["title"], 150),
        "description": _clip(row["page_description"] or row["description"] or row["title"], 5000),
        "link": f"{options.base_url.rstrip('/')}/parts/{row['id']}",
        "image_link": None,  # the catalog holds no images yet (docs/mcp.md)
        "price": f"{Decimal(row['price']):.2f} {options.currency}",
        "availability": "in_stock" if int(row["stock_total"] or 0) > 0 else "out_of_stock",
        "brand": row["brand"],
        "gtin": gtin,
        "mpn": row["part_number"],
        "identifier_exists": "yes",
        "condition": "new",
        "google_product_category": GOOGLE_CATEGORY,
        "product_type": f"Auto Parts > {row['category']} > {row['part_type']}",
        "custom_attributes": {
            "fitment_type": "universal" if universal else "vehicle_specific",
            "compatible_vehicles": vehicles,
            "core_charge": None
            if row["core_charge"] is None
            else f"{Decimal(row['core_charge']):.2f} {options.currency}",
        },
    }


def _vehicle(v: dict[str, Any]) -> dict[str, Any]:
    years = (
        str(v["year_start"])
        if v["year_start"] == v["year_end"]
        else f"{v['year_start']}-{v['year_end']}"
    )
    liters = v["engine_liters"]
    words = [years, v["make"], v["model"], v["submodel"] or "", f"{liters}L" if liters else ""]
    words.append(v["drive"] or "")
    return {**v, "label": " ".join(w for w in words if w)}


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def jsonl_line(item: dict[str, Any]) -> str:
    return json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n"


def csv_row(item: dict[str, Any]) -> list[str]:
    """The CSV columns of a row: custom attributes flattened, vehicles as '; '-joined
    labels."""
    custom = item["custom_attributes"]
    flat = {
        **item,
        "fitment_type": custom["fitment_type"],
        "compatible_vehicles": "; ".join(v["label"] for v in custom["compatible_vehicles"]),
        "core_charge": custom["core_charge"],
    }
    return ["" if flat[c] is None else str(flat[c]) for c in CSV_COLUMNS]


def csv_text(rows: Iterable[list[str]], *, header: bool = False) -> str:
    """CSV text for `rows` (and the header first when asked)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(CSV_COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


async def feed_chunks(
    conn: AsyncConnection[Any],
    options: FeedOptions,
    form: FeedFormat,
    counts: FeedCounts | None = None,
) -> AsyncIterator[str]:
    """The feed as text, a batch of rows per chunk: for a file or an HTTP stream."""
    if form == "csv":
        yield csv_text([], header=True)
    batch: list[str] = []
    async for item in feed_items(conn, options, counts):
        batch.append(jsonl_line(item) if form == "jsonl" else csv_text([csv_row(item)]))
        if len(batch) >= options.batch_size:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)
