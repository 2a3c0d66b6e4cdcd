"""Checkout completion: a ready cart becomes one paid order, once per idempotency key.

In one transaction: the key is claimed (or its first answer replayed), the cart
locked and priced again, refused with its messages when it is not ready (missing
email or address, not for sale, out of stock, or fit warnings the customer has
not acknowledged), then the order, its lines and 'placed' history, the payment
(the provider never sees card data from us: the bodies have no field for it),
the order marked paid, the cart completed, the caller's `on_placed` (the API
starts the `order_fulfillment` workflow there: commerce does not know the
orchestrator) and the stored answer. A refusal rolls all of it back, key included.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from automechanica.commerce import idempotency
from automechanica.commerce.carts import CartCreate, Shopper, create_cart, load_cart, set_status
from automechanica.commerce.garage import current_vehicle
from automechanica.commerce.orders import Order, insert_order, payment_view, placed_order
from automechanica.commerce.payments import PaymentDeclinedError, PaymentProvider, record_payment
from automechanica.commerce.sessions import (
    CheckoutSession,
    Message,
    OrderRef,
    PricedCart,
    price_cart,
    view_cart,
)
from automechanica.errors import ConflictError, InvalidInputError

SCOPE = "checkout.complete"
CREATE_SCOPE = "checkout.create"
ORDER_OF_CART = "SELECT number, status FROM orders WHERE cart_id = %s"

OnPlaced = Callable[[AsyncConnection[Any], int], Awaitable[None]]


class PaymentInput(BaseModel):
    """Which provider pays, and its token (never card numbers)."""

    model_config = ConfigDict(extra="forbid")

    provider: Literal["test"] = "test"
    token: str | None = Field(
        default=None,
        max_length=200,
        pattern=r"^[A-Za-z0-9_\-.]*$",
        description="the provider's payment token; the test provider declines 'test_decline'",
    )


class CompleteRequest(BaseModel):
    """Pay for the cart. Fit warnings (a line that does not fit, needs more information,
    has no fitment data, or a cart without a vehicle) must be acknowledged to buy anyway."""

    model_config = ConfigDict(extra="forbid")

    acknowledge_fit_warnings: StrictBool = False
    expected_total: int | None = Field(
        default=None,
        ge=0,
        le=2**53 - 1,
        description="the total (minor units) the shopper agreed to; when prices changed "
        "since, the order is refused instead of charging another amount",
    )
    payment: PaymentInput = Field(default_factory=PaymentInput)


class PaymentNotice(BaseModel):
    provider: str
    test: bool
    charged: bool = Field(description="whether money was actually taken")
    message: str


class CheckoutCompleted(BaseModel):
    """The completed session, its order and what happened to the payment."""

    checkout_session: CheckoutSession
    order: Order
    payment: PaymentNotice


class CheckoutRefusedError(InvalidInputError):
    """The cart cannot be paid for yet; its messages say what to fix."""

    def __init__(
        self,
        message: str,
        session: CheckoutSession,
        messages: list[Message],
        reason: Literal["not_ready", "fit_unacknowledged", "payment_declined"],
    ) -> None:
        self.session = session
        self.messages = messages
        self.reason = reason
        super().__init__(message)


class CartClosedError(ConflictError):
    """This cart is completed or canceled; start a new cart."""


@dataclass(frozen=True)
class Completion:
    """The answer to give, and whether it is the stored answer of an earlier request."""

    status_code: int
    body: dict[str, Any]
    replayed: bool


async def create_session(
    conn: AsyncConnection[Any],
    shopper: Shopper,
    request: CartCreate,
    *,
    tax_rate: Decimal,
    idempotency_key: str | None = None,
) -> Completion:
    """A new cart (checkout session). A signed-in customer who names no vehicle gets
    their garage's current one. With an idempotency key, a retried create returns the
    first cart instead of making a second."""
    given = request.model_fields_set
    if shopper.customer_id is not None and not {"vehicle_id", "vehicle"} & given:
        vehicle_id = await current_vehicle(conn, shopper.customer_id)
        request = request.model_copy(update={"vehicle_id": vehicle_id})
    key = idempotency.check_key(idempotency_key) if idempotency_key is not None else None
    digest = idempotency.request_digest(
        {"shopper": shopper.customer_id, "body": request.model_dump(mode="json")}
    )
    async with conn.transaction():
        if key is not None:
            stored = await idempotency.claim(conn, CREATE_SCOPE, key, digest)
            if stored is not None:
                return Completion(stored.status_code, stored.response, replayed=True)
        cart_id = await create_cart(conn, shopper, request)
        session = await view_cart(conn, cart_id, shopper, tax_rate)
        body = session.model_dump(mode="json")
        if key is not None:
            await idempotency.record(conn, CREATE_SCOPE, key, 201, body)
    return Completion(201, body, replayed=False)


async def complete_checkout(
    conn: AsyncConnection[Any],
    cart_id: UUID,
    shopper: Shopper,
    request: CompleteRequest,
    *,
    idempotency_key: str | None,
    provider: PaymentProvider,
    tax_rate: Decimal,
    on_placed: OnPlaced | None = None,
) -> Completion:
    """Complete the cart into one paid order (see the module docstring)."""
    key = idempotency.check_key(idempotency_key)
    digest = idempotency.request_digest(
        {"cart": str(cart_id), "body": request.model_dump(mode="json")}
    )
    async with conn.transaction():
        stored = await idempotency.claim(conn, SCOPE, key, digest)
        if stored is not None:
            await load_cart(conn, cart_id, shopper)  # another shopper's cart: 404, no replay
            return Completion(stored.status_code, stored.response, replayed=True)
        cart = await load_cart(conn, cart_id, shopper, lock=True)  # 404 rolls the claim back
        if cart["status"] in ("completed", "canceled"):
            raise await _closed(conn, cart)
        priced = await price_cart(conn, cart, tax_rate)
        _refuse_unless_ready(priced, request)
        customer_id = cart["customer_id"] or shopper.customer_id
        order_id, number, placed_at, line_ids = await insert_order(conn, priced, cart, customer_id)
        try:
            result = await provider.charge(
                number, priced.total, cart["currency"], request.payment.token
            )
        except PaymentDeclinedError as exc:
            raise CheckoutRefusedError(
                exc.message,
                priced.session,
                [
                    Message(
                        type="error",
                        code="payment_declined",
                        param="$.payment",
                        content=exc.message,
                    )
                ],
                "payment_declined",
            ) from exc
        async with conn.pipeline():  # both writes in one round trip
            await record_payment(conn, order_id, result)
            await set_status(conn, cart_id, "completed")
        if on_placed is not None:
            await on_placed(conn, order_id)
        payment = payment_view(result.provider, result.status, result.amount, result.currency)
        order = placed_order(
            priced, number, placed_at, line_ids, payment, cart["email"], cart["shipping_address"]
        )
        session = priced.session.model_copy(
            update={"status": "completed", "order": OrderRef(number=number, status=order.status)}
        )
        body = CheckoutCompleted(
            checkout_session=session,
            order=order,
            payment=PaymentNotice(
                provider=result.provider,
                test=result.test,
                charged=not result.test,
                message=result.message,
            ),
        ).model_dump(mode="json")
        await idempotency.record(conn, SCOPE, key, 201, body)
    return Completion(201, body, replayed=False)


def _refuse_unless_ready(priced: PricedCart, request: CompleteRequest) -> None:
    total = priced.session.totals.total
    if request.expected_total is not None and request.expected_total != total:
        changed = Message(
            type="error",
            code="invalid",
            param="$.totals.total",
            content=f"The total is now {total / 100:.2f}, not {request.expected_total / 100:.2f}"
            " as expected (prices or stock changed); review the cart and complete again.",
        )
        raise CheckoutRefusedError(changed.content, priced.session, [changed], "not_ready")
    if priced.errors:
        raise CheckoutRefusedError(
            "The cart is not ready for payment: " + " ".join(m.content for m in priced.errors),
            priced.session,
            priced.errors,
            "not_ready",
        )
    if priced.fit_warnings and not request.acknowledge_fit_warnings:
        raise CheckoutRefusedError(
            "Some parts may not fit your vehicle: "
            + " ".join(m.content for m in priced.fit_warnings)
            + " Fix the cart, or complete again with acknowledge_fit_warnings: true to buy anyway.",
            priced.session,
            priced.fit_warnings,
            "fit_unacknowledged",
        )


async def _closed(conn: AsyncConnection[Any], cart: dict[str, Any]) -> CartClosedError:
    if cart["status"] == "canceled":
        return CartClosedError("This cart was canceled; start a new cart to order.")
    async with conn.cursor() as cur:
        await cur.execute(ORDER_OF_CART, (cart["id"],))
        row = await cur.fetchone()
    number = (row["number"] if isinstance(row, dict) else row[0]) if row else None
    return CartClosedError(
        f"This cart was already checked out as order {number}; start a new cart to order again."
        if number
        else "This cart was already checked out; start a new cart to order again."
    )
