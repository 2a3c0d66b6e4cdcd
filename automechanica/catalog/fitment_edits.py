"""A person's hand on a part's fitment: list its rows, add an application over a year
range, edit a row, reject one.

Every vehicle named must already be in the vehicle base (a year/make/model or a
configuration that does not exist is refused, never created). Rows a person adds carry
the source `person:<email>`, the convention of person decisions (orchestrator/events.py).
A removed row is `rejected`, not deleted: fit checks and reverse fitment read only
published rows, and the row stays as history. Each function returns the rows before and
after, so the caller records the change as a person's decision in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from psycopg import AsyncConnection, errors, sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel

from automechanica.catalog.fitment import ASK_ORDER
from automechanica.catalog.fitment_facts import same_value
from automechanica.errors import ConflictError, InvalidInputError, NotFoundError

Status = Literal["published", "pending_review", "rejected"]
#: What an edit may change; the vehicle and its constraints are the row's identity
#: (reject the row and add the right one instead).
EDITABLE = ("position", "quantity", "qualifiers", "notes", "status", "confidence")
#: Longest year range one request may add (a model line rarely runs longer).
MAX_YEARS = 40

SELECT_PART = """
SELECT p.id, p.part_number, p.title, p.fit_class, b.name AS brand, t.name AS part_type
FROM parts p JOIN brands b ON b.id = p.brand_id JOIN part_types t ON t.id = p.part_type_id
WHERE p.id = %(part)s
"""
ROW_COLUMNS = """
f.id, f.part_id, f.base_vehicle_id, bv.year, ma.name AS make, mo.name AS model,
f.submodel, f.engine_liters, f.engine_cylinders, f.engine_code, f.fuel, f.aspiration,
f.drive, f.body, f.transmission, f.position, f.quantity, f.qualifiers, f.notes, f.source,
s.name AS supplier, f.confidence, f.status, f.explanation, f.created_at, f.reviewed_at
"""
ROW_FROM = """
FROM fitments f
JOIN base_vehicles bv ON bv.id = f.base_vehicle_id
JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id
LEFT JOIN suppliers s ON s.id = f.supplier_id
"""
# (fitments_application leads with part_id: one part's rows)
SELECT_ROWS = (
    "SELECT"
    + ROW_COLUMNS
    + ", count(*) OVER () AS total"
    + ROW_FROM
    + """WHERE f.part_id = %(part)s
  AND (%(year)s::int IS NULL OR bv.year = %(year)s::int)
  AND (%(make)s::text IS NULL OR lower(ma.name) = lower(%(make)s::text))
  AND (%(model)s::text IS NULL OR lower(mo.name) = lower(%(model)s::text))
  AND (%(status)s::text IS NULL OR f.status = %(status)s::text)
ORDER BY ma.name, mo.name, bv.year, f.id
LIMIT %(limit)s OFFSET %(offset)s"""
)
SELECT_BY_IDS = (
    "SELECT" + ROW_COLUMNS + ROW_FROM + "WHERE f.id = ANY(%(ids)s) ORDER BY bv.year, f.id"
)
LOCK_ROW = "SELECT id FROM fitments WHERE id = %(id)s AND part_id = %(part)s FOR UPDATE"
COUNT_BY_STATUS = "SELECT status, count(*) AS n FROM fitments WHERE part_id = %(part)s GROUP BY 1"
SELECT_MODEL = """
SELECT ma.name AS make, mo.name AS model FROM models mo JOIN makes ma ON ma.id = mo.make_id
WHERE lower(ma.name) = lower(%(make)s) AND lower(mo.name) = lower(%(model)s)
"""
SELECT_MAKE = "SELECT name FROM makes WHERE lower(name) = lower(%(make)s)"
# Each year of the range with its base vehicle, or NULL where the base has none.
SELECT_BASES = """
SELECT y.year, b.id
FROM generate_series(%(start)s::int, %(end)s::int) AS y(year)
LEFT JOIN (SELECT bv.id, bv.year FROM base_vehicles bv
           JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id
           WHERE ma.name = %(make)s AND mo.name = %(model)s) b ON b.year = y.year
ORDER BY y.year
"""
# (vehicles_configuration leads with base_vehicle_id)
SELECT_CONFIGS = """
SELECT v.base_vehicle_id, v.submodel, v.engine_liters, v.engine_cylinders, v.engine_code,
       v.fuel, v.aspiration, v.drive, v.body, v.transmission
FROM vehicles v WHERE v.base_vehicle_id = ANY(%(bases)s)
"""
# A person states the application again: the same row comes back as they say it now.
INSERT_ROWS = """
INSERT INTO fitments (part_id, part_type_id, base_vehicle_id, submodel, engine_liters,
                      engine_cylinders, engine_code, fuel, aspiration, drive, body,
                      transmission, position, quantity, qualifiers, notes, source, confidence,
                      status)
SELECT p.id, p.part_type_id, b.id, %(submodel)s::text, %(engine_liters)s::numeric,
       %(engine_cylinders)s::smallint, %(engine_code)s::text, %(fuel)s::text,
       %(aspiration)s::text, %(drive)s::text, %(body)s::text, %(transmission)s::text,
       %(position)s::text, %(quantity)s::smallint, %(qualifiers)s::jsonb, %(notes)s::text[],
       %(source)s::text, %(confidence)s::real, %(status)s::text
FROM parts p, unnest(%(bases)s::int[]) AS b(id)
WHERE p.id = %(part)s
ON CONFLICT ON CONSTRAINT fitments_application DO UPDATE
SET quantity = EXCLUDED.quantity, qualifiers = EXCLUDED.qualifiers, notes = EXCLUDED.notes,
    confidence = EXCLUDED.confidence, status = EXCLUDED.status
RETURNING id
"""
# "No fitment data" stops being true once a person publishes some (carts and checkout
# say "check it yourself" for a no_fitment part).
BECOMES_SPECIFIC = """
UPDATE parts SET fit_class = 'vehicle_specific', updated_at = now()
WHERE id = %(part)s AND fit_class = 'no_fitment'
"""
#: Parts whose fit checks answer without fitment rows.
NO_ROWS_READ = {"universal": "universal (it fits any vehicle)", "non_vehicle": "not a vehicle part"}
REJECT_ROW = "UPDATE fitments SET status = 'rejected' WHERE id = %(id)s AND part_id = %(part)s"


@dataclass(frozen=True)
class Qualifier:
    """A condition the buyer must check ("w/ 288mm rotors"); `verify` marks it for them."""

    text: str
    verify: bool = True


@dataclass(frozen=True)
class Application:
    """What a person says the part fits, beyond year/make/model: constraints (None =
    every configuration), position, quantity, qualifiers, notes, confidence, status."""

    constraints: dict[str, Any] = field(default_factory=dict)
    position: str | None = None
    quantity: int | None = None
    qualifiers: tuple[Qualifier, ...] = ()
    notes: tuple[str, ...] = ()
    confidence: float = 1.0
    status: Status = "published"


class FitmentRow(BaseModel):
    """One fitment row as an operator sees it (and the admin API returns it)."""

    id: int
    base_vehicle_id: int
    year: int
    make: str
    model: str
    submodel: str | None
    engine_liters: float | None
    engine_cylinders: int | None
    engine_code: str | None
    fuel: str | None
    aspiration: str | None
    drive: str | None
    body: str | None
    transmission: str | None
    position: str | None
    quantity: int | None
    qualifiers: list[dict[str, Any]]
    notes: list[str]
    source: str
    supplier: str | None
    confidence: float
    status: str
    explanation: str | None
    created_at: datetime
    reviewed_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        """The row as an event records it (dates as ISO text)."""
        return self.model_dump(mode="json", exclude={"reviewed_at"})


@dataclass
class FitmentPage:
    part: dict[str, Any]
    total: int
    counts: dict[str, int]
    rows: list[FitmentRow]


@dataclass
class FitmentChange:
    """Rows before and after one person's change (empty `before` for new rows)."""

    part: dict[str, Any]
    before: list[FitmentRow]
    after: list[FitmentRow]
    added: int = 0
    #: A part listed as having no fitment data that now has some: 'vehicle_specific'.
    fit_class: str | None = None


def person_source(email: str) -> str:
    """The source of rows a person states: 'person:<email>', as person decisions name them."""
    return f"person:{email}"


async def list_fitments(
    conn: AsyncConnection[Any],
    part_id: int,
    *,
    year: int | None = None,
    make: str | None = None,
    model: str | None = None,
    status: Status | None = None,
    limit: int = 200,
    offset: int = 0,
) -> FitmentPage:
    """A part's rows of every status and source, by make, model and year."""
    part = await _part(conn, part_id)
    params = {
        "part": part_id,
        "year": year,
        "make": make,
        "model": model,
        "status": status,
        "limit": limit,
        "offset": offset,
    }
    rows = await _all(conn, SELECT_ROWS, params)
    total = int(rows[0]["total"]) if rows else await _count(conn, params, offset)
    counts = {r["status"]: int(r["n"]) for r in await _all(conn, COUNT_BY_STATUS, params)}
    return FitmentPage(part, total, counts, [_row(r) for r in rows])


async def add_fitments(
    conn: AsyncConnection[Any],
    part_id: int,
    *,
    years: tuple[int, int],
    make: str,
    model: str,
    application: Application,
    source: str,
) -> FitmentChange:
    """One row per base vehicle of `years` (inclusive); every year must exist in the
    vehicle base and, when constraints are given, have a configuration they match."""
    part = await _part(conn, part_id)
    if part["fit_class"] in NO_ROWS_READ:
        raise ConflictError(
            f"{part['brand']} {part['part_number']} is {NO_ROWS_READ[part['fit_class']]}: fit "
            "checks do not read its fitment rows, so nothing was added."
        )
    start, end = years
    if end < start:
        raise InvalidInputError(f"year_end {end} is before year_start {start}: swap them.")
    if end - start + 1 > MAX_YEARS:
        raise InvalidInputError(f"{start}–{end} spans more than {MAX_YEARS} years: split it.")
    unknown = set(application.constraints) - set(ASK_ORDER)
    if unknown:
        raise InvalidInputError(f"{sorted(unknown)} are not fitment constraints: use {ASK_ORDER}")
    make, model = await _make_model(conn, make, model)
    bases = await _all(
        conn, SELECT_BASES, {"start": start, "end": end, "make": make, "model": model}
    )
    missing = [r["year"] for r in bases if r["id"] is None]
    if missing:
        raise InvalidInputError(
            f"The vehicle base has no {_years(missing)} {make} {model}; nothing was added. "
            "Narrow the year range to years the vehicle base lists (GET /api/vehicles/models)."
        )
    base_ids = [int(r["id"]) for r in bases]
    constraints = {
        k: Decimal(str(v)) if k == "engine_liters" else v
        for k, v in application.constraints.items()
        if v is not None
    }
    if constraints:  # spelled as the vehicle base spells them ("ex" -> "EX")
        constraints = await _check_configurations(
            conn, base_ids, bases, constraints, f"{make} {model}"
        )
    params = {k: constraints.get(k) for k in ASK_ORDER} | {
        "part": part_id,
        "bases": base_ids,
        "position": application.position,
        "quantity": application.quantity,
        "qualifiers": Jsonb([{"text": q.text, "verify": q.verify} for q in application.qualifiers]),
        "notes": list(application.notes),
        "source": source,
        "confidence": application.confidence,
        "status": application.status,
    }
    existing = await _existing(conn, part_id, base_ids, params)
    ids = [int(r["id"]) for r in await _all(conn, INSERT_ROWS, params)]
    after = await _rows(conn, ids)
    before = [r for r in existing if r.id in ids]
    change = FitmentChange(part, before, after, added=len(ids) - len(before))
    if part["fit_class"] == "no_fitment" and application.status == "published":
        await conn.execute(BECOMES_SPECIFIC, {"part": part_id})
        change.fit_class = part["fit_class"] = "vehicle_specific"
    return change


async def edit_fitment(
    conn: AsyncConnection[Any], part_id: int, fitment_id: int, changes: dict[str, Any]
) -> FitmentChange:
    """Change a row's position, quantity, qualifiers, notes, status or confidence."""
    part = await _part(conn, part_id)
    (before,) = await _locked(conn, part_id, fitment_id)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInputError(f"{sorted(unknown)} cannot be edited: edit {EDITABLE}")
    if not changes:
        raise InvalidInputError(f"Say what to change: one or more of {', '.join(EDITABLE)}.")
    values = dict(changes)
    if "qualifiers" in values:
        values["qualifiers"] = Jsonb(_keep_parameters(values["qualifiers"], before.qualifiers))
    if all(_same(getattr(before, k), changes[k]) for k in changes):
        raise ConflictError(f"Fitment {fitment_id} already says that; nothing was changed.")
    query = sql.SQL("UPDATE fitments SET {} WHERE id = %(id)s").format(
        sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in values
        )
    )
    try:
        async with conn.transaction():
            await conn.execute(query, values | {"id": fitment_id})
    except errors.UniqueViolation:
        raise ConflictError(
            f"Another row of part {part_id} from {before.source} already states this "
            "vehicle with that position: edit that row, or reject this one."
        ) from None
    return FitmentChange(part, [before], await _rows(conn, [fitment_id]))


async def reject_fitment(
    conn: AsyncConnection[Any], part_id: int, fitment_id: int
) -> FitmentChange:
    """Take a row out of fit checks and reverse fitment; it stays, `rejected`, as history."""
    part = await _part(conn, part_id)
    (before,) = await _locked(conn, part_id, fitment_id)
    if before.status == "rejected":
        raise ConflictError(f"Fitment {fitment_id} is rejected already.")
    await conn.execute(REJECT_ROW, {"id": fitment_id, "part": part_id})
    return FitmentChange(part, [before], await _rows(conn, [fitment_id]))


async def part_header(conn: AsyncConnection[Any], part_id: int) -> dict[str, Any]:
    """The part as the editor names it (brand, number, title, type, fit class); 404s."""
    return await _part(conn, part_id)


async def _part(conn: AsyncConnection[Any], part_id: int) -> dict[str, Any]:
    rows = await _all(conn, SELECT_PART, {"part": part_id})
    if not rows:
        raise NotFoundError("part", part_id)
    return dict(rows[0])


async def _make_model(conn: AsyncConnection[Any], make: str, model: str) -> tuple[str, str]:
    """The names as the vehicle base spells them; a clear refusal when it has neither."""
    found = await _all(conn, SELECT_MODEL, {"make": make.strip(), "model": model.strip()})
    if found:
        return str(found[0]["make"]), str(found[0]["model"])
    makes = await _all(conn, SELECT_MAKE, {"make": make.strip()})
    if not makes:
        raise InvalidInputError(
            f"The vehicle base has no make {make!r}: pick one GET /api/vehicles/makes lists."
        )
    raise InvalidInputError(
        f"The vehicle base has no {makes[0]['name']} model {model!r}: pick one "
        "GET /api/vehicles/models lists."
    )


async def _check_configurations(
    conn: AsyncConnection[Any],
    base_ids: list[int],
    bases: list[dict[str, Any]],
    constraints: dict[str, Any],
    name: str,
) -> dict[str, Any]:
    """Each year must have a configuration the constraints match, or the row fits nothing.
    Returns the constraints as the first matching configuration spells them."""
    configs = await _all(conn, SELECT_CONFIGS, {"bases": base_ids})
    year_of = {int(r["id"]): int(r["year"]) for r in bases}
    stated = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in constraints.items())
    matching = [c for c in configs if all(same_value(c[k], v) for k, v in constraints.items())]
    found = {int(c["base_vehicle_id"]) for c in matching}
    unmatched = [year_of[b] for b in base_ids if b not in found]
    if unmatched:
        raise InvalidInputError(
            f"No {_years(unmatched)} {name} in the vehicle base has {stated}; nothing was "
            "added. Check the configurations (GET /api/vehicles/configurations) or narrow "
            "the years."
        )
    return {k: matching[0][k] for k in constraints}


async def _existing(
    conn: AsyncConnection[Any], part_id: int, base_ids: list[int], params: dict[str, Any]
) -> list[FitmentRow]:
    """Rows the insert will restate (same vehicle, constraints, position and source)."""
    keys = ("base_vehicle_id", *ASK_ORDER, "position", "source")
    query = sql.SQL(
        "SELECT id FROM fitments WHERE part_id = %(part)s AND base_vehicle_id = ANY(%(bases)s)"
        " AND {}"
    ).format(
        sql.SQL(" AND ").join(
            sql.SQL("{} IS NOT DISTINCT FROM {}").format(sql.Identifier(k), sql.Placeholder(k))
            for k in keys[1:]
        )
    )
    ids = [int(r["id"]) for r in await _all(conn, query, params | {"part": part_id})]
    return await _rows(conn, ids)


async def _locked(conn: AsyncConnection[Any], part_id: int, fitment_id: int) -> list[FitmentRow]:
    if not await _all(conn, LOCK_ROW, {"id": fitment_id, "part": part_id}):
        raise NotFoundError(f"fitment of part {part_id}", fitment_id)
    return await _rows(conn, [fitment_id])


async def _rows(conn: AsyncConnection[Any], ids: list[int]) -> list[FitmentRow]:
    if not ids:
        return []
    return [_row(r) for r in await _all(conn, SELECT_BY_IDS, {"ids": ids})]


async def _count(conn: AsyncConnection[Any], params: dict[str, Any], offset: int) -> int:
    """The total when the page came back empty (past the end, or no rows at all)."""
    if offset == 0:
        return 0
    rows = await _all(conn, SELECT_ROWS, params | {"limit": 1, "offset": 0})
    return int(rows[0]["total"]) if rows else 0


def _row(r: dict[str, Any]) -> FitmentRow:
    return FitmentRow.model_validate(r | {"confidence": round(float(r["confidence"]), 3)})


def _keep_parameters(new: list[dict[str, Any]], old: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Edited qualifiers keep the ACES parameters of a qualifier whose text stays."""
    params = {q.get("text"): q.get("parameters") for q in old if q.get("parameters")}
    return [q | ({"parameters": params[q["text"]]} if q["text"] in params else {}) for q in new]


def _same(current: Any, wanted: Any) -> bool:
    if isinstance(current, float) and isinstance(wanted, int | float):
        return abs(current - float(wanted)) < 1e-6
    if (
        isinstance(current, list)
        and isinstance(wanted, list)
        and current
        and isinstance(current[0], dict)
    ):
        return [(q.get("text"), q.get("verify")) for q in current] == [
            (q.get("text"), q.get("verify")) for q in wanted
        ]
    return bool(current == wanted)


def _years(years: list[int]) -> str:
    """'2013', '2013–2015' or '2011, 2013–2014': the years named compactly."""
    spans: list[list[int]] = []
    for y in sorted(years):
        if spans and spans[-1][1] == y - 1:
            spans[-1][1] = y
        else:
            spans.append([y, y])
    return ", ".join(f"{a}–{b}" if b > a else str(a) for a, b in spans)


async def _all(conn: AsyncConnection[Any], query: Any, params: dict[str, Any]) -> list[Any]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()
