"""ACES files keyed by VCdb ids, as real ones are: with the owner's VCdb loaded every
id-based constraint is kept; an id that cannot be honored refuses the App, never
widens it; without a VCdb the report says exactly what to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from automechanica.catalog.feeds.importer import ImportSummary, import_feed
from automechanica.catalog.vcdb import load_vcdb

Conn = psycopg.AsyncConnection[Any]
VCDB = Path(__file__).resolve().parent.parent / "fixtures" / "vcdb"
PARTS = "sku,brand,mpn,title,part_type,cost\nB-1,Bosch,0986494170,Brake pads,Brake Pads,20.00\n"


def _app(app_id: int, *constraints: str) -> str:
    return (
        f'<App action="A" id="{app_id}">{"".join(constraints)}'
        '<Qty>1</Qty><PartType id="1684"/><Position id="22"/>'
        '<Part BrandAAIAID="BBHK">0986494170</Part></App>\n'
    )


def _aces(tmp_path: Path, *apps: str) -> Path:
    path = tmp_path / "bosch_aces.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<ACES version="4.2">\n'
        "<Header><BrandAAIAID>BBHK</BrandAAIAID></Header>\n"
        + "".join(apps)
        + f"<Footer><RecordCount>{len(apps)}</RecordCount></Footer>\n</ACES>\n",
        encoding="utf-8",
    )
    return path


async def _import(conn: Conn, tmp_path: Path, *apps: str) -> ImportSummary:
    offers = tmp_path / "bosch.csv"
    offers.write_text(PARTS, encoding="utf-8")
    await import_feed(conn, offers, supplier="bosch")
    return await import_feed(conn, _aces(tmp_path, *apps), supplier="bosch")


async def _fitments(conn: Conn) -> list[dict[str, Any]]:
    cur = await conn.execute(
        "SELECT bv.year, ma.name AS make, mo.name AS model, f.submodel, f.engine_liters,"
        " f.engine_cylinders, f.drive, f.position FROM fitments f"
        " JOIN base_vehicles bv ON bv.id = f.base_vehicle_id"
        " JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id"
        " ORDER BY f.id"
    )
    return await cur.fetchall()


async def test_every_vcdb_constraint_is_kept(conn: Conn, tmp_path: Path) -> None:
    await load_vcdb(conn, VCDB)
    summary = await _import(
        conn,
        tmp_path,
        _app(
            1,
            '<BaseVehicle id="5602"/>',
            '<SubModel id="123"/>',
            '<EngineBase id="2500"/>',
            '<DriveType id="8"/>',
            '<Region id="1"/>',
        ),
    )
    assert (summary.rows_rejected, summary.fitments) == (0, 1)
    [row] = await _fitments(conn)
    assert (row["year"], row["make"], row["model"]) == (2012, "Subaru", "Outback")
    assert row["submodel"] == "2.5i Premium"
    assert (float(row["engine_liters"]), row["engine_cylinders"]) == (2.5, 4)
    assert (row["drive"], row["position"]) == ("AWD", "Front")


async def test_an_id_that_cannot_be_honored_refuses_the_app(conn: Conn, tmp_path: Path) -> None:
    await load_vcdb(conn, VCDB)
    summary = await _import(
        conn,
        tmp_path,
        _app(1, '<BaseVehicle id="5602"/>', '<Region id="2"/>'),  # Canada
        _app(2, '<BaseVehicle id="5602"/>', '<BedLength id="7"/>'),
        _app(3, '<BaseVehicle id="5602"/>', '<SubModel id="99999"/>'),
        _app(4, '<BaseVehicle id="424242"/>'),
    )
    assert (summary.rows_rejected, summary.fitments) == (4, 0)
    reasons = [r.reason for r in summary.rejections]
    assert "Region 2 (Canada) cannot be honored" in reasons[0]
    assert "BedLength 7 cannot be honored" in reasons[1]
    assert all("refused, not widened" in r for r in reasons[:3])
    assert "SubModel 99999 is not in the loaded VCdb" in reasons[2]
    assert "BaseVehicle 424242 is not in the loaded VCdb" in reasons[3]
    assert await _fitments(conn) == []


async def test_without_a_vcdb_the_report_says_what_to_do(conn: Conn, tmp_path: Path) -> None:
    summary = await _import(conn, tmp_path, _app(1, '<BaseVehicle id="5602"/>'))
    assert (summary.rows_rejected, summary.fitments) == (1, 0)
    reason = summary.rejections[0].reason
    assert "names its vehicle by VCdb ids (BaseVehicle 5602)" in reason
    assert "automechanica vehicles load --vcdb DIR" in reason


async def test_text_named_apps_still_import_beside_id_named_ones(
    conn: Conn, tmp_path: Path
) -> None:
    await load_vcdb(conn, VCDB)
    summary = await _import(
        conn,
        tmp_path,
        _app(1, '<BaseVehicle id="150001"/>', '<SubModel id="1049"/>'),
        _app(
            2,
            '<Years from="2012" to="2012"/><Make>Subaru</Make><Model>Outback</Model>',
            '<EngineBase id="2500"/>',
        ),
    )
    assert summary.rows_rejected == 0
    rows = await _fitments(conn)
    assert [(r["year"], r["model"], r["submodel"]) for r in rows] == [
        (2023, "Civic", "Sport"),
        (2012, "Outback", None),
    ]
    assert float(rows[1]["engine_liters"]) == 2.5
