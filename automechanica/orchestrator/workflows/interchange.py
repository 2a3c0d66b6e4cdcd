"""Interchange candidates: the same part offered under different numbers.

After an import, each of the supplier's parts is compared with parts other suppliers
offer: the same part type, titles alike (pg_trgm similarity, on the titles' trigram
index) and exactly the same set of fitting base vehicles, but another brand or number.
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
MIN_SIMILARITY = 0.6
MAX_CANDIDATES = 200  # a review queue a person can work through; the rest come next import

# Index use: parts_title_trgm for `%`, fitments_application (part_id first) for the sets.
CANDIDATES = """
WITH mine AS (
    SELECT DISTINCT o.part_id FROM supplier_parts o JOIN suppliers s ON s.id = o.supplier_id
    WHERE s.name = %(supplier)s
), pairs AS (
    SELECT a.id AS part_id, b.id AS other_id, similarity(a.title, b.title) AS similarity
    FROM mine m
    JOIN parts a ON a.id = m.part_id
    JOIN parts b ON b.part_type_id = a.part_type_id AND b.id <> a.id AND a.title %% b.title
    WHERE (b.brand_id, b.mpn_normalized) <> (a.brand_id, a.mpn_normalized)
      AND similarity(a.title, b.title) >= %(min_similarity)s
      AND b.id NOT IN (SELECT part_id FROM mine)
      AND NOT EXISTS (SELECT 1 FROM part_interchange i
                      WHERE i.part_id = a.id AND i.interchange_part_id = b.id)
), sets AS (
    SELECT f.part_id, array_agg(DISTINCT f.base_vehicle_id ORDER BY f.base_vehicle_id) AS v
    FROM fitments f
    WHERE f.part_id IN (SELECT part_id FROM pairs UNION SELECT other_id FROM pairs)
    GROUP BY f.part_id
)
SELECT p.part_id, p.other_id, round(p.similarity::numeric, 3)::float AS similarity,
       ba.name AS brand, a.part_number, a.title, bb.name AS other_brand,
       b.part_number AS other_number, b.title AS other_title, cardinality(sa.v) AS vehicles
FROM pairs p
JOIN sets sa ON sa.part_id = p.part_id
JOIN sets sb ON sb.part_id = p.other_id AND sb.v = sa.v
JOIN parts a ON a.id = p.part_id JOIN brands ba ON ba.id = a.brand_id
JOIN parts b ON b.id = p.other_id JOIN brands bb ON bb.id = b.brand_id
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
