"""The canonical demo catalog: the parts a correct import of all three feeds ends up with.

Each part is drawn from the tables (brand, MPN shape, title, attributes, prices,
UPC) and the fleet (fitment), always in the same order from one RNG.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from automechanica.catalog.feeds.demo.fitment import Fit, Fleet
from automechanica.catalog.feeds.demo.tables import (
    BRAND_BY_NAME,
    CORE_CHARGES,
    ENGINE_TYPES,
    MAKERS,
    MPN_SHAPES,
    NO_DIESEL,
    PER_CYLINDER,
    PRODUCT_LINES,
    SIDED_POSITIONS,
    SPECS,
    UPC_PREFIXES,
    Spec,
)
from automechanica.catalog.feeds.values import gtin_check_digit
from automechanica.catalog.vocabulary import PART_TYPES, Brand, PartType

__all__ = ["CENT", "Catalog", "Part", "money"]

CENT = Decimal("0.01")


@dataclass(slots=True)
class Part:
    """One canonical part: what a correct import should end up with."""

    part_type: PartType
    brand: Brand
    mpn: str
    title: str
    cost: Decimal
    jobber: Decimal
    map_price: Decimal
    msrp: Decimal
    weight: Decimal
    upc: str | None = None
    core: Decimal | None = None
    position: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    fits: list[Fit] = field(default_factory=list)
    interchange: list[tuple[str, str]] = field(default_factory=list)

    @property
    def spec(self) -> Spec:
        return SPECS[self.part_type.name]


def money(value: float) -> Decimal:
    """A float as dollars and cents, rounded half up (shared by offers and the large CSV)."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _prices(rng: random.Random, low: int, high: int) -> tuple[Decimal, ...]:
    """cost < jobber < MAP <= MSRP, each step a plausible markup."""
    cost = money(rng.uniform(low, high))
    jobber = max(money(float(cost) * rng.uniform(1.25, 1.6)), cost + CENT)
    map_price = max(money(float(jobber) * rng.uniform(1.05, 1.2)), jobber + CENT)
    msrp = max(money(float(map_price) * rng.uniform(1.0, 1.25)), map_price)
    return cost, jobber, map_price, msrp


def _fill(rng: random.Random, shape: str) -> str:
    return "".join(str(rng.randrange(10)) if c == "#" else c for c in shape)


class Catalog:
    """Draws canonical parts: brand, MPN, title, attributes, prices, UPC and fitment."""

    def __init__(self, rng: random.Random, fleet: Fleet) -> None:
        self.rng = rng
        self.fleet = fleet
        self.mpns: set[tuple[str, str]] = set()
        self.upc_serial: dict[str, int] = {}
        self.by_type: dict[str, list[Part]] = {}

    def mpn(self, brand: Brand, part_type: PartType) -> str:
        shapes = MPN_SHAPES[brand.name]
        options = shapes.get(part_type.name, shapes["*"])
        for attempt in range(40):
            mpn = _fill(self.rng, self.rng.choice(options))
            if attempt >= 20:
                mpn += str(attempt)
            if (brand.name, mpn) not in self.mpns:
                self.mpns.add((brand.name, mpn))
                return mpn
        raise AssertionError("MPN space exhausted")  # pragma: no cover

    def upc(self, brand: Brand) -> str:
        serial = self.upc_serial.get(brand.name, 0) + 1
        self.upc_serial[brand.name] = serial
        body = UPC_PREFIXES[brand.name] + f"{serial:05d}"
        return body + str(gtin_check_digit(body))

    def part(self, index: int) -> Part:
        rng = self.rng
        part_type = PART_TYPES[index % len(PART_TYPES)]
        spec = SPECS[part_type.name]
        brand = BRAND_BY_NAME[rng.choice(MAKERS[part_type.name])]
        positions = SIDED_POSITIONS.get(part_type.name, part_type.positions)
        position = rng.choice(positions) if positions else None
        words = [brand.name, rng.choice(PRODUCT_LINES[brand.name]), rng.choice(spec.descriptors)]
        title = " ".join(w for w in [*words, position or "", part_type.name] if w)
        cost, jobber, map_price, msrp = _prices(rng, *spec.cost)
        part = Part(
            part_type,
            brand,
            self.mpn(brand, part_type),
            title,
            cost,
            jobber,
            map_price,
            msrp,
            weight=Decimal(str(round(rng.uniform(*spec.weight), 2))),
            upc=self.upc(brand) if rng.random() < 0.92 else None,
            core=rng.choice(CORE_CHARGES) if part_type.has_core else None,
            position=position,
            attributes={name: rng.choice(values) for name, values in spec.attributes},
        )
        part.fits = self.fits(part)
        if part.part_type.name in PER_CYLINDER and part.fits:
            cylinders = part.fits[0].cylinders
            if cylinders:
                part.attributes["Quantity per Engine"] = str(cylinders)
        self.link_interchange(part)
        self.by_type.setdefault(part_type.name, []).append(part)
        return part

    def fits(self, part: Part) -> list[Fit]:
        fleet, rng, name = self.fleet, self.rng, part.part_type.name
        if part.part_type.universal:
            return []
        if name in ENGINE_TYPES:
            keys = fleet.engines_no_diesel if name in NO_DIESEL else fleet.engines
            return fleet.engine_fits(rng, rng.choice(keys)) if keys else []
        if not fleet.models:
            return []
        key = rng.choice(fleet.models)
        fits = [fleet.model_fit(rng, key)]
        siblings = [m for m in fleet.models if m[0] == key[0] and m != key]
        if siblings and rng.random() < 0.3:
            fits.append(fleet.model_fit(rng, rng.choice(siblings)))
        return fits

    def link_interchange(self, part: Part) -> None:
        """Now and then: this part replaces another brand's part of the same type."""
        others = [
            p for p in self.by_type.get(part.part_type.name, [])[-20:] if p.brand is not part.brand
        ]
        if others and self.rng.random() < 0.12:
            other = self.rng.choice(others)
            part.interchange.append((other.brand.name, other.mpn))
