"""What the import writer decides across batches: repeated SKUs and filling existing parts
come out the same whether the rows share a batch or not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from automechanica.catalog.feeds.importer import import_feed

Conn = psycopg.AsyncConnection[Any]


@pytest.mark.parametrize("batch_size", [1, 2, 100])
async def test_a_sku_repeated_twice_names_the_row_just_before(
    conn: Conn, tmp_path: Path, batch_size: int
) -> None:
    path = tmp_path / "repeats.csv"
    path.write_text(
        "sku,brand,mpn,description,part_type,cost\n"
        "A-1,Fram,PH7317,Fram oil filter,Oil Filter,4.00\n"
        "B-1,Fram,PH3614,Fram oil filter,Oil Filter,4.50\n"
        "A-1,Fram,PH7317,Fram oil filter,Oil Filter,3.75\n"
        "C-1,Fram,PH8A,Fram oil filter,Oil Filter,5.00\n"
        "A-1,Fram,PH7317,Fram oil filter,Oil Filter,3.50\n",
        encoding="utf-8",
    )
    summary = await import_feed(conn, path, supplier="acme", batch_size=batch_size)
    assert summary.warnings == 2
    again = "with other values; this later row's values replace them"
    assert [(r.line, r.reason.partition(" (")[0]) for r in summary.warning_list] == [
        (4, f"SKU 'A-1' already appeared at line 2 {again}"),
        (6, f"SKU 'A-1' already appeared at line 4 {again}"),
    ]
    row = await (
        await conn.execute("SELECT cost FROM supplier_parts WHERE supplier_sku = 'A-1'")
    ).fetchone()
    assert row is not None and str(row["cost"]) == "3.50"


@pytest.mark.parametrize("batch_size", [1, 100])
async def test_a_later_supplier_fills_what_a_part_lacks_first_offer_first(
    conn: Conn, tmp_path: Path, batch_size: int
) -> None:
    first = tmp_path / "one.csv"
    first.write_text(
        "sku,brand,mpn,title,part_type,cost,attr_Thread\n"
        "O-1,Fram,PH7317,Fram Extra Guard,Oil Filter,4.00,3/4-16\n"
        "O-2,Fram,PH3614,Fram Extra Guard,Oil Filter,4.00,\n",
        encoding="utf-8",
    )
    await import_feed(conn, first, supplier="one")
    second = tmp_path / "two.csv"
    second.write_text(
        "sku,brand,mpn,description,upc,cost,attr_Thread,attr_Height,attr_Gasket\n"
        "T-1,Fram,PH7317,the first description,,4.10,M20,5 in,\n"
        "T-2,FRAM,PH-7317,the second description,036000291452,4.20,,6 in,nitrile\n"
        "T-3,Fram,PH3614,,,4.30,,,\n",
        encoding="utf-8",
    )
    summary = await import_feed(conn, second, supplier="two", batch_size=batch_size)
    assert summary.parts_updated >= 1 and summary.parts_created == 0
    parts = {
        r["mpn_normalized"]: r
        for r in await (
            await conn.execute("SELECT mpn_normalized, upc, description, attributes FROM parts")
        ).fetchall()
    }
    filled = parts["PH7317"]
    assert filled["upc"] == "036000291452"
    assert filled["description"] == "the first description"
    assert filled["attributes"] == {"Thread": "3/4-16", "Height": "5 in", "Gasket": "nitrile"}
    untouched = parts["PH3614"]
    assert (untouched["upc"], untouched["description"], untouched["attributes"]) == (None, None, {})
