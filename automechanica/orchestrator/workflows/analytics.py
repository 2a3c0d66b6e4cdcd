"""`nightly_analytics`: a period's report, stored once per period and served to the console.

Input (all optional): `{"start": "2026-12-01", "end": "2026-12-03"}` (UTC dates, end
exclusive), or `{"days": 7}` (the 7 days before the reference day). With neither,
the previous UTC day. The reference day is the schedule's period when a schedule
started the run (`schedule_firings.due_at`), else the day the run started — so a
run fired for 03:00 and retried after midnight still reports the right day.
Re-running a period replaces its report (analytics_reports is unique per period).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from automechanica.agents.analytics import AGENT, BASELINE_DAYS, DECISION, AnalyticsAgent, Report
from automechanica.commerce.analytics import Metrics, daily, first_sale, period_metrics
from automechanica.commerce.demo_history import generate_demo_history
from automechanica.errors import InvalidInputError
from automechanica.llm import Router
from automechanica.orchestrator.definitions import Step, StepContext, Workflow
from automechanica.orchestrator.events import AgentEvent, record_event

REFERENCE = """
SELECT coalesce(
    (SELECT due_at FROM schedule_firings WHERE workflow_id = %(id)s ORDER BY due_at LIMIT 1),
    (SELECT started_at FROM workflows WHERE id = %(id)s)) AS at
"""
STORE_REPORT = """
INSERT INTO analytics_reports (period_start, period_end, metrics, anomalies, summary, workflow_id)
VALUES (%(start)s, %(end)s, %(metrics)s, %(anomalies)s, %(summary)s, %(workflow_id)s)
ON CONFLICT (period_start, period_end) DO UPDATE SET
    metrics = EXCLUDED.metrics, anomalies = EXCLUDED.anomalies, summary = EXCLUDED.summary,
    workflow_id = EXCLUDED.workflow_id, created_at = now()
RETURNING id
"""
MAX_DAYS = 366


def _day(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InvalidInputError(
            f"nightly_analytics input {field}={value!r} is not a date; give YYYY-MM-DD (UTC)."
        ) from None


def resolve_period(given: dict[str, Any], reference: datetime) -> tuple[datetime, datetime]:
    """[start, end) at UTC midnights, from the workflow's input and its reference time."""
    today = reference.astimezone(UTC).date()
    if "start" in given or "end" in given:
        start = _day(given.get("start"), "start")
        end = _day(given["end"], "end") if "end" in given else start + timedelta(days=1)
    else:
        days = given.get("days", 1)
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise InvalidInputError(
                f"nightly_analytics input days={days!r}: give a whole number of days, 1 or more."
            )
        start, end = today - timedelta(days=days), today
    if not start < end or (end - start).days > MAX_DAYS:
        raise InvalidInputError(
            f"nightly_analytics period {start} to {end}: the end must come after the start, "
            f"at most {MAX_DAYS} days later."
        )
    return _midnight(start), _midnight(end)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def store_period_report(
    conn: AsyncConnection[Any],
    start: datetime,
    end: datetime,
    *,
    router: Router | None = None,
    workflow_id: Any = None,
) -> tuple[int, Metrics, Report]:
    """Compute, judge and store the report of [start, end); returns its id."""
    metrics = await period_metrics(conn, start, end)
    baseline = await daily(conn, start - timedelta(days=BASELINE_DAYS), start)
    decision = await AnalyticsAgent(router).decide(
        metrics, baseline, await first_sale(conn), workflow_id=workflow_id
    )
    report = decision.output
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            STORE_REPORT,
            {
                "start": start,
                "end": end,
                "metrics": Jsonb(metrics.model_dump(mode="json")),
                "anomalies": Jsonb([a.model_dump(mode="json") for a in report.anomalies]),
                "summary": report.summary,
                "workflow_id": workflow_id,
            },
        )
        row = await cur.fetchone()
    assert row is not None
    return int(row["id"]), metrics, report


async def period(ctx: StepContext) -> dict[str, str]:
    async with ctx.conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(REFERENCE, {"id": ctx.workflow_id})
        row = await cur.fetchone()
    reference = row["at"] if row and row["at"] else datetime.now(UTC)
    start, end = resolve_period(ctx.input, reference)
    return {"start": start.isoformat(), "end": end.isoformat()}


async def report(ctx: StepContext) -> dict[str, Any]:
    start = datetime.fromisoformat(ctx.results["period"]["start"])
    end = datetime.fromisoformat(ctx.results["period"]["end"])
    # The offline model writes no better than the template: ask only a real one.
    router = ctx.services.router if getattr(ctx.services, "language_model", False) else None
    report_id, metrics, written = await store_period_report(
        ctx.conn, start, end, router=router, workflow_id=ctx.workflow_id
    )
    await record_event(
        ctx.conn,
        AgentEvent(
            agent=AGENT,
            decision_type=DECISION,
            outcome="accepted",
            workflow_id=ctx.workflow_id,
            task_id=ctx.task_id,
            step_key=ctx.step_key,
            subject_kind="analytics_report",
            subject_id=str(report_id),
            output={"anomalies": len(written.anomalies), "summary": written.summary_source},
            rationale=written.summary,
        ),
    )
    return {
        "report_id": report_id,
        "period": ctx.results["period"],
        "orders": metrics.sales.orders,
        "anomalies": [a.metric for a in written.anomalies],
        "summary_source": written.summary_source,
    }


NIGHTLY_ANALYTICS = Workflow(
    "nightly_analytics",
    version=1,
    steps=(Step("period", period), Step("report", report)),
    description="a period's sales, margin, returns, wrong fits, reviews and LLM spend, "
    "anomalies flagged, a short summary; stored per period",
)


async def load_demo_history(
    conn: AsyncConnection[Any], *, seed: int, say: Callable[[str], None] = print
) -> None:
    """The demo store's generated order history (commerce/demo_history.py), then a
    report for each of its days, so the console has reports from the first start."""
    history = await generate_demo_history(conn, seed=seed)
    if history.skipped:
        say(f"Demo history: {history.skipped}.")
        return
    say(
        f"Demo history (generated): {history.orders} orders over {history.days} days, "
        f"{history.returns} returns ({history.wrong_fit} wrong fits)."
    )
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    async with conn.transaction():
        for back in range(history.days, 0, -1):
            start = today - timedelta(days=back)
            await store_period_report(conn, start, start + timedelta(days=1))
