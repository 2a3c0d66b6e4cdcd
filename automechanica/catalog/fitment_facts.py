"""What the Fitment agent weighs for a part: its fitment rows from every source, the
configurations of each vehicle they name, and the wrong-fit history; and where its
verdict is written back (confidence, status, explanation per row).

Read in a few set-based statements per batch of parts, so assessing a whole feed costs
a handful of round trips, not one per row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from automechanica.catalog.vocabulary import alias_key

SELECT_ROWS = """
SELECT f.id, f.part_id, f.base_vehicle_id, bv.year, ma.name AS make, mo.name AS model,
       f.submodel, f.engine_liters, f.engine_cylinders, f.engine_code, f.fuel, f.aspiration,
       f.drive, f.body, f.transmission, f.position, f.qualifiers, f.source,
       s.name AS supplier, f.confidence, f.status
FROM fitments f
JOIN base_vehicles bv ON bv.id = f.base_vehicle_id
JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id
LEFT JOIN suppliers s ON s.id = f.supplier_id
WHERE f.part_id = ANY(%(parts)s) AND f.status <> 'rejected'
ORDER BY f.part_id, f.base_vehicle_id, f.id
"""
SELECT_CONFIGS = """
SELECT v.base_vehicle_id, v.submodel, v.engine_liters, v.engine_cylinders, v.engine_code,
       v.fuel, v.aspiration, v.drive, v.body, v.transmission
FROM vehicles v
WHERE v.base_vehicle_id IN (SELECT DISTINCT base_vehicle_id FROM fitments
                            WHERE part_id = ANY(%(parts)s))
"""
SELECT_WRONG_FITS = """
SELECT i.part_id, i.vehicle_id, v.base_vehicle_id, count(*) AS n
FROM fitment_issues i LEFT JOIN vehicles v ON v.id = i.vehicle_id
WHERE i.part_id = ANY(%(parts)s)
GROUP BY i.part_id, i.vehicle_id, v.base_vehicle_id
"""
UPDATE_ROWS = """
UPDATE fitments f
SET confidence = a.confidence, status = a.status, explanation = a.explanation,
    reviewed_at = now()
FROM unnest(%(ids)s::bigint[], %(confidence)s::real[], %(status)s::text[],
            %(explanation)s::text[]) AS a(id, confidence, status, explanation)
WHERE f.id = a.id AND f.status <> 'rejected'
  AND f.source NOT LIKE 'person:%%'  -- a person's row stays as they said (fitment_edits.py)
"""

#: The columns a fitment row may constrain, as configurations carry them.
CONSTRAINTS = (
    "submodel",
    "engine_liters",
    "engine_cylinders",
    "engine_code",
    "fuel",
    "aspiration",
    "drive",
    "body",
    "transmission",
)


@dataclass
class PartFitmentFacts:
    """Everything known about one part's fitment."""

    part_id: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    configs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # by base vehicle
    wrong_fits: dict[int, int] = field(default_factory=dict)  # base vehicle -> fitment issues


@dataclass(frozen=True)
class RowVerdict:
    fitment_id: int
    confidence: float
    status: str
    explanation: str


async def fitment_facts(
    conn: AsyncConnection[Any], part_ids: list[int]
) -> dict[int, PartFitmentFacts]:
    """The facts of each part that has fitment rows (parts without any are left out)."""
    params = {"parts": part_ids}
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_ROWS, params)
        rows = await cur.fetchall()
        await cur.execute(SELECT_CONFIGS, params)
        configs = await cur.fetchall()
        await cur.execute(SELECT_WRONG_FITS, params)
        issues = await cur.fetchall()
    by_base: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for config in configs:
        by_base[config["base_vehicle_id"]].append(config)
    facts: dict[int, PartFitmentFacts] = {}
    for row in rows:
        part = facts.setdefault(row["part_id"], PartFitmentFacts(row["part_id"]))
        part.rows.append(row)
        part.configs.setdefault(row["base_vehicle_id"], by_base.get(row["base_vehicle_id"], []))
    for issue in issues:
        found = facts.get(issue["part_id"])
        if found is not None and issue["base_vehicle_id"] is not None:
            base = issue["base_vehicle_id"]
            found.wrong_fits[base] = found.wrong_fits.get(base, 0) + int(issue["n"])
    return facts


async def store_verdicts(conn: AsyncConnection[Any], verdicts: list[RowVerdict]) -> int:
    """Write the agent's confidence, status and explanation to each row; returns rows."""
    if not verdicts:
        return 0
    cur = await conn.execute(
        UPDATE_ROWS,
        {
            "ids": [v.fitment_id for v in verdicts],
            "confidence": [v.confidence for v in verdicts],
            "status": [v.status for v in verdicts],
            "explanation": [v.explanation for v in verdicts],
        },
    )
    return cur.rowcount


def same_value(a: Any, b: Any) -> bool:
    """Constraint equality as fit checks compare: case and punctuation aside, 2 == 2.0."""
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except ArithmeticError:
            return False
    if isinstance(a, str) and isinstance(b, str):
        return alias_key(a) == alias_key(b)
    return bool(a == b)
