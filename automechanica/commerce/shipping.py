"""Fulfillment options, their price and a delivery estimate per line.

The estimate is a rule of thumb, not a carrier quote: one business day to pick
and pack, then transit by how far the nearest warehouse holding the part is from
the destination (by region; without an address, the nearest of any). Hazardous
goods (batteries) travel by ground only, so expedited is not offered for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

#: Warehouse code (as the supplier feeds name them) -> region.
WAREHOUSE_REGION = {
    "EAST": "east",
    "ATL": "east",
    "DAL": "central",
    "MEM": "central",
    "WEST": "west",
    "RNO": "west",
}
_WEST = "AK CA HI ID MT NV OR UT WA WY AZ CO NM"
_CENTRAL = "TX OK KS NE SD ND MN IA MO AR LA WI IL IN MI OH KY TN MS AL"
#: US state -> region; any other state is taken as east (the rule's default).
STATE_REGION = {s: "west" for s in _WEST.split()} | {s: "central" for s in _CENTRAL.split()}
_REGIONS = ("west", "central", "east")
HANDLING_DAYS = 1


@dataclass(frozen=True)
class FulfillmentOption:
    """A way to ship: its flat price, and transit days by regions apart (0, 1, 2)."""

    id: str
    title: str
    price: Decimal
    transit_days: tuple[int, int, int]
    free_over: Decimal | None = None  # merchandise subtotal from which it is free
    ground: bool = True

    def cost(self, merchandise: Decimal) -> Decimal:
        if self.free_over is not None and merchandise >= self.free_over:
            return Decimal("0.00")
        return self.price


STANDARD = FulfillmentOption(
    "standard", "Standard ground", Decimal("7.99"), (2, 3, 5), free_over=Decimal("75.00")
)
EXPEDITED = FulfillmentOption(
    "expedited", "Expedited (2-day air)", Decimal("19.99"), (1, 1, 2), ground=False
)
OPTIONS = {o.id: o for o in (STANDARD, EXPEDITED)}
DEFAULT_OPTION = STANDARD.id


def available_options(hazmat: bool) -> list[FulfillmentOption]:
    """The options a cart may use: no air freight for hazardous goods."""
    return [o for o in OPTIONS.values() if o.ground or not hazmat]


def region_of_state(state: str | None) -> str | None:
    if not state:
        return None
    return STATE_REGION.get(state.strip().upper(), "east")


def ship_days(option: FulfillmentOption, warehouses: Iterable[str], state: str | None) -> int:
    """Business days to the door from the best of `warehouses` holding the part."""
    destination = region_of_state(state)
    best = None
    for warehouse in warehouses:
        origin = WAREHOUSE_REGION.get(warehouse.upper(), "central")
        apart = 0 if destination is None else _distance(origin, destination)
        days = HANDLING_DAYS + option.transit_days[apart]
        best = days if best is None else min(best, days)
    if best is None:  # no warehouse named: assume the farthest
        best = HANDLING_DAYS + option.transit_days[2]
    return best


def _distance(a: str, b: str) -> int:
    return abs(_REGIONS.index(a) - _REGIONS.index(b))


def add_business_days(start: date, days: int) -> date:
    """`start` plus `days` working days (Saturdays and Sundays skipped)."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current
