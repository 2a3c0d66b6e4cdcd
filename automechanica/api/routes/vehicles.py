"""The garage's vehicle cascade (years -> makes -> models -> submodels -> engines) and VINs."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from psycopg.rows import dict_row

from automechanica.api.deps import Conn
from automechanica.api.policy import INT32_MAX
from automechanica.api.schemas import Engine, Vehicle, VinDecode
from automechanica.catalog import vehicles as queries
from automechanica.catalog.vin_match import match_vin
from automechanica.errors import NotFoundError

router = APIRouter(prefix="/api", tags=["vehicles"])

Year = Annotated[int, Query(ge=1886, le=2100)]
Make = Annotated[str, Query(min_length=1, max_length=64)]
Model = Annotated[str, Query(min_length=1, max_length=64)]
VehicleId = Annotated[int, Path(ge=1, le=INT32_MAX)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such vehicle"}}


async def _rows(conn: Conn, query: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()


@router.get("/vehicles/years", response_model=list[int])
async def years(conn: Conn) -> list[int]:
    return [r["year"] for r in await _rows(conn, queries.CASCADE_YEARS)]


@router.get("/vehicles/makes", response_model=list[str])
async def makes(conn: Conn, year: Year) -> list[str]:
    return [r["name"] for r in await _rows(conn, queries.CASCADE_MAKES, (year,))]


@router.get("/vehicles/models", response_model=list[str])
async def models(conn: Conn, year: Year, make: Make) -> list[str]:
    return [r["name"] for r in await _rows(conn, queries.CASCADE_MODELS, (year, make))]


async def _configurations(conn: Conn, year: int, make: str, model: str) -> list[dict[str, Any]]:
    rows = await _rows(conn, queries.CASCADE_CONFIGURATIONS, (year, make, model))
    if not rows:
        raise NotFoundError("vehicle", f"{year} {make} {model}")
    return rows


@router.get("/vehicles/submodels", response_model=list[str], responses=NOT_FOUND)
async def submodels(conn: Conn, year: Year, make: Make, model: Model) -> list[str]:
    rows = await _configurations(conn, year, make, model)
    return sorted({r["submodel"] for r in rows if r["submodel"]})


@router.get("/vehicles/engines", response_model=list[Engine], responses=NOT_FOUND)
async def engines(
    conn: Conn,
    year: Year,
    make: Make,
    model: Model,
    submodel: Annotated[str | None, Query(max_length=64)] = None,
) -> list[Engine]:
    rows = await _configurations(conn, year, make, model)
    grouped: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for r in rows:
        if submodel is None or r["submodel"] == submodel:
            key = (r["engine_liters"], r["engine_cylinders"], r["fuel"], r["aspiration"])
            grouped[key].append(r["id"])
    return [
        Engine(
            engine_liters=k[0], engine_cylinders=k[1], fuel=k[2], aspiration=k[3], vehicle_ids=ids
        )
        for k, ids in sorted(grouped.items(), key=lambda kv: str(kv[0]))
    ]


@router.get("/vehicles/configurations", response_model=list[Vehicle], responses=NOT_FOUND)
async def configurations(conn: Conn, year: Year, make: Make, model: Model) -> list[Vehicle]:
    return [Vehicle(**r) for r in await _configurations(conn, year, make, model)]


@router.get("/vehicles/{vehicle_id}", response_model=Vehicle, responses=NOT_FOUND)
async def vehicle(conn: Conn, vehicle_id: VehicleId) -> Vehicle:
    rows = await _rows(conn, queries.SELECT_VEHICLE, (vehicle_id,))
    if not rows:
        raise NotFoundError("vehicle", vehicle_id)
    return Vehicle(**rows[0])


@router.get(
    "/vin/{vin}",
    response_model=VinDecode,
    responses={422: {"description": "the VIN is malformed; the detail says how"}},
)
async def decode(
    conn: Conn,
    vin: Annotated[
        str,
        Path(
            max_length=64,
            # Documented, not enforced here: the decoder explains what is wrong (422).
            json_schema_extra={"pattern": "^[A-HJ-NPR-Za-hj-npr-z0-9]{17}$"},
        ),
    ],
) -> VinDecode:
    return VinDecode(**await match_vin(conn, vin))
