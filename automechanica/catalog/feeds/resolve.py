"""What an import needs to look up: brands, part types, vehicles, parsed fitment text.

Loaded once per import; all small tables (brands, part types, base vehicles),
so memory stays flat however large the feed is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from automechanica.catalog.feeds.records import Application
from automechanica.catalog.feeds.vcdb_apps import VcdbIds
from automechanica.catalog.fitment_text import VehicleVocabulary, parse_fitment_text
from automechanica.catalog.fitment_vocabulary import load_vocabulary
from automechanica.catalog.vocabulary import alias_key

SELECT_BRAND_ALIASES = """
SELECT a.alias, b.id, b.name, b.aaia_id FROM brand_aliases a JOIN brands b ON b.id = a.brand_id
"""
SELECT_PART_TYPES = "SELECT id, name, pcdb_id FROM part_types"
SELECT_BASE_VEHICLES = """
SELECT bv.id, bv.year, ma.name AS make, mo.name AS model
FROM base_vehicles bv JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id
"""
SELECT_MAKE_ALIASES = "SELECT a.alias, m.name FROM make_aliases a JOIN makes m ON m.id = a.make_id"

#: Confidence of a fitment by where it came from; each qualifier left to verify lowers it.
CONFIDENCE_STRUCTURED = 0.95
CONFIDENCE_PARSED_TEXT = 0.85
CONFIDENCE_PER_VERIFY = 0.1
PUBLISH_THRESHOLD = 0.7
#: Brand and part-type spellings remembered per import (a hostile file stays bounded).
_SPELLINGS_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class BrandRef:
    id: int
    name: str


@dataclass(slots=True)
class TextFitments:
    """What one distinct fitment string yields: rows to store, and what was not understood."""

    rows: list[FitmentRow]
    problems: list[str]


class FitmentRow(NamedTuple):
    """One row of `fitments` without its part, in the staging table's column order.

    Built once per application and shared by every offer that names it, so the
    per-row work of an import is a tuple splice.
    """

    base_vehicle_id: int
    submodel: str | None
    engine_liters: Decimal | None
    engine_cylinders: int | None
    engine_code: str | None
    fuel: str | None
    aspiration: str | None
    drive: str | None
    body: str | None
    transmission: str | None
    position: str | None
    quantity: int | None
    qualifiers_json: str  # [{"text", "verify"}], serialized once
    notes: list[str]
    confidence: float
    status: str


@dataclass(slots=True)
class Lookups:
    brands: dict[str, BrandRef]
    part_types: dict[str, int]
    base_vehicles: dict[tuple[str, str, int], int]
    make_names: dict[str, str]
    vocabulary: VehicleVocabulary
    vcdb: VcdbIds = field(default_factory=VcdbIds)
    #: (year, make, model) named before the vehicle base begins: proposed for a person.
    proposed: dict[tuple[int, str, str], None] = field(default_factory=dict)
    _brand_spellings: dict[str, BrandRef | None] = field(default_factory=dict)
    _type_spellings: dict[str, int | None] = field(default_factory=dict)

    @classmethod
    async def load(cls, conn: AsyncConnection[Any]) -> Lookups:
        brands: dict[str, BrandRef] = {}
        for row in await _fetch(conn, SELECT_BRAND_ALIASES):
            ref = BrandRef(row["id"], row["name"])
            brands[row["alias"]] = ref
            if row["aaia_id"]:
                brands[alias_key(row["aaia_id"])] = ref
        part_types: dict[str, int] = {}
        for row in await _fetch(conn, SELECT_PART_TYPES):
            part_types[alias_key(row["name"])] = row["id"]
            if row["pcdb_id"] is not None:
                part_types[str(row["pcdb_id"])] = row["id"]
        base_vehicles: dict[tuple[str, str, int], int] = {}
        for row in await _fetch(conn, SELECT_BASE_VEHICLES):
            base_vehicles[(alias_key(row["make"]), alias_key(row["model"]), row["year"])] = row[
                "id"
            ]
        make_names = {row["alias"]: row["name"] for row in await _fetch(conn, SELECT_MAKE_ALIASES)}
        vocabulary = await load_vocabulary(conn)
        vcdb = await VcdbIds.load(conn)
        return cls(brands, part_types, base_vehicles, make_names, vocabulary, vcdb)

    def brand(self, raw: str) -> BrandRef | None:
        """The brand a supplier's spelling names (spellings are few: cached)."""
        try:
            return self._brand_spellings[raw]
        except KeyError:
            if len(self._brand_spellings) >= _SPELLINGS_LIMIT:  # a hostile file: stay bounded
                self._brand_spellings.clear()
            found = self._brand_spellings[raw] = self.brands.get(alias_key(raw))
            return found

    def part_type(self, raw: str | None) -> int | None:
        if not raw:
            return None
        try:
            return self._type_spellings[raw]
        except KeyError:
            if len(self._type_spellings) >= _SPELLINGS_LIMIT:
                self._type_spellings.clear()
            key = raw.strip() if raw.strip().isdigit() else alias_key(raw)
            found = self._type_spellings[raw] = self.part_types.get(key)
            return found

    def text_fitments(self, text: str) -> TextFitments:
        """Parse free-text fitment and expand it to rows (the importer memoizes the result
        per distinct fitment set: `staging.Fitsets`)."""
        parsed = parse_fitment_text(text, self.vocabulary)
        found = TextFitments([], [f"fitment text not understood: {u}" for u in parsed.unresolved])
        for vehicle in parsed.proposals:
            years = range(vehicle.year_start, vehicle.year_end + 1)
            if len(self.proposed) < _SPELLINGS_LIMIT:
                self.proposed.update(dict.fromkeys((y, vehicle.make, vehicle.model) for y in years))
            found.problems.append(
                f"{vehicle.year_start}-{vehicle.year_end} {vehicle.make} {vehicle.model} is older "
                "than the vehicle base: proposed for a person to accept "
                "(automechanica vehicles proposed list)"
            )
        for app in parsed.to_applications():
            rows, problem = self.expand(app, structured=False)
            found.rows += rows
            found.problems += [problem] if problem else []
        return found

    def expand(self, app: Application, *, structured: bool) -> tuple[list[FitmentRow], str | None]:
        """Per-year fitment rows for an application, or the reason it names no vehicle."""
        if app.vcdb:
            base_vehicle_id, app, problem = self.vcdb.resolve(app)
            if problem:
                return [], problem
            if base_vehicle_id is not None:
                return self._rows(app, [base_vehicle_id], structured=structured), None
        make = self.make_names.get(alias_key(app.make))
        if make is None:
            return [], f"make {app.make!r} is not in the vehicle table"
        make_key, model_key = alias_key(make), alias_key(app.model)
        if app.year_start > app.year_end:
            return [], f"years {app.year_start}-{app.year_end} run backwards"
        found = (
            self.base_vehicles.get((make_key, model_key, year))
            for year in range(app.year_start, app.year_end + 1)
        )
        base_vehicle_ids = [bv for bv in found if bv is not None]
        if not base_vehicle_ids:
            years = f"{app.year_start}-{app.year_end}"
            return [], f"no {make} {app.model} in {years} in the vehicle table"
        return self._rows(app, base_vehicle_ids, structured=structured), None

    @staticmethod
    def _rows(
        app: Application, base_vehicle_ids: list[int], *, structured: bool
    ) -> list[FitmentRow]:
        verify = [q for q in app.qualifiers if q]
        base = CONFIDENCE_STRUCTURED if structured else CONFIDENCE_PARSED_TEXT
        confidence = round(max(0.3, base - CONFIDENCE_PER_VERIFY * len(verify)), 2)
        qualifiers = json.dumps([{"text": q, "verify": True} for q in verify])
        status = "published" if confidence >= PUBLISH_THRESHOLD else "pending_review"
        submodels: list[str | None] = list(app.submodels) or [None]
        return [
            FitmentRow(
                base_vehicle_id,
                submodel,
                app.engine_liters,
                app.engine_cylinders,
                app.engine_code,
                app.fuel,
                app.aspiration,
                app.drive,
                app.body,
                app.transmission,
                app.position,
                app.quantity,
                qualifiers,
                list(app.notes),
                confidence,
                status,
            )
            for base_vehicle_id in base_vehicle_ids
            for submodel in submodels
        ]


async def _fetch(conn: AsyncConnection[Any], query: str) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query)
        return await cur.fetchall()
