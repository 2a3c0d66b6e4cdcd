"""Console endpoints for analytics: stored nightly reports and the dashboard's series.

Access is declared where app.py includes the router (operators). Reports are
written by the `nightly_analytics` workflow; the dashboard is computed on request
from the same queries (commerce/analytics.py) plus the queue's health.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, LiteralString

from fastapi import APIRouter, Path, Query
from psycopg.rows import dict_row
from pydantic import BaseModel

from automechanica.api.access import OperatorRoute
from automechanica.api.deps import Conn
from automechanica.api.policy import INT64_MAX
from automechanica.commerce.analytics import (
    Day,
    LLMSpend,
    ReturnReason,
    WrongFit,
    daily,
    llm_spend,
    returns_by_reason,
    wrong_fit_by,
)
from automechanica.errors import NotFoundError
from automechanica.queue import QueueStats, queue_stats

router = APIRouter(
    prefix="/api/admin/analytics", tags=["admin: analytics"], route_class=OperatorRoute
)
NO_REPORT: dict[int | str, dict[str, Any]] = {404: {"description": "no report yet"}}

REPORT_COLUMNS: LiteralString = """
SELECT id, period_start, period_end, metrics, anomalies, summary, workflow_id, created_at
FROM analytics_reports
"""
LIST_REPORTS = REPORT_COLUMNS + " ORDER BY period_end DESC, id DESC LIMIT %(limit)s"
LATEST_REPORT = REPORT_COLUMNS + " ORDER BY period_end DESC, id DESC LIMIT 1"
ONE_REPORT = REPORT_COLUMNS + " WHERE id = %(id)s"
LINES_SOLD = """
SELECT count(*) AS lines FROM order_lines ol JOIN orders o ON o.id = ol.order_id
WHERE o.created_at >= %(start)s AND o.created_at < %(end)s
  AND o.payment_status IN ('paid', 'refunded') AND o.status <> 'cancelled'
"""
TASKS_PER_DAY = """
SELECT (finished_at AT TIME ZONE 'UTC')::date AS day,
       count(*) FILTER (WHERE status = 'completed') AS completed,
       count(*) FILTER (WHERE status = 'dead') AS dead
FROM tasks WHERE finished_at >= %(start)s AND finished_at < %(end)s
GROUP BY 1 ORDER BY 1
"""


class AnalyticsReport(BaseModel):
    """One period's stored report: the figures, what stood out, the summary."""

    id: int
    period_start: datetime
    period_end: datetime
    metrics: dict[str, Any]
    anomalies: list[dict[str, Any]]
    summary: str
    workflow_id: Any
    created_at: datetime


class TasksDay(BaseModel):
    day: Any
    completed: int
    dead: int


class QueueHealth(BaseModel):
    """Throughput (tasks finished per second, and per day while kept), backlog age,
    dead letters."""

    stats: QueueStats
    dead_letters: int
    per_day: list[TasksDay]


class Dashboard(BaseModel):
    """The console's charts for the last `days` UTC days (today included)."""

    start: datetime
    end: datetime
    days: list[Day]
    lines_sold: int
    returns_by_reason: list[ReturnReason]
    wrong_fit_by_part_type: list[WrongFit]
    llm_spend: list[LLMSpend]
    queue: QueueHealth


async def _reports(
    conn: Conn, query: LiteralString, params: dict[str, Any]
) -> list[AnalyticsReport]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return [AnalyticsReport.model_validate(r) for r in await cur.fetchall()]


@router.get("/reports", response_model=list[AnalyticsReport])
async def reports(
    conn: Conn, limit: Annotated[int, Query(ge=1, le=366)] = 30
) -> list[AnalyticsReport]:
    """Stored reports, the latest period first."""
    return await _reports(conn, LIST_REPORTS, {"limit": limit})


@router.get("/reports/latest", response_model=AnalyticsReport, responses=NO_REPORT)
async def latest(conn: Conn) -> AnalyticsReport:
    """The report of the latest period."""
    found = await _reports(conn, LATEST_REPORT, {})
    if not found:
        raise NotFoundError("analytics report", "latest")
    return found[0]


@router.get("/reports/{report_id}", response_model=AnalyticsReport, responses=NO_REPORT)
async def report(
    conn: Conn, report_id: Annotated[int, Path(ge=1, le=INT64_MAX)]
) -> AnalyticsReport:
    """One stored report."""
    found = await _reports(conn, ONE_REPORT, {"id": report_id})
    if not found:
        raise NotFoundError("analytics report", report_id)
    return found[0]


@router.get("/dashboard", response_model=Dashboard)
async def dashboard(
    conn: Conn,
    days: Annotated[int, Query(ge=1, le=90, description="UTC days, today included")] = 14,
) -> Dashboard:
    """Orders, revenue and margin per day; return rate by reason and wrong-fit rate by
    part type over the window; LLM spend by agent and model; queue health."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    end = today + timedelta(days=1)
    start = end - timedelta(days=days)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(LINES_SOLD, {"start": start, "end": end})
        row = await cur.fetchone()
        lines = int(row["lines"]) if row else 0
        await cur.execute(TASKS_PER_DAY, {"start": start, "end": end})
        per_day = [TasksDay.model_validate(r) for r in await cur.fetchall()]
    stats = await queue_stats(conn)
    return Dashboard(
        start=start,
        end=end,
        days=await daily(conn, start, end),
        lines_sold=lines,
        returns_by_reason=await returns_by_reason(conn, start, end, lines),
        wrong_fit_by_part_type=(await wrong_fit_by(conn, start, end, limit=20))["part_type"],
        llm_spend=await llm_spend(conn, start, end),
        queue=QueueHealth(stats=stats, dead_letters=stats.counts["dead"], per_day=per_day),
    )
