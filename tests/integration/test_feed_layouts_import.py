"""Files in unfamiliar layouts imported into the real database: one row per vehicle keeps
every vehicle, the supplier's own brand, headerless files, JSON in its own words, and
supplier profiles (sure layouts remembered, unsure ones refused and kept pending)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from automechanica.catalog.feeds.importer import import_feed
from automechanica.catalog.feeds.layout import infer_layout
from automechanica.catalog.feeds.profiles import (
    SupplierProfile,
    load_profile,
    plan_import,
    remember_layout,
    save_profile,
)

Conn = psycopg.AsyncConnection[Any]
PER_VEHICLE = (
    "Stock Code,Brand,Part #,Category,Year,Make,Model,Dealer Price\n"
    "SC-1,Moog,K750012,Control Arm,2012-2015,Honda,Civic,45.00\n"
    "SC-2,Moog,K750013,Control Arm,2014,Toyota,Corolla,46.00\n"
    "SC-1,Moog,K750012,Control Arm,2016,Honda,Civic,45.00\n"
    "SC-1,Moog,K750012,Control Arm,2014,Toyota,Corolla,45.00\n"
)


async def _vehicles(conn: Conn, sku: str) -> set[tuple[int, str, str]]:
    rows = await (
        await conn.execute(
            "SELECT DISTINCT bv.year, ma.name AS make, mo.name AS model FROM supplier_parts sp"
            " JOIN fitments f ON f.part_id = sp.part_id"
            " JOIN base_vehicles bv ON bv.id = f.base_vehicle_id"
            " JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id"
            " WHERE sp.supplier_sku = %s",
            (sku,),
        )
    ).fetchall()
    return {(r["year"], r["make"], r["model"]) for r in rows}


async def _known_vehicles(conn: Conn) -> set[tuple[int, str, str]]:
    rows = await (
        await conn.execute(
            "SELECT bv.year, ma.name AS make, mo.name AS model FROM base_vehicles bv"
            " JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id"
            " WHERE (ma.name, mo.name) IN (('Honda', 'Civic'), ('Toyota', 'Corolla'))"
        )
    ).fetchall()
    return {(r["year"], r["make"], r["model"]) for r in rows}


@pytest.mark.parametrize("batch_size", [1, 2, 100])
async def test_one_row_per_vehicle_keeps_every_vehicle(
    conn: Conn, tmp_path: Path, batch_size: int
) -> None:
    path = tmp_path / "per-vehicle.csv"
    path.write_text(PER_VEHICLE, encoding="utf-8")
    layout = infer_layout(path)
    assert layout.sure
    summary = await import_feed(
        conn, path, supplier="moog-dist", layout=layout, batch_size=batch_size
    )
    assert (summary.rows_rejected, summary.offers) == (0, 2)
    # the same values again: a row per vehicle, not a conflict (vehicles the test fleet
    # lacks are warnings of their own)
    assert not [w for w in summary.warning_list if "already appeared" in w.reason]
    wanted = {(y, "Honda", "Civic") for y in range(2012, 2017)} | {(2014, "Toyota", "Corolla")}
    assert await _vehicles(conn, "SC-1") == wanted & await _known_vehicles(conn)
    assert len(await _vehicles(conn, "SC-1")) >= 2


async def test_own_brand_headerless_and_json_shapes(conn: Conn, tmp_path: Path) -> None:
    own = tmp_path / "dorman.csv"
    own.write_text(
        "Part Number,Description,Part Type,Dealer,MSRP\n926-123,Drain plug,Oil Filter,3.10,6.99\n",
        encoding="utf-8",
    )
    summary = await import_feed(
        conn, own, supplier="dorman", layout=infer_layout(own, supplier="Dorman")
    )
    assert (summary.offers, summary.rows_rejected) == (1, 0)
    headerless = tmp_path / "plain.csv"
    headerless.write_text(
        "W-1,ZD1212,Wagner,Wagner Pads,Brake Pads,29.10,036000291452\n", encoding="utf-8"
    )
    summary = await import_feed(conn, headerless, supplier="w", layout=infer_layout(headerless))
    assert (summary.offers, summary.rows_rejected) == (1, 0)
    js = tmp_path / "pd.jsonl"
    js.write_text(
        '{"itemNo": "PD-1", "mfr": "AC Delco", "partNo": "41-110", "productType": "Spark Plug",'
        ' "price": {"dealer": "12.30", "list": 24}, "vehicles": ["2016 Honda Civic"]}\n',
        encoding="utf-8",
    )
    summary = await import_feed(conn, js, supplier="pd", layout=infer_layout(js))
    assert (summary.offers, summary.rows_rejected) == (1, 0)
    rows = await (
        await conn.execute(
            "SELECT sp.supplier_sku, b.name AS brand, sp.cost FROM supplier_parts sp"
            " JOIN parts p ON p.id = sp.part_id JOIN brands b ON b.id = p.brand_id"
            " ORDER BY sp.supplier_sku"
        )
    ).fetchall()
    assert [(r["supplier_sku"], r["brand"], str(r["cost"])) for r in rows] == [
        ("926-123", "Dorman", "3.10"),
        ("PD-1", "ACDelco", "12.30"),
        ("W-1", "Wagner", "29.10"),
    ]


async def test_profiles_remember_sure_layouts_and_hold_unsure_ones(
    conn: Conn, tmp_path: Path
) -> None:
    path = tmp_path / "per-vehicle.csv"
    path.write_text(PER_VEHICLE, encoding="utf-8")
    plan = await plan_import(conn, path, "moog-dist")
    assert plan.sure and plan.inferred and plan.layout is not None
    await remember_layout(conn, "moog-dist", plan.layout)
    again = await plan_import(conn, path, "moog-dist")
    assert "supplier profile" in again.reason and again.layout is not None
    assert again.layout.sources() == plan.layout.sources()

    unsure = tmp_path / "prices.csv"
    unsure.write_text(
        "SKU,Brand,Part Number,Part Type,Price1,Price2\nA,Fram,PH7317,Oil Filter,9.99,4.10\n",
        encoding="utf-8",
    )
    refused = await plan_import(conn, unsure, "pricey")
    assert not refused.sure and refused.layout is not None
    assert "cost" in refused.layout.unsure_fields
    profile = await load_profile(conn, "pricey")
    assert profile is not None and profile.pending is not None and not profile.mapping
    profile.mapping = profile.pending.sources() | {"cost": "Price2"}
    profile.format, profile.confirmed, profile.pending = "csv", True, None
    await save_profile(conn, profile)
    confirmed = await plan_import(conn, unsure, "pricey")
    assert confirmed.sure and confirmed.layout is not None
    summary = await import_feed(conn, unsure, supplier="pricey", layout=confirmed.layout)
    assert summary.offers == 1
    row = await (await conn.execute("SELECT cost FROM supplier_parts")).fetchone()
    assert row is not None and str(row["cost"]) == "4.10"


async def test_our_own_names_need_no_layout_and_pies_cost_type_comes_from_the_profile(
    conn: Conn, tmp_path: Path
) -> None:
    ours = tmp_path / "ours.csv"
    ours.write_text("sku,brand,mpn,cost\nA,Fram,PH1,1.00\n", encoding="utf-8")
    plan = await plan_import(conn, ours, "acme")
    assert plan.layout is None and plan.reason == "the file names its fields our way"
    await save_profile(conn, SupplierProfile(supplier="atlas", cost_price_type="JBR"))
    pies = tmp_path / "p.xml"
    pies.write_text('<?xml version="1.0"?><PIES><Items/></PIES>', encoding="utf-8")
    plan = await plan_import(conn, pies, "atlas")
    assert plan.cost_price_type == "JBR"
