"""The vocabulary the fitment parser reads with, from the vehicle base and data files.

Every make and model the store knows (with the years it has each model, so a
make is never guessed for years it did not build the model), the names people
use for models (`model_aliases`), and the chassis codes enthusiasts write
(`data/chassis_codes.csv`: 'E90' is a 2006-2011 3 Series).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from importlib import resources
from itertools import pairwise
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from automechanica.catalog.fitment_text import ChassisCode, ModelName, VehicleVocabulary
from automechanica.catalog.vocabulary import MAKE_ALIASES, TAXONOMY, alias_key

SELECT_MODEL_SPANS = """
SELECT ma.name, mo.name, min(bv.year), max(bv.year)
FROM models mo JOIN makes ma ON ma.id = mo.make_id
LEFT JOIN base_vehicles bv ON bv.model_id = mo.id
GROUP BY ma.name, mo.name
"""
SELECT_MODEL_NAMES = """
SELECT ma.name, al.alias, mo.name, al.submodel
FROM model_aliases al JOIN models mo ON mo.id = al.model_id JOIN makes ma ON ma.id = al.make_id
"""
SELECT_MAKE_ALIASES = "SELECT a.alias, m.name FROM make_aliases a JOIN makes m ON m.id = a.make_id"

ModelSpan = tuple[str, str, int | None, int | None]


def chassis_codes() -> list[tuple[str, ChassisCode]]:
    """The chassis codes shipped in `catalog/data/chassis_codes.csv`, by lookup key."""
    text = resources.files("automechanica.catalog").joinpath("data/chassis_codes.csv")
    with text.open(encoding="utf-8") as f:
        return [
            (
                alias_key(row["code"]),
                ChassisCode(
                    row["make"],
                    tuple(m for m in row["models"].split(";") if m),
                    (int(row["year_start"]), int(row["year_end"])),
                ),
            )
            for row in csv.DictReader(f)
        ]


def classic_models() -> list[tuple[str, str, tuple[int, int]]]:
    """Models built before 1981 that people name ('Chevelle'), from `data/classic_models.csv`."""
    text = resources.files("automechanica.catalog").joinpath("data/classic_models.csv")
    with text.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = []
    for row in rows:
        first, last = row["years"].split("-")
        out.append((row["make"], row["model"], (int(first), int(last))))
    return out


def part_words() -> set[str]:
    """Each two adjacent words of the part types' names and synonyms, as lookup keys."""
    words: set[str] = set()
    for part_type in TAXONOMY:
        for name in (part_type.name, *part_type.synonyms):
            keys = [alias_key(w) for w in name.split()]
            words.update(a + b for a, b in pairwise(keys) if a and b)
    return words


def vocabulary_from(
    spans: Iterable[ModelSpan],
    model_names: Iterable[ModelName] = (),
    make_aliases: dict[str, str] | None = None,
) -> VehicleVocabulary:
    """A vocabulary from (make, model, first year, last year) rows; years may be None
    for a model with no base vehicle yet."""
    rows = list(spans)
    known = {(make, model) for make, model, _, _ in rows}
    codes = [
        (key, ChassisCode(code.make, models, code.years))
        for key, code in chassis_codes()
        if (models := tuple(m for m in code.models if (code.make, m) in known))
    ]
    extra = {} if make_aliases is None else make_aliases
    return VehicleVocabulary.from_pairs(
        sorted(known),
        {**MAKE_ALIASES, **extra},
        spans={(mk, md): (a, b) for mk, md, a, b in rows if a is not None and b is not None},
        model_names=model_names,
        chassis_codes=codes,
        classics=classic_models(),
        part_words=part_words(),
    )


async def load_vocabulary(conn: AsyncConnection[Any]) -> VehicleVocabulary:
    """The vocabulary of the vehicle base in this database."""
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(SELECT_MODEL_SPANS)
        spans = [(r[0], r[1], r[2], r[3]) for r in await cur.fetchall()]
        await cur.execute(SELECT_MODEL_NAMES)
        names = [ModelName(r[0], r[1], r[2], r[3]) for r in await cur.fetchall()]
        await cur.execute(SELECT_MAKE_ALIASES)
        aliases = {r[0]: r[1] for r in await cur.fetchall()}
    return vocabulary_from(spans, names, aliases)
