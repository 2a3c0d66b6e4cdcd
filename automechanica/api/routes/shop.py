"""Carts as checkout sessions, and checkout completion (docs/commerce.md).

Guests and signed-in customers use the same routes: a guest's cart is reached by
its random id; a signed-in customer's cart is tied to them (send the bearer token
on every call; anyone else gets a 404). Every answer is the whole session.
Completion needs an `Idempotency-Key`; it places the order and starts the
`order_fulfillment` workflow in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Path, Request, status
from fastapi.responses import JSONResponse
from psycopg import AsyncConnection
from pydantic import BaseModel, Field

from automechanica.api.access import Caller
from automechanica.api.deps import Conn
from automechanica.api.policy import INT64_MAX
from automechanica.api.problems import MEDIA_TYPE, request_id_of
from automechanica.commerce.carts import (
    CartCreate,
    CartUpdate,
    LineInput,
    Shopper,
    add_line,
    cancel_cart,
    remove_line,
    update_cart,
)
from automechanica.commerce.checkout import (
    CheckoutCompleted,
    CheckoutRefusedError,
    CompleteRequest,
    Completion,
    complete_checkout,
    create_session,
)
from automechanica.commerce.garage import customer_for_user
from automechanica.commerce.payments import PaymentProvider, TestPaymentProvider
from automechanica.commerce.sessions import CheckoutSession, Message, view_cart
from automechanica.orchestrator.engine import start_workflow
from automechanica.orchestrator.workflows.fulfillment import ORDER_FULFILLMENT

router = APIRouter(prefix="/api/carts", tags=["checkout"])

CartId = Annotated[UUID, Path(description="the cart's id (a guest's handle to it)")]
PartId = Annotated[int, Path(ge=1, le=INT64_MAX)]
#: Printable ASCII, no space at either end (the server accepts any printable text).
KEY_PATTERN = r"^[!-~]([ -~]{0,253}[!-~])?$"
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=KEY_PATTERN,
        description="a random string (e.g. a UUID): a retry with it never repeats the work",
    ),
]
RequiredIdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=KEY_PATTERN,
        description="required: a random string (e.g. a UUID); the same key again returns the "
        "same order, the key with another cart or body is a 409",
    ),
]


@dataclass(frozen=True)
class CheckoutConfig:
    """What checkout needs from the app: the tax estimate's rate and the payment provider."""

    tax_rate: Decimal
    payments: PaymentProvider

    @classmethod
    def default(cls, tax_rate: Decimal) -> CheckoutConfig:
        return cls(tax_rate, TestPaymentProvider())


async def checkout_config(request: Request) -> CheckoutConfig:
    """Async although it awaits nothing: FastAPI runs a plain `def` dependency in a
    thread, a hop on every request."""
    found: CheckoutConfig = request.app.state.checkout
    return found


Config = Annotated[CheckoutConfig, Depends(checkout_config)]


async def shopper(conn: Conn, who: Caller) -> Shopper:
    """A guest, or the signed-in caller's shop profile (made on first need)."""
    if who is None:
        return Shopper()
    return Shopper(customer_id=await customer_for_user(conn, who.user_id, who.email))


Who = Annotated[Shopper, Depends(shopper)]


async def start_fulfillment(conn: AsyncConnection[Any], order_id: int) -> None:
    """Checkout's `on_placed`: the paid order's fulfillment starts in its transaction."""
    await start_workflow(
        conn,
        ORDER_FULFILLMENT,
        {"order_id": order_id},
        idempotency_key=f"order_fulfillment:{order_id}",
        started_by="checkout",
    )


class CheckoutRefusal(BaseModel):
    """A problem (RFC 9457) with the messages to fix and the whole session."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None
    request_id: str | None
    messages: list[Message]
    checkout_session: CheckoutSession = Field(description="the cart as it stands")


def _answer(result: Completion) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
    return JSONResponse(result.body, result.status_code, headers=headers)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=None,
    responses={
        201: {"model": CheckoutSession, "description": "the new cart"},
        404: {"description": "an unknown part or vehicle"},
        409: {"description": "the Idempotency-Key was used with another request"},
    },
)
async def create(
    conn: Conn, who: Who, config: Config, body: CartCreate, key: IdempotencyKey = None
) -> JSONResponse:
    """A new cart, optionally with lines, a vehicle, an email and an address. A signed-in
    customer who names no vehicle gets their garage's current one."""
    result = await create_session(conn, who, body, tax_rate=config.tax_rate, idempotency_key=key)
    return _answer(result)


@router.get(
    "/{cart_id}",
    response_model=CheckoutSession,
    responses={404: {"description": "no such cart"}},
)
async def read(conn: Conn, who: Who, config: Config, cart_id: CartId) -> CheckoutSession:
    """The whole cart: lines with fit and delivery estimates, options, totals, messages."""
    return await view_cart(conn, cart_id, who, config.tax_rate)


@router.patch(
    "/{cart_id}",
    response_model=CheckoutSession,
    responses={
        404: {"description": "no such cart, part or vehicle"},
        409: {"description": "the cart is completed or canceled"},
    },
)
async def update(
    conn: Conn, who: Who, config: Config, cart_id: CartId, body: CartUpdate
) -> CheckoutSession:
    """Change lines (the list replaces them all), vehicle, email, address or shipping."""
    await update_cart(conn, cart_id, who, body)
    return await view_cart(conn, cart_id, who, config.tax_rate)


@router.post(
    "/{cart_id}/lines",
    response_model=CheckoutSession,
    responses={
        404: {"description": "no such cart or part"},
        409: {"description": "the cart is completed or canceled"},
    },
)
async def add(
    conn: Conn, who: Who, config: Config, cart_id: CartId, body: LineInput
) -> CheckoutSession:
    """Add a part (adds to the quantity when it is in the cart already)."""
    await add_line(conn, cart_id, who, body)
    return await view_cart(conn, cart_id, who, config.tax_rate)


@router.delete(
    "/{cart_id}/lines/{part_id}",
    response_model=CheckoutSession,
    responses={
        404: {"description": "no such cart, or the part is not in it"},
        409: {"description": "the cart is completed or canceled"},
    },
)
async def remove(
    conn: Conn, who: Who, config: Config, cart_id: CartId, part_id: PartId
) -> CheckoutSession:
    await remove_line(conn, cart_id, who, part_id)
    return await view_cart(conn, cart_id, who, config.tax_rate)


@router.post(
    "/{cart_id}/cancel",
    response_model=CheckoutSession,
    responses={
        404: {"description": "no such cart"},
        409: {"description": "the cart is completed"},
    },
)
async def cancel(conn: Conn, who: Who, config: Config, cart_id: CartId) -> CheckoutSession:
    await cancel_cart(conn, cart_id, who)
    return await view_cart(conn, cart_id, who, config.tax_rate)


@router.post(
    "/{cart_id}/complete",
    status_code=status.HTTP_201_CREATED,
    response_model=None,
    responses={
        201: {"model": CheckoutCompleted, "description": "the order, paid (test provider)"},
        402: {"model": CheckoutRefusal, "description": "the payment was declined"},
        404: {"description": "no such cart"},
        409: {"description": "the key was used with another request, or the cart is closed"},
        422: {
            "model": CheckoutRefusal,
            "description": "not ready: missing details, not for sale, out of stock, or "
            "fit warnings not acknowledged (see messages); or no Idempotency-Key",
        },
    },
)
async def complete(
    request: Request,
    conn: Conn,
    who: Who,
    config: Config,
    cart_id: CartId,
    key: RequiredIdempotencyKey,
    body: CompleteRequest | None = None,
) -> JSONResponse:
    """Pay and place the order. The same Idempotency-Key again returns the same order
    (header `Idempotent-Replayed: true`); the key with another cart or body is a 409.
    The test provider records the payment and never charges."""
    try:
        result = await complete_checkout(
            conn,
            cart_id,
            who,
            body or CompleteRequest(),
            idempotency_key=key,
            provider=config.payments,
            tax_rate=config.tax_rate,
            on_placed=start_fulfillment,
        )
    except CheckoutRefusedError as refused:
        code = 402 if refused.reason == "payment_declined" else 422
        refusal = CheckoutRefusal(
            type=f"urn:automechanica:checkout-{refused.reason.replace('_', '-')}",
            title="Payment declined" if code == 402 else "The cart is not ready for payment",
            status=code,
            detail=refused.message,
            instance=request.url.path,
            request_id=request_id_of(request),
            messages=refused.messages,
            checkout_session=refused.session,
        )
        return JSONResponse(refusal.model_dump(mode="json"), code, media_type=MEDIA_TYPE)
    return _answer(result)
