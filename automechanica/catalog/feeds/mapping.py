"""A feed layout: which column (or JSON key) of a supplier's file gives each of our fields.

Inferred by `layout.py`, remembered per supplier by `profiles.py`, applied by the CSV
and JSON lines readers. Every field carries how sure the inference was and why, so
an unsure one can be shown to a person (or an agent) to confirm.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

#: Our fields a layout can map, in the order they are shown.
LAYOUT_FIELDS: tuple[str, ...] = (
    "sku", "brand", "mpn", "title", "description", "part_type", "upc", "uom", "pack_qty",
    "cost", "jobber", "map", "msrp", "core_charge", "weight_lb", "hazmat", "stock", "fitment",
    "year", "make", "model", "submodel", "engine", "updated_at",
)  # fmt: skip
REQUIRED_FIELDS: tuple[str, ...] = ("sku", "brand", "mpn", "cost")
#: A field inferred with less confidence than this is unsure: a person confirms it.
SURE = 0.75


class FieldMapping(BaseModel):
    """Where one of our fields comes from, and why we think so."""

    source: str  # the column's header name, "column 3" in a headerless CSV, a JSON key path
    confidence: float = Field(ge=0, le=1)
    reason: str
    samples: list[str] = Field(default_factory=list)


class LayoutMapping(BaseModel):
    """A supplier file's layout: our field -> its source, with confidence and reasons."""

    format: Literal["csv", "jsonl"]
    has_header: bool = True
    fields: dict[str, FieldMapping] = Field(default_factory=dict)
    brand: str | None = None  # the supplier's own brand, for files without a brand column
    confidence: float = Field(default=1.0, ge=0, le=1)
    unsure_fields: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    def sources(self) -> dict[str, str]:
        """Our field -> its source, in the order of LAYOUT_FIELDS."""
        return {name: self.fields[name].source for name in LAYOUT_FIELDS if name in self.fields}

    @property
    def sure(self) -> bool:
        return not self.unsure_fields

    def settle(self) -> LayoutMapping:
        """Recompute `unsure_fields` and `confidence` from the fields (and the brand)."""
        unsure = [n for n in LAYOUT_FIELDS if n in self.fields and self.fields[n].confidence < SURE]
        missing = [
            n for n in REQUIRED_FIELDS if n not in self.fields and not (n == "brand" and self.brand)
        ]
        self.unsure_fields = missing + [n for n in unsure if n not in missing]
        scores = [self.fields[n].confidence for n in REQUIRED_FIELDS if n in self.fields]
        self.confidence = round(min(scores, default=0.0) if not missing else 0.0, 2)
        return self

    @classmethod
    def by_hand(
        cls,
        fmt: Literal["csv", "jsonl"],
        sources: dict[str, str],
        *,
        has_header: bool = True,
        brand: str | None = None,
        reason: str = "set by hand",
    ) -> LayoutMapping:
        fields = {
            name: FieldMapping(source=src, confidence=1.0, reason=reason)
            for name, src in sources.items()
        }
        return cls(format=fmt, has_header=has_header, fields=fields, brand=brand).settle()
