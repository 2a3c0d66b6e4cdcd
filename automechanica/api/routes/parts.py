"""Part search, part detail, and fit checks with evidence.

Search with words (`q`) is the expensive anonymous call (full text, trigrams and,
with an embedder, a vector search): it is rate-limited per client IP. Paging
stops at page 100 (of at most 100 results: 10,000 results deep).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from automechanica.api.deps import Conn, Vectors
from automechanica.api.policy import INT32_MAX, INT64_MAX, ApiPolicy
from automechanica.api.ratelimit import TokenBuckets, TooManyRequests, client_ip
from automechanica.api.schemas import Evidence, FitCheck, FitRequest, PartDetail, PartSearch
from automechanica.api.warmup import search_words
from automechanica.catalog.fitment import VehicleQuery, check_fit
from automechanica.catalog.parts import part_detail
from automechanica.catalog.shopper_search import ShopperQuery, shopper_search
from automechanica.errors import NotFoundError

router = APIRouter(prefix="/api", tags=["parts"])

PartId = Annotated[int, Path(ge=1, le=INT64_MAX)]
VEHICLE_EXISTS = "SELECT 1 FROM vehicles WHERE id = %s"


@router.get(
    "/parts",
    response_model=None,
    responses={
        200: {"model": PartSearch, "description": "a page of parts, with facets"},
        404: {"description": "the vehicle_id names no vehicle"},
        429: {"description": "too many searches with words from this client"},
    },
)
async def search(
    request: Request,
    conn: Conn,
    vectors: Vectors,
    q: Annotated[
        str | None, Query(max_length=200, description="words or a part number (rate-limited)")
    ] = None,
    part_type: Annotated[
        str | None, Query(max_length=64, description="part type slug, e.g. brake-pads")
    ] = None,
    brand: Annotated[str | None, Query(max_length=64)] = None,
    vehicle_id: Annotated[
        int | None, Query(ge=1, le=INT32_MAX, description="only parts that fit this vehicle")
    ] = None,
    page: Annotated[int, Query(ge=1, le=100, description="at most 100 pages deep")] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 24,
) -> Response:
    """Search as the shopper means it: a vehicle named in `q` narrows to parts that fit
    it, the part type the words name ranks (and filters) first, a position word
    narrows by fitment position; `understood` says what was read and what was relaxed
    when the strict search found nothing. Full-text and trigram search fused with
    vector search (when the app has an embedder and the parts have vectors of its
    model), plus filters and facets."""
    policy: ApiPolicy = request.app.state.policy
    if q:
        buckets: TokenBuckets = request.app.state.search_buckets
        wait = buckets.take(client_ip(request, policy.trusted_proxies))
        if wait is not None:
            raise TooManyRequests("searches", wait)
    if vehicle_id is not None:
        async with conn.cursor() as cur:
            await cur.execute(VEHICLE_EXISTS, (vehicle_id,))
            if await cur.fetchone() is None:
                raise NotFoundError("vehicle", vehicle_id)
    query = ShopperQuery(q, part_type, brand, vehicle_id, page, per_page)
    words = await search_words(request.app).get(conn)
    page_json = await shopper_search(
        conn,
        query,
        words.words,
        words.vocabulary,
        embed=vectors.vector if vectors is not None else None,
        model=vectors.model if vectors is not None else None,
        vehicles=words.vehicles,
        intents=words.intents,
    )
    return Response(page_json, media_type="application/json")  # already shaped as PartSearch


@router.get(
    "/parts/{part_id}", response_model=PartDetail, responses={404: {"description": "no such part"}}
)
async def detail(conn: Conn, part_id: PartId) -> PartDetail:
    """The product page: the part, the store's offer, interchange and the vehicles it fits."""
    return PartDetail.model_validate(await part_detail(conn, part_id))


@router.post(
    "/fit-check",
    response_model=FitCheck,
    responses={404: {"description": "no such part or vehicle"}},
)
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
    result = await check_fit(conn, request.part_id, vehicle)
    return FitCheck(
        verdict=result.verdict,
        explanation=result.explanation,
        confidence=result.confidence,
        ask_next=result.ask_next,
        ask_options=result.ask_options,
        evidence=[
            Evidence(
                source=e.source_kind,
                listed_on=e.listed_on,
                confidence=e.confidence,
                position=e.position,
                quantity=e.quantity,
                constraints=e.constraints,
                qualifiers=e.qualifiers,
                notes=e.notes,
                explanation=e.explanation,
            )
            for e in result.evidence
        ],
        verify=result.verify,
        matching_vehicle_ids=result.matching_vehicle_ids,
    )
