"""Payments through a provider interface; the built-in test provider never charges.

A provider takes an amount for an order and answers captured or declined; the
payment row is written here, in the checkout's transaction, with the provider's
reference and never any card data (the request bodies have no field for it).
The test provider records the payment and says plainly that no money was taken;
the token "test_decline" makes it decline, so the declined path can be tried.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol

from psycopg import AsyncConnection

from automechanica.errors import AutoMechanicaError

#: The payment, and the order marked paid when the money is captured or authorized.
INSERT_PAYMENT = """
WITH paid AS (
    UPDATE orders SET payment_status = 'paid', paid_at = now(), updated_at = now()
    WHERE id = %(order)s AND %(status)s IN ('captured', 'authorized')
)
INSERT INTO payments (order_id, provider, provider_ref, amount, currency, status)
VALUES (%(order)s, %(provider)s, %(ref)s, %(amount)s, %(currency)s, %(status)s)
"""

DECLINE_TOKEN = "test_decline"


class PaymentDeclinedError(AutoMechanicaError):
    """The payment was declined; nothing was charged and no order was placed."""


@dataclass(frozen=True)
class PaymentResult:
    provider: str
    provider_ref: str
    status: Literal["captured", "authorized"]
    amount: Decimal
    currency: str
    test: bool
    message: str


class PaymentProvider(Protocol):
    """Takes a payment for an order. Raises PaymentDeclinedError when it cannot."""

    name: str

    async def charge(
        self, order_number: str, amount: Decimal, currency: str, token: str | None
    ) -> PaymentResult: ...


class TestPaymentProvider:
    """Records a payment and never charges anything (the store's only provider for now)."""

    __test__ = False  # not a pytest test class
    name = "test"

    async def charge(
        self, order_number: str, amount: Decimal, currency: str, token: str | None
    ) -> PaymentResult:
        if token == DECLINE_TOKEN:
            raise PaymentDeclinedError(
                "The test payment provider declined this payment (token test_decline); "
                "nothing was charged. Send another token, or none, to pay."
            )
        return PaymentResult(
            provider=self.name,
            provider_ref=f"test_{order_number}_{secrets.token_hex(6)}",
            status="captured",
            amount=amount,
            currency=currency,
            test=True,
            message="Test payment recorded by the test provider: no money was taken.",
        )


async def record_payment(conn: AsyncConnection[Any], order_id: int, result: PaymentResult) -> None:
    """The payment row for `order_id`, and the order paid, in the caller's transaction
    (one statement)."""
    await conn.execute(
        INSERT_PAYMENT,
        {
            "order": order_id,
            "provider": result.provider,
            "ref": result.provider_ref,
            "amount": result.amount,
            "currency": result.currency,
            "status": result.status,
        },
    )
