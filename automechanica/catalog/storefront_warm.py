"""Readying a new database connection for the storefront's statements.

A fresh PostgreSQL backend reads the system catalogs of every table, index, operator
and function a statement names the first time it meets them, and loads pg_trgm and
pgvector into itself on their first call: the storefront's first search, product page
or fit check on a new pooled connection took 15-30 ms more than the same call after
it (bench/storefront_calls.py). The pool hands requests round its connections, so a
shopper met a cold one on most calls of a fresh server. `warm_connection` runs each of
those statements once, for ids no row has (little is read: the universal parts a
vehicle browse lists anyway), when the pool opens the connection: before any request
can have it.

Nothing is cached in Python: every request still reads the database as it is then.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from psycopg import AsyncConnection

from automechanica.catalog.fitment import (
    SELECT_APPLICATIONS,
    SELECT_PART,
    SELECT_REVERSE,
)
from automechanica.catalog.parts import (
    SELECT_INTERCHANGE,
    SELECT_PART_DETAIL,
    SELECT_PUBLIC_OFFER,
)
from automechanica.catalog.search import DEFAULT_PLANS, SearchQuery, search_page
from automechanica.catalog.vehicles import SELECT_VEHICLE
from automechanica.errors import AutoMechanicaError

log = logging.getLogger("automechanica.catalog")

#: No row has id 0 (serial and identity ids start at 1).
NO_ID = 0
#: A slug no part type has.
NO_TYPE = "-"

#: The product page's and the fit check's statements, with ids that match nothing.
_LOOKUPS: tuple[tuple[str, tuple[Any, ...]], ...] = (
    (SELECT_PART_DETAIL, (NO_ID,)),
    (SELECT_PUBLIC_OFFER, (NO_ID,)),
    (SELECT_INTERCHANGE, (NO_ID,)),
    (SELECT_REVERSE, (NO_ID,)),
    (SELECT_PART, (NO_ID,)),
    (SELECT_VEHICLE, (NO_ID,)),
    (SELECT_APPLICATIONS, (NO_ID, NO_ID)),
)


def warm_searches(model: str | None = None, dimension: int | None = None) -> list[SearchQuery]:
    """One search of each shape the storefront sends (browse by vehicle, by type and
    vehicle, words, words read as a part type), for a vehicle and type nobody has;
    with the query model's name and dimension, the hybrid shapes too."""
    vector = [0.0] * dimension if model and dimension else None
    shapes = [
        SearchQuery(vehicle_id=NO_ID, per_page=1),
        SearchQuery(part_type=NO_TYPE, vehicle_id=NO_ID, per_page=1),
        SearchQuery(q="warm", vehicle_id=NO_ID, per_page=1),
        SearchQuery(q="warm", vehicle_id=NO_ID, per_page=1, any_word=True),
        SearchQuery(q="warm", vehicle_id=NO_ID, per_page=1, part_types=(NO_TYPE,)),
        SearchQuery(q="warm", per_page=1, part_types=(NO_TYPE,), vehicle_ids=(NO_ID,)),
    ]
    if vector is not None:
        shapes += [
            SearchQuery(q="warm", vehicle_id=NO_ID, per_page=1, vector=vector, model=model),
            SearchQuery(
                q="warm", vehicle_id=NO_ID, per_page=1, vector=vector, model=model, any_word=True
            ),
            SearchQuery(
                q="warm",
                vehicle_id=NO_ID,
                per_page=1,
                part_types=(NO_TYPE,),
                vector=vector,
                model=model,
            ),
        ]
    return shapes


async def warm_connection(
    conn: AsyncConnection[Any], *, model: str | None = None, dimension: int | None = None
) -> None:
    """Run the storefront's statements once on `conn` (a pool's `configure` hook).

    A failing statement is logged, not raised: a connection that could not be warmed
    still serves, its first requests only paying what they paid before. The session's
    plan setting is put back (a search may have stopped between its two settings); a
    connection that cannot even do that raises, and the pool replaces it.
    """
    try:
        for statement, params in _LOOKUPS:
            await conn.execute(statement, params)
        for query in warm_searches(model, dimension):
            await search_page(conn, query)
    except (psycopg.Error, AutoMechanicaError) as exc:
        log.warning("could not warm a new connection for the storefront: %s", exc)
        await conn.execute(DEFAULT_PLANS)
