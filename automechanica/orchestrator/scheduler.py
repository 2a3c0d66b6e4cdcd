"""Cron schedules that start workflows, fired once per period however many processes run.

A schedule (table `schedules`) names a workflow and a five-field cron, in UTC. On
each tick the period due is the latest cron time at or before now. Firing it is one
transaction: insert `schedule_firings (schedule, due_at)` ON CONFLICT DO NOTHING and,
only when that row is new, start the workflow with the idempotency key
`schedule:{name}:{due_at}`. Two ticks racing on two hosts: the second insert waits on
the first's uncommitted row, then finds the conflict and starts nothing. After
downtime only the latest period is due, so the nights missed fire once, not once each.

A schedule naming a workflow this process does not know (not yet written, or
renamed) is reported by the tick and left unfired, so it fires once the workflow is
registered. Every `automechanica worker` runs `run_scheduler` beside its tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import psycopg
from cronsim import CronSim, CronSimError
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel

from automechanica.errors import AutoMechanicaError, InvalidInputError, NotFoundError
from automechanica.orchestrator.definitions import WorkflowRegistry
from automechanica.orchestrator.engine import start_workflow
from automechanica.orchestrator.errors import UnknownWorkflowError

log = logging.getLogger("automechanica.scheduler")

SEED_FILE = "schedules.toml"
STARTED_BY = "scheduler"
DEFAULT_INTERVAL = 30.0

SELECT_SCHEDULES = """
SELECT s.name, s.cron, s.workflow, s.input, s.enabled, s.last_fired_at, s.updated_at,
       (SELECT max(due_at) FROM schedule_firings f WHERE f.schedule = s.name) AS last_due_at
FROM schedules s ORDER BY s.name
"""
SELECT_SCHEDULE = """
SELECT s.name, s.cron, s.workflow, s.input, s.enabled, s.last_fired_at, s.updated_at,
       (SELECT max(due_at) FROM schedule_firings f WHERE f.schedule = s.name) AS last_due_at
FROM schedules s WHERE s.name = %(name)s
"""
SEED_SCHEDULE = """
INSERT INTO schedules (name, cron, workflow, input, enabled)
VALUES (%(name)s, %(cron)s, %(workflow)s, %(input)s, %(enabled)s)
ON CONFLICT (name) DO NOTHING
RETURNING name
"""
INSERT_SCHEDULE = """
INSERT INTO schedules (name, cron, workflow, input, enabled)
VALUES (%(name)s, %(cron)s, %(workflow)s, coalesce(%(input)s::jsonb, '{}'::jsonb),
        coalesce(%(enabled)s, true))
"""
UPDATE_SCHEDULE = """
UPDATE schedules SET
    cron = coalesce(%(cron)s, cron),
    workflow = coalesce(%(workflow)s, workflow),
    input = coalesce(%(input)s::jsonb, input),
    enabled = coalesce(%(enabled)s, enabled),
    updated_at = now()
WHERE name = %(name)s
"""
#: The firing key: one row per (schedule, period); the loser of a race inserts nothing.
CLAIM_FIRING = """
INSERT INTO schedule_firings (schedule, due_at) VALUES (%(name)s, %(due)s)
ON CONFLICT (schedule, due_at) DO NOTHING
RETURNING fired_at
"""
RECORD_FIRING = """
WITH firing AS (
    UPDATE schedule_firings SET workflow_id = %(workflow_id)s
    WHERE schedule = %(name)s AND due_at = %(due)s
)
UPDATE schedules SET last_fired_at = now() WHERE name = %(name)s
"""
SELECT_FIRINGS = """
SELECT schedule, due_at, workflow_id, fired_at FROM schedule_firings
WHERE schedule = %(name)s ORDER BY due_at DESC LIMIT %(limit)s
"""


class Schedule(BaseModel):
    """A stored schedule and what it last did."""

    name: str
    cron: str
    workflow: str
    input: dict[str, Any]
    enabled: bool
    last_fired_at: datetime | None
    last_due_at: datetime | None
    updated_at: datetime

    def next_due(self, now: datetime | None = None) -> datetime:
        return next_due(self.cron, now or datetime.now(UTC))


class Firing(BaseModel):
    """One period fired: the workflow it started."""

    schedule: str
    due_at: datetime
    workflow: str
    workflow_id: Any


@dataclass
class TickReport:
    """What one tick did: firings, and schedules it could not fire (with why)."""

    fired: list[Firing] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)
    already: int = 0


def check_cron(cron: str) -> str:
    """The cron, or InvalidInputError saying what is wrong with it."""
    text = " ".join(cron.split())
    try:
        CronSim(text, datetime.now(UTC))
    except CronSimError as exc:
        raise InvalidInputError(
            f"cron {cron!r}: {exc}. Give five fields in UTC: minute hour day-of-month "
            "month day-of-week, e.g. '0 3 * * *' for 03:00 every day."
        ) from exc
    return text


def latest_due(cron: str, now: datetime) -> datetime:
    """The start of the period `now` is in: the latest cron time at or before `now`."""
    # CronSim in reverse yields times strictly before its start; one second past the
    # whole second makes a time exactly on the cron its own period.
    start = now.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
    return next(CronSim(cron, start, reverse=True))


def next_due(cron: str, now: datetime) -> datetime:
    return next(CronSim(cron, now.astimezone(UTC)))


def seed_entries() -> dict[str, dict[str, Any]]:
    """The schedules the store starts with (schedules.toml)."""
    text = resources.files("automechanica.orchestrator").joinpath(SEED_FILE).read_text()
    return tomllib.loads(text)


async def seed_schedules(conn: AsyncConnection[Any]) -> list[str]:
    """Store the seed schedules whose names are missing; stored ones are never changed."""
    added: list[str] = []
    async with conn.transaction(), conn.cursor() as cur:
        for name, entry in seed_entries().items():
            await cur.execute(
                SEED_SCHEDULE,
                {
                    "name": name,
                    "cron": check_cron(entry["cron"]),
                    "workflow": entry["workflow"],
                    "input": Jsonb(entry.get("input", {})),
                    "enabled": bool(entry.get("enabled", True)),
                },
            )
            if await cur.fetchone() is not None:
                added.append(name)
    return added


async def list_schedules(conn: AsyncConnection[Any]) -> list[Schedule]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_SCHEDULES)
        return [Schedule.model_validate(r) for r in await cur.fetchall()]


async def get_schedule(conn: AsyncConnection[Any], name: str) -> Schedule:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_SCHEDULE, {"name": name})
        row = await cur.fetchone()
    if row is None:
        raise NotFoundError("schedule", name)
    return Schedule.model_validate(row)


async def set_schedule(
    conn: AsyncConnection[Any],
    name: str,
    *,
    cron: str | None = None,
    workflow: str | None = None,
    input: dict[str, Any] | None = None,
    enabled: bool | None = None,
    registry: WorkflowRegistry | None = None,
) -> Schedule:
    """Change a schedule, or create it (then `cron` and `workflow` are needed). A
    workflow `registry` does not know is refused, with the names it does know."""
    if cron is not None:
        cron = check_cron(cron)
    if workflow is not None and registry is not None:
        registry.latest(workflow)  # UnknownWorkflowError lists the known names
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_SCHEDULE, {"name": name})
        exists = await cur.fetchone() is not None
    if not exists and (cron is None or workflow is None):
        raise InvalidInputError(
            f"There is no schedule {name!r}; to create it give both --cron and --workflow."
        )
    params = {
        "name": name,
        "cron": cron,
        "workflow": workflow,
        "input": Jsonb(input) if input is not None else None,
        "enabled": enabled,
    }
    async with conn.transaction():
        await conn.execute(UPDATE_SCHEDULE if exists else INSERT_SCHEDULE, params)
    return await get_schedule(conn, name)


async def fire(
    conn: AsyncConnection[Any],
    schedule: Schedule,
    due_at: datetime,
    registry: WorkflowRegistry,
) -> Firing | None:
    """Fire `schedule` for the period starting `due_at`, unless some process already
    did: the firing row and the workflow's start commit together."""
    workflow = registry.latest(schedule.workflow)  # UnknownWorkflowError: nothing claimed
    params = {"name": schedule.name, "due": due_at}
    async with conn.transaction():
        async with conn.cursor() as cur:
            await cur.execute(CLAIM_FIRING, params)
            if await cur.fetchone() is None:
                return None
        workflow_id = await start_workflow(
            conn,
            workflow,
            schedule.input,
            idempotency_key=f"schedule:{schedule.name}:{due_at.isoformat()}",
            started_by=STARTED_BY,
        )
        await conn.execute(RECORD_FIRING, {**params, "workflow_id": workflow_id})
    return Firing(
        schedule=schedule.name, due_at=due_at, workflow=workflow.name, workflow_id=workflow_id
    )


async def tick(
    conn: AsyncConnection[Any], registry: WorkflowRegistry, now: datetime | None = None
) -> TickReport:
    """Fire every enabled schedule whose current period has not fired yet.

    `conn` should be in autocommit mode: each firing commits on its own, and a
    firing inside a caller's open transaction is not visible to other processes
    until that transaction commits.
    """
    at = now or datetime.now(UTC)
    report = TickReport()
    for schedule in await list_schedules(conn):
        if not schedule.enabled:
            continue
        try:
            due = latest_due(schedule.cron, at)
        except CronSimError as exc:  # written to the table by hand
            report.problems[schedule.name] = f"cron {schedule.cron!r} cannot be read: {exc}"
            continue
        if schedule.last_due_at is not None and schedule.last_due_at >= due:
            report.already += 1
            continue
        try:
            fired = await fire(conn, schedule, due, registry)
        except UnknownWorkflowError as exc:
            report.problems[schedule.name] = (
                f"schedule {schedule.name} names workflow {schedule.workflow!r}, which this "
                f"process does not know ({exc.message}); it fires once the workflow is "
                "registered, or change it with `automechanica schedules set`"
            )
            continue
        if fired is None:
            report.already += 1
        else:
            report.fired.append(fired)
    return report


async def run_now(
    conn: AsyncConnection[Any],
    name: str,
    registry: WorkflowRegistry,
    now: datetime | None = None,
) -> Firing:
    """Fire a schedule at once, outside its cron (a firing keyed by this moment); its
    regular periods still fire as usual."""
    schedule = await get_schedule(conn, name)
    fired = await fire(conn, schedule, now or datetime.now(UTC), registry)
    if fired is None:
        raise InvalidInputError(f"schedule {name} already fired at that moment; try again.")
    return fired


async def recent_firings(
    conn: AsyncConnection[Any], name: str, limit: int = 10
) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_FIRINGS, {"name": name, "limit": limit})
        return await cur.fetchall()


async def run_scheduler(
    url: str,
    registry: WorkflowRegistry,
    *,
    interval: float = DEFAULT_INTERVAL,
    stop: asyncio.Event | None = None,
) -> None:
    """Tick every `interval` seconds until `stop` is set (or the task is cancelled).

    A connection per tick: nothing is held between ticks, and a database that is
    away for a while costs a logged warning per tick, never the worker. A schedule
    that cannot fire is logged once per process, not every tick.
    """
    stop = stop or asyncio.Event()
    reported: dict[str, str] = {}
    while not stop.is_set():
        try:
            async with await AsyncConnection.connect(url, autocommit=True) as conn:
                report = await tick(conn, registry)
        except (psycopg.Error, OSError, AutoMechanicaError) as exc:
            log.warning("scheduler tick failed, trying again in %.0f s: %s", interval, exc)
        else:
            for firing in report.fired:
                log.info(
                    "schedule %s fired for %s: %s %s",
                    firing.schedule,
                    firing.due_at.isoformat(),
                    firing.workflow,
                    firing.workflow_id,
                )
            for name, problem in report.problems.items():
                if reported.get(name) != problem:
                    log.warning("%s", problem)
            reported = dict(report.problems)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
