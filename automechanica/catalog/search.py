"""Part search: text, part type, brand and "fits this vehicle", paged, with facets.

One statement answers a page: the matching part ids are computed once (a
materialized CTE) and the page, the total and both facets are read from them,
so the "fits this vehicle" work is done once per request, not four times.

Hybrid search: given the query's embedding (`SearchQuery.vector`, with the name of
the model that made it), the statement also takes the nearest part vectors of that
model (HNSW, under the same filters) and fuses the two rankings by reciprocal rank
fusion: score = 1/(60 + text position) + 1/(60 + vector position), plus 1 for an
exact part-number match so a typed part number always comes first. With no vectors
yet, the vector list is empty and the order is the text order. The catalog never
embeds anything itself: the caller (the API) brings the vector.

A query that names a vehicle by model and year ("front pads for civic 2014") is
narrowed to the parts that fit one of those vehicles, when such a vehicle exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from automechanica.catalog.normalize import normalize_mpn
from automechanica.db.vectors import nearest_first, vector_text

#: The configurations' constraint check: a fitment applies to vehicle v when every
#: non-null constraint equals the vehicle's value.
CONSTRAINTS_MATCH = """
      (f.submodel IS NULL OR f.submodel = v.submodel)
      AND (f.engine_liters IS NULL OR f.engine_liters = v.engine_liters)
      AND (f.engine_cylinders IS NULL OR f.engine_cylinders = v.engine_cylinders)
      AND (f.engine_code IS NULL OR f.engine_code = v.engine_code)
      AND (f.fuel IS NULL OR f.fuel = v.fuel)
      AND (f.aspiration IS NULL OR f.aspiration = v.aspiration)
      AND (f.drive IS NULL OR f.drive = v.drive)
      AND (f.body IS NULL OR f.body = v.body)
      AND (f.transmission IS NULL OR f.transmission = v.transmission)
"""
#: The hot query's heart: parts with a published fitment for configuration
#: %(vehicle_id)s, read from the fitments index on (base vehicle, part type, part).
FITTING_PARTS = (
    """
SELECT f.part_id FROM fitments f JOIN vehicles v ON v.base_vehicle_id = f.base_vehicle_id
WHERE v.id = %(vehicle_id)s AND f.status = 'published' AND"""
    + CONSTRAINTS_MATCH
)
#: Universal parts fit every vehicle; listed so the filter below stays one IN (...),
#: which PostgreSQL evaluates first and then fetches only those parts by id.
UNIVERSAL_PARTS = "SELECT u.id FROM parts u WHERE u.fit_class = 'universal'"
FITS_VEHICLE = "p.id IN (" + FITTING_PARTS + " UNION ALL " + UNIVERSAL_PARTS + ")"
#: The same, narrowed to one part type so the index's second column is used too.
FITS_VEHICLE_OF_TYPE = (
    "p.id IN (" + FITTING_PARTS + " AND f.part_type_id = "
    "(SELECT id FROM part_types WHERE slug = %(part_type)s) UNION ALL "
    + UNIVERSAL_PARTS
    + " AND u.part_type_id = (SELECT id FROM part_types WHERE slug = %(part_type)s))"
)
TEXT_MATCH = """
(p.search_text @@ websearch_to_tsquery('simple', %(q)s)
 OR p.mpn_normalized = %(mpn)s
 OR p.title %% %(q)s)
"""
TEXT_RANK = """
(CASE WHEN p.mpn_normalized = %(mpn)s THEN 2 ELSE 0 END
 + ts_rank(p.search_text, websearch_to_tsquery('simple', %(q)s))
 + similarity(p.title, %(q)s))
"""
#: Text-only: the matched ids with their text rank.
MATCHED = """
WITH matched AS MATERIALIZED (
    SELECT p.id, p.part_type_id, p.brand_id, {rank} AS rank
    FROM parts p WHERE p.status = 'active' AND {where}
)
"""
#: Hybrid: the text list and the vector list, each ranked, fused by RRF. The vector
#: list is an HNSW scan of part_embeddings_hnsw (iterative, so filters keep k rows;
#: half precision, then ranked by the exact distance).
MATCHED_HYBRID = """
WITH text_hits AS MATERIALIZED (
    SELECT p.id, row_number() OVER (ORDER BY {rank} DESC, p.id) AS pos,
           p.mpn_normalized = %(mpn)s AS exact
    FROM parts p WHERE p.status = 'active' AND {where} AND {text}
),
vector_hits AS MATERIALIZED (
    SELECT n.id, row_number() OVER (ORDER BY n.distance, n.id) AS pos
    FROM (SELECT e.part_id AS id, e.embedding <=> %(vector)s::vector AS distance
          FROM part_embeddings e JOIN parts p ON p.id = e.part_id
          WHERE e.model = %(model)s AND p.status = 'active' AND {where}
          ORDER BY {nearest}
          LIMIT %(vector_k)s) n
    WHERE n.distance <= %(max_distance)s
),
matched AS MATERIALIZED (
    SELECT p.id, p.part_type_id, p.brand_id,
           coalesce(1.0 / (60 + t.pos), 0) + coalesce(1.0 / (60 + v.pos), 0)
           + CASE WHEN t.exact THEN 1 ELSE 0 END AS rank
    FROM (SELECT id FROM text_hits UNION SELECT id FROM vector_hits) u
    JOIN parts p ON p.id = u.id
    LEFT JOIN text_hits t ON t.id = u.id
    LEFT JOIN vector_hits v ON v.id = u.id
)
"""
#: The part of a query that names a vehicle: base vehicles whose model name is one of
#: the query's words (or word pairs/triples) and whose year is one of its years.
#: Served by models_lower_name and base_vehicles' (model_id, year) unique index.
#: When no such vehicle exists the condition is true (one InitPlan), and the query is
#: searched as it is.
MENTIONED_BASE_VEHICLES = """
SELECT bv.id FROM models m JOIN base_vehicles bv ON bv.model_id = m.id
WHERE lower(m.name) = ANY(%(vehicle_words)s) AND bv.year = ANY(%(vehicle_years)s)"""
MENTIONED_VEHICLE = (
    "(NOT EXISTS (" + MENTIONED_BASE_VEHICLES + ") OR p.id IN ("
    "SELECT f.part_id FROM fitments f WHERE f.status = 'published' AND f.base_vehicle_id IN ("
    + MENTIONED_BASE_VEHICLES
    + ") UNION ALL "
    + UNIVERSAL_PARTS
    + "))"
)
#: Parts fitting any of %(vehicle_ids)s (the configurations a query's vehicle can be),
#: or universal. The lists are arrays (ARRAY(subquery): one InitPlan each), which fixes
#: the generic plan's shape: the fitting ids first, then those parts by id. The
#: fitments are read once for the configurations' base vehicles, with the meant types'
#: ids inside the index condition (base vehicle, part type), and checked against the
#: configurations in a hash (EXISTS). Written as IN (subquery) joined per
#: configuration, each configuration read every fitment of its base vehicle and checked
#: the type after: a 2012 Silverado's 17 configurations read 1,258 heap blocks for the
#: 22 alternator fitments of its one base vehicle; now 22.
FITS_ANY = (
    """p.id = ANY(ARRAY(
SELECT f.part_id FROM fitments f
WHERE f.base_vehicle_id = ANY(ARRAY(
        SELECT b.base_vehicle_id FROM vehicles b WHERE b.id = ANY(%(vehicle_ids)s)))
  AND f.status = 'published' {types}
  AND EXISTS (SELECT FROM vehicles v
              WHERE v.id = ANY(%(vehicle_ids)s) AND v.base_vehicle_id = f.base_vehicle_id AND"""
    + CONSTRAINTS_MATCH
    + ") UNION ALL "
    + UNIVERSAL_PARTS
    + " {universal_types}))"
)
#: The part types a query means (search_intent), as a filter on p and on fitments.
OF_TYPES = "p.part_type_id IN (SELECT id FROM part_types WHERE slug = ANY(%(types)s))"
FITMENT_OF_TYPES = (
    "AND f.part_type_id = ANY(ARRAY(SELECT id FROM part_types WHERE slug = ANY(%(types)s)))"
)
UNIVERSAL_OF_TYPES = (
    "AND u.part_type_id = ANY(ARRAY(SELECT id FROM part_types WHERE slug = ANY(%(types)s)))"
)
#: A position the query named ("front", "driver side"): a fitment of the part (on the
#: named vehicle, when there is one) listed at that position, each word a pattern.
AT_POSITION = """
(p.fit_class = 'universal' OR EXISTS (
    SELECT 1 FROM fitments f WHERE f.part_id = p.id AND f.status = 'published' {on_vehicle}
      AND (SELECT bool_and(f.position ~* w) FROM unnest(%(positions)s::text[]) w)))
"""
ON_BASE_VEHICLES = "AND f.base_vehicle_id = ANY(%(base_vehicle_ids)s)"
#: Intent search: every part passing the filters (the part types meant, the vehicle,
#: the position) is a result; the words only rank them: any word counts (OR), the
#: title's trigram similarity, and — with a query vector — the part vector's cosine.
MATCHED_INTENT = """
WITH matched AS MATERIALIZED (
    SELECT p.id, p.part_type_id, p.brand_id,
           CASE WHEN p.mpn_normalized = %(mpn)s THEN 2 ELSE 0 END
           + {text_rank} + {vector_rank} AS rank
    FROM parts p {vector_join}
    WHERE p.status = 'active' AND {where}
)
"""
#: The query's tsquery is a scalar subquery (an InitPlan): made once per statement, not
#: once per ranked part, as a generic plan would (step 2 of the ladder, a type's 174
#: parts on the demo store: 2.76 -> 2.46 ms of PostgreSQL CPU).
INTENT_TEXT_RANK = (
    "ts_rank(p.search_text, (SELECT to_tsquery('simple', %(any_words)s)))"
    " + similarity(p.title, %(q)s)"
)
INTENT_VECTOR_JOIN = "LEFT JOIN part_embeddings e ON e.part_id = p.id AND e.model = %(model)s"
INTENT_VECTOR_RANK = "coalesce(1 - (e.embedding <=> %(vector)s::vector), 0)"
#: The intent statement's plan does not depend on what its arrays hold, and planning
#: it costs about three times running it (1-3 ms against 0.2-0.9 ms on the demo): it
#: is prepared on its first run on a connection (not psycopg's fifth: the pool hands
#: requests round the connections, so most never reached five) and runs with a generic
#: plan, made once per connection. The session asks for generic plans just before it
#: (the setting is read when a statement is bound) and the statement itself sets the
#: default back as it runs (GENERIC_PAGE's last column). Words searched for a vehicle
#: run the same way (`generic_plan`).
GENERIC_PLANS = "SELECT set_config('plan_cache_mode', 'force_generic_plan', false)"
DEFAULT_PLANS = "SELECT set_config('plan_cache_mode', 'auto', false)"
#: Loose words: any of the query's words (OR), for the fallback when all of them
#: together match nothing.
ANY_WORD_MATCH = "p.search_text @@ to_tsquery('simple', %(any_words)s)"
#: Sent with each hybrid search (session settings of the pooled connection, in the
#: same round trip): HNSW candidates, and pgvector 0.8's iterative scan so that
#: filtered searches still find `vector_k` rows.
VECTOR_SETTINGS = """
SELECT set_config('hnsw.ef_search', %(ef_search)s, false),
       set_config('hnsw.iterative_scan', 'relaxed_order', false)
"""
PAGE = """
SELECT json_build_object(
    'total', (SELECT count(*) FROM matched),
    'page', %(page)s::int,
    'per_page', %(limit)s::int,
    'facets', json_build_object(
        'part_type', (SELECT coalesce(json_agg(x), '[]') FROM (
            SELECT t.slug AS value, count(*) AS count FROM matched m
            JOIN part_types t ON t.id = m.part_type_id GROUP BY 1 ORDER BY 2 DESC, 1) x),
        'brand', (SELECT coalesce(json_agg(x), '[]') FROM (
            SELECT b.name AS value, count(*) AS count FROM matched m
            JOIN brands b ON b.id = m.brand_id GROUP BY 1 ORDER BY 2 DESC, 1) x)),
    'items', (SELECT coalesce(jsonb_agg(to_jsonb(x) - 'rank' ORDER BY x.rank DESC, x.id), '[]')
              FROM (
        SELECT p.id, p.part_number, p.title, p.fit_class, p.price::text AS price,
               b.name AS brand, t.name AS part_type, t.slug AS part_type_slug, m.rank,
               (SELECT coalesce(sum(sp.stock_total), 0) FROM supplier_parts sp
                WHERE sp.part_id = p.id) AS stock
        FROM (SELECT * FROM matched ORDER BY rank DESC, id
              LIMIT %(limit)s OFFSET %(offset)s) m
        JOIN parts p ON p.id = m.id
        JOIN brands b ON b.id = p.brand_id
        JOIN part_types t ON t.id = p.part_type_id) x)
)::text AS page
"""


#: PAGE for a statement run with a generic plan: it puts the session's default back.
GENERIC_PAGE = PAGE.replace(
    ")::text AS page", ")::text AS page, set_config('plan_cache_mode', 'auto', false) AS plans"
)


@dataclass
class SearchQuery:
    q: str | None = None
    part_type: str | None = None  # slug
    brand: str | None = None
    vehicle_id: int | None = None
    page: int = 1
    per_page: int = 24
    #: The embedding of `q` and the model that made it: hybrid search when both are set.
    vector: Sequence[float] | None = None
    model: str | None = None
    #: Nearest vectors taken into the fusion, and the cosine distance they must be under.
    vector_k: int = 50
    max_distance: float = 0.6
    ef_search: int = 100
    #: What a shopper's words meant (catalog.search_intent / search_vehicle): the part
    #: types (all results are of these), the configurations the named vehicle can be
    #: and their base vehicles, and position patterns. With `part_types`, every part
    #: passing the filters is a result and `q` only ranks them.
    part_types: Sequence[str] = ()
    vehicle_ids: Sequence[int] = ()
    base_vehicle_ids: Sequence[int] = ()
    positions: Sequence[str] = ()
    #: Match any word of `q` instead of all of them (the loose fallback).
    any_word: bool = False


@dataclass
class SearchResult:
    total: int
    page: int
    per_page: int
    items: list[dict[str, Any]]
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def is_hybrid(query: SearchQuery) -> bool:
    return bool(query.q and query.vector is not None and query.model)


def generic_plan(query: SearchQuery) -> bool:
    """Whether `query` runs with a generic plan (GENERIC_PLANS): the intent statement,
    and words searched among the parts that fit a vehicle. Planning those cost more than
    running them (a worded search for a vehicle: 2.5-6 ms to plan each of its ladder's
    steps, 0.6-3.5 ms to run), and the vehicle's fitting parts are few whatever the
    words, so the plan made without the values (text indexes OR'ed, an exact distance
    sort of the fitting parts' vectors) serves every query of the shape."""
    narrowed = query.vehicle_id is not None or bool(query.vehicle_ids)
    return bool(query.part_types) or bool(query.q and narrowed)


def page_statement(query: SearchQuery) -> tuple[sql.Composed, dict[str, Any]]:
    """The one statement answering `query`, and its parameters."""
    where, params = _filters(query)
    params |= {
        "limit": query.per_page,
        "offset": (query.page - 1) * query.per_page,
        "page": query.page,
    }
    page = sql.SQL(GENERIC_PAGE if generic_plan(query) else PAGE)
    if query.part_types:
        return _intent_statement(query, where, params, page)
    words, years = vehicle_mentions(query.q or "") if query.vehicle_id is None else ([], [])
    if words and years and not query.vehicle_ids:
        params |= {"vehicle_words": words, "vehicle_years": years}
        where.append(sql.SQL(MENTIONED_VEHICLE))
    if is_hybrid(query):
        text, rank = where.pop(1), sql.SQL(TEXT_RANK)  # TEXT_MATCH is second (see _filters)
        head = sql.SQL(MATCHED_HYBRID).format(
            rank=rank,
            text=text,
            where=sql.SQL(" AND ").join(where),
            nearest=sql.SQL(nearest_first("e.embedding")),
        )
        params |= {
            "vector": vector_text(query.vector or ()),
            "model": query.model,
            "vector_k": query.vector_k,
            "max_distance": query.max_distance,
        }
    else:
        rank = sql.SQL(TEXT_RANK) if query.q else sql.SQL("0::real")
        head = sql.SQL(MATCHED).format(rank=rank, where=sql.SQL(" AND ").join(where))
    return sql.Composed([head, page]), params


def _intent_statement(
    query: SearchQuery, where: list[sql.Composable], params: dict[str, Any], page: sql.SQL
) -> tuple[sql.Composed, dict[str, Any]]:
    """Every part of the meant types passing the filters, ranked by the words and vector."""
    if query.q:
        where.pop(1)  # the words rank; they do not filter (TEXT_MATCH is second)
    any_words = params.get("any_words")
    text_rank = sql.SQL(INTENT_TEXT_RANK if any_words else "0")
    params.setdefault("mpn", normalize_mpn(query.q or ""))
    params.setdefault("q", query.q or "")
    hybrid = is_hybrid(query)
    if hybrid:
        params |= {"vector": vector_text(query.vector or ()), "model": query.model}
    head = sql.SQL(MATCHED_INTENT).format(
        text_rank=text_rank,
        vector_rank=sql.SQL(INTENT_VECTOR_RANK if hybrid else "0"),
        vector_join=sql.SQL(INTENT_VECTOR_JOIN if hybrid else ""),
        where=sql.SQL(" AND ").join(where),
    )
    return sql.Composed([head, page]), params


def any_words_query(text: str) -> str | None:
    """`text`'s words OR'ed as a tsquery ('ceramic' | 'bosch'), or None without words."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return " | ".join(f"'{w}'" for w in dict.fromkeys(words)) or None


def vector_settings(query: SearchQuery) -> dict[str, str]:
    """Parameters of VECTOR_SETTINGS for a hybrid query."""
    return {"ef_search": str(max(query.ef_search, query.vector_k))}


async def search_page(conn: AsyncConnection[Any], query: SearchQuery) -> str:
    """A page of results as JSON text, built by PostgreSQL in one statement.

    The API returns it as is: parsing it into objects only to serialize it again
    was most of a request's cost.
    """
    statement, params = page_statement(query)
    generic = generic_plan(query)
    prepare = True if generic else None
    try:
        if is_hybrid(query) and not query.part_types:
            # One round trip: the HNSW settings (not SET LOCAL in a transaction: BEGIN
            # and COMMIT cost more than the settings themselves), the generic-plan
            # setting, and the statement.
            async with conn.pipeline():
                await conn.cursor().execute(VECTOR_SETTINGS, vector_settings(query))
                if generic:
                    await conn.cursor().execute(GENERIC_PLANS, prepare=True)
                cur = conn.cursor(row_factory=dict_row)
                await cur.execute(statement, params, prepare=prepare)
            row = await cur.fetchone()
        else:
            if generic:  # a round trip of its own: cheaper in the API than a pipeline
                await conn.execute(GENERIC_PLANS, prepare=True)
            async with conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(statement, params, prepare=prepare)
                row = await cur.fetchone()
    except psycopg.Error:
        if generic and not conn.closed:  # stopped before the statement set the default back
            with suppress(psycopg.Error):
                await conn.execute(DEFAULT_PLANS)
        raise
    assert row is not None
    return str(row["page"])


async def search_parts(conn: AsyncConnection[Any], query: SearchQuery) -> SearchResult:
    """Parts matching every given filter, best text match first, with facet counts."""
    page = json.loads(await search_page(conn, query))
    return SearchResult(
        page["total"], page["page"], page["per_page"], page["items"], page["facets"]
    )


YEAR = re.compile(r"^(?:19[5-9]\d|20[0-4]\d)$")
SHORT_YEAR = re.compile(r"^'(\d\d)$")


def vehicle_mentions(q: str) -> tuple[list[str], list[int]]:
    """(candidate model names, years) a query may name: "civic 2014", "'14 f-150"."""
    tokens = q.lower().replace(",", " ").split()
    years: list[int] = []
    words: list[str] = []
    for token in tokens:
        if YEAR.match(token):
            years.append(int(token))
        elif match := SHORT_YEAR.match(token):
            short = int(match.group(1))
            years.append(2000 + short if short < 50 else 1900 + short)
        else:
            words.append(token)
    phrases = {" ".join(words[i : i + n]) for n in (1, 2, 3) for i in range(len(words) - n + 1)}
    return sorted(phrases), years


def _filters(query: SearchQuery) -> tuple[list[sql.Composable], dict[str, Any]]:
    where: list[sql.Composable] = [sql.SQL("TRUE")]
    params: dict[str, Any] = {}
    if query.q:
        any_words = any_words_query(query.q)
        params |= {"q": query.q, "mpn": normalize_mpn(query.q), "any_words": any_words}
        if query.any_word and any_words:
            where.append(sql.SQL(ANY_WORD_MATCH))
        else:
            where.append(sql.SQL(TEXT_MATCH))
    if query.part_type:
        where.append(
            sql.SQL("p.part_type_id = (SELECT id FROM part_types WHERE slug = %(part_type)s)")
        )
        params["part_type"] = query.part_type
    if query.brand:
        where.append(
            sql.SQL("p.brand_id = (SELECT id FROM brands WHERE lower(name) = lower(%(brand)s))")
        )
        params["brand"] = query.brand
    if query.vehicle_id is not None:
        fits = FITS_VEHICLE_OF_TYPE if query.part_type else FITS_VEHICLE
        where.append(sql.SQL(fits))
        params["vehicle_id"] = query.vehicle_id
    if query.part_types:
        where.append(sql.SQL(OF_TYPES))
        params["types"] = list(query.part_types)
    if query.vehicle_ids:
        typed = bool(query.part_types)
        where.append(
            sql.SQL(FITS_ANY).format(
                types=sql.SQL(FITMENT_OF_TYPES if typed else ""),
                universal_types=sql.SQL(UNIVERSAL_OF_TYPES if typed else ""),
            )
        )
        params["vehicle_ids"] = list(query.vehicle_ids)
    if query.positions:
        on_vehicle = ON_BASE_VEHICLES if query.base_vehicle_ids else ""
        where.append(sql.SQL(AT_POSITION).format(on_vehicle=sql.SQL(on_vehicle)))
        params["positions"] = list(query.positions)
        if query.base_vehicle_ids:
            params["base_vehicle_ids"] = list(query.base_vehicle_ids)
    return where, params
