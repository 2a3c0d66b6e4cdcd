"""The console's view of the language models: the catalog with its prices, which
providers are configured, each model's last hour, and spend by model and by agent
(the same reads as `automechanica llm models` and `llm usage`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from automechanica.api.access import OperatorRoute
from automechanica.api.deps import Conn
from automechanica.config import Settings
from automechanica.llm import configured, load_catalog
from automechanica.llm.usage import UsageLine, recent_by_model, usage_report

router = APIRouter(prefix="/api/admin/llm", tags=["console"], route_class=OperatorRoute)


class ModelPrice(BaseModel):
    input_per_million: Decimal
    output_per_million: Decimal
    cached_per_million: Decimal | None
    as_of: date


class LastHour(BaseModel):
    calls: int
    errors: int
    last_error: str | None


class CatalogModel(BaseModel):
    name: str
    provider: str
    tier: str
    context_window: int | None = Field(description="tokens; None for the offline model")
    capabilities: list[str]
    price: ModelPrice | None = Field(description="USD per 1M tokens; None: unknown, never 0")
    ready: bool = Field(description="its provider is configured (a key or a base URL)")
    last_hour: LastHour | None


class Usage(BaseModel):
    since: datetime
    by_model: list[UsageLine]
    by_agent: list[UsageLine]
    total_cost_usd: Decimal = Field(description="known spend; unpriced calls not counted")


@router.get("/models", response_model=list[CatalogModel])
async def models(conn: Conn) -> list[CatalogModel]:
    """Every model the router may choose, with its price and its last hour of calls."""
    settings = Settings()
    catalog = load_catalog(settings.llm_models_file)
    ready = configured(settings, catalog)
    recent = await recent_by_model(conn, datetime.now(UTC) - timedelta(hours=1))
    out = []
    for model in catalog:
        record = recent.get(model.name)
        offline = catalog.provider_kind(model) == "offline"
        out.append(
            CatalogModel(
                name=model.name,
                provider=model.provider,
                tier=model.tier,
                context_window=None if offline else model.context_window,
                capabilities=sorted(model.capabilities),
                price=ModelPrice(
                    input_per_million=model.price.input,
                    output_per_million=model.price.output,
                    cached_per_million=model.price.cached,
                    as_of=model.price.as_of,
                )
                if model.price
                else None,
                ready=model.provider in ready,
                last_hour=LastHour(
                    calls=record.calls, errors=record.errors, last_error=record.last_error
                )
                if record
                else None,
            )
        )
    return out


@router.get("/usage", response_model=Usage)
async def usage(
    conn: Conn, hours: Annotated[int, Query(ge=1, le=2160, description="how far back")] = 24
) -> Usage:
    """Calls, tokens and cost by model and by agent since `hours` ago."""
    report = await usage_report(conn, datetime.now(UTC) - timedelta(hours=hours))
    return Usage(
        since=report.since,
        by_model=report.by_model,
        by_agent=report.by_agent,
        total_cost_usd=report.total_cost_usd,
    )
