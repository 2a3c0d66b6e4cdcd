"""Part search, part detail, and fit checks with evidence."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Response

from automechanica.api.deps import Conn, Vectors
from automechanica.api.schemas import FitCheck, FitRequest, PartDetail, PartSearch
from automechanica.catalog.fitment import VehicleQuery, check_fit
from automechanica.catalog.parts import part_detail
from automechanica.catalog.search import SearchQuery, search_page

router = APIRouter(prefix="/api", tags=["parts"])


@router.get(
    "/parts",
    response_model=None,
    responses={200: {"model": PartSearch, "description": "a page of parts, with facets"}},
)
async def search(
    conn: Conn,
    vectors: Vectors,
    q: Annotated[str | None, Query(max_length=200, description="words or a part number")] = None,
    part_type: Annotated[str | None, Query(description="part type slug, e.g. brake-pads")] = None,
    brand: str | None = None,
    vehicle_id: Annotated[int | None, Query(description="only parts that fit this vehicle")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 24,
) -> Response:
    """Full-text and trigram search fused with vector search (when the app has an
    embedder and the parts have vectors of its model), plus filters and facets."""
    query = SearchQuery(q, part_type, brand, vehicle_id, page, per_page)
    if q and vectors is not None:
        query.vector = await vectors.vector(q)
        query.model = vectors.model if query.vector is not None else None
    page_json = await search_page(conn, query)
    return Response(page_json, media_type="application/json")  # already shaped as PartSearch


@router.get("/parts/{part_id}", response_model=PartDetail)
async def detail(conn: Conn, part_id: int) -> PartDetail:
    return PartDetail.model_validate(await part_detail(conn, part_id))


@router.post("/fit-check", response_model=FitCheck)
async def fit_check(conn: Conn, request: FitRequest) -> FitCheck:
    """Three-state answer (fits / does not fit / need more information) with its evidence."""
    known = {
        k: v
        for k, v in {
            "submodel": request.submodel,
            "engine_liters": request.engine_liters,
            "drive": request.drive,
        }.items()
        if v is not None
    }
    vehicle = VehicleQuery(request.vehicle_id, request.year, request.make, request.model, known)
    return FitCheck.model_validate(asdict(await check_fit(conn, request.part_id, vehicle)))
