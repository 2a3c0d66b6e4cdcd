"""What the shop keeps only for a while: idempotency keys (a client retries within
minutes, not weeks) and carts nobody finished. Completed carts stay with their orders."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

PRUNE_KEYS = "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(days => %s)"
PRUNE_CARTS = """
DELETE FROM carts c
WHERE c.status <> 'completed' AND c.updated_at < now() - make_interval(days => %s)
  AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.cart_id = c.id)
"""
#: Days kept by default: a week of retries, a month for a shopper to come back to a cart.
KEY_DAYS = 7
CART_DAYS = 30


async def prune_shop(
    conn: AsyncConnection[Any], *, key_days: int = KEY_DAYS, cart_days: int = CART_DAYS
) -> dict[str, int]:
    """Delete idempotency keys and unfinished carts older than their days; returns counts."""
    keys = await conn.execute(PRUNE_KEYS, (key_days,))
    carts = await conn.execute(PRUNE_CARTS, (cart_days,))
    return {"idempotency_keys": max(keys.rowcount, 0), "carts": max(carts.rowcount, 0)}
