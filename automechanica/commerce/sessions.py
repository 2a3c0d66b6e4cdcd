"""What a cart shows: priced lines, the fit of each against the cart's vehicle, core
deposits, shipping options with delivery estimates, totals and messages.

The shape follows the Agentic Commerce Protocol's checkout session, so the
storefront and outside AI agents read the same answer: `status`, `line_items`
(core deposits as lines of their own), `fulfillment_options`, `totals` in minor
units (cents) and `messages` with codes. Fitment has no field in ACP; it is said
in each line's `fit` and `disclosure`, and in messages. A part without a price is
not for sale. Costs and suppliers never appear here; the cheapest in-stock
offer's cost travels in `PricedLine` only, for the order's margin estimate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from pydantic import BaseModel, Field

from automechanica.catalog.fitment import VehicleQuery, check_fit, vehicle_name
from automechanica.catalog.vehicles import SELECT_VEHICLE
from automechanica.commerce import shipping
from automechanica.commerce.carts import (
    Address,
    Shopper,
    VehicleDescription,
    load_cart,
    set_status,
)
from automechanica.errors import NotFoundError

SELECT_LINES = """
SELECT cl.part_id, cl.quantity, p.title, p.part_number, p.price, p.status AS part_status,
       p.fit_class, b.name AS brand, t.name AS part_type,
       o.core_charge, coalesce(o.stock_total, 0) AS stock_total,
       coalesce(o.hazmat, false) AS hazmat,
       o.best_cost, coalesce(w.warehouses, '{}') AS warehouses
FROM cart_lines cl
JOIN parts p ON p.id = cl.part_id
JOIN brands b ON b.id = p.brand_id
JOIN part_types t ON t.id = p.part_type_id
LEFT JOIN LATERAL (
    SELECT max(sp.core_charge) AS core_charge, sum(sp.stock_total) AS stock_total,
           bool_or(sp.hazmat) AS hazmat,
           min(sp.cost) FILTER (WHERE sp.stock_total > 0) AS best_cost
    FROM supplier_parts sp WHERE sp.part_id = p.id
) o ON true
LEFT JOIN LATERAL (
    SELECT array_agg(DISTINCT s.key) AS warehouses
    FROM supplier_parts sp, jsonb_each(sp.stock) s
    WHERE sp.part_id = p.id AND jsonb_typeof(s.value) = 'number' AND s.value::numeric > 0
) w ON true
WHERE cl.cart_id = %s
ORDER BY cl.added_at, cl.part_id
"""

SessionStatus = Literal[
    "not_ready_for_payment", "ready_for_payment", "in_progress", "completed", "canceled"
]
FitStatus = Literal[
    "fits",
    "universal",
    "does_not_fit",
    "need_more_information",
    "unverified",
    "not_checked",
    "not_applicable",
]
#: Fit states the customer must acknowledge before paying.
FIT_WARNINGS: frozenset[str] = frozenset(
    {"does_not_fit", "need_more_information", "unverified", "not_checked"}
)
CORE_DISCLOSURE = (
    "Refundable core deposit: refunded when the old unit comes back and passes inspection."
)


class VehicleRef(BaseModel):
    """The cart's vehicle: a configuration (`id`), or one described by year, make and
    model (`id` null, `description` set)."""

    id: int | None
    name: str
    description: VehicleDescription | None = None


class Fit(BaseModel):
    """The line's fit against the cart's vehicle, and what to answer when it is unsure."""

    status: FitStatus
    note: str
    ask_next: str | None = Field(default=None, description="the attribute to tell us next")
    ask_options: list[str] = Field(default_factory=list)


class LineItem(BaseModel):
    """A part line, or the core deposit of a part line (`kind`)."""

    id: str = Field(description="'part-<part id>' or 'core-<part id>'")
    kind: Literal["part", "core_deposit"]
    part_id: int
    title: str
    brand: str
    part_number: str
    quantity: int
    unit_price: int | None = Field(description="minor units (cents); null: not for sale")
    total: int = Field(description="minor units")
    in_stock: bool
    ship_days: int | None = Field(description="business days to the door with the chosen option")
    estimated_delivery: date | None
    fit: Fit | None = Field(description="part lines only")
    disclosure: str


class FulfillmentOptionView(BaseModel):
    id: str
    title: str
    price: int = Field(description="minor units, for this cart")
    ship_days: int | None = Field(description="the slowest line's business days")
    estimated_delivery: date | None
    selected: bool


class Totals(BaseModel):
    """Minor units (cents): total = subtotal + core_deposits + shipping + tax."""

    subtotal: int
    core_deposits: int
    shipping: int
    tax: int = Field(description="an estimate at the store's configured rate")
    total: int


class Message(BaseModel):
    """Something the customer should know or fix. `type` error blocks payment; a fit
    warning blocks it until acknowledged."""

    type: Literal["error", "warning", "info"]
    code: str = Field(
        description="missing, invalid, out_of_stock, payment_declined, does_not_fit, "
        "needs_more_information, fit_unverified, no_vehicle"
    )
    param: str | None = Field(description="JSONPath of what it is about, e.g. $.line_items[0]")
    content: str


class OrderRef(BaseModel):
    number: str
    status: str


class CheckoutSession(BaseModel):
    """A cart as a checkout session: the whole of it, on every answer."""

    id: UUID
    status: SessionStatus
    currency: str
    vehicle: VehicleRef | None
    email: str | None
    shipping_address: Address | None
    fulfillment_option: str
    line_items: list[LineItem]
    fulfillment_options: list[FulfillmentOptionView]
    totals: Totals
    messages: list[Message]
    order: OrderRef | None = None


@dataclass
class PricedLine:
    """A part line with what the order needs beyond the public view."""

    part_id: int
    quantity: int
    unit_price: Decimal | None
    core_charge: Decimal
    unit_cost: Decimal | None  # the cheapest in-stock offer's cost: an estimate
    ship_days: int | None
    fit_status: str
    fit_note: str
    stock_total: int


@dataclass
class PricedCart:
    session: CheckoutSession
    lines: list[PricedLine] = field(default_factory=list)
    customer_id: int | None = None
    vehicle_id: int | None = None
    subtotal: Decimal = Decimal("0.00")
    core_total: Decimal = Decimal("0.00")
    shipping: Decimal = Decimal("0.00")
    tax: Decimal = Decimal("0.00")
    total: Decimal = Decimal("0.00")

    @property
    def errors(self) -> list[Message]:
        return [m for m in self.session.messages if m.type == "error"]

    @property
    def fit_warnings(self) -> list[Message]:
        return [m for m in self.session.messages if m.type == "warning"]


ORDER_OF_CART = "SELECT number, status FROM orders WHERE cart_id = %s"


async def view_cart(
    conn: AsyncConnection[Any], cart_id: UUID, shopper: Shopper, tax_rate: Decimal
) -> CheckoutSession:
    """The whole session as `shopper` may see it; the stored status follows the view
    (ready or not), so console queries and pruning read it without pricing carts."""
    cart = await load_cart(conn, cart_id, shopper)
    order = None
    if cart["status"] == "completed":
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(ORDER_OF_CART, (cart_id,))
            row = await cur.fetchone()
        order = OrderRef(number=row["number"], status=row["status"]) if row else None
    priced = await price_cart(conn, cart, tax_rate, order=order)
    if priced.session.status != cart["status"]:
        await set_status(conn, cart_id, priced.session.status)
    return priced.session


async def price_cart(
    conn: AsyncConnection[Any],
    cart: dict[str, Any],
    tax_rate: Decimal,
    *,
    today: date | None = None,
    order: OrderRef | None = None,
) -> PricedCart:
    """The session view of `cart` (a row from carts.load_cart) at today's prices."""
    today = today or datetime.now(UTC).date()
    lines_cur = conn.cursor(row_factory=dict_row)
    vehicle_cur = conn.cursor(row_factory=dict_row)
    async with conn.pipeline():  # both queries in one round trip
        await lines_cur.execute(SELECT_LINES, (cart["id"],))
        if cart["vehicle_id"] is not None:
            await vehicle_cur.execute(SELECT_VEHICLE, (cart["vehicle_id"],))
    rows = await lines_cur.fetchall()
    vehicle_row = await vehicle_cur.fetchone() if cart["vehicle_id"] is not None else None
    await lines_cur.close()
    await vehicle_cur.close()
    vehicle, query = _vehicle(vehicle_row, cart["vehicle_query"])
    address = Address.model_validate(cart["shipping_address"]) if cart["shipping_address"] else None
    state = address.state if address else None
    hazmat = any(r["hazmat"] for r in rows)
    options = shipping.available_options(hazmat)
    chosen_id = cart["fulfillment_option"] or shipping.DEFAULT_OPTION
    chosen = shipping.OPTIONS[chosen_id]
    messages: list[Message] = []

    lines: list[PricedLine] = []
    items: list[LineItem] = []
    for row in rows:
        fit = await _fit(conn, row, vehicle, query)
        days = shipping.ship_days(chosen, row["warehouses"], state) if row["warehouses"] else None
        price: Decimal | None = row["price"]
        core = row["core_charge"] or Decimal("0.00")
        param = f"$.line_items[{len(items)}]"
        messages.extend(_line_messages(row, fit, vehicle, param))
        lines.append(
            PricedLine(
                part_id=row["part_id"],
                quantity=row["quantity"],
                unit_price=price,
                core_charge=core,
                unit_cost=row["best_cost"],
                ship_days=days,
                fit_status=fit.status,
                fit_note=fit.note,
                stock_total=int(row["stock_total"]),
            )
        )
        common = {
            "part_id": row["part_id"],
            "title": row["title"],
            "brand": row["brand"],
            "part_number": row["part_number"],
            "quantity": row["quantity"],
            "in_stock": row["stock_total"] >= row["quantity"],
            "ship_days": days,
            "estimated_delivery": _delivery(today, days),
        }
        items.append(
            LineItem(
                id=f"part-{row['part_id']}",
                kind="part",
                unit_price=minor(price) if price is not None else None,
                total=minor(price * row["quantity"]) if price is not None else 0,
                fit=fit,
                disclosure=_disclosure(fit, vehicle),
                **common,
            )
        )
        if core > 0:
            items.append(
                LineItem(
                    id=f"core-{row['part_id']}",
                    kind="core_deposit",
                    unit_price=minor(core),
                    total=minor(core * row["quantity"]),
                    fit=None,
                    disclosure=CORE_DISCLOSURE,
                    **common,
                )
            )

    messages.extend(_cart_messages(cart, rows, vehicle, chosen, options))
    subtotal = Decimal("0.00")
    core_total = Decimal("0.00")
    for line in lines:
        if line.unit_price is not None:
            subtotal += line.unit_price * line.quantity
        core_total += line.core_charge * line.quantity
    ship_cost = chosen.cost(subtotal) if lines else Decimal("0.00")
    tax = (subtotal * tax_rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    total = subtotal + core_total + ship_cost + tax

    slowest = {o.id: _slowest(o, rows, state) for o in options}
    session = CheckoutSession(
        id=cart["id"],
        status=_status(cart["status"], messages, lines),
        currency=cart["currency"],
        vehicle=vehicle,
        email=cart["email"],
        shipping_address=address,
        fulfillment_option=chosen_id,
        line_items=items,
        fulfillment_options=[
            FulfillmentOptionView(
                id=o.id,
                title=o.title,
                price=minor(o.cost(subtotal)),
                ship_days=slowest[o.id],
                estimated_delivery=_delivery(today, slowest[o.id]),
                selected=o.id == chosen_id,
            )
            for o in options
        ],
        totals=Totals(
            subtotal=minor(subtotal),
            core_deposits=minor(core_total),
            shipping=minor(ship_cost),
            tax=minor(tax),
            total=minor(total),
        ),
        messages=messages,
        order=order,
    )
    return PricedCart(
        session,
        lines,
        cart["customer_id"],
        cart["vehicle_id"],
        subtotal,
        core_total,
        ship_cost,
        tax,
        total,
    )


def _vehicle(
    row: dict[str, Any] | None, described: dict[str, Any] | None
) -> tuple[VehicleRef | None, VehicleQuery | None]:
    if row is not None:
        return VehicleRef(id=row["id"], name=vehicle_name(row)), VehicleQuery(vehicle_id=row["id"])
    if not described:
        return None, None
    d = VehicleDescription.model_validate(described)
    extra = [d.submodel or "", f"{d.engine_liters}L" if d.engine_liters else "", d.drive or ""]
    name = " ".join([str(d.year), d.make, d.model, *[e for e in extra if e]])
    query = VehicleQuery(year=d.year, make=d.make, model=d.model, known=d.known())
    return VehicleRef(id=None, name=name, description=d), query


async def _fit(
    conn: AsyncConnection[Any],
    row: dict[str, Any],
    vehicle: VehicleRef | None,
    query: VehicleQuery | None,
) -> Fit:
    label = f"{row['brand']} {row['part_number']}"
    if row["fit_class"] == "non_vehicle":
        return Fit(status="not_applicable", note=f"{label} is not a vehicle part.")
    if row["fit_class"] == "universal":
        return Fit(status="universal", note=f"{label} is universal: it fits any vehicle.")
    if vehicle is None or query is None:
        return Fit(
            status="not_checked",
            note=f"Fit not checked: no vehicle was given for {label}.",
            ask_next="vehicle",
        )
    if row["fit_class"] == "no_fitment":
        return Fit(
            status="unverified",
            note=f"We have no fitment data for {label}; check it against your vehicle yourself.",
        )
    try:
        result = await check_fit(conn, row["part_id"], query)
    except NotFoundError as exc:  # a described vehicle no configuration matches
        return Fit(status="unverified", note=f"Fit not checked: {exc.message}")
    return Fit(
        status=result.verdict,
        note=result.explanation,
        ask_next=result.ask_next,
        ask_options=result.ask_options,
    )


def _disclosure(fit: Fit, vehicle: VehicleRef | None) -> str:
    if fit.status == "fits" and vehicle is not None:
        return f"Fits {vehicle.name}."
    if fit.status == "universal":
        return "Universal fit."
    if fit.status == "not_applicable":
        return "Not a vehicle-specific part."
    if fit.status == "not_checked":
        return "Fit not checked: choose your vehicle to confirm this part fits."
    if fit.status == "does_not_fit" and vehicle is not None:
        return f"Does not fit {vehicle.name}."
    if fit.status == "need_more_information":
        return f"May not fit: {fit.note}"
    return fit.note


def _line_messages(
    row: dict[str, Any], fit: Fit, vehicle: VehicleRef | None, param: str
) -> list[Message]:
    label = f"{row['brand']} {row['part_number']}"
    out: list[Message] = []
    if row["price"] is None or row["part_status"] != "active":
        out.append(
            Message(
                type="error",
                code="invalid",
                param=param,
                content=f"{label} is not for sale yet (no price); remove it to check out.",
            )
        )
    if row["stock_total"] < row["quantity"]:
        have = int(row["stock_total"])
        out.append(
            Message(
                type="error",
                code="out_of_stock",
                param=param,
                content=f"{label}: only {have} in stock; lower the quantity or remove it."
                if have
                else f"{label} is out of stock; remove it to check out.",
            )
        )
    if fit.status == "does_not_fit":
        out.append(Message(type="warning", code="does_not_fit", param=param, content=fit.note))
    elif fit.status == "need_more_information":
        out.append(
            Message(
                type="warning",
                code="needs_more_information",
                param=param,
                content=fit.note
                + (f" Options: {', '.join(fit.ask_options)}." if fit.ask_options else ""),
            )
        )
    elif fit.status == "unverified":
        out.append(Message(type="warning", code="fit_unverified", param=param, content=fit.note))
    return out


def _cart_messages(
    cart: dict[str, Any],
    rows: list[dict[str, Any]],
    vehicle: VehicleRef | None,
    chosen: shipping.FulfillmentOption,
    options: list[shipping.FulfillmentOption],
) -> list[Message]:
    out: list[Message] = []
    if not rows:
        out.append(
            Message(
                type="error", code="missing", param="$.line_items", content="The cart is empty."
            )
        )
    if vehicle is None and any(r["fit_class"] == "vehicle_specific" for r in rows):
        out.append(
            Message(
                type="warning",
                code="no_vehicle",
                param="$.vehicle_id",
                content="No vehicle given: fit is not checked. Add your vehicle (vehicle_id), "
                "or acknowledge the fit warnings to buy anyway.",
            )
        )
    if not cart["email"]:
        out.append(
            Message(
                type="error",
                code="missing",
                param="$.email",
                content="An email address is needed for the receipt and order lookup.",
            )
        )
    if not cart["shipping_address"]:
        out.append(
            Message(
                type="error",
                code="missing",
                param="$.shipping_address",
                content="A shipping address is needed.",
            )
        )
    if chosen not in options:
        out.append(
            Message(
                type="error",
                code="invalid",
                param="$.fulfillment_option",
                content=f"{chosen.title} cannot carry hazardous goods (e.g. batteries); "
                "choose standard ground.",
            )
        )
    return out


def _status(stored: str, messages: list[Message], lines: list[PricedLine]) -> SessionStatus:
    if stored in ("completed", "canceled"):
        return stored  # type: ignore[return-value]
    if not lines or any(m.type == "error" for m in messages):
        return "not_ready_for_payment"
    return "ready_for_payment"


def _slowest(
    option: shipping.FulfillmentOption, rows: list[dict[str, Any]], state: str | None
) -> int | None:
    days = [shipping.ship_days(option, r["warehouses"], state) for r in rows if r["warehouses"]]
    return max(days) if days else None


def _delivery(today: date, days: int | None) -> date | None:
    return shipping.add_business_days(today, days) if days is not None else None


def minor(amount: Decimal) -> int:
    """Dollars to cents (amounts are already at cents)."""
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def to_money(minor: int) -> Decimal:
    return (Decimal(minor) / 100).quantize(Decimal("0.01"))
