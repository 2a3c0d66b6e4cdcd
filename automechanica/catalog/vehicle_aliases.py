"""Model aliases: the names people use for a model ("Vette", "F150", "335i"), kept as data.

The seed set lives in `data/model_aliases.csv` (make, alias, model, submodel,
note); models are named as vPIC spells them. An alias whose make or model is
not in the catalog is skipped, so seeding before the full base adds what it can
and seeding again after adds the rest.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from automechanica.catalog.vocabulary import alias_key

INSERT_MODEL_ALIASES = """
INSERT INTO model_aliases (make_id, alias, model_id, submodel, source)
SELECT mo.make_id, a.alias, mo.id, a.submodel, 'seed'
FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) AS a(make, alias, model, submodel)
JOIN makes ma ON ma.name = a.make
JOIN models mo ON mo.make_id = ma.id AND mo.name = a.model
ON CONFLICT (make_id, alias) DO NOTHING
"""
RESOLVE_MODEL_ALIAS = """
SELECT ma.name AS make, mo.name AS model, al.submodel
FROM model_aliases al JOIN models mo ON mo.id = al.model_id JOIN makes ma ON ma.id = al.make_id
WHERE al.alias = %s AND (%s::text IS NULL OR ma.name = %s)
ORDER BY ma.name
"""


@dataclass(frozen=True, slots=True)
class ModelAlias:
    """One seed alias: in `make`, `alias` means `model` (and `submodel`, for a trim badge)."""

    make: str
    alias: str
    model: str
    submodel: str | None = None


def seed_aliases() -> list[ModelAlias]:
    """The aliases shipped in `catalog/data/model_aliases.csv`."""
    text = resources.files("automechanica.catalog").joinpath("data/model_aliases.csv")
    with text.open(encoding="utf-8") as f:
        return [
            ModelAlias(r["make"], r["alias"], r["model"], r["submodel"] or None)
            for r in csv.DictReader(f)
        ]


async def store_model_aliases(
    conn: AsyncConnection[Any], aliases: list[ModelAlias] | None = None
) -> int:
    """Store the seed (or given) aliases whose model is in the catalog; returns rows added."""
    rows = seed_aliases() if aliases is None else aliases
    cur = await conn.execute(
        INSERT_MODEL_ALIASES,
        (
            [a.make for a in rows],
            [alias_key(a.alias) for a in rows],
            [a.model for a in rows],
            [a.submodel for a in rows],
        ),
    )
    return max(cur.rowcount, 0)


async def resolve_model_alias(
    conn: AsyncConnection[Any], name: str, *, make: str | None = None
) -> list[tuple[str, str, str | None]]:
    """(make, model, submodel) for each model `name` is an alias of (within `make` if given)."""
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(RESOLVE_MODEL_ALIAS, (alias_key(name), make, make))
        return [(r[0], r[1], r[2]) for r in await cur.fetchall()]
