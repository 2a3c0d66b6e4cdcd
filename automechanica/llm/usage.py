"""What the call log says: spend and tokens by model and by agent, and each model's
recent record (the health a fresh process can see, for `automechanica llm models`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import dict_row
from pydantic import BaseModel

from automechanica.llm import queries


class UsageLine(BaseModel):
    """One model's or one agent's calls since a time."""

    key: str
    calls: int
    errors: int
    tokens_in: int
    tokens_out: int
    cost_usd: Decimal
    unpriced: int  # successful calls whose cost is unknown (not counted in cost_usd)


class UsageReport(BaseModel):
    since: datetime
    by_model: list[UsageLine]
    by_agent: list[UsageLine]

    @property
    def total_cost_usd(self) -> Decimal:
        return sum((line.cost_usd for line in self.by_model), Decimal(0))


class ModelRecord(BaseModel):
    """A model's recent calls as logged: how many, how many failed, the last error."""

    model: str
    calls: int
    errors: int
    last_error: str | None
    p50_ms: float | None


async def usage_report(conn: psycopg.AsyncConnection[Any], since: datetime) -> UsageReport:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(queries.USAGE_BY_MODEL, {"since": since})
        by_model = [UsageLine(**row) for row in await cur.fetchall()]
        await cur.execute(queries.USAGE_BY_AGENT, {"since": since})
        by_agent = [UsageLine(**row) for row in await cur.fetchall()]
    return UsageReport(since=since, by_model=by_model, by_agent=by_agent)


async def recent_by_model(
    conn: psycopg.AsyncConnection[Any], since: datetime
) -> dict[str, ModelRecord]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(queries.RECENT_BY_MODEL, {"since": since})
        return {row["model"]: ModelRecord(**row) for row in await cur.fetchall()}
