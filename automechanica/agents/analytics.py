"""Analytics: what stands out in a period's figures, and a short written summary.

Anomalies are arithmetic, never a model's opinion. Each checked figure (orders,
revenue and margin per day, return rate, wrong-fit rate, LLM spend per day) is
compared with the 7 UTC days before the period: flagged when it lies more than
3 σ from their mean, where σ is the days' sample standard deviation but at least
10% of the mean and at least the figure's floor (FLOORS: a calm week does not make
every small wobble an anomaly). Days before the store's first sale do not count
for the sales figures; fewer than 3 baseline days means no verdict.

The summary is written from the figures by a template. With a real model configured
the model may word it instead; its text is used only when every number in it is
one of the figures it was given (grounded), otherwise the template's stands.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel

from automechanica.agents.base import Decision, Evidence, ModelUse, as_data
from automechanica.commerce.analytics import Day, Metrics
from automechanica.llm import Router
from automechanica.llm.types import LLMRequest, Message

AGENT = "Analytics"
DECISION = "analytics.report"
BASELINE_DAYS = 7
MIN_BASELINE_DAYS = 3
SIGMAS = 3.0
RELATIVE_FLOOR = 0.10
#: The smallest σ each figure is judged with (its unit: orders, USD, a share 0..1).
FLOORS: dict[str, float] = {
    "orders": 2.0,
    "revenue": 50.0,
    "margin": 20.0,
    "return_rate": 0.05,
    "wrong_fit_rate": 0.05,
    "llm_cost_usd": 0.50,
}
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


class Anomaly(BaseModel):
    metric: str
    value: float
    mean: float
    stddev: float
    sigma_used: float
    direction: Literal["above", "below"]
    baseline_days: int
    note: str


class Report(BaseModel):
    anomalies: list[Anomaly]
    summary: str
    summary_source: Literal["template", "model"]


def _per_day(metric: str) -> Callable[[Day], float | None]:
    if metric == "return_rate":
        return lambda d: d.returns / d.lines if d.lines else None
    if metric == "wrong_fit_rate":
        return lambda d: d.wrong_fit_returns / d.lines if d.lines else None
    return lambda d: float(getattr(d, metric))


def period_value(metric: str, metrics: Metrics) -> float | None:
    """The period's figure on the same scale as one baseline day."""
    if metric == "return_rate":
        return metrics.return_rate
    if metric == "wrong_fit_rate":
        return metrics.wrong_fit_rate
    if not metrics.days:
        return None
    return sum(float(getattr(d, metric)) for d in metrics.days) / len(metrics.days)


def find_anomalies(
    metrics: Metrics, baseline: list[Day], first_sale: datetime | None
) -> list[Anomaly]:
    """The figures of `metrics` that lie outside mean ± 3σ of the `baseline` days."""
    found = []
    for metric, floor in FLOORS.items():
        value = period_value(metric, metrics)
        if value is None:
            continue
        days = baseline
        if metric != "llm_cost_usd":
            opened: date | None = first_sale.date() if first_sale else None
            days = [d for d in baseline if opened is not None and d.day >= opened]
        read = _per_day(metric)
        values = [v for v in (read(d) for d in days) if v is not None]
        if len(values) < MIN_BASELINE_DAYS:
            continue
        mean = statistics.fmean(values)
        stddev = statistics.stdev(values)
        sigma = max(stddev, RELATIVE_FLOOR * abs(mean), floor)
        if abs(value - mean) <= SIGMAS * sigma:
            continue
        direction: Literal["above", "below"] = "above" if value > mean else "below"
        found.append(
            Anomaly(
                metric=metric,
                value=round(value, 4),
                mean=round(mean, 4),
                stddev=round(stddev, 4),
                sigma_used=round(sigma, 4),
                direction=direction,
                baseline_days=len(values),
                note=f"{_label(metric)} {_show(metric, value)} is {direction} the "
                f"{len(values)}-day mean of {_show(metric, mean)} by more than "
                f"{SIGMAS:g} × {_show(metric, sigma)}",
            )
        )
    return found


LABELS = {
    "orders": "orders per day",
    "revenue": "revenue per day",
    "margin": "margin per day",
    "return_rate": "return rate",
    "wrong_fit_rate": "wrong-fit rate",
    "llm_cost_usd": "LLM spend per day",
}


def _label(metric: str) -> str:
    return LABELS.get(metric, metric)


def _show(metric: str, value: float) -> str:
    if metric.endswith("rate"):
        return f"{value * 100:.1f}%"
    if metric in ("revenue", "margin", "llm_cost_usd"):
        return f"${value:,.2f}"
    return f"{value:.1f}"


def _period(metrics: Metrics) -> str:
    start = metrics.period_start.date()
    last = (metrics.period_end.date()).fromordinal(metrics.period_end.date().toordinal() - 1)
    return f"{start}" if start == last else f"{start} to {last}"


def written_summary(metrics: Metrics, anomalies: list[Anomaly]) -> str:
    """The summary from the figures alone: every number in it is one of them."""
    s = metrics.sales
    parts = [
        f"{_period(metrics)}: {s.orders} orders, ${s.revenue:,.2f} revenue, "
        f"${s.margin:,.2f} margin"
        + (f" ({s.margin_rate * 100:.1f}%)." if s.margin_rate is not None else ".")
    ]
    returns = sum(r.returns for r in metrics.returns_by_reason)
    wrong = next((r.returns for r in metrics.returns_by_reason if r.reason == "wrong_fit"), 0)
    if returns:
        rate = f" ({metrics.return_rate * 100:.1f}% of lines sold)" if metrics.return_rate else ""
        parts.append(f"{returns} returns{rate}, {wrong} for wrong fit.")
        worst = [g for g in metrics.wrong_fit_by.get("part_type", []) if g.wrong_fit_returns]
        if worst:
            parts.append(f"Most wrong fits: {worst[0].name} ({worst[0].wrong_fit_returns}).")
    else:
        parts.append("No returns.")
    decided = sum(r.reviews_decided for r in metrics.reviews)
    if decided:
        approved = sum(r.approved + r.edited for r in metrics.reviews)
        parts.append(f"{decided} reviews decided, {approved} approved.")
    calls = sum(c.calls for c in metrics.llm_spend)
    if calls:
        parts.append(f"LLM spend ${metrics.llm_cost_usd:,.2f} over {calls} calls.")
    if anomalies:
        parts.append("Anomalies: " + "; ".join(a.note for a in anomalies) + ".")
    else:
        parts.append(f"Nothing unusual against the previous {BASELINE_DAYS} days.")
    return " ".join(parts)


def _numbers(text: str) -> set[Decimal]:
    found = set()
    for match in NUMBER.findall(text):
        try:
            found.add(Decimal(match.replace(",", "")).normalize())
        except InvalidOperation:
            continue
    return found


def grounded(text: str, facts: str) -> bool:
    """Every number in `text` appears among the numbers of `facts`."""
    return bool(text.strip()) and _numbers(text) <= _numbers(facts)


class AnalyticsAgent:
    """Flags anomalies and writes the summary; asks a model only for wording."""

    name = AGENT

    def __init__(self, router: Router | None = None) -> None:
        self.router = router

    async def decide(
        self,
        metrics: Metrics,
        baseline: list[Day],
        first_sale: datetime | None,
        *,
        workflow_id: Any = None,
    ) -> Decision[Report]:
        anomalies = find_anomalies(metrics, baseline, first_sale)
        summary = written_summary(metrics, anomalies)
        report = Report(anomalies=anomalies, summary=summary, summary_source="template")
        rationale = (
            f"{len(anomalies)} figure(s) outside mean ± {SIGMAS:g}σ of the previous "
            f"{BASELINE_DAYS} days; summary written from the figures."
        )
        model = None
        if self.router is not None:
            worded, model = await self._wording(summary, workflow_id)
            if worded is not None and grounded(worded, summary):
                report = report.model_copy(update={"summary": worded, "summary_source": "model"})
                rationale += " The model's wording was used: its numbers are all the figures'."
            elif worded is not None:
                rationale += (
                    " The model's wording was not used: it held numbers not in the figures."
                )
        return Decision(
            decision_type=DECISION,
            output=report,
            confidence=1.0,
            rationale=rationale,
            evidence=[Evidence(kind="metric", ref=a.metric, detail=a.note) for a in anomalies],
            model=model,
        )

    async def _wording(self, facts: str, workflow_id: Any) -> tuple[str | None, ModelUse | None]:
        assert self.router is not None
        request = LLMRequest(
            task_kind="analytics_summary",
            complexity="low",
            agent=AGENT,
            workflow_id=workflow_id,
            messages=(
                Message(
                    role="system",
                    content="You write a short plain-text summary (at most five sentences) "
                    "of an auto-parts store's daily figures for its operators. Use only the "
                    "numbers in the figures, written exactly as they are; add no other "
                    "numbers, no Markdown, no advice.",
                ),
                Message(role="user", content=as_data("figures", facts)),
            ),
        )
        response = await self.router.complete(request)
        return response.text.strip() or None, ModelUse.of(response)
