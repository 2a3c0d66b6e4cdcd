"""The shop's short-lived rows go, on schedule, and nothing an order needs goes with them."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg

from automechanica.cli.drive import drive
from automechanica.config import Settings
from automechanica.orchestrator import start_workflow
from automechanica.orchestrator.scheduler import seed_schedules
from automechanica.orchestrator.workflows.housekeeping import STORE_HOUSEKEEPING

Conn = psycopg.AsyncConnection[Any]
OLD_CART = """
INSERT INTO carts (status, updated_at) VALUES (%s, now() - make_interval(days => %s))
RETURNING id
"""


async def _cart(conn: Conn, status: str, days: int) -> str:
    row = await (await conn.execute(OLD_CART, (status, days))).fetchone()
    assert row is not None
    return str(row["id"])


async def test_old_keys_and_abandoned_carts_are_pruned(conn: Conn, db_url: str) -> None:
    abandoned = await _cart(conn, "ready_for_payment", 45)
    recent = await _cart(conn, "not_ready_for_payment", 3)
    ordered = await _cart(conn, "completed", 400)
    await conn.execute(
        "INSERT INTO orders (number, cart_id) VALUES ('AM-TEST0001', %s)", (ordered,)
    )
    await conn.execute(
        "INSERT INTO idempotency_keys (scope, key, request_digest, created_at) VALUES"
        " ('checkout.complete', 'old', '\\x00', now() - interval '8 days'),"
        " ('checkout.complete', 'new', '\\x00', now() - interval '1 hour')"
    )
    assert await seed_schedules(conn) != []  # store_housekeeping is scheduled daily
    schedule = await (
        await conn.execute("SELECT cron FROM schedules WHERE name = 'store_housekeeping'")
    ).fetchone()
    assert schedule is not None
    run = await start_workflow(conn, STORE_HOUSEKEEPING, {})
    await conn.commit()
    timeline = await drive(db_url, Settings(), run, quiet=True)
    assert timeline.status == "completed"
    assert timeline.output == {"idempotency_keys": 1, "carts": 1}
    carts = {str(r["id"]) for r in await (await conn.execute("SELECT id FROM carts")).fetchall()}
    assert carts == {recent, ordered} and abandoned not in carts
    keys = [
        r["key"] for r in await (await conn.execute("SELECT key FROM idempotency_keys")).fetchall()
    ]
    assert keys == ["new"]


def test_a_bad_input_ends_the_run_with_what_to_write(db_url: str) -> None:
    async def run() -> Any:
        async with await psycopg.AsyncConnection.connect(db_url) as conn:
            started = await start_workflow(conn, STORE_HOUSEKEEPING, {"key_days": 0})
            await conn.commit()
        return await drive(db_url, Settings(), started, quiet=True)

    timeline = asyncio.run(run())
    assert timeline.status == "failed"
    assert "store_housekeeping input key_days" in (timeline.error or "")
