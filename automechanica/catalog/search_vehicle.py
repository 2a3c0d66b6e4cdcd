"""The vehicle a search named, found in the vehicle base, and what to ask next.

`search_intent` reads "2018 f150 5.0" as Ford F-150, 2018, 5.0 L. Here that
becomes the configurations (vehicle ids) it can be, narrowed by what the words
said (engine, drive, trim) — an attribute that would leave none is ignored and
reported, never guessed. When several configurations remain and the part type's
fitments on this model depend on an attribute that differs between them (engine,
trim...), `ask_next` names it with its options, the way a fit check does.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from automechanica.catalog.fitment import ASK_ORDER
from automechanica.catalog.search_intent import VehicleMention
from automechanica.catalog.vocabulary import alias_key

#: The configurations of a make and model (of one year when the query named one),
#: served by makes/models' name indexes and base_vehicles' (model_id, year) index.
SELECT_CONFIGURATIONS = """
SELECT v.id, bv.id AS base_vehicle_id, bv.year, v.submodel, v.engine_liters,
       v.engine_cylinders, v.engine_code, v.fuel, v.aspiration, v.drive, v.body,
       v.transmission
FROM makes ma JOIN models mo ON mo.make_id = ma.id
JOIN base_vehicles bv ON bv.model_id = mo.id
JOIN vehicles v ON v.base_vehicle_id = bv.id
WHERE ma.name = %(make)s AND mo.name = %(model)s
  AND bv.year BETWEEN %(first)s::int AND %(last)s::int
ORDER BY bv.year, v.id
"""
#: Which constraint columns the published fitments of these part types use on these
#: base vehicles: an attribute no fitment constrains does not decide fit.
CONSTRAINTS_USED = """
SELECT bool_or(f.submodel IS NOT NULL) AS submodel,
       bool_or(f.engine_liters IS NOT NULL) AS engine_liters,
       bool_or(f.engine_cylinders IS NOT NULL) AS engine_cylinders,
       bool_or(f.engine_code IS NOT NULL) AS engine_code,
       bool_or(f.fuel IS NOT NULL) AS fuel,
       bool_or(f.aspiration IS NOT NULL) AS aspiration,
       bool_or(f.drive IS NOT NULL) AS drive,
       bool_or(f.body IS NOT NULL) AS body,
       bool_or(f.transmission IS NOT NULL) AS transmission
FROM fitments f
WHERE f.base_vehicle_id = ANY(%(base_ids)s) AND f.status = 'published'
  AND (cardinality(%(types)s::text[]) = 0
       OR f.part_type_id IN (SELECT id FROM part_types WHERE slug = ANY(%(types)s)))
"""
#: At most this many ids are listed in a response (a model without a year has hundreds).
LISTED_IDS = 50
ASK_LABELS = {
    "year": "year",
    "submodel": "trim",
    "engine_liters": "engine",
    "engine_cylinders": "engine",
    "engine_code": "engine",
    "fuel": "fuel type",
    "aspiration": "engine",
    "drive": "drive type",
    "body": "body style",
    "transmission": "transmission",
}


@dataclass(slots=True)
class ResolvedVehicle:
    """The configurations a mention can be, and the question that would narrow them."""

    mention: VehicleMention
    vehicle_ids: list[int]
    base_vehicle_ids: list[int]
    ignored: list[str] = field(default_factory=list)  # words that matched no configuration
    ask_next: str | None = None
    ask_options: list[str] = field(default_factory=list)

    @property
    def vehicle_id(self) -> int | None:
        """The one configuration, when the words settle it."""
        return self.vehicle_ids[0] if len(self.vehicle_ids) == 1 else None

    @property
    def base_vehicle_id(self) -> int | None:
        return self.base_vehicle_ids[0] if len(self.base_vehicle_ids) == 1 else None

    def to_json(self) -> dict[str, Any]:
        m = self.mention
        return {
            "label": m.label,
            "year": m.year,
            "make": m.make,
            "model": m.model,
            "engine_liters": [float(x) for x in m.engine_liters] or None,
            "drive": m.drive,
            "submodels": list(m.submodels),
            "vehicle_id": self.vehicle_id,
            "base_vehicle_id": self.base_vehicle_id,
            "configurations": len(self.vehicle_ids),
            "vehicle_ids": self.vehicle_ids[:LISTED_IDS],
            "base_vehicle_ids": self.base_vehicle_ids[:LISTED_IDS],
            "ignored": self.ignored,
            "ask_next": self.ask_next,
            "ask_label": ASK_LABELS.get(self.ask_next or "", self.ask_next),
            "ask_options": self.ask_options,
        }


async def resolve_vehicle(
    conn: AsyncConnection[Any], mention: VehicleMention, part_types: Sequence[str] = ()
) -> ResolvedVehicle | None:
    """The mention's configurations (None when the base has no such vehicle/year)."""
    first, last = mention.years or (mention.year or 0, mention.year or 9999)
    rows = await _all(
        conn,
        SELECT_CONFIGURATIONS,
        {"make": mention.make, "model": mention.model, "first": first, "last": last},
    )
    if not rows:
        return None
    rows, ignored = _narrow(rows, mention)
    resolved = ResolvedVehicle(
        mention,
        [r["id"] for r in rows],
        sorted({r["base_vehicle_id"] for r in rows}),
        ignored,
    )
    if mention.year is None and len(resolved.base_vehicle_ids) > 1:
        resolved.ask_next = "year"
        resolved.ask_options = [str(y) for y in sorted({r["year"] for r in rows}, reverse=True)]
        return resolved
    if len(rows) > 1:
        used = await _all(
            conn,
            CONSTRAINTS_USED,
            {"base_ids": resolved.base_vehicle_ids, "types": list(part_types)},
        )
        for attribute in ASK_ORDER:
            values = sorted({_show(r[attribute]) for r in rows})
            if used and used[0][attribute] and len(values) > 1:
                resolved.ask_next, resolved.ask_options = attribute, values
                break
    return resolved


def _narrow(
    rows: list[dict[str, Any]], mention: VehicleMention
) -> tuple[list[dict[str, Any]], list[str]]:
    """Keep configurations with the engine, drive and trim said; a word matching none is
    ignored (and reported) rather than emptying the search."""
    ignored: list[str] = []
    tests: list[tuple[str, Any]] = []
    if mention.engine_liters:
        wanted = set(mention.engine_liters)
        label = "/".join(f"{x}L" for x in mention.engine_liters)
        tests.append((label, lambda r: r["engine_liters"] in wanted))
    if mention.drive:
        drive = mention.drive
        tests.append((drive, lambda r: r["drive"] == drive))
    if mention.submodels:
        trims = {alias_key(s) for s in mention.submodels}
        tests.append(
            ("/".join(mention.submodels), lambda r: alias_key(r["submodel"] or "") in trims)
        )
    for label, test in tests:
        kept = [r for r in rows if test(r)]
        if kept:
            rows = kept
        else:
            ignored.append(label)
    return rows, ignored


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value}L"
    return "unknown" if value is None else str(value)


async def _all(conn: AsyncConnection[Any], query: str, params: Any) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()


class VehicleCache:
    """Resolved vehicles kept for `ttl` seconds: shoppers repeat the same few cars, and
    the look-up is two statements. A new fitment shows in the next question within
    `ttl`; the ids themselves change only when the vehicle base does."""

    def __init__(self, *, ttl: float = 60.0, size: int = 4096) -> None:
        self.ttl, self.size = ttl, size
        self._entries: OrderedDict[tuple[Any, ...], tuple[float, ResolvedVehicle | None]] = (
            OrderedDict()
        )

    def clear(self) -> None:
        """Forget every resolved vehicle: a person changed fitment just now."""
        self._entries.clear()

    async def resolve(
        self, conn: AsyncConnection[Any], mention: VehicleMention, part_types: Sequence[str] = ()
    ) -> ResolvedVehicle | None:
        key = (mention, tuple(part_types))
        now = time.monotonic()
        found = self._entries.get(key)
        if found is not None and now - found[0] < self.ttl:
            self._entries.move_to_end(key)
            return found[1]
        resolved = await resolve_vehicle(conn, mention, part_types)
        self._entries[key] = (now, resolved)
        self._entries.move_to_end(key)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return resolved
