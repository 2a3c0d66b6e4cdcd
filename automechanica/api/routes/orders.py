"""A customer's orders: their own list and detail when signed in; one order by
number and email for a guest. Anything else is a 404 that never says whether the
order exists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from automechanica.api.access import SignedIn
from automechanica.api.deps import Conn
from automechanica.commerce.carts import Email, Shopper
from automechanica.commerce.garage import customer_for_user
from automechanica.commerce.orders import (
    Order,
    OrderSummary,
    customer_orders,
    order_for_customer,
    order_for_guest,
)

router = APIRouter(prefix="/api", tags=["orders"])

OrderNumber = Annotated[
    str, Path(min_length=3, max_length=20, pattern=r"^[A-Za-z0-9-]+$", description="AM-XXXXXXXX")
]


class GuestLookup(BaseModel):
    """An order's number and the email it was placed with."""

    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=3, max_length=20, pattern=r"^[A-Za-z0-9-]+$")
    email: Email


async def signed_in_shopper(conn: Conn, who: SignedIn) -> Shopper:
    return Shopper(customer_id=await customer_for_user(conn, who.user_id, who.email))


Customer = Annotated[Shopper, Depends(signed_in_shopper)]


@router.get("/orders", response_model=list[OrderSummary])
async def my_orders(
    conn: Conn,
    who: Customer,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> list[OrderSummary]:
    """The signed-in customer's orders, newest first."""
    assert who.customer_id is not None
    return await customer_orders(conn, who.customer_id, limit=limit, offset=offset)


@router.get(
    "/orders/{number}",
    response_model=Order,
    responses={404: {"description": "no such order of yours"}},
)
async def my_order(conn: Conn, who: Customer, number: OrderNumber) -> Order:
    """One of the signed-in customer's orders, with its lines and status history."""
    assert who.customer_id is not None
    return await order_for_customer(conn, number, who.customer_id)


@router.post(
    "/order-lookup",  # not under /orders/: GET /orders/{number} would answer there too
    response_model=Order,
    responses={404: {"description": "no order with this number and email"}},
)
async def guest_lookup(conn: Conn, body: GuestLookup) -> Order:
    """A guest's order, by its number and the email used at checkout."""
    return await order_for_guest(conn, body.number, body.email)
