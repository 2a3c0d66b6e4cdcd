"""Fit checks with evidence, and reverse fitment collapsed into year ranges.

A fit check is three-state (DOMAIN.md): fits / does not fit / need more
information, and then it names the attribute to ask for next. A fitment row
matches a configuration when every non-null constraint equals the vehicle's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from automechanica.catalog.fitment_facts import same_value
from automechanica.catalog.vehicles import VEHICLE_COLUMNS, VEHICLE_FROM
from automechanica.catalog.vocabulary import PART_TYPES
from automechanica.errors import NotFoundError

#: Constraint columns, in the order a person is asked about them.
ASK_ORDER: tuple[str, ...] = (
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
_ASK_LABELS = {
    "submodel": "submodel (trim)",
    "engine_liters": "engine",
    "engine_cylinders": "engine",
    "engine_code": "engine",
    "fuel": "fuel type",
    "aspiration": "engine",
    "drive": "drive type",
    "body": "body style",
    "transmission": "transmission",
}
_ENGINE_ONLY_TYPES = {t.name for t in PART_TYPES if t.engine_only}

SELECT_PART = """
SELECT p.id, p.part_number, p.title, p.fit_class, b.name AS brand, t.name AS part_type
FROM parts p JOIN brands b ON b.id = p.brand_id JOIN part_types t ON t.id = p.part_type_id
WHERE p.id = %s
"""
SELECT_BASE_VEHICLE = """
SELECT bv.id FROM base_vehicles bv
JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id
WHERE bv.year = %s AND lower(ma.name) = lower(%s) AND lower(mo.name) = lower(%s)
"""
SELECT_CONFIGURATIONS = "SELECT" + VEHICLE_COLUMNS + VEHICLE_FROM + "WHERE bv.id = %s ORDER BY v.id"
SELECT_APPLICATIONS = """
SELECT f.id, f.submodel, f.engine_liters, f.engine_cylinders, f.engine_code, f.fuel,
       f.aspiration, f.drive, f.body, f.transmission, f.position, f.quantity, f.qualifiers,
       f.notes, f.source, f.confidence, f.created_at, f.explanation, s.name AS supplier
FROM fitments f LEFT JOIN suppliers s ON s.id = f.supplier_id
WHERE f.part_id = %s AND f.base_vehicle_id = %s AND f.status = 'published'
ORDER BY f.confidence DESC, f.id
"""
SELECT_REVERSE = """
SELECT bv.year, ma.name AS make, mo.name AS model, f.submodel, f.engine_liters,
       f.engine_cylinders, f.drive, f.position, f.qualifiers
FROM fitments f
JOIN base_vehicles bv ON bv.id = f.base_vehicle_id
JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id
WHERE f.part_id = %s AND f.status = 'published'
"""

Verdict = Literal["fits", "does_not_fit", "need_more_information"]


@dataclass
class Evidence:
    """One fitment row behind a verdict. `fitment_id`, `source` and `supplier` are the
    operator's view; a shopper is shown `source_kind` and `listed_on` instead."""

    fitment_id: int
    source: str
    supplier: str | None
    source_kind: str
    listed_on: date
    confidence: float
    position: str | None
    quantity: int | None
    constraints: dict[str, Any]
    qualifiers: list[str]
    notes: list[str]
    explanation: str | None = None  # the Fitment agent's why, from the evidence


@dataclass
class FitCheck:
    verdict: Verdict
    explanation: str
    confidence: float
    ask_next: str | None = None
    ask_options: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    verify: list[str] = field(default_factory=list)
    matching_vehicle_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class VehicleQuery:
    """A vehicle as the shopper described it: a configuration id, or year/make/model
    plus whatever attributes they know."""

    vehicle_id: int | None = None
    year: int | None = None
    make: str | None = None
    model: str | None = None
    known: dict[str, Any] = field(default_factory=dict)


async def check_fit(conn: AsyncConnection[Any], part_id: int, vehicle: VehicleQuery) -> FitCheck:
    """Does part `part_id` fit this vehicle, and on what evidence?"""
    part = await _one(conn, SELECT_PART, (part_id,))
    if part is None:
        raise NotFoundError("part", part_id)
    candidates, name = await _candidates(conn, vehicle)
    label = f"{part['brand']} {part['part_number']}"
    if part["fit_class"] == "universal":
        return FitCheck(
            "fits",
            f"{label} is universal: it fits any vehicle.",
            1.0,
            matching_vehicle_ids=[c["id"] for c in candidates],
        )
    if part["part_type"] in _ENGINE_ONLY_TYPES and all(c["fuel"] == "Electric" for c in candidates):
        return FitCheck(
            "does_not_fit", f"The {name} is electric: it has no {part['part_type'].lower()}.", 1.0
        )
    rows = await _all(conn, SELECT_APPLICATIONS, (part_id, candidates[0]["base_vehicle_id"]))
    if not rows:
        return FitCheck("does_not_fit", f"{label} lists no application for the {name}.", 0.9)
    matched = {c["id"]: [r for r in rows if _matches(r, c)] for c in candidates}
    fitting = [c for c in candidates if matched[c["id"]]]
    evidence = [_evidence(r) for r in rows if any(r in m for m in matched.values())]
    if not fitting:
        differing = _describe_constraints(rows[0])
        return FitCheck(
            "does_not_fit",
            f"{label} fits the {name} only with {differing}, which this vehicle does not have.",
            0.9,
            evidence=[_evidence(r) for r in rows],
        )
    verify = sorted({q for e in evidence for q in e.qualifiers})
    confidence = max(e.confidence for e in evidence)
    ids = [c["id"] for c in fitting]
    if len(fitting) < len(candidates):
        attribute, options = _next_question(candidates, {c["id"] for c in fitting})
        return FitCheck(
            "need_more_information",
            f"{label} fits some {name} configurations but not all; "
            f"tell us the {_ASK_LABELS.get(attribute, attribute)}.",
            confidence,
            attribute,
            options,
            evidence,
            verify,
            ids,
        )
    sources = sorted({f"{e.source_kind} ({e.listed_on.isoformat()})" for e in evidence})
    explanation = (
        f"{label} fits the {name}: listed by {', '.join(sources)}"
        + (f"; verify {', '.join(verify)}" if verify else "")
        + "."
    )
    return FitCheck(
        "fits", explanation, confidence, evidence=evidence, verify=verify, matching_vehicle_ids=ids
    )


async def _candidates(
    conn: AsyncConnection[Any], vehicle: VehicleQuery
) -> tuple[list[dict[str, Any]], str]:
    if vehicle.vehicle_id is not None:
        from automechanica.catalog.vehicles import SELECT_VEHICLE

        row = await _one(conn, SELECT_VEHICLE, (vehicle.vehicle_id,))
        if row is None:
            raise NotFoundError("vehicle", vehicle.vehicle_id)
        return [row], vehicle_name(row)
    if vehicle.year is None or not vehicle.make or not vehicle.model:
        raise NotFoundError("vehicle", "give a vehicle id, or year, make and model")
    base = await _one(conn, SELECT_BASE_VEHICLE, (vehicle.year, vehicle.make, vehicle.model))
    if base is None:
        raise NotFoundError("vehicle", f"{vehicle.year} {vehicle.make} {vehicle.model}")
    configs = await _all(conn, SELECT_CONFIGURATIONS, (base["id"],))
    narrowed = [
        c for c in configs if all(same_value(c.get(k), v) for k, v in vehicle.known.items())
    ]
    if not narrowed:
        raise NotFoundError("vehicle configuration", vehicle.known)
    return narrowed, vehicle_name(configs[0], with_configuration=False)


def _matches(row: dict[str, Any], config: dict[str, Any]) -> bool:
    return all(row[k] is None or same_value(row[k], config.get(k)) for k in ASK_ORDER)


def _next_question(
    candidates: Sequence[dict[str, Any]], fitting: set[int]
) -> tuple[str, list[str]]:
    """The first attribute (submodel, then engine...) that separates fitting configurations."""
    for attribute in ASK_ORDER:
        fit_values = {_show(c[attribute]) for c in candidates if c["id"] in fitting}
        other_values = {_show(c[attribute]) for c in candidates if c["id"] not in fitting}
        if fit_values and other_values and fit_values.isdisjoint(other_values):
            return attribute, sorted(fit_values | other_values)
    for attribute in ASK_ORDER:  # no clean split: ask for whatever varies
        values = {_show(c[attribute]) for c in candidates}
        if len(values) > 1:
            return attribute, sorted(values)
    return "submodel", []


def _show(value: Any) -> str:
    return "unknown" if value is None else str(value)


def _evidence(row: dict[str, Any]) -> Evidence:
    return Evidence(
        fitment_id=row["id"],
        source=row["source"],
        supplier=row["supplier"],
        source_kind=source_kind(row["source"]),
        listed_on=row["created_at"].date(),
        confidence=round(float(row["confidence"]), 2),
        position=row["position"],
        quantity=row["quantity"],
        constraints={k: _json(row[k]) for k in ASK_ORDER if row[k] is not None},
        qualifiers=[q["text"] for q in row["qualifiers"] if q.get("verify")],
        notes=list(row["notes"]),
        explanation=row["explanation"],
    )


def source_kind(source: str) -> str:
    """What kind of source a fitment came from, without naming it: 'feed:acme' is a
    supplier feed."""
    kind = source.split(":", 1)[0]
    return SOURCE_KINDS.get(kind, kind.replace("_", " "))


SOURCE_KINDS = {
    "feed": "supplier feed",
    "inference": "inferred from related fitments",
    "person": "checked by store staff",  # 'person:<email>': never name who
}


def _json(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _describe_constraints(row: dict[str, Any]) -> str:
    parts = [f"{k.replace('_', ' ')} {_json(row[k])}" for k in ASK_ORDER if row[k] is not None]
    return ", ".join(parts) or "another configuration"


def vehicle_name(row: dict[str, Any], *, with_configuration: bool = True) -> str:
    """'2016 Honda Civic EX 2.0L' (configuration) or '2016 Honda Civic'."""
    name = f"{row['year']} {row['make']} {row['model']}"
    if not with_configuration:
        return name
    extra = [
        row.get("submodel") or "",
        f"{row['engine_liters']}L" if row.get("engine_liters") else "",
        row.get("drive") or "",
    ]
    return " ".join([name, *[e for e in extra if e]])


async def reverse_fitment(conn: AsyncConnection[Any], part_id: int) -> list[dict[str, Any]]:
    """A part's vehicles, collapsed: '2016–2021 Honda Civic LX/EX 2.0L'."""
    rows = await _all(conn, SELECT_REVERSE, (part_id,))
    groups: dict[tuple[Any, ...], dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in rows:
        qualifiers = tuple(sorted(q["text"] for q in r["qualifiers"]))
        key = (
            r["make"],
            r["model"],
            r["engine_liters"],
            r["engine_cylinders"],
            r["drive"],
            r["position"],
            qualifiers,
        )
        groups[key][r["year"]].add(r["submodel"] or "")
    ranges = []
    for key, years in groups.items():
        make, model, liters, cylinders, drive, position, qualifiers = key
        for start, end, submodels in _collapse(years):
            label = f"{start}–{end}" if end > start else str(start)
            trims = "/".join(s for s in submodels if s)
            words = [
                label,
                make,
                model,
                trims,
                f"{liters}L" if liters else "",
                f"{cylinders}cyl" if cylinders and not liters else "",
                drive or "",
            ]
            ranges.append(
                {
                    "make": make,
                    "model": model,
                    "year_start": start,
                    "year_end": end,
                    "submodels": [s for s in submodels if s],
                    "engine_liters": _json(liters),
                    "engine_cylinders": cylinders,
                    "drive": drive,
                    "position": position,
                    "qualifiers": list(qualifiers),
                    "label": " ".join(w for w in words if w),
                }
            )
    ranges.sort(key=lambda r: (r["make"], r["model"], r["year_start"], r["label"]))
    return ranges


def _collapse(years: dict[int, set[str]]) -> list[tuple[int, int, list[str]]]:
    """Consecutive years with the same submodels become one range."""
    out: list[tuple[int, int, list[str]]] = []
    for year in sorted(years):
        subs = sorted(years[year])
        if out and out[-1][1] == year - 1 and out[-1][2] == subs:
            out[-1] = (out[-1][0], year, subs)
        else:
            out.append((year, year, subs))
    return out


async def _one(conn: AsyncConnection[Any], query: str, params: tuple[Any, ...]) -> Any:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchone()


async def _all(conn: AsyncConnection[Any], query: str, params: tuple[Any, ...]) -> list[Any]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()
