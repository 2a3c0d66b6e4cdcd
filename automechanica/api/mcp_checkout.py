"""Checkout tools for outside agents, shaped after the Agentic Commerce Protocol.

create / get / update / complete / cancel a checkout session: every answer is the
whole session (status, line_items, totals in minor units, fulfillment_options,
messages). These are thin calls into the one checkout the storefront uses
(commerce/checkout.py, commerce/carts.py), on the `agent` channel: a guest (the
session's id is its bearer handle, as for a guest in the web shop), or the customer
whose access token the agent sends (their cart, their garage's vehicle, their order).
Completion starts `order_fulfillment` with the same function the REST route passes
(api/routes/shop.py `start_fulfillment`), in the order's transaction.

Idempotency keys are required on create and complete (agents retry): the same key
with the same request returns the first answer (`idempotent_replayed`), the same
key with another request is an error.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection
from pydantic import BaseModel, Field

from automechanica.accounts import Sessions
from automechanica.api.routes.shop import CheckoutConfig, start_fulfillment
from automechanica.commerce.carts import (
    Address,
    CartCreate,
    CartUpdate,
    FulfillmentId,
    LineInput,
    Shopper,
    VehicleDescription,
    cancel_cart,
    update_cart,
)
from automechanica.commerce.checkout import (
    CheckoutCompleted,
    CheckoutRefusedError,
    CompleteRequest,
    PaymentInput,
    PaymentNotice,
    complete_checkout,
    create_session,
)
from automechanica.commerce.garage import customer_for_user
from automechanica.commerce.orders import Order
from automechanica.commerce.sessions import CheckoutSession, Message, view_cart
from automechanica.errors import AuthenticationError

#: An outside agent without a customer's token shops as a guest on its own channel.
GUEST = Shopper(channel="agent")
Conn = AsyncConnection[Any]


class CreatedSession(BaseModel):
    checkout_session: CheckoutSession
    idempotent_replayed: bool = Field(
        description="true: this key was seen before; this is the first answer again"
    )


class CompletionOut(BaseModel):
    """The order placed, or why not (the messages say what to fix) with the session."""

    outcome: Literal["completed", "refused"]
    idempotent_replayed: bool = False
    reason: str | None = Field(
        default=None, description="not_ready, fit_unacknowledged or payment_declined"
    )
    detail: str | None = None
    messages: list[Message] = Field(default_factory=list)
    checkout_session: CheckoutSession
    order: Order | None = Field(default=None, description="the order, when completed")
    payment: PaymentNotice | None = Field(
        default=None, description="the test provider records and never charges"
    )


async def create(
    conn: Conn,
    config: CheckoutConfig,
    shopper: Shopper,
    *,
    idempotency_key: str,
    lines: list[LineInput],
    vehicle_id: int | None = None,
    vehicle: VehicleDescription | None = None,
    email: str | None = None,
    shipping_address: Address | None = None,
    fulfillment_option: FulfillmentId | None = None,
) -> CreatedSession:
    given = {
        "lines": lines,
        "vehicle_id": vehicle_id,
        "vehicle": vehicle,
        "email": email,
        "shipping_address": shipping_address,
        "fulfillment_option": fulfillment_option,
    }
    body = CartCreate.model_validate({k: v for k, v in given.items() if v is not None})
    done = await create_session(
        conn, shopper, body, tax_rate=config.tax_rate, idempotency_key=idempotency_key
    )
    return CreatedSession(
        checkout_session=CheckoutSession.model_validate(done.body),
        idempotent_replayed=done.replayed,
    )


async def get(
    conn: Conn, config: CheckoutConfig, shopper: Shopper, session_id: UUID
) -> CheckoutSession:
    return await view_cart(conn, session_id, shopper, config.tax_rate)


async def update(
    conn: Conn,
    config: CheckoutConfig,
    shopper: Shopper,
    session_id: UUID,
    *,
    lines: list[LineInput] | None = None,
    vehicle_id: int | None = None,
    vehicle: VehicleDescription | None = None,
    email: str | None = None,
    shipping_address: Address | None = None,
    fulfillment_option: FulfillmentId | None = None,
) -> CheckoutSession:
    """Only the fields given change; `lines` replaces every line."""
    given = {
        "lines": lines,
        "vehicle_id": vehicle_id,
        "vehicle": vehicle,
        "email": email,
        "shipping_address": shipping_address,
        "fulfillment_option": fulfillment_option,
    }
    body = CartUpdate.model_validate({k: v for k, v in given.items() if v is not None})
    await update_cart(conn, session_id, shopper, body)
    return await view_cart(conn, session_id, shopper, config.tax_rate)


async def complete(
    conn: Conn,
    config: CheckoutConfig,
    shopper: Shopper,
    session_id: UUID,
    *,
    idempotency_key: str,
    acknowledge_fit_warnings: bool = False,
    payment_token: str | None = None,
) -> CompletionOut:
    request = CompleteRequest(
        acknowledge_fit_warnings=acknowledge_fit_warnings,
        payment=PaymentInput(token=payment_token),
    )
    try:
        done = await complete_checkout(
            conn,
            session_id,
            shopper,
            request,
            idempotency_key=idempotency_key,
            provider=config.payments,
            tax_rate=config.tax_rate,
            on_placed=start_fulfillment,
        )
    except CheckoutRefusedError as refused:
        return CompletionOut(
            outcome="refused",
            reason=refused.reason,
            detail=refused.message,
            messages=refused.messages,
            checkout_session=refused.session,
        )
    completed = CheckoutCompleted.model_validate(done.body)
    return CompletionOut(
        outcome="completed",
        idempotent_replayed=done.replayed,
        checkout_session=completed.checkout_session,
        order=completed.order,
        payment=completed.payment,
    )


async def cancel(
    conn: Conn, config: CheckoutConfig, shopper: Shopper, session_id: UUID
) -> CheckoutSession:
    await cancel_cart(conn, session_id, shopper)
    return await view_cart(conn, session_id, shopper, config.tax_rate)


async def shopper_for(conn: Conn, sessions: Sessions, authorization: str | None) -> Shopper:
    """A guest, or the customer whose bearer token came (any role's token buys as that
    person's shop profile: the tools are a shopper's whatever the role). A token that
    came and is bad is an AuthenticationError, never silently a guest."""
    if not authorization:
        return GUEST
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("Send `Authorization: Bearer <access token>`, or nothing.")
    who = await sessions.authenticate(conn, token.strip())
    return Shopper(
        customer_id=await customer_for_user(conn, who.user_id, who.email), channel="agent"
    )
