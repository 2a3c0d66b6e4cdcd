"""Interchange candidates: the same part offered under different numbers.

After an import, each of the supplier's parts is compared with parts other suppliers
offer: the same brand and part type, exactly the same set of fitting base vehicles,
titles alike (pg_trgm similarity), but another part number — the supplier-specific
number of the same item.
Such a pair is only a candidate (DOMAIN.md: a fuzzy title match with the same fitment
set is a candidate for review): a person decides, and approving links the two parts
in `part_interchange` both ways — a link, never a merge.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from automechanica.agents.base import Decision, Evidence
from automechanica.orchestrator.decisions import settle_decision
from automechanica.orchestrator.definitions import StepContext
from automechanica.orchestrator.reviews import Review

DECISION_TYPE = "catalog.interchange"
AGENT = "SupplierNormalization.interchange"
MIN_SIMILARITY = 0.7  # "Extra Guard" and "Tough Guard" lines stay apart
MAX_CANDIDATES = 200  # a review queue a person can work through; the rest come next import

# Parts join on an exact signature first (part type, brand and the set of fitting base
# vehicles: a hash join, linear in the fitment rows), and only those pairs are compared
# by title: so the work does not grow with how alike a catalog's titles are.
CANDIDATES = """
WITH mine AS (
    SELECT DISTINCT o.part_id FROM supplier_parts o JOIN suppliers s ON s.id = o.supplier_id
    WHERE s.name = %(supplier)s
), signatures AS (
    SELECT f.part_id, md5(string_agg(DISTINCT f.base_vehicle_id::text, ',')) AS vehicles,
           count(DISTINCT f.base_vehicle_id) AS n
    FROM fitments f GROUP BY f.part_id
), pairs AS (
    SELECT a.id AS part_id, b.id AS other_id, sa.n AS vehicles,
           similarity(a.title, b.title) AS similarity
    FROM mine m
    JOIN parts a ON a.id = m.part_id
    JOIN signatures sa ON sa.part_id = a.id
    JOIN signatures sb ON sb.vehicles = sa.vehicles AND sb.part_id <> a.id
    JOIN parts b ON b.id = sb.part_id AND b.brand_id = a.brand_id
                AND b.part_type_id = a.part_type_id AND b.mpn_normalized <> a.mpn_normalized
    WHERE b.id NOT IN (SELECT part_id FROM mine)
      AND similarity(a.title, b.title) >= %(min_similarity)s
      AND NOT EXISTS (SELECT 1 FROM part_interchange i
                      WHERE i.part_id = a.id AND i.interchange_part_id = b.id)
)
SELECT p.part_id, p.other_id, round(p.similarity::numeric, 3)::float AS similarity,
       ba.name AS brand, a.part_number, a.title, ba.name AS other_brand,
       b.part_number AS other_number, b.title AS other_title, p.vehicles
FROM pairs p
JOIN parts a ON a.id = p.part_id JOIN brands ba ON ba.id = a.brand_id
JOIN parts b ON b.id = p.other_id
ORDER BY p.similarity DESC, p.part_id
LIMIT %(limit)s
"""

LINK = """
INSERT INTO part_interchange (part_id, brand_name, mpn_normalized, interchange_part_id, kind,
                              source)
SELECT x.id, y_brand.name, y.mpn_normalized, y.id, 'interchange', 'review'
FROM parts x, parts y JOIN brands y_brand ON y_brand.id = y.brand_id
WHERE x.id = %(a)s AND y.id = %(b)s
ON CONFLICT (part_id, brand_name, mpn_normalized) DO NOTHING
"""


class InterchangeCandidate(Decision[dict[str, Any]]):
    """A pair of parts that look like one part under two numbers."""


async def flag_interchange(ctx: StepContext, supplier: str) -> dict[str, int]:
    async with ctx.conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            CANDIDATES,
            {"supplier": supplier, "min_similarity": MIN_SIMILARITY, "limit": MAX_CANDIDATES},
        )
        pairs = await cur.fetchall()
    for pair in pairs:
        decision = InterchangeCandidate(
            decision_type=DECISION_TYPE,
            output=pair,
            confidence=min(0.95, float(pair["similarity"])),
            rationale=(
                f"{pair['brand']} {pair['part_number']} and {pair['other_brand']} "
                f"{pair['other_number']}: titles {pair['similarity']:.0%} alike, the same "
                f"{pair['vehicles']} vehicles."
            ),
            evidence=[
                Evidence(kind="part", ref=str(pair["part_id"]), detail=pair["title"]),
                Evidence(kind="part", ref=str(pair["other_id"]), detail=pair["other_title"]),
            ],
        )
        await settle_decision(
            ctx, AGENT, decision, apply=_link, subject=("part", str(pair["part_id"]))
        )
    return {"interchange_candidates": len(pairs)}


async def _link(conn: AsyncConnection[Any], value: Any) -> None:
    """Both ways: each part lists the other as an interchange."""
    await conn.execute(LINK, {"a": value["part_id"], "b": value["other_id"]})
    await conn.execute(LINK, {"a": value["other_id"], "b": value["part_id"]})


async def apply_interchange(conn: AsyncConnection[Any], review: Review, value: Any) -> None:
    await _link(conn, value)
