"""Model aliases, proposed pre-1981 vehicles, and an owner's VCdb export."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from automechanica.catalog.vcdb import (
    VCDB_NOT_LOADED,
    VcdbFileError,
    VcdbNotLoadedError,
    load_vcdb,
    vcdb_base_vehicles,
    vcdb_names,
)
from automechanica.catalog.vehicle_aliases import (
    resolve_model_alias,
    seed_aliases,
    store_model_aliases,
)
from automechanica.catalog.vehicle_base_store import store_base
from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.catalog.vehicle_proposed import (
    accept_proposed,
    list_proposed,
    propose_vehicle,
    reject_proposed,
)

VCDB = Path(__file__).resolve().parent.parent / "fixtures" / "vcdb"


async def test_seed_aliases_point_at_models_as_vpic_spells_them(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    await store_base(
        conn,
        [
            VehicleConfig(2015, "Ford", "F-150"),
            VehicleConfig(2010, "Chevrolet", "Corvette"),
            VehicleConfig(2015, "Mercedes-Benz", "C-Class"),
        ],
    )
    added = await store_model_aliases(conn)
    assert 0 < added < len(seed_aliases())  # aliases of models not in the catalog wait
    assert await resolve_model_alias(conn, "F150") == [("Ford", "F-150", None)]
    assert await resolve_model_alias(conn, "Vette", make="Chevrolet") == [
        ("Chevrolet", "Corvette", None)
    ]
    assert await resolve_model_alias(conn, "C300") == [("Mercedes-Benz", "C-Class", "C300")]
    assert await store_model_aliases(conn) == 0


async def test_proposed_vehicles_are_accepted_or_rejected(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    first = await propose_vehicle(
        conn, year=1968, make="Ford", model="Mustang", supplier="acme", file_name="acme.csv"
    )
    same = await propose_vehicle(
        conn, year=1968, make="FORD", model="mustang", supplier="acme", file_name="acme.csv"
    )
    other = await propose_vehicle(
        conn, year=1957, make="Chevrolet", model="Bel Air", supplier="acme", file_name="acme.csv"
    )
    assert first == same != other
    assert [p.year for p in await list_proposed(conn)] == [1957, 1968]

    base_vehicle_id = await accept_proposed(conn, first)
    await reject_proposed(conn, other)
    row = await (
        await conn.execute(
            "SELECT bv.year, ma.name AS make, mo.name AS model FROM base_vehicles bv "
            "JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id "
            "WHERE bv.id = %s",
            (base_vehicle_id,),
        )
    ).fetchone()
    assert row == {"year": 1968, "make": "Ford", "model": "Mustang"}
    assert await list_proposed(conn) == []
    statuses = {p.id: p.status for p in await list_proposed(conn, None)}
    assert statuses == {first: "accepted", other: "rejected"}


async def test_without_a_vcdb_its_ids_cannot_be_resolved(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    with pytest.raises(VcdbNotLoadedError) as caught:
        await vcdb_base_vehicles(conn, [5602])
    assert str(caught.value) == VCDB_NOT_LOADED
    assert "automechanica vehicles load --vcdb DIR" in VCDB_NOT_LOADED


async def test_a_vcdb_export_maps_its_ids_onto_the_base(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    result = await load_vcdb(conn, VCDB)
    await conn.commit()
    assert (result.base_vehicles, result.vehicles, result.configurations) == (3, 4, 4)
    mapped = await vcdb_base_vehicles(conn, [150001, 5602, 3001, 999])
    assert set(mapped) == {150001, 5602, 3001}
    year = await (
        await conn.execute("SELECT year FROM base_vehicles WHERE id = %s", (mapped[3001],))
    ).fetchone()
    assert year == {"year": 1968}  # VCdb reaches back before vPIC
    assert await vcdb_names(conn, "SubModel", [1049]) == {1049: "Sport"}
    sport = await (
        await conn.execute(
            "SELECT v.submodel, v.engine_liters, v.engine_code, v.drive, v.body "
            "FROM vcdb_vehicle_configs c JOIN vehicles v ON v.id = c.vehicle_id "
            "WHERE c.vehicle_to_engine_config_id = 700001"
        )
    ).fetchone()
    assert sport == {
        "submodel": "Sport",
        "engine_liters": Decimal("2.0"),
        "engine_code": "K20C2",
        "drive": "FWD",
        "body": "Sedan",
    }
    again = await load_vcdb(conn, VCDB)
    assert again.added.base_vehicles == 0 and again.added.vehicles == 0


async def test_a_vcdb_directory_without_its_tables_is_refused(tmp_path: Path) -> None:
    with pytest.raises(VcdbFileError, match="BaseVehicle"):
        from automechanica.catalog.vcdb import read_export

        (tmp_path / "Make.txt").write_text("MakeID|MakeName\n1|Honda\n")
        (tmp_path / "Model.txt").write_text("ModelID|ModelName|VehicleTypeID\n1|Civic|5\n")
        read_export(tmp_path)
