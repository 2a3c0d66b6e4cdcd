"""Which supplier warehouse ships each order line: fewest shipments, then lowest cost,
then fastest delivery.

Pure (no database): `route(lines)` takes each line's offers, one per supplier
warehouse with its stock, cost and delivery estimate, and returns the allocation.
A shipment is one (supplier, warehouse). The search tries sets of shipments from
the smallest up; the first size at which every line can be filled wins, and among
the sets of that size the cheapest (then the fastest) one. Within a set, a line is
taken from the single cheapest warehouse that holds its whole quantity; it is split
across warehouses (cheapest first) only when no single one of the set does.

Orders are small (a few lines, a few offers each), so the search is exact up to
`MAX_EXACT_CANDIDATES` warehouses; past that it builds a set greedily (the
warehouse that fills the most units next) and says so in `Routing.exact`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations

MAX_EXACT_CANDIDATES = 16
MAX_EXACT_SUBSETS = 50_000

Shipment = tuple[int, str]  # (supplier id, warehouse)


@dataclass(frozen=True)
class Offer:
    """A supplier's offer of a part at one warehouse."""

    supplier_part_id: int
    supplier_id: int
    supplier: str
    warehouse: str
    stock: int
    unit_cost: Decimal
    ship_days: int
    sku: str = ""

    @property
    def shipment(self) -> Shipment:
        return (self.supplier_id, self.warehouse)


@dataclass(frozen=True)
class Line:
    """An order line to fill: its id, part, quantity and every offer of the part."""

    line_id: int
    part_id: int
    quantity: int
    offers: tuple[Offer, ...]


@dataclass(frozen=True)
class Allocation:
    line_id: int
    offer: Offer
    quantity: int


@dataclass
class Routing:
    """The chosen allocation, or the lines that no set of warehouses can fill."""

    allocations: list[Allocation] = field(default_factory=list)
    unroutable: list[int] = field(default_factory=list)
    exact: bool = True

    @property
    def shipments(self) -> int:
        return len({a.offer.shipment for a in self.allocations})

    @property
    def cost(self) -> Decimal:
        return sum((a.offer.unit_cost * a.quantity for a in self.allocations), Decimal(0))

    @property
    def days(self) -> int:
        """When the last shipment arrives (business days)."""
        return max((a.offer.ship_days for a in self.allocations), default=0)

    @property
    def key(self) -> tuple[int, Decimal, int]:
        """The order of preference: fewer shipments, then cost, then delivery."""
        return (self.shipments, self.cost, self.days)


def _by_preference(offer: Offer) -> tuple[Decimal, int, int]:
    return (offer.unit_cost, offer.ship_days, offer.supplier_part_id)


def fill_line(line: Line, offers: Iterable[Offer]) -> list[Allocation] | None:
    """The line from these offers: the cheapest single offer holding the whole quantity,
    else cheapest first across several; None when they do not hold enough."""
    ranked = sorted((o for o in offers if o.stock > 0), key=_by_preference)
    whole = [o for o in ranked if o.stock >= line.quantity]
    if whole:
        return [Allocation(line.line_id, whole[0], line.quantity)]
    if sum(o.stock for o in ranked) < line.quantity:
        return None
    allocations, left = [], line.quantity
    for offer in ranked:
        take = min(offer.stock, left)
        allocations.append(Allocation(line.line_id, offer, take))
        left -= take
        if left == 0:
            break
    return allocations


def fill_all(lines: Sequence[Line], chosen: set[Shipment]) -> Routing | None:
    """Every line from the chosen shipments only, or None when one cannot be filled."""
    routing = Routing()
    for line in lines:
        filled = fill_line(line, (o for o in line.offers if o.shipment in chosen))
        if filled is None:
            return None
        routing.allocations.extend(filled)
    return routing


def route(lines: Sequence[Line]) -> Routing:
    """The best allocation of every line (see the module docstring)."""
    unroutable = [
        line.line_id for line in lines if sum(max(o.stock, 0) for o in line.offers) < line.quantity
    ]
    if unroutable:
        return Routing(unroutable=unroutable)
    candidates = sorted({o.shipment for line in lines for o in line.offers if o.stock > 0})
    if not lines:
        return Routing()
    if len(candidates) > MAX_EXACT_CANDIDATES:
        return _greedy(lines, candidates)
    tried = 0
    for size in range(1, len(candidates) + 1):
        best: Routing | None = None
        for subset in combinations(candidates, size):
            tried += 1
            if tried > MAX_EXACT_SUBSETS:
                return _greedy(lines, candidates)
            found = fill_all(lines, set(subset))
            if (
                found is not None
                and found.shipments == size
                and (best is None or found.key < best.key)
            ):
                best = found
        if best is not None:
            return best
    return Routing(unroutable=[line.line_id for line in lines])  # pragma: no cover


def _greedy(lines: Sequence[Line], candidates: list[Shipment]) -> Routing:
    """A set built one warehouse at a time: the one that can fill the most units of
    what is still unfilled (ties: lower cost of those units)."""
    chosen: set[Shipment] = set()
    while (found := fill_all(lines, chosen)) is None:
        best, best_key = None, (0, Decimal(0))
        for shipment in candidates:
            if shipment in chosen:
                continue
            units, cost = _contribution(lines, chosen, shipment)
            if units > 0 and (best is None or (units, -cost) > best_key):
                best, best_key = shipment, (units, -cost)
        if best is None:
            return Routing(unroutable=[line.line_id for line in lines], exact=False)
        chosen.add(best)
    found.exact = False
    return found


def _contribution(
    lines: Sequence[Line], chosen: set[Shipment], shipment: Shipment
) -> tuple[int, Decimal]:
    units, cost = 0, Decimal(0)
    for line in lines:
        have = sum(o.stock for o in line.offers if o.shipment in chosen)
        missing = max(line.quantity - have, 0)
        for offer in line.offers:
            if offer.shipment == shipment and missing:
                take = min(offer.stock, missing)
                units += take
                cost += offer.unit_cost * take
    return units, cost
