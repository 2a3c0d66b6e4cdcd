"""Supplier profiles: what we remember about a supplier's files, and the import plan.

A profile holds the supplier's column mapping (inferred and saved when sure, or set
and accepted by a person), its own brand for files without a brand column, and
which PIES price type is its cost. `plan_import` decides how a file will be read:
the profile's mapping, our own names, or an inferred layout — and says why.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Literal

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

from automechanica.catalog.feeds.csv_feed import _ALIASES, REQUIRED_COLUMNS, _delimiter, header_key
from automechanica.catalog.feeds.layout import KnownValues, header_words, infer_layout
from automechanica.catalog.feeds.layout_words import SYNONYMS
from automechanica.catalog.feeds.lines import FeedLines
from automechanica.catalog.feeds.mapping import LAYOUT_FIELDS, LayoutMapping
from automechanica.catalog.feeds.readers import detect_format
from automechanica.catalog.feeds.records import FeedFormat
from automechanica.catalog.vocabulary import alias_key

SELECT_PROFILE = """
SELECT s.name AS supplier, p.format, p.has_header, p.mapping, p.brand, p.cost_price_type,
       p.confirmed, p.pending, p.updated_at
FROM suppliers s JOIN supplier_profiles p ON p.supplier_id = s.id
WHERE s.name = %s
"""
ENSURE_SUPPLIER = """
INSERT INTO suppliers (name, display_name) VALUES (%s, %s)
ON CONFLICT (name) DO UPDATE SET name = excluded.name
RETURNING id
"""
UPSERT_PROFILE = """
INSERT INTO supplier_profiles (supplier_id, format, has_header, mapping, brand, cost_price_type,
                               confirmed, pending)
VALUES (%(supplier_id)s, %(format)s, %(has_header)s, %(mapping)s, %(brand)s,
        %(cost_price_type)s, %(confirmed)s, %(pending)s)
ON CONFLICT (supplier_id) DO UPDATE SET
    format = excluded.format, has_header = excluded.has_header, mapping = excluded.mapping,
    brand = excluded.brand, cost_price_type = excluded.cost_price_type,
    confirmed = excluded.confirmed, pending = excluded.pending, updated_at = now()
"""
SELECT_KNOWN_BRANDS = """
SELECT b.name, b.name AS spelling FROM brands b
UNION ALL SELECT b.name, a.alias FROM brand_aliases a JOIN brands b ON b.id = a.brand_id
"""
SELECT_KNOWN_MAKES = """
SELECT m.name, m.name AS spelling FROM makes m
UNION ALL SELECT m.name, a.alias FROM make_aliases a JOIN makes m ON m.id = a.make_id
"""
RECORD_LAYOUT = "UPDATE import_reports SET layout = %s, layout_reason = %s WHERE id = %s"
PIES_COST_TYPES = ("NET", "JBR", "WD", "DLR", "RET", "LST", "RMP", "MAP", "USR", "SRP")


class SupplierProfile(BaseModel):
    """What we remember about one supplier's files (table supplier_profiles)."""

    supplier: str
    format: Literal["csv", "jsonl"] | None = None
    has_header: bool = True
    mapping: dict[str, str] = Field(default_factory=dict)
    brand: str | None = None
    cost_price_type: str | None = None
    confirmed: bool = False
    pending: LayoutMapping | None = None

    def layout(self) -> LayoutMapping | None:
        """The remembered mapping as a layout, or None when there is none."""
        if not self.mapping or self.format is None:
            return None
        how = "confirmed by a person" if self.confirmed else "saved from a sure inference"
        return LayoutMapping.by_hand(
            self.format,
            self.mapping,
            has_header=self.has_header,
            brand=self.brand,
            reason=f"supplier profile ({how})",
        )


class ImportPlan(BaseModel):
    """How a file will be read, and why; `sure` False means: ask a person first."""

    format: FeedFormat
    layout: LayoutMapping | None = None
    cost_price_type: str | None = None
    reason: str
    sure: bool = True
    inferred: bool = False  # save the layout to the profile once the import succeeds


async def load_profile(conn: AsyncConnection[Any], supplier: str) -> SupplierProfile | None:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_PROFILE, (supplier.strip().lower(),))
        row = await cur.fetchone()
    if row is None:
        return None
    pending = row.pop("pending")
    row.pop("updated_at")
    profile = SupplierProfile(**row)
    if pending:
        profile.pending = LayoutMapping.model_validate(pending)
    return profile


async def save_profile(conn: AsyncConnection[Any], profile: SupplierProfile) -> None:
    key = profile.supplier.strip().lower()
    async with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(ENSURE_SUPPLIER, (key, profile.supplier))
        row = await cur.fetchone()
        assert row is not None
        await cur.execute(
            UPSERT_PROFILE,
            {
                "supplier_id": row["id"],
                "format": profile.format,
                "has_header": profile.has_header,
                "mapping": Jsonb(profile.mapping),
                "brand": profile.brand,
                "cost_price_type": profile.cost_price_type,
                "confirmed": profile.confirmed,
                "pending": Jsonb(profile.pending.model_dump()) if profile.pending else None,
            },
        )


async def known_values(conn: AsyncConnection[Any]) -> KnownValues:
    """Brands and makes from the database (with their aliases), for layout inference."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_KNOWN_BRANDS)
        brands = {alias_key(r["spelling"]): r["name"] for r in await cur.fetchall()}
        await cur.execute(SELECT_KNOWN_MAKES)
        makes = {alias_key(r["spelling"]): r["name"] for r in await cur.fetchall()}
    builtin = KnownValues.builtin()
    return KnownValues(builtin.brands | brands, (builtin.makes | makes) if makes else builtin.makes)


def _our_own_names(path: Path, fmt: FeedFormat) -> bool:
    """Whether the file names its fields our way (the readers' aliases) and needs no layout."""
    vehicle = {"year", "make", "model", "submodel", "engine"}
    with FeedLines(path) as lines:
        first = next(lines.texts(), "")
    if fmt == "csv":
        names = next(csv.reader([first], delimiter=_delimiter(first)), [])
        keys = {header_key(n) for n in names}
        aliases = {name for name, spellings in _ALIASES.items() if keys & set(spellings)}
        words = {header_words(n) for n in names}
        has_vehicle = any(w in SYNONYMS[f] for f in vehicle for w in words)
        return set(REQUIRED_COLUMNS) <= aliases and not has_vehicle
    try:
        obj = json.loads(first)
    except ValueError:
        return True  # the reader words the problem
    if not isinstance(obj, dict):
        return True
    pricing = obj.get("pricing")
    return (
        all(k in obj for k in ("supplier_sku", "brand", "part_number"))
        and isinstance(pricing, dict)
        and "cost" in pricing
        and not vehicle & set(obj)
    )


async def plan_import(
    conn: AsyncConnection[Any], path: Path, supplier: str, fmt: FeedFormat | None = None
) -> ImportPlan:
    """How to read `path` for `supplier`: the profile's mapping when it has one, our own
    names when the file uses them, else an inferred layout (unsure: `sure` is False and
    the proposal is kept in the profile as pending, for `feeds profile accept`)."""
    fmt = fmt or detect_format(path)
    profile = await load_profile(conn, supplier)
    if fmt in ("pies", "aces"):
        cost = profile.cost_price_type if profile else None
        why = f"cost price type {cost} from the supplier profile" if cost else "cost: NET price"
        return ImportPlan(format=fmt, cost_price_type=cost, reason=f"{fmt.upper()} layout; {why}")
    remembered = profile.layout() if profile else None
    if remembered is not None and remembered.format == fmt:
        how = (
            "confirmed by a person"
            if profile and profile.confirmed
            else "saved from a sure inference"
        )
        return ImportPlan(
            format=fmt, layout=remembered, reason=f"the supplier profile's mapping ({how})"
        )
    if _our_own_names(path, fmt) and not (profile and profile.brand):
        return ImportPlan(format=fmt, reason="the file names its fields our way")
    layout = infer_layout(path, known=await known_values(conn), supplier=supplier)
    if profile and profile.brand and "brand" not in layout.fields:
        layout.brand = profile.brand
        layout.settle()
    if not layout.sure:
        pending = profile or SupplierProfile(supplier=supplier)
        pending.pending = layout
        await save_profile(conn, pending)
        return ImportPlan(
            format=fmt,
            layout=layout,
            reason=f"inferred, unsure of {', '.join(layout.unsure_fields)}",
            sure=False,
            inferred=True,
        )
    return ImportPlan(
        format=fmt,
        layout=layout,
        reason=f"inferred from the header and values (confidence {layout.confidence:.2f})",
        inferred=True,
    )


async def remember_layout(conn: AsyncConnection[Any], supplier: str, layout: LayoutMapping) -> None:
    """Save a sure inferred layout as the supplier's mapping (not marked confirmed)."""
    profile = await load_profile(conn, supplier) or SupplierProfile(supplier=supplier)
    profile.format = layout.format
    profile.has_header = layout.has_header
    profile.mapping = layout.sources()
    profile.brand = layout.brand or profile.brand
    profile.pending = None
    await save_profile(conn, profile)


async def record_layout(conn: AsyncConnection[Any], report_id: int, plan: ImportPlan) -> None:
    """Note in the import report which layout was used and why."""
    layout = Jsonb(plan.layout.model_dump()) if plan.layout else None
    async with conn.transaction():
        await conn.execute(RECORD_LAYOUT, (layout, plan.reason, report_id))


def unknown_fields(mapping: dict[str, str]) -> list[str]:
    return [name for name in mapping if name not in LAYOUT_FIELDS]
