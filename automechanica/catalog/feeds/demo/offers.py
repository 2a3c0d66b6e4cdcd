"""Which suppliers offer which canonical part, and how each one lists it.

One part becomes up to three offers, so the import must merge them back into
one part with several supplier offers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from automechanica.catalog.feeds.demo.catalog import Part, money
from automechanica.catalog.feeds.demo.fitment import Fleet
from automechanica.catalog.feeds.demo.voices import Voices, fitment_texts, mpn_variant

__all__ = ["Offer", "assign_offers"]


@dataclass(slots=True)
class Offer:
    """One supplier's listing of a canonical part."""

    part: Part
    supplier: str
    sku: str
    brand: str
    mpn: str
    cost: Decimal
    stock: dict[str, int]
    updated_at: str
    fitment: list[str]


#: Supplier, share of the catalog it offers, SKU prefix, warehouses.
_SUPPLIERS = (
    ("northstar", 0.6, "NS", ("EAST", "WEST")),
    ("parts-direct", 0.5, "PD", ("DAL", "ATL")),
    ("atlas", 0.5, "ATL", ("RNO", "MEM")),
)


def assign_offers(rng: random.Random, parts: list[Part], fleet: Fleet) -> dict[str, list[Offer]]:
    """Each part offered by 1–3 suppliers, at costs ±15% around the part's cost."""
    voices = Voices(rng)
    offers: dict[str, list[Offer]] = {name: [] for name, *_ in _SUPPLIERS}
    serial = 10_000
    for part in parts:
        chosen = [s for s in _SUPPLIERS if rng.random() < s[1]] or [rng.choice(_SUPPLIERS)]
        for name, _, prefix, warehouses in chosen:
            serial += rng.randint(1, 9)
            cost = money(float(part.cost) * rng.uniform(0.85, 1.15))
            offers[name].append(
                Offer(
                    part,
                    name,
                    f"{prefix}-{serial}",
                    voices.brand(name, part.brand),
                    mpn_variant(rng, part.mpn),
                    cost,
                    {w: rng.choice((0, 0, 1, 2, 4, 7, 12, 30)) for w in warehouses},
                    voices.updated_at(),
                    fitment_texts(part, rng, fleet),
                )
            )
    return offers
