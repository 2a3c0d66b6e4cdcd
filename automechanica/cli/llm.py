"""`automechanica llm`: the model catalog and its health, one question, spend and usage."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import psycopg
import typer
from psycopg_pool import AsyncConnectionPool
from rich.table import Table

from automechanica.cli.common import console, database, fail
from automechanica.config import Settings
from automechanica.db.connection import open_pool
from automechanica.errors import AutoMechanicaError, ConfigurationError
from automechanica.llm import (
    LLMRequest,
    LLMResponse,
    ModelSpec,
    build_router,
    configured,
    load_catalog,
)
from automechanica.llm.types import Complexity
from automechanica.llm.usage import (
    ModelRecord,
    UsageLine,
    UsageReport,
    recent_by_model,
    usage_report,
)

llm_app = typer.Typer(
    help="The LLM router: models and prices, a question, usage and spend.", no_args_is_help=True
)

T = TypeVar("T")
SINCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def parse_since(text: str) -> timedelta:
    """'30m', '12h', '1d', '2w' as a timedelta."""
    found = SINCE.match(text)
    if not found:
        raise ConfigurationError(f"--since {text!r}: write a number and a unit: 30m, 12h, 1d, 2w.")
    return timedelta(**{UNITS[found.group(2)]: float(found.group(1))})


def _run(settings: Settings, job: Callable[[str], Coroutine[Any, Any, T]]) -> T:
    try:
        with database(settings) as url:
            return asyncio.run(job(url))
    except AutoMechanicaError as exc:
        raise fail(exc) from exc


def _money(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _tokens(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}M"
    return f"{count // 1000}k" if count >= 1000 else str(count)


def _price(model: ModelSpec) -> str:
    price = model.price
    if price is None:
        return "[yellow]unpriced"
    cached = price.cached if price.cached is not None else price.input
    return f"{_money(price.input)} / {_money(price.output)} / {_money(cached)}"


@llm_app.command("models")
def models(
    health: Annotated[
        bool, typer.Option("--health/--no-health", help="read the last hour of llm_calls")
    ] = True,
) -> None:
    """The model catalog: tier, window, capabilities, prices, configured or not, recent health."""
    settings = Settings()
    try:
        catalog = load_catalog(settings.llm_models_file)
    except AutoMechanicaError as exc:
        raise fail(exc) from exc
    ready = configured(settings, catalog)
    records: dict[str, ModelRecord] = {}
    if health:

        async def read(url: str) -> dict[str, ModelRecord]:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                return await recent_by_model(conn, datetime.now(UTC) - timedelta(hours=1))

        records = _run(settings, read)
    table = Table(
        "model", "provider", "tier", "window", "can", "$/1M in / out / cached", "as of",
        "ready", "last hour",
        title=f"model catalog ({' + '.join(catalog.sources)}, revision {catalog.revision})",
    )  # fmt: skip
    for model in catalog:
        record = records.get(model.name)
        recent = "-"
        if record is not None:
            recent = f"{record.calls} calls, {record.errors} failed"
            if record.last_error:
                recent += f" ({record.last_error})"
        table.add_row(
            model.name,
            model.provider,
            model.tier,
            "any" if catalog.provider_kind(model) == "offline" else _tokens(model.context_window),
            ",".join(c.removeprefix("json_") for c in sorted(model.capabilities)) or "-",
            _price(model),
            model.price.as_of.isoformat() if model.price else "-",
            "[green]yes" if model.provider in ready else "[dim]no",
            recent,
        )
    console.print(table)
    if ready == {"offline"}:
        console.print(
            "[dim]No provider key is set: every call is answered offline. Set "
            "AUTOMECHANICA_OPENAI_API_KEY (or OPENAI_API_KEY), AUTOMECHANICA_ANTHROPIC_API_KEY, "
            "or AUTOMECHANICA_OLLAMA_BASE_URL."
        )


@llm_app.command("ask")
def ask(
    prompt: str,
    complexity: Annotated[str, typer.Option(help="low, medium or high")] = "medium",
    kind: Annotated[str, typer.Option("--kind", help="the task kind logged")] = "cli.ask",
    system: Annotated[str | None, typer.Option(help="a system message")] = None,
    max_tokens: Annotated[int, typer.Option(min=1)] = 512,
    as_json: JsonOpt = False,
) -> None:
    """Ask the router one question; the answer, then which model gave it and what it cost."""
    if complexity not in ("low", "medium", "high"):
        raise fail(ConfigurationError("--complexity must be low, medium or high."))
    settings = Settings()
    request = LLMRequest.ask(
        prompt,
        system=system,
        task_kind=kind,
        complexity=_complexity(complexity),
        max_tokens=max_tokens,
        agent="cli",
    )

    async def job(url: str) -> LLMResponse:
        pool: AsyncConnectionPool[Any] = await open_pool(url, min_size=1, max_size=2)
        try:
            async with build_router(settings, pool=pool) as router:
                return await router.complete(request)
        finally:
            await pool.close()

    response = _run(settings, job)
    if as_json:
        console.print_json(response.model_dump_json(exclude={"parsed"}))
        return
    console.print(response.text, markup=False, highlight=False)
    cost = "unknown (unpriced)" if response.cost_usd is None else f"${response.cost_usd:.6f}"
    usage = response.usage
    line = (
        f"{response.model} via {response.provider} · {usage.tokens_in or 0} in / "
        f"{usage.tokens_out or 0} out tokens · {cost} · {response.latency_ms:.0f} ms · "
        f"{response.attempts} attempt{'s' if response.attempts != 1 else ''}"
    )
    console.print(f"[dim]{line}[/]", highlight=False)
    if response.fallback_reason:
        console.print(f"[dim]fell back: {response.fallback_reason}[/]", highlight=False)


def _complexity(value: str) -> Complexity:
    return "low" if value == "low" else "high" if value == "high" else "medium"


def _usage_table(title: str, lines: list[UsageLine]) -> Table:
    table = Table(title, "calls", "failed", "tokens in", "tokens out", "cost (USD)", title=title)
    for line in lines:
        cost = f"{line.cost_usd:.6f}"
        if line.unpriced:
            cost += f" + {line.unpriced} unpriced"
        table.add_row(
            line.key,
            f"{line.calls:,}",
            f"{line.errors:,}",
            f"{line.tokens_in:,}",
            f"{line.tokens_out:,}",
            cost,
        )
    return table


@llm_app.command("usage")
def usage(
    since: Annotated[str, typer.Option(help="how far back: 30m, 12h, 1d, 2w")] = "1d",
    as_json: JsonOpt = False,
) -> None:
    """Calls, tokens and cost by model and by agent, from the call log."""
    settings = Settings()
    try:
        start = datetime.now(UTC) - parse_since(since)
    except AutoMechanicaError as exc:
        raise fail(exc) from exc

    async def read(url: str) -> UsageReport:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            return await usage_report(conn, start)

    report = _run(settings, read)
    if as_json:
        console.print_json(report.model_dump_json())
        return
    console.print(_usage_table("model", report.by_model))
    console.print(_usage_table("agent", report.by_agent))
    console.print(
        f"since {report.since.isoformat(timespec='seconds')}: "
        f"${report.total_cost_usd:.6f} known spend"
    )
