"""A supplier profile as a person sees and corrects it in the console.

`explain_mapping` says why each mapped field maps as it does (the newest inference
that chose the same column, else how the profile came by it); `edit_profile` applies
a person's change after checking it, so a mapping to a field we do not have, or one
missing a field every file needs, is refused with what to do instead
(InvalidInputError); an edit that is sound but does not fit what is stored (a mapping
without a brand column for a supplier with no own brand) is a ConflictError.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from pydantic import BaseModel

from automechanica.catalog.feeds.mapping import LAYOUT_FIELDS, REQUIRED_FIELDS, LayoutMapping
from automechanica.catalog.feeds.profiles import PIES_COST_TYPES, SupplierProfile, unknown_fields
from automechanica.errors import ConflictError, InvalidInputError

# a supplier's recent layouts, newest first (index import_reports_supplier), to say why
# each mapped field maps as it does
SELECT_RECENT_LAYOUTS = """
SELECT r.layout FROM import_reports r JOIN suppliers s ON s.id = r.supplier_id
WHERE s.name = %s AND r.layout IS NOT NULL
ORDER BY r.started_at DESC LIMIT 20
"""
ECHO = "supplier profile"  # a layout read from the profile repeats it; it says no why
#: The names request bodies may use (and their schemas list): the same as LAYOUT_FIELDS
#: and PIES_COST_TYPES, checked below so the two cannot drift apart.
LayoutField = Literal[
    "sku", "brand", "mpn", "title", "description", "part_type", "upc", "uom", "pack_qty",
    "cost", "jobber", "map", "msrp", "core_charge", "weight_lb", "hazmat", "stock", "fitment",
    "year", "make", "model", "submodel", "engine", "updated_at",
]  # fmt: skip
CostPriceType = Literal["NET", "JBR", "WD", "DLR", "RET", "LST", "RMP", "MAP", "USR", "SRP"]
assert get_args(LayoutField) == LAYOUT_FIELDS and get_args(CostPriceType) == PIES_COST_TYPES


class MappedField(BaseModel):
    """One mapped field as a person reads it: where it comes from and why, when known."""

    field: str
    source: str
    confidence: float | None = None
    reason: str


class ProfileEdit(BaseModel):
    """What a person changes in a profile; a field left out is left as it is.

    `mapping` replaces the whole mapping (an empty one forgets it: the next file's
    layout is inferred again); `brand` or `cost_price_type` null clears it."""

    mapping: dict[str, str] | None = None
    brand: str | None = None
    cost_price_type: str | None = None
    format: Literal["csv", "jsonl"] | None = None
    has_header: bool | None = None


async def explain_mapping(
    conn: AsyncConnection[Any], profile: SupplierProfile
) -> list[MappedField]:
    """The profile's mapping in LAYOUT_FIELDS order, each field with the confidence and
    reason of the newest inference that mapped it to the same source, else how the
    profile came by it."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_RECENT_LAYOUTS, (profile.supplier.strip().lower(),))
        layouts = [LayoutMapping.model_validate(r["layout"]) for r in await cur.fetchall()]
    how = "set or accepted by a person" if profile.confirmed else "saved from a sure inference"
    order = {name: i for i, name in enumerate(LAYOUT_FIELDS)}
    explained = []
    for name in sorted(profile.mapping, key=lambda n: order.get(n, len(order))):
        source = profile.mapping[name]
        found = next(
            (
                f
                for layout in layouts
                if (f := layout.fields.get(name)) is not None
                and f.source == source
                and not f.reason.startswith(ECHO)
            ),
            None,
        )
        if found is None:
            explained.append(MappedField(field=name, source=source, reason=how))
        else:
            reason = f"{found.reason} ({how})"
            explained.append(
                MappedField(field=name, source=source, confidence=found.confidence, reason=reason)
            )
    return explained


def edit_profile(profile: SupplierProfile, edit: ProfileEdit, given: set[str]) -> SupplierProfile:
    """The profile with a person's edit applied (`given`: the fields the edit names), or
    an error saying what is wrong and what to do; nothing is saved here."""
    changed = profile.model_copy(deep=True)
    if "brand" in given:
        changed.brand = (edit.brand or "").strip() or None
    if "cost_price_type" in given:
        changed.cost_price_type = _cost_price_type(edit.cost_price_type)
    if edit.format is not None:
        changed.format = edit.format
    if edit.has_header is not None:
        changed.has_header = edit.has_header
    if edit.mapping is not None:
        _set_mapping(changed, edit.mapping)
    elif changed.mapping and "brand" not in changed.mapping and changed.brand is None:
        raise ConflictError(
            "the mapping has no brand column, so the supplier's own brand is its files' "
            "brand: map a brand column before clearing it"
        )
    return changed


def _cost_price_type(given: str | None) -> str | None:
    cost = (given or "").strip().upper() or None
    if cost is not None and cost not in PIES_COST_TYPES:
        raise InvalidInputError(
            f"cost_price_type {cost!r} is not a PIES price type; use one of "
            f"{', '.join(PIES_COST_TYPES)}, or null for NET (else the lowest)"
        )
    return cost


def _set_mapping(profile: SupplierProfile, given: dict[str, str]) -> None:
    """Replace the mapping (checked); a person's mapping is confirmed, any proposal gone."""
    unknown = unknown_fields(given)
    if unknown:
        raise InvalidInputError(
            f"mapping names {', '.join(repr(u) for u in unknown)}, not a field we have; "
            f"fields are {', '.join(LAYOUT_FIELDS)}"
        )
    mapping = {name: source.strip() for name, source in given.items()}
    empty = [name for name, source in mapping.items() if not source]
    if empty:
        raise InvalidInputError(
            f"mapping gives {', '.join(empty)} no column: name the file's column "
            "(or 'column N' in a file without a header), or leave the field out"
        )
    if mapping:
        needed = [n for n in REQUIRED_FIELDS if n not in mapping and n != "brand"]
        if needed:
            raise InvalidInputError(
                f"mapping lacks {', '.join(needed)}: every file needs "
                f"{', '.join(REQUIRED_FIELDS)} (the brand may instead be the supplier's own brand)"
            )
        if "brand" not in mapping and not profile.brand:
            raise ConflictError(
                "mapping lacks brand and the supplier has no own brand: map the file's brand "
                "column, or set the own brand (brand) in the same edit"
            )
        if profile.format is None and profile.pending is not None:
            profile.format = profile.pending.format
            profile.has_header = profile.pending.has_header
        if profile.format is None:
            raise ConflictError(
                "this supplier has no CSV or JSON lines layout yet: say which (format 'csv' "
                "or 'jsonl') with the mapping"
            )
    order = {name: i for i, name in enumerate(LAYOUT_FIELDS)}
    profile.mapping = dict(sorted(mapping.items(), key=lambda kv: order[kv[0]]))
    profile.confirmed = bool(mapping)
    profile.pending = None
