"""Console endpoints for orders: the list, one order with its purchase orders, returns
and core returns, and what an operator records — a purchase order shipped (with
tracking) or delivered, an order cancelled. Access is declared where app.py includes
the router (operators); the actor recorded is the signed-in caller."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from automechanica.api.access import OperatorAccess, OperatorRoute
from automechanica.api.deps import Conn
from automechanica.commerce.purchase_orders import (
    cancel_order,
    list_orders,
    move_purchase_order,
    order_detail,
)

router = APIRouter(prefix="/api/admin", tags=["admin: orders"], route_class=OperatorRoute)
Id = Annotated[int, Path(gt=0)]
NO_ORDER: dict[int | str, dict[str, Any]] = {404: {"description": "no such order"}}
MOVE: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such purchase order"},
    409: {"description": "the purchase order cannot move that way (cancelled, or back)"},
}
CANCEL: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such order"},
    409: {"description": "the order has shipped: take a return instead"},
}


class OrderRow(BaseModel):
    id: int
    number: str | None
    status: str
    payment_status: str
    email: str | None
    total: Decimal
    core_total: Decimal
    purchase_orders: int
    created_at: datetime
    updated_at: datetime


class PurchaseOrderLine(BaseModel):
    order_line_id: int
    supplier_part_id: int
    supplier_sku: str
    warehouse: str | None
    quantity: int
    unit_cost: Decimal


class PurchaseOrder(BaseModel):
    id: int
    supplier: str
    display_name: str
    status: str
    format: str
    file_path: str | None
    total_cost: Decimal
    tracking: str | None
    lines: list[PurchaseOrderLine]
    created_at: datetime
    updated_at: datetime


class OrderLine(BaseModel):
    id: int
    part_id: int
    brand: str
    part_number: str
    title: str
    quantity: int
    unit_price: Decimal
    core_charge: Decimal


class HistoryEntry(BaseModel):
    status: str
    note: str | None
    actor: str
    created_at: datetime


class ReturnRow(BaseModel):
    id: int
    order_line_id: int
    reason: str
    status: str
    vehicle_id: int | None
    workflow_id: UUID | None
    created_at: datetime


class CoreReturn(BaseModel):
    id: int
    order_line_id: int
    deposit: Decimal
    status: str


class OrderDetail(BaseModel):
    id: int
    number: str | None
    status: str
    payment_status: str
    email: str | None
    customer_id: int | None
    vehicle_id: int | None
    subtotal: Decimal
    core_total: Decimal
    total: Decimal
    shipping_address: dict[str, Any]
    created_at: datetime
    lines: list[OrderLine]
    history: list[HistoryEntry]
    purchase_orders: list[PurchaseOrder]
    returns: list[ReturnRow]
    core_returns: list[CoreReturn]


class Shipped(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tracking: str = Field(min_length=1, max_length=200, description="the carrier's tracking")


class Cancel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


@router.get("/orders", response_model=list[OrderRow])
async def orders(
    conn: Conn,
    status: Annotated[
        Literal["placed", "routed", "shipped", "delivered", "cancelled", "returned"] | None,
        Query(),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> list[dict[str, Any]]:
    """Orders, newest first, with how many purchase orders each has."""
    return await list_orders(conn, status=status, limit=limit, offset=offset)


@router.get("/orders/{order_id}", response_model=OrderDetail, responses=NO_ORDER)
async def order(conn: Conn, order_id: Id) -> dict[str, Any]:
    """One order: lines, status history, purchase orders with their lines, returns."""
    return await order_detail(conn, order_id)


@router.post("/orders/{order_id}/cancel", response_model=OrderDetail, responses=CANCEL)
async def cancel(conn: Conn, who: OperatorAccess, order_id: Id, body: Cancel) -> dict[str, Any]:
    """Cancel an order nothing of has shipped; its open purchase orders are cancelled."""
    await cancel_order(conn, order_id, actor=f"operator:{who.email}", reason=body.reason)
    return await order_detail(conn, order_id)


@router.post("/purchase-orders/{po_id}/ship", response_model=OrderDetail, responses=MOVE)
async def ship(conn: Conn, who: OperatorAccess, po_id: Id, body: Shipped) -> dict[str, Any]:
    """A supplier shipped this purchase order; the order is shipped once all have."""
    order_id = await move_purchase_order(
        conn, po_id, "shipped", actor=f"operator:{who.email}", tracking=body.tracking
    )
    return await order_detail(conn, order_id)


@router.post("/purchase-orders/{po_id}/deliver", response_model=OrderDetail, responses=MOVE)
async def deliver(conn: Conn, who: OperatorAccess, po_id: Id) -> dict[str, Any]:
    """This purchase order arrived; the order is delivered once all have."""
    order_id = await move_purchase_order(
        conn, po_id, "delivered", actor=f"operator:{who.email}", tracking=None
    )
    return await order_detail(conn, order_id)
