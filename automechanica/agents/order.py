"""Order: from a paid order to purchase orders at the suppliers who will ship it.

Deterministic: the agent checks the order (paid, lines, active parts, prices against
cost), routes it (commerce/routing.py: fewest shipments, then cost, then delivery),
and — only when asked by its caller after the routing is settled — writes the
purchase orders and opens the core returns. It is the only code that calls
`write_purchase_orders`; the INSERT itself refuses unpaid orders.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel, Field

from automechanica.agents.base import Decision, Evidence
from automechanica.commerce.purchase_orders import (
    WrittenPurchaseOrder,
    load_order,
    open_core_returns,
    routing_lines,
    set_order_status,
    write_purchase_orders,
)
from automechanica.commerce.routing import Allocation, Line, Offer, Routing, route
from automechanica.errors import InvalidInputError

AGENT = "Order"
DECISION = "order.routing"
ACTOR = "order_agent"


class OrderCheck(BaseModel):
    """What validation found: problems stop the order; warnings are reported."""

    order_id: int
    number: str | None
    status: str
    lines: int
    problems: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class PlannedLine(BaseModel):
    line_id: int
    part_id: int
    supplier_part_id: int
    supplier_id: int
    supplier: str
    sku: str = ""
    warehouse: str
    quantity: int = Field(gt=0)
    unit_cost: Decimal
    ship_days: int


class RoutingPlan(BaseModel):
    """The allocation the agent proposes (or a person edits)."""

    allocations: list[PlannedLine] = Field(default_factory=list)
    unroutable: list[int] = Field(default_factory=list, description="order lines with no stock")
    shipments: int = 0
    cost: Decimal = Decimal(0)
    days: int = 0
    exact: bool = True

    def to_allocations(self) -> list[Allocation]:
        return [
            Allocation(
                a.line_id,
                Offer(
                    a.supplier_part_id,
                    a.supplier_id,
                    a.supplier,
                    a.warehouse,
                    a.quantity,
                    a.unit_cost,
                    a.ship_days,
                    a.sku,
                ),
                a.quantity,
            )
            for a in self.allocations
        ]


def plan_of(routing: Routing, lines: list[Line]) -> RoutingPlan:
    part = {line.line_id: line.part_id for line in lines}
    return RoutingPlan(
        allocations=[
            PlannedLine(
                line_id=a.line_id,
                part_id=part[a.line_id],
                supplier_part_id=a.offer.supplier_part_id,
                supplier_id=a.offer.supplier_id,
                supplier=a.offer.supplier,
                sku=a.offer.sku,
                warehouse=a.offer.warehouse,
                quantity=a.quantity,
                unit_cost=a.offer.unit_cost,
                ship_days=a.offer.ship_days,
            )
            for a in routing.allocations
        ],
        unroutable=routing.unroutable,
        shipments=routing.shipments,
        cost=routing.cost,
        days=routing.days,
        exact=routing.exact,
    )


class OrderAgent:
    """Validates, routes and writes purchase orders for one order at a time."""

    name = AGENT

    async def validate(self, conn: AsyncConnection[Any], order_id: int) -> OrderCheck:
        order = await load_order(conn, order_id)
        check = OrderCheck(
            order_id=order_id,
            number=order["number"],
            status=order["status"],
            lines=len(order["lines"]),
        )
        if order["payment_status"] != "paid":
            check.problems.append(f"the order is not paid ({order['payment_status']})")
        if not order["lines"]:
            check.problems.append("the order has no lines")
        lines = await routing_lines(conn, order["lines"])
        for line, row in zip(lines, order["lines"], strict=True):
            label = f"line {row['id']} ({row['brand']} {row['part_number']})"
            if row["part_status"] != "active":
                check.problems.append(f"{label}: the part is {row['part_status']}")
            if Decimal(row["unit_price"]) <= 0:
                check.problems.append(f"{label}: no price ({row['unit_price']})")
            costs = [o.unit_cost for o in line.offers]
            if costs and Decimal(row["unit_price"]) < min(costs):
                check.warnings.append(
                    f"{label}: sold at {row['unit_price']}, below the lowest cost {min(costs)}"
                )
            if not line.offers:
                check.warnings.append(f"{label}: no supplier offers this part")
        expected = sum(
            (Decimal(r["unit_price"]) * r["quantity"] for r in order["lines"]), Decimal(0)
        )
        if order["subtotal"] and Decimal(order["subtotal"]) != expected:
            check.warnings.append(
                f"the subtotal {order['subtotal']} is not the lines' sum {expected}"
            )
        return check

    async def route(self, conn: AsyncConnection[Any], order_id: int) -> Decision[RoutingPlan]:
        """The routing as a decision: sure when every line is filled, 0 when one is not."""
        order = await load_order(conn, order_id)
        lines = await routing_lines(conn, order["lines"])
        routing = route(lines)
        plan = plan_of(routing, lines)
        label = order["number"] or str(order_id)
        if routing.unroutable:
            short = ", ".join(str(i) for i in routing.unroutable)
            return Decision(
                decision_type=DECISION,
                output=plan,
                confidence=0.0,
                rationale=(
                    f"Order {label}: not enough stock at any supplier for line(s) {short}; "
                    "a person decides (wait for stock, edit the routing, or cancel)."
                ),
                evidence=_evidence(lines),
            )
        return Decision(
            decision_type=DECISION,
            output=plan,
            confidence=1.0 if routing.exact else 0.9,
            rationale=(
                f"Order {label}: {len(lines)} line(s) in {routing.shipments} shipment(s) "
                f"costing {routing.cost}, the last arriving in {routing.days} business day(s)"
                + ("" if routing.exact else " (greedy: too many warehouses for an exact search)")
                + "."
            ),
            evidence=_evidence(lines),
        )

    async def write_purchase_orders(
        self,
        conn: AsyncConnection[Any],
        order_id: int,
        plan: RoutingPlan,
        data_dir: Path,
    ) -> list[WrittenPurchaseOrder]:
        """The purchase orders of a settled routing, and a core return per core line."""
        order = await load_order(conn, order_id)
        _check_covers(plan, order["lines"])
        written = await write_purchase_orders(conn, order, plan.to_allocations(), data_dir)
        await open_core_returns(conn, order_id)
        return written

    async def mark_routed(self, conn: AsyncConnection[Any], order_id: int, note: str) -> bool:
        return await set_order_status(
            conn, order_id, "routed", allowed_from=["placed"], actor=ACTOR, note=note
        )


def _check_covers(plan: RoutingPlan, lines: list[dict[str, Any]]) -> None:
    """An edited plan must fill every line exactly."""
    filled: dict[int, int] = {}
    for a in plan.allocations:
        filled[a.line_id] = filled.get(a.line_id, 0) + a.quantity
    wrong = [
        f"line {line['id']}: {filled.get(line['id'], 0)} of {line['quantity']}"
        for line in lines
        if filled.get(line["id"], 0) != line["quantity"]
    ]
    unknown = sorted(set(filled) - {line["id"] for line in lines})
    if wrong or unknown:
        raise InvalidInputError(
            "the routing does not fill the order: "
            + "; ".join(wrong + [f"line {i} is not on the order" for i in unknown])
        )


def _evidence(lines: list[Line]) -> list[Evidence]:
    return [
        Evidence(
            kind="offers",
            ref=f"line {line.line_id}",
            detail=f"{line.quantity} needed; "
            + (
                ", ".join(
                    f"{o.supplier}/{o.warehouse}: {o.stock} at {o.unit_cost}, {o.ship_days} d"
                    for o in line.offers
                )
                or "no offers"
            ),
        )
        for line in lines
    ]
