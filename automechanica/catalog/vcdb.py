"""An owner's VCdb export, loaded and mapped onto our base vehicles and configurations.

The Auto Care VCdb is licensed, so the store cannot ship it; an owner who has it
loads the ASCII export (`automechanica vehicles load --vcdb DIR`): one file per
table, `<Table>.txt` (or `.csv`, or with a date prefix such as
`20240126_BaseVehicle.txt`), a header row of VCdb column names, fields separated
by `|` (tab and comma are recognized too). Needed: Make, Model, BaseVehicle.
Read when present: SubModel, Region, Vehicle, EngineBase, EngineConfig,
EngineDesignation, FuelType, Aspiration, VehicleToEngineConfig, DriveType,
VehicleToDriveType, BodyType, BodyNumDoors, BodyStyleConfig,
VehicleToBodyStyleConfig. docs/vehicles.md lists the columns read.

The ACES importer resolves `<BaseVehicle id>`, `<SubModel id>` and
`<EngineBase id>` through `vcdb_base_vehicles` and `vcdb_names`; without a loaded
VCdb they raise `VcdbNotLoadedError`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from automechanica.catalog.vehicle_base_store import BaseCounts, store_base
from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.catalog.vocabulary import alias_key
from automechanica.errors import AutoMechanicaError

VCDB_NOT_LOADED = (
    "This ACES file names vehicles by VCdb ids; "
    "load your VCdb export with `automechanica vehicles load --vcdb DIR`."
)


class VcdbNotLoadedError(AutoMechanicaError):
    """No VCdb export is loaded, so VCdb ids cannot be resolved."""

    def __init__(self) -> None:
        super().__init__(VCDB_NOT_LOADED)


class VcdbFileError(AutoMechanicaError):
    """The VCdb export could not be read; nothing was loaded."""

    def __init__(self, message: str, *, path: Path) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


REQUIRED_TABLES = ("Make", "Model", "BaseVehicle")
OPTIONAL_TABLES = (
    "SubModel",
    "Region",
    "Vehicle",
    "EngineBase",
    "EngineConfig",
    "EngineDesignation",
    "FuelType",
    "Aspiration",
    "VehicleToEngineConfig",
    "DriveType",
    "VehicleToDriveType",
    "BodyType",
    "BodyNumDoors",
    "BodyStyleConfig",
    "VehicleToBodyStyleConfig",
)
_FUELS = {"GAS": "Gasoline", "DIESEL": "Diesel", "ELECTRIC": "Electric", "FLEX": "Flex Fuel"}
_DRIVES = {"FWD": "FWD", "RWD": "RWD", "AWD": "AWD", "4WD": "4WD", "4X4": "4WD"}


def drive_of(vcdb_name: str) -> str | None:
    """Our drive for a VCdb DriveType name, as configurations store it."""
    return _DRIVES.get(vcdb_name.upper())


def fuel_of(vcdb_name: str) -> str | None:
    """Our fuel for a VCdb FuelType name, as configurations store it."""
    return next((v for k, v in _FUELS.items() if vcdb_name.upper().startswith(k)), None)


SELECT_MAKES = "SELECT a.alias, m.name FROM make_aliases a JOIN makes m ON m.id = a.make_id"
SELECT_MODELS = "SELECT ma.name, mo.name FROM models mo JOIN makes ma ON ma.id = mo.make_id"
CREATE_MAP_STAGING = """
CREATE TEMPORARY TABLE vcdb_staging (
    vtec_id integer, vcdb_vehicle_id integer, engine_config_id integer, engine_base_id integer,
    base_vehicle_vcdb_id integer, year smallint, make text, model text, submodel text,
    engine_liters numeric(3,1), engine_cylinders smallint, engine_code text, fuel text,
    aspiration text, drive text, body text, doors smallint
)
"""
COPY_MAP_STAGING = """
COPY vcdb_staging (vtec_id, vcdb_vehicle_id, engine_config_id, engine_base_id,
    base_vehicle_vcdb_id, year, make, model, submodel, engine_liters, engine_cylinders,
    engine_code, fuel, aspiration, drive, body, doors) FROM STDIN
"""
INSERT_BASE_MAP = """
INSERT INTO vcdb_base_vehicles (vcdb_id, base_vehicle_id)
SELECT DISTINCT ON (s.base_vehicle_vcdb_id) s.base_vehicle_vcdb_id, bv.id
FROM vcdb_staging s
JOIN makes ma ON ma.name = s.make
JOIN models mo ON mo.make_id = ma.id AND mo.name = s.model
JOIN base_vehicles bv ON bv.model_id = mo.id AND bv.year = s.year
ON CONFLICT (vcdb_id) DO UPDATE SET base_vehicle_id = excluded.base_vehicle_id
"""
INSERT_CONFIG_MAP = """
INSERT INTO vcdb_vehicle_configs (vehicle_to_engine_config_id, vcdb_vehicle_id,
                                  engine_config_id, engine_base_id, vehicle_id)
SELECT DISTINCT ON (s.vtec_id) s.vtec_id, s.vcdb_vehicle_id, s.engine_config_id,
       s.engine_base_id, v.id
FROM vcdb_staging s
JOIN vcdb_base_vehicles vb ON vb.vcdb_id = s.base_vehicle_vcdb_id
JOIN vehicles v ON v.base_vehicle_id = vb.base_vehicle_id
 AND v.submodel IS NOT DISTINCT FROM s.submodel
 AND v.engine_liters IS NOT DISTINCT FROM s.engine_liters
 AND v.engine_cylinders IS NOT DISTINCT FROM s.engine_cylinders
 AND v.engine_code IS NOT DISTINCT FROM s.engine_code
 AND v.fuel IS NOT DISTINCT FROM s.fuel
 AND v.aspiration IS NOT DISTINCT FROM s.aspiration
 AND v.drive IS NOT DISTINCT FROM s.drive
 AND v.body IS NOT DISTINCT FROM s.body
 AND v.doors IS NOT DISTINCT FROM s.doors
 AND v.transmission IS NULL
WHERE s.vtec_id IS NOT NULL
ORDER BY s.vtec_id, v.id
ON CONFLICT (vehicle_to_engine_config_id) DO UPDATE SET vehicle_id = excluded.vehicle_id
"""
UPSERT_VALUES = """
INSERT INTO vcdb_values (kind, vcdb_id, name, attributes)
SELECT * FROM unnest(%s::text[], %s::integer[], %s::text[], %s::jsonb[])
ON CONFLICT (kind, vcdb_id) DO UPDATE SET name = excluded.name, attributes = excluded.attributes
"""
ANY_VCDB = "SELECT EXISTS (SELECT 1 FROM vcdb_base_vehicles)"
SELECT_BASE_MAP = """
SELECT vcdb_id, base_vehicle_id FROM vcdb_base_vehicles WHERE vcdb_id = ANY(%s::integer[])
"""
SELECT_NAMES = (
    "SELECT vcdb_id, name FROM vcdb_values WHERE kind = %s AND vcdb_id = ANY(%s::integer[])"
)


@dataclass(frozen=True, slots=True)
class VcdbLoad:
    """What a VCdb load read and added."""

    base_vehicles: int
    vehicles: int
    configurations: int
    added: BaseCounts


Table = list[dict[str, str]]


def find_table(directory: Path, name: str) -> Path | None:
    """The file holding VCdb table `name` in `directory` (`Make.txt`, `20240126_Make.txt`…)."""
    wanted = name.lower()
    for path in sorted(directory.iterdir()):
        stem = path.stem.lower()
        if path.suffix.lower() in {".txt", ".csv", ".psv"} and (
            stem == wanted or stem.endswith("_" + wanted)
        ):
            return path
    return None


def read_table(path: Path) -> Table:
    """Rows of one VCdb table file, keyed by its header's column names."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            header = f.readline()
            delimiter = max("|\t,", key=header.count)
            f.seek(0)
            reader = csv.DictReader(f, delimiter=delimiter)
            return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise VcdbFileError(f"cannot be read as a VCdb table ({exc})", path=path) from exc


def read_export(directory: Path) -> dict[str, Table]:
    """Every VCdb table found in `directory`; the required ones must be there."""
    if not directory.is_dir():
        raise VcdbFileError("is not a directory holding a VCdb export", path=directory)
    tables: dict[str, Table] = {}
    for name in REQUIRED_TABLES + OPTIONAL_TABLES:
        path = find_table(directory, name)
        if path is None:
            if name in REQUIRED_TABLES:
                raise VcdbFileError(
                    f"no {name} table ({name}.txt); the export needs " + ", ".join(REQUIRED_TABLES),
                    path=directory,
                )
            continue
        tables[name] = read_table(path)
    return tables


def _by_id(table: Table, column: str) -> dict[str, dict[str, str]]:
    return {row[column]: row for row in table if row.get(column)}


def _first_by(table: Table, column: str) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for row in table:
        found.setdefault(row.get(column, ""), row)
    return found


def _liters(value: str) -> Decimal | None:
    try:
        return Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class _Row:
    """One VehicleToEngineConfig (or engine-less Vehicle) as our configuration."""

    vtec_id: int | None
    vehicle_id: int | None
    engine_config_id: int | None
    engine_base_id: int | None
    base_vehicle_id: int
    config: VehicleConfig


class _Names:
    """VCdb make and model names resolved to the catalog's spelling (by alias key)."""

    def __init__(self, makes: dict[str, str], models: dict[tuple[str, str], str]) -> None:
        self.makes = makes
        self.models = models

    def make(self, name: str) -> str:
        return self.makes.get(alias_key(name), name)

    def model(self, make: str, name: str) -> str:
        return self.models.get((make, alias_key(name)), name)


def configurations(tables: dict[str, Table], names: _Names) -> list[_Row]:
    """Our configurations for each VCdb vehicle and engine configuration."""
    makes = _by_id(tables["Make"], "MakeID")
    models = _by_id(tables["Model"], "ModelID")
    submodels = _by_id(tables.get("SubModel", []), "SubModelID")
    engine_bases = _by_id(tables.get("EngineBase", []), "EngineBaseID")
    engine_configs = _by_id(tables.get("EngineConfig", []), "EngineConfigID")
    designations = _by_id(tables.get("EngineDesignation", []), "EngineDesignationID")
    fuels = _by_id(tables.get("FuelType", []), "FuelTypeID")
    aspirations = _by_id(tables.get("Aspiration", []), "AspirationID")
    drive_names = _by_id(tables.get("DriveType", []), "DriveTypeID")
    drives = _first_by(tables.get("VehicleToDriveType", []), "VehicleID")
    body_types = _by_id(tables.get("BodyType", []), "BodyTypeID")
    doors = _by_id(tables.get("BodyNumDoors", []), "BodyNumDoorsID")
    styles = _by_id(tables.get("BodyStyleConfig", []), "BodyStyleConfigID")
    bodies = _first_by(tables.get("VehicleToBodyStyleConfig", []), "VehicleID")
    engines: dict[str, list[dict[str, str]]] = {}
    for row in tables.get("VehicleToEngineConfig", []):
        engines.setdefault(row["VehicleID"], []).append(row)

    base: dict[str, tuple[int, str, str]] = {}
    for bv in tables["BaseVehicle"]:
        make_row, model_row = makes.get(bv["MakeID"]), models.get(bv["ModelID"])
        year = _int(bv.get("YearID"))
        if make_row is None or model_row is None or year is None:
            continue
        make = names.make(make_row["MakeName"])
        base[bv["BaseVehicleID"]] = (year, make, names.model(make, model_row["ModelName"]))

    rows: list[_Row] = []
    vehicled: set[str] = set()
    for vehicle in tables.get("Vehicle", []):
        found = base.get(vehicle.get("BaseVehicleID", ""))
        if found is None:
            continue
        vehicled.add(vehicle["BaseVehicleID"])
        year, make, model = found
        sub = submodels.get(vehicle.get("SubmodelID", ""), {}).get("SubModelName") or None
        drive_id = drives.get(vehicle["VehicleID"], {}).get("DriveTypeID", "")
        drive = _DRIVES.get(drive_names.get(drive_id, {}).get("DriveTypeName", "").upper())
        style = styles.get(bodies.get(vehicle["VehicleID"], {}).get("BodyStyleConfigID", ""), {})
        body = body_types.get(style.get("BodyTypeID", ""), {}).get("BodyTypeName") or None
        door_count = _int(doors.get(style.get("BodyNumDoorsID", ""), {}).get("BodyNumDoors"))
        plain = VehicleConfig(
            year, make, model, submodel=sub, drive=drive, body=body, doors=door_count
        )
        pairings = engines.get(vehicle["VehicleID"], [])
        if not pairings:
            rows.append(
                _Row(
                    None,
                    int(vehicle["VehicleID"]),
                    None,
                    None,
                    int(vehicle["BaseVehicleID"]),
                    plain,
                )
            )
        for pairing in pairings:
            ec = engine_configs.get(pairing["EngineConfigID"], {})
            eb = engine_bases.get(ec.get("EngineBaseID", ""), {})
            fuel_name = fuels.get(ec.get("FuelTypeID", ""), {}).get("FuelTypeName", "").upper()
            fuel = next((v for k, v in _FUELS.items() if fuel_name.startswith(k)), None)
            aspiration = aspirations.get(ec.get("AspirationID", ""), {}).get("AspirationName")
            code = designations.get(ec.get("EngineDesignationID", ""), {}).get(
                "EngineDesignationName"
            )
            config = VehicleConfig(
                year,
                make,
                model,
                submodel=sub,
                engine_liters=_liters(eb.get("Liter", "")),
                engine_cylinders=_int(eb.get("Cylinders")),
                engine_code=code if code and code != "-" else None,
                fuel=fuel,
                aspiration=aspiration if aspiration in {"Turbocharged", "Supercharged"} else None,
                drive=drive,
                body=body,
                doors=door_count,
            )
            rows.append(
                _Row(
                    _int(pairing.get("VehicleToEngineConfigID")),
                    int(vehicle["VehicleID"]),
                    _int(pairing.get("EngineConfigID")),
                    _int(ec.get("EngineBaseID")),
                    int(vehicle["BaseVehicleID"]),
                    config,
                )
            )
    for bv_id, (year, make, model) in base.items():  # base vehicles without a Vehicle row
        if bv_id not in vehicled:
            rows.append(_Row(None, None, None, None, int(bv_id), VehicleConfig(year, make, model)))
    return rows


def _values(tables: dict[str, Table]) -> Iterator[tuple[str, int, str, str]]:
    simple = {
        "SubModel": ("SubModelID", "SubModelName"),
        "DriveType": ("DriveTypeID", "DriveTypeName"),
        "BodyType": ("BodyTypeID", "BodyTypeName"),
        "FuelType": ("FuelTypeID", "FuelTypeName"),
        "Aspiration": ("AspirationID", "AspirationName"),
        "Region": ("RegionID", "RegionName"),
    }
    for kind, (id_column, name_column) in simple.items():
        for row in tables.get(kind, []):
            if (vcdb_id := _int(row.get(id_column))) is not None:
                yield kind, vcdb_id, row.get(name_column, ""), "{}"
    for row in tables.get("EngineBase", []):
        if (vcdb_id := _int(row.get("EngineBaseID"))) is not None:
            liters, cylinders = _liters(row.get("Liter", "")), _int(row.get("Cylinders"))
            name = f"{liters}L {row.get('BlockType', '')}{cylinders or ''}".strip()
            attributes = {"liters": str(liters) if liters else None, "cylinders": cylinders}
            yield "EngineBase", vcdb_id, name, json.dumps(attributes)
    for row in tables.get("Vehicle", []):
        if (vcdb_id := _int(row.get("VehicleID"))) is not None:
            attributes = {
                "vehicle_id": vcdb_id,
                "base_vehicle_id": _int(row.get("BaseVehicleID")),
                "submodel_id": _int(row.get("SubmodelID")),
                "region_id": _int(row.get("RegionID")),
            }
            yield "Vehicle", vcdb_id, str(vcdb_id), json.dumps(attributes)


async def load_vcdb(conn: AsyncConnection[Any], directory: Path) -> VcdbLoad:
    """Load an owner's VCdb export: base vehicles, configurations, id maps (one transaction)."""
    tables = read_export(directory)
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(SELECT_MAKES)
        makes = {alias: name for alias, name in await cur.fetchall()}
        await cur.execute(SELECT_MODELS)
        models = {(make, alias_key(model)): model for make, model in await cur.fetchall()}
    rows = configurations(tables, _Names(makes, models))
    async with conn.transaction():
        added = await store_base(conn, [r.config for r in rows])
        async with conn.cursor() as cur:
            await cur.execute(CREATE_MAP_STAGING)
            async with cur.copy(COPY_MAP_STAGING) as copy:
                for r in rows:
                    c = r.config
                    await copy.write_row(
                        (
                            r.vtec_id,
                            r.vehicle_id,
                            r.engine_config_id,
                            r.engine_base_id,
                            r.base_vehicle_id,
                            c.year,
                            c.make,
                            c.model,
                            c.submodel,
                            c.engine_liters,
                            c.engine_cylinders,
                            c.engine_code,
                            c.fuel,
                            c.aspiration,
                            c.drive,
                            c.body,
                            c.doors,
                        )
                    )
            await cur.execute(INSERT_BASE_MAP)
            await cur.execute(INSERT_CONFIG_MAP)
            await cur.execute("DROP TABLE vcdb_staging")
            values = list(_values(tables))
            await cur.execute(
                UPSERT_VALUES,
                (
                    [v[0] for v in values],
                    [v[1] for v in values],
                    [v[2] for v in values],
                    [v[3] for v in values],
                ),
            )
    return VcdbLoad(
        base_vehicles=len(tables["BaseVehicle"]),
        vehicles=len(tables.get("Vehicle", [])),
        configurations=sum(r.vtec_id is not None for r in rows),
        added=added,
    )


async def _require_vcdb(conn: AsyncConnection[Any]) -> None:
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(ANY_VCDB)
        row = await cur.fetchone()
    if not (row and row[0]):
        raise VcdbNotLoadedError()


async def vcdb_base_vehicles(conn: AsyncConnection[Any], ids: Sequence[int]) -> dict[int, int]:
    """Our base vehicle for each known VCdb BaseVehicle id (VcdbNotLoadedError without a VCdb)."""
    await _require_vcdb(conn)
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(SELECT_BASE_MAP, (list(ids),))
        return {int(a): int(b) for a, b in await cur.fetchall()}


async def vcdb_names(conn: AsyncConnection[Any], kind: str, ids: Sequence[int]) -> dict[int, str]:
    """Names of VCdb ids of one kind ('SubModel', 'EngineBase', 'DriveType'…)."""
    await _require_vcdb(conn)
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(SELECT_NAMES, (kind, list(ids)))
        return {int(a): str(b) for a, b in await cur.fetchall()}
