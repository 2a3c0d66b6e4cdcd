"""The garage's vehicle cascade (years -> makes -> models -> submodels -> engines) and VINs."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Path
from psycopg.rows import dict_row

from automechanica.api.deps import Conn
from automechanica.api.schemas import Engine, Vehicle, VinDecode
from automechanica.catalog import vehicles as queries
from automechanica.catalog.vin_match import match_vin
from automechanica.errors import NotFoundError

router = APIRouter(prefix="/api", tags=["vehicles"])


async def _rows(conn: Conn, query: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()


@router.get("/vehicles/years", response_model=list[int])
async def years(conn: Conn) -> list[int]:
    return [r["year"] for r in await _rows(conn, queries.CASCADE_YEARS)]


@router.get("/vehicles/makes", response_model=list[str])
async def makes(conn: Conn, year: int) -> list[str]:
    return [r["name"] for r in await _rows(conn, queries.CASCADE_MAKES, (year,))]


@router.get("/vehicles/models", response_model=list[str])
async def models(conn: Conn, year: int, make: str) -> list[str]:
    return [r["name"] for r in await _rows(conn, queries.CASCADE_MODELS, (year, make))]


async def _configurations(conn: Conn, year: int, make: str, model: str) -> list[dict[str, Any]]:
    rows = await _rows(conn, queries.CASCADE_CONFIGURATIONS, (year, make, model))
    if not rows:
        raise NotFoundError("vehicle", f"{year} {make} {model}")
    return rows


@router.get("/vehicles/submodels", response_model=list[str])
async def submodels(conn: Conn, year: int, make: str, model: str) -> list[str]:
    rows = await _configurations(conn, year, make, model)
    return sorted({r["submodel"] for r in rows if r["submodel"]})


@router.get("/vehicles/engines", response_model=list[Engine])
async def engines(
    conn: Conn, year: int, make: str, model: str, submodel: str | None = None
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


@router.get("/vehicles/configurations", response_model=list[Vehicle])
async def configurations(conn: Conn, year: int, make: str, model: str) -> list[Vehicle]:
    return [Vehicle(**r) for r in await _configurations(conn, year, make, model)]


@router.get("/vehicles/{vehicle_id}", response_model=Vehicle)
async def vehicle(conn: Conn, vehicle_id: int) -> Vehicle:
    rows = await _rows(conn, queries.SELECT_VEHICLE, (vehicle_id,))
    if not rows:
        raise NotFoundError("vehicle", vehicle_id)
    return Vehicle(**rows[0])


@router.get("/vin/{vin}", response_model=VinDecode)
async def decode(conn: Conn, vin: Annotated[str, Path(max_length=64)]) -> VinDecode:
    return VinDecode(**await match_vin(conn, vin))
