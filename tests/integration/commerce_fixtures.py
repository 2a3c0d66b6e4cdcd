"""A small priced store for commerce tests: parts with prices, offers and fitment.

Every part is offered by a supplier whose name and SKU must never reach a public
answer (`SECRET_SUPPLIER`, `SECRET_SKU`); prices are set here, as the pricing
agent would set them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

SECRET_SUPPLIER = "zenith-hidden-supplier"
SECRET_SKU = "ZHS-SECRET"
ADDRESS = {
    "name": "Pat Driver",
    "line1": "1 Main St",
    "city": "Austin",
    "state": "TX",
    "postal_code": "78701",
}


@dataclass(frozen=True)
class Store:
    vehicle: int  # a configuration the "fits" parts fit
    other_vehicle: int  # a configuration of another base vehicle
    oil_filter: int  # fits, $12.50, 3 in stock (EAST)
    alternator: int  # fits, $180.00, core $30.00, 2 in stock (DAL)
    brake_pads: int  # fits only the other vehicle, $45.00
    unpriced: int  # fits, no price: not for sale
    sold_out: int  # fits, $9.99, no stock
    jumper_cables: int  # universal, $24.00


PART = """
INSERT INTO parts (brand_id, part_number, mpn_normalized, part_type_id, title, price, fit_class)
SELECT b.id, %(number)s, %(number)s, t.id, %(title)s, %(price)s, %(fit_class)s
FROM brands b, part_types t WHERE b.name = %(brand)s AND t.name = %(type)s
RETURNING id
"""
OFFER = """
INSERT INTO supplier_parts (supplier_id, supplier_sku, part_id, brand_raw, mpn_raw, cost,
                            core_charge, stock, stock_total, content_hash)
SELECT id, %(sku)s, %(part)s, 'x', 'x', %(cost)s, %(core)s, %(stock)s, %(total)s, 'x'
FROM suppliers WHERE name = %(supplier)s
"""
FITMENT = """
INSERT INTO fitments (part_id, part_type_id, base_vehicle_id, source, confidence)
SELECT id, part_type_id, %(base)s, 'feed:test', 0.9 FROM parts WHERE id = %(part)s
"""
TWO_BASES = """
SELECT (SELECT v.id FROM vehicles v WHERE v.base_vehicle_id = b.id ORDER BY v.id LIMIT 1) AS id,
       b.id AS base
FROM (SELECT DISTINCT base_vehicle_id AS id FROM vehicles v
      WHERE coalesce(v.fuel, '') <> 'Electric' ORDER BY 1 LIMIT 2) b
"""


async def build_store(conn: psycopg.AsyncConnection[Any]) -> Store:
    await conn.execute(
        "INSERT INTO suppliers (name, display_name) VALUES (%s, %s)",
        (SECRET_SUPPLIER, "Zenith Hidden"),
    )
    rows = await (await conn.execute(TWO_BASES)).fetchall()
    (vehicle, base), (other, other_base) = [(r[0], r[1]) for r in rows]

    async def part(
        number: str,
        title: str,
        brand: str,
        type_: str,
        price: str | None,
        *,
        stock: dict[str, int],
        cost: str = "5.00",
        core: str | None = None,
        fits: int | None = base,
        fit_class: str = "vehicle_specific",
    ) -> int:
        row = await (
            await conn.execute(
                PART,
                {
                    "number": number,
                    "title": title,
                    "price": price,
                    "brand": brand,
                    "type": type_,
                    "fit_class": fit_class,
                },
            )
        ).fetchone()
        assert row is not None, (brand, type_)
        await conn.execute(
            OFFER,
            {
                "sku": f"{SECRET_SKU}-{number}",
                "part": row[0],
                "cost": cost,
                "core": core,
                "stock": Jsonb(stock),
                "total": sum(stock.values()),
                "supplier": SECRET_SUPPLIER,
            },
        )
        if fits is not None:
            await conn.execute(FITMENT, {"base": fits, "part": row[0]})
        return int(row[0])

    store = Store(
        vehicle=vehicle,
        other_vehicle=other,
        oil_filter=await part(
            "PH7317", "Fram Oil Filter", "Fram", "Oil Filter", "12.50",
            stock={"EAST": 3, "WEST": 0}, cost="4.10",
        ),
        alternator=await part(
            "13985", "Bosch Alternator", "Bosch", "Alternator", "180.00",
            stock={"DAL": 2}, cost="110.00", core="30.00",
        ),
        brake_pads=await part(
            "ZD1212", "Wagner Brake Pads", "Wagner", "Brake Pads", "45.00",
            stock={"ATL": 5}, cost="20.00", fits=other_base,
        ),
        unpriced=await part(
            "CA1234", "Fram Air Filter", "Fram", "Engine Air Filter", None, stock={"EAST": 2}
        ),
        sold_out=await part(
            "CF10134", "Fram Cabin Air Filter", "Fram", "Cabin Air Filter", "9.99",
            stock={"EAST": 0},
        ),
        jumper_cables=await part(
            "JC-16", "Dorman Jumper Cables", "Dorman", "Jumper Cables", "24.00",
            stock={"WEST": 9}, fits=None, fit_class="universal",
        ),
    )  # fmt: skip
    await conn.commit()
    return store


def store_for(db_url: str) -> Store:
    """The store in the database at `db_url` (for sync API tests)."""

    async def run() -> Store:
        async with await psycopg.AsyncConnection.connect(db_url) as conn:
            return await build_store(conn)

    return asyncio.run(run())


def rows(db_url: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of a query, read the way an operator would check the database."""
    with psycopg.connect(db_url) as conn:
        return conn.execute(query, params).fetchall()
