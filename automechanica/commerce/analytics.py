"""The store's figures for a period: sales, margin, returns, wrong fits, review
approvals and LLM spend, each one query over the period [start, end).

Definitions (docs/commerce.md, "Analytics"):
- an order *sold* in the period was created in it, paid (payment_status paid, or
  refunded later) and not cancelled; revenue is its lines' unit_price × quantity
  (merchandise: no tax, shipping or core deposits); margin is (unit_price −
  unit_cost) × quantity over the lines whose cost is known;
- a *rate* of returns is a flow: returns opened in the period ÷ lines sold in the
  period (so a small group on a quiet day can exceed 1; the counts stand beside it);
- review approval rate = (approved + edited) ÷ reviews decided in the period;
- LLM spend sums llm_calls.cost_usd; calls whose price is unknown are counted apart.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, LiteralString

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from pydantic import BaseModel

RETURN_REASONS = ("wrong_fit", "defective", "not_needed", "damaged", "other")
GROUP_LIMIT = 50

#: Orders that count as sold, for `o` (orders) joined in a query.
_SOLD = "o.payment_status IN ('paid', 'refunded') AND o.status <> 'cancelled'"

SALES: LiteralString = f"""
WITH sold AS (
    SELECT o.id, o.total FROM orders o
    WHERE o.created_at >= %(start)s AND o.created_at < %(end)s AND {_SOLD}
)
SELECT (SELECT count(*) FROM sold) AS orders,
       (SELECT coalesce(sum(total), 0) FROM sold) AS order_total,
       count(ol.id) AS lines,
       coalesce(sum(ol.quantity), 0) AS units,
       coalesce(sum(ol.unit_price * ol.quantity), 0) AS revenue,
       coalesce(sum((ol.unit_price - ol.unit_cost) * ol.quantity)
                FILTER (WHERE ol.unit_cost IS NOT NULL), 0) AS margin,
       coalesce(sum(ol.unit_price * ol.quantity)
                FILTER (WHERE ol.unit_cost IS NOT NULL), 0) AS costed_revenue,
       count(ol.id) FILTER (WHERE ol.unit_cost IS NULL) AS uncosted_lines
FROM sold JOIN order_lines ol ON ol.order_id = sold.id
"""

LINES_SOLD: LiteralString = f"""
SELECT count(*) AS lines FROM order_lines ol JOIN orders o ON o.id = ol.order_id
WHERE o.created_at >= %(start)s AND o.created_at < %(end)s AND {_SOLD}
"""

RETURNS_BY_REASON: LiteralString = """
SELECT reason, count(*) AS returns FROM returns
WHERE created_at >= %(start)s AND created_at < %(end)s
GROUP BY reason
"""

#: A line's part type, brand and supplier (the offer on the line, else the one its
#: purchase order used), for lines sold in the period or returned in it.
_LINES: LiteralString = f"""
WITH lines AS (
    SELECT ol.id, o.created_at AS sold_at, pt.name AS part_type, b.name AS brand,
           coalesce(s.display_name, 'unassigned') AS supplier
    FROM order_lines ol
    JOIN orders o ON o.id = ol.order_id
    JOIN parts p ON p.id = ol.part_id
    JOIN part_types pt ON pt.id = p.part_type_id
    JOIN brands b ON b.id = p.brand_id
    LEFT JOIN supplier_parts sp ON sp.id = coalesce(
        ol.supplier_part_id,
        (SELECT min(pol.supplier_part_id) FROM purchase_order_lines pol
         WHERE pol.order_line_id = ol.id))
    LEFT JOIN suppliers s ON s.id = sp.supplier_id
    WHERE {_SOLD}
      AND ((o.created_at >= %(start)s AND o.created_at < %(end)s)
           OR EXISTS (SELECT 1 FROM returns r WHERE r.order_line_id = ol.id
                      AND r.created_at >= %(start)s AND r.created_at < %(end)s))
)
"""


def _wrong_fit_by(column: LiteralString) -> LiteralString:
    return (
        _LINES
        + """
, sold AS (
    SELECT """
        + column
        + """ AS name, count(*) AS lines FROM lines
    WHERE sold_at >= %(start)s AND sold_at < %(end)s GROUP BY 1
), wrong AS (
    SELECT l."""
        + column
        + """ AS name, count(*) AS returns FROM returns r JOIN lines l ON l.id = r.order_line_id
    WHERE r.reason = 'wrong_fit' AND r.created_at >= %(start)s AND r.created_at < %(end)s
    GROUP BY 1
)
SELECT coalesce(s.name, w.name) AS name, coalesce(s.lines, 0) AS lines_sold,
       coalesce(w.returns, 0) AS wrong_fit_returns
FROM sold s FULL JOIN wrong w ON w.name = s.name
ORDER BY wrong_fit_returns DESC, lines_sold DESC, name
LIMIT %(limit)s
"""
    )


WRONG_FIT_BY = {
    "part_type": _wrong_fit_by("part_type"),
    "brand": _wrong_fit_by("brand"),
    "supplier": _wrong_fit_by("supplier"),
}

REVIEW_RATES: LiteralString = """
WITH events AS (
    SELECT agent, decision_type, count(*) AS decisions,
           count(*) FILTER (WHERE outcome = 'accepted') AS accepted,
           count(*) FILTER (WHERE outcome = 'held') AS held,
           count(*) FILTER (WHERE outcome IN ('rejected', 'refused')) AS rejected
    FROM agent_events WHERE created_at >= %(start)s AND created_at < %(end)s
    GROUP BY 1, 2
), decided AS (
    SELECT coalesce(r.agent, e.agent, 'unknown') AS agent, r.kind AS decision_type,
           count(*) AS reviews_decided,
           count(*) FILTER (WHERE r.status = 'approved') AS approved,
           count(*) FILTER (WHERE r.status = 'edited') AS edited,
           count(*) FILTER (WHERE r.status = 'rejected') AS review_rejected
    FROM reviews r LEFT JOIN agent_events e ON e.id = r.event_id
    WHERE r.resolved_at >= %(start)s AND r.resolved_at < %(end)s
      AND r.status IN ('approved', 'edited', 'rejected')
    GROUP BY 1, 2
)
SELECT coalesce(e.agent, d.agent) AS agent,
       coalesce(e.decision_type, d.decision_type) AS decision_type,
       coalesce(e.decisions, 0) AS decisions, coalesce(e.accepted, 0) AS accepted,
       coalesce(e.held, 0) AS held, coalesce(e.rejected, 0) AS rejected,
       coalesce(d.reviews_decided, 0) AS reviews_decided, coalesce(d.approved, 0) AS approved,
       coalesce(d.edited, 0) AS edited, coalesce(d.review_rejected, 0) AS review_rejected
FROM events e FULL JOIN decided d ON d.agent = e.agent AND d.decision_type = e.decision_type
ORDER BY 1, 2
"""

LLM_SPEND: LiteralString = """
SELECT coalesce(agent, 'none') AS agent, model_used AS model, count(*) AS calls,
       coalesce(sum(tokens_in), 0) AS tokens_in, coalesce(sum(tokens_out), 0) AS tokens_out,
       coalesce(sum(cost_usd), 0) AS cost_usd,
       count(*) FILTER (WHERE cost_usd IS NULL) AS unpriced_calls
FROM llm_calls WHERE created_at >= %(start)s AND created_at < %(end)s
GROUP BY 1, 2 ORDER BY cost_usd DESC, calls DESC, 1, 2
"""

#: Per UTC day: the series the dashboard draws and the anomaly baseline reads.
DAILY: LiteralString = f"""
WITH days AS (
    SELECT d::date AS day FROM generate_series(
        (%(start)s::timestamptz AT TIME ZONE 'UTC')::date,
        (%(end)s::timestamptz AT TIME ZONE 'UTC')::date - 1, interval '1 day') d
), sales AS (
    SELECT (o.created_at AT TIME ZONE 'UTC')::date AS day, count(DISTINCT o.id) AS orders,
           count(ol.id) AS lines, coalesce(sum(ol.unit_price * ol.quantity), 0) AS revenue,
           coalesce(sum((ol.unit_price - ol.unit_cost) * ol.quantity)
                    FILTER (WHERE ol.unit_cost IS NOT NULL), 0) AS margin
    FROM orders o JOIN order_lines ol ON ol.order_id = o.id
    WHERE o.created_at >= %(start)s AND o.created_at < %(end)s AND {_SOLD}
    GROUP BY 1
), rets AS (
    SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS returns,
           count(*) FILTER (WHERE reason = 'wrong_fit') AS wrong_fit_returns
    FROM returns WHERE created_at >= %(start)s AND created_at < %(end)s GROUP BY 1
), llm AS (
    SELECT (created_at AT TIME ZONE 'UTC')::date AS day, coalesce(sum(cost_usd), 0) AS cost
    FROM llm_calls WHERE created_at >= %(start)s AND created_at < %(end)s GROUP BY 1
)
SELECT days.day, coalesce(s.orders, 0) AS orders, coalesce(s.lines, 0) AS lines,
       coalesce(s.revenue, 0) AS revenue, coalesce(s.margin, 0) AS margin,
       coalesce(r.returns, 0) AS returns, coalesce(r.wrong_fit_returns, 0) AS wrong_fit_returns,
       coalesce(l.cost, 0) AS llm_cost_usd
FROM days LEFT JOIN sales s USING (day) LEFT JOIN rets r USING (day) LEFT JOIN llm l USING (day)
ORDER BY days.day
"""

FIRST_SALE: LiteralString = f"SELECT min(o.created_at) AS first FROM orders o WHERE {_SOLD}"


class Sales(BaseModel):
    orders: int
    lines: int
    units: int
    revenue: float
    order_total: float
    margin: float
    margin_rate: float | None
    uncosted_lines: int


class ReturnReason(BaseModel):
    reason: str
    returns: int
    rate: float | None


class WrongFit(BaseModel):
    name: str
    lines_sold: int
    wrong_fit_returns: int
    rate: float | None


class ReviewRate(BaseModel):
    agent: str
    decision_type: str
    decisions: int
    accepted: int
    held: int
    rejected: int
    reviews_decided: int
    approved: int
    edited: int
    review_rejected: int
    approval_rate: float | None


class LLMSpend(BaseModel):
    agent: str
    model: str
    calls: int
    tokens_in: int
    tokens_out: int
    cost_usd: float
    unpriced_calls: int


class Day(BaseModel):
    day: date
    orders: int
    lines: int
    revenue: float
    margin: float
    returns: int
    wrong_fit_returns: int
    llm_cost_usd: float


class Metrics(BaseModel):
    """Everything a report says, as numbers."""

    period_start: datetime
    period_end: datetime
    sales: Sales
    lines_sold: int
    returns_by_reason: list[ReturnReason]
    return_rate: float | None
    wrong_fit_rate: float | None
    wrong_fit_by: dict[str, list[WrongFit]]
    reviews: list[ReviewRate]
    llm_spend: list[LLMSpend]
    llm_cost_usd: float
    days: list[Day]


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _money(value: Any) -> float:
    return round(float(value), 2)


async def _rows(
    conn: AsyncConnection[Any], query: LiteralString, params: dict[str, Any]
) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()


async def daily(conn: AsyncConnection[Any], start: datetime, end: datetime) -> list[Day]:
    """One row per UTC day in [start, end), zeros on days with nothing."""
    rows = await _rows(conn, DAILY, {"start": start, "end": end})
    return [
        Day(
            day=r["day"],
            orders=r["orders"],
            lines=r["lines"],
            revenue=_money(r["revenue"]),
            margin=_money(r["margin"]),
            returns=r["returns"],
            wrong_fit_returns=r["wrong_fit_returns"],
            llm_cost_usd=round(float(r["llm_cost_usd"]), 6),
        )
        for r in rows
    ]


async def first_sale(conn: AsyncConnection[Any]) -> datetime | None:
    rows = await _rows(conn, FIRST_SALE, {})
    first: datetime | None = rows[0]["first"] if rows else None
    return first


async def sales(conn: AsyncConnection[Any], start: datetime, end: datetime) -> Sales:
    (row,) = await _rows(conn, SALES, {"start": start, "end": end})
    return Sales(
        orders=row["orders"],
        lines=row["lines"],
        units=row["units"],
        revenue=_money(row["revenue"]),
        order_total=_money(row["order_total"]),
        margin=_money(row["margin"]),
        margin_rate=_ratio(float(row["margin"]), float(row["costed_revenue"])),
        uncosted_lines=row["uncosted_lines"],
    )


async def returns_by_reason(
    conn: AsyncConnection[Any], start: datetime, end: datetime, lines_sold: int
) -> list[ReturnReason]:
    counts = {
        r["reason"]: r["returns"]
        for r in await _rows(conn, RETURNS_BY_REASON, {"start": start, "end": end})
    }
    return [
        ReturnReason(
            reason=reason,
            returns=counts.get(reason, 0),
            rate=_ratio(counts.get(reason, 0), lines_sold),
        )
        for reason in RETURN_REASONS
    ]


async def wrong_fit_by(
    conn: AsyncConnection[Any], start: datetime, end: datetime, limit: int = GROUP_LIMIT
) -> dict[str, list[WrongFit]]:
    """Wrong-fit returns and lines sold per part type, brand and supplier (the groups
    with the most wrong fits first)."""
    found: dict[str, list[WrongFit]] = {}
    for dimension, query in WRONG_FIT_BY.items():
        rows = await _rows(conn, query, {"start": start, "end": end, "limit": limit})
        found[dimension] = [
            WrongFit(
                name=r["name"],
                lines_sold=r["lines_sold"],
                wrong_fit_returns=r["wrong_fit_returns"],
                rate=_ratio(r["wrong_fit_returns"], r["lines_sold"]),
            )
            for r in rows
        ]
    return found


async def review_rates(
    conn: AsyncConnection[Any], start: datetime, end: datetime
) -> list[ReviewRate]:
    rows = await _rows(conn, REVIEW_RATES, {"start": start, "end": end})
    return [
        ReviewRate(**r, approval_rate=_ratio(r["approved"] + r["edited"], r["reviews_decided"]))
        for r in rows
    ]


async def llm_spend(conn: AsyncConnection[Any], start: datetime, end: datetime) -> list[LLMSpend]:
    rows = await _rows(conn, LLM_SPEND, {"start": start, "end": end})
    return [LLMSpend(**{**r, "cost_usd": round(float(r["cost_usd"]), 6)}) for r in rows]


async def period_metrics(conn: AsyncConnection[Any], start: datetime, end: datetime) -> Metrics:
    """Every figure of the period [start, end)."""
    sold = await sales(conn, start, end)
    (lines,) = await _rows(conn, LINES_SOLD, {"start": start, "end": end})
    lines_sold = int(lines["lines"])
    reasons = await returns_by_reason(conn, start, end, lines_sold)
    spend = await llm_spend(conn, start, end)
    wrong = next(r for r in reasons if r.reason == "wrong_fit")
    return Metrics(
        period_start=start,
        period_end=end,
        sales=sold,
        lines_sold=lines_sold,
        returns_by_reason=reasons,
        return_rate=_ratio(sum(r.returns for r in reasons), lines_sold),
        wrong_fit_rate=_ratio(wrong.returns, lines_sold),
        wrong_fit_by=await wrong_fit_by(conn, start, end),
        reviews=await review_rates(conn, start, end),
        llm_spend=spend,
        llm_cost_usd=round(sum(s.cost_usd for s in spend), 6),
        days=await daily(conn, start, end),
    )


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[00:00, next 00:00) of a UTC day."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)
