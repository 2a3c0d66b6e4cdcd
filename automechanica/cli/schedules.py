"""`automechanica schedules list | set | run-now`: the cron schedules that start workflows.

Every command first stores the seed schedules that are missing (schedules.toml);
workers fire what is stored (orchestrator/scheduler.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import psycopg
import typer
from rich.markup import escape
from rich.table import Table

from automechanica.cli.common import console, run_on_database
from automechanica.cli.drive import drive
from automechanica.config import Settings
from automechanica.errors import InvalidInputError
from automechanica.orchestrator.scheduler import (
    Schedule,
    list_schedules,
    run_now,
    seed_schedules,
    set_schedule,
)
from automechanica.orchestrator.workflows import workflow_registry

schedules_app = typer.Typer(
    help="Schedules: cron (UTC) that starts workflows, once per period.", no_args_is_help=True
)


async def _connect(url: str) -> psycopg.AsyncConnection[Any]:
    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    await seed_schedules(conn)
    return conn


async def seed(url: str) -> list[str]:
    """The seed schedules that were missing, now stored (`automechanica up` calls this)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        return await seed_schedules(conn)


def _state(schedule: Schedule, known: set[str]) -> str:
    if schedule.workflow not in known:
        return "unknown workflow"
    return "enabled" if schedule.enabled else "disabled"


@schedules_app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Every schedule: its cron, workflow, state, last and next period."""

    async def job(url: str, settings: Settings) -> None:
        async with await _connect(url) as conn:
            schedules = await list_schedules(conn)
        known = workflow_registry().names
        now = datetime.now(UTC)
        if as_json:
            rows = [
                {
                    **s.model_dump(mode="json"),
                    "state": _state(s, known),
                    "next_due_at": s.next_due(now).isoformat(),
                }
                for s in schedules
            ]
            console.print_json(json.dumps(rows))
            return
        table = Table("name", "cron (UTC)", "workflow", "state", "last period", "next")
        for s in schedules:
            table.add_row(
                escape(s.name),
                escape(s.cron),
                escape(s.workflow),
                _state(s, known),
                f"{s.last_due_at:%Y-%m-%d %H:%M}" if s.last_due_at else "never",
                f"{s.next_due(now):%Y-%m-%d %H:%M}",
            )
        console.print(table)

    run_on_database(job)


def _input(value: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"--input is not JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise InvalidInputError("--input must be a JSON object, e.g. '{\"days\": 1}'.")
    return parsed


@schedules_app.command("set")
def set_(
    name: str,
    cron: Annotated[
        str | None, typer.Option(help="five fields in UTC, e.g. '0 3 * * *' (03:00 daily)")
    ] = None,
    workflow: Annotated[str | None, typer.Option(help="the workflow it starts")] = None,
    input: Annotated[str | None, typer.Option(help="the workflow's input, a JSON object")] = None,
    enabled: Annotated[
        bool | None, typer.Option("--enabled/--disabled", help="fire it or not")
    ] = None,
) -> None:
    """Change a schedule, or create one (give --cron and --workflow)."""

    async def job(url: str, settings: Settings) -> None:
        async with await _connect(url) as conn:
            stored = await set_schedule(
                conn,
                name,
                cron=cron,
                workflow=workflow,
                input=_input(input),
                enabled=enabled,
                registry=workflow_registry(),
            )
        state = "enabled" if stored.enabled else "disabled"
        console.print(
            f"{escape(stored.name)}: {escape(stored.cron)} → {escape(stored.workflow)}, {state}; "
            f"next period {stored.next_due():%Y-%m-%d %H:%M} UTC."
        )

    run_on_database(job)


@schedules_app.command("run-now")
def run_now_(
    name: str,
    wait: Annotated[
        bool, typer.Option(help="run the workflow's steps here until it finishes")
    ] = False,
) -> None:
    """Start the schedule's workflow now, outside its cron."""

    async def job(url: str, settings: Settings) -> None:
        async with await _connect(url) as conn:
            fired = await run_now(conn, name, workflow_registry())
        console.print(f"Started {fired.workflow}: {fired.workflow_id}")
        if not wait:
            console.print(
                f"Workers run it; follow it with `automechanica workflow show {fired.workflow_id}`."
            )
            return
        timeline = await drive(url, settings, fired.workflow_id)
        console.print(f"{fired.workflow} {timeline.status}.")

    run_on_database(job)
