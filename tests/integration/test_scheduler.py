"""The scheduler on the real database: once per period under concurrent ticks (several
connections, and two processes), a missed period fires once, an unknown workflow is
reported and not fired, seeds never overwrite what operators changed."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from automechanica.errors import InvalidInputError
from automechanica.orchestrator import Step, StepContext, Workflow, WorkflowRegistry
from automechanica.orchestrator.errors import UnknownWorkflowError
from automechanica.orchestrator.scheduler import (
    latest_due,
    list_schedules,
    run_now,
    seed_schedules,
    set_schedule,
    tick,
)

Conn = psycopg.AsyncConnection[Any]
T0 = datetime(2026, 11, 30, 12, 34, 56, tzinfo=UTC)


async def noop(ctx: StepContext) -> dict[str, Any]:
    return {"input": ctx.input}


NOOP = Workflow("scheduled_noop", version=1, steps=(Step("run", noop),))
REGISTRY = WorkflowRegistry([NOOP])


@pytest.fixture
async def aconn(db_url: str) -> AsyncIterator[Conn]:
    async with await psycopg.AsyncConnection.connect(
        db_url, autocommit=True, row_factory=dict_row
    ) as conn:
        yield conn


async def rows(conn: Conn, query: str, *params: Any) -> list[dict[str, Any]]:
    cur = await conn.execute(query, params)
    return await cur.fetchall()


async def firings(conn: Conn, name: str) -> list[dict[str, Any]]:
    return await rows(
        conn,
        "SELECT f.due_at, f.workflow_id, w.kind, w.idempotency_key, w.started_by"
        " FROM schedule_firings f LEFT JOIN workflows w ON w.id = f.workflow_id"
        " WHERE f.schedule = %s ORDER BY f.due_at",
        name,
    )


def test_the_period_due_is_the_latest_cron_time_at_or_before_now() -> None:
    assert latest_due("0 3 * * *", T0) == datetime(2026, 11, 30, 3, tzinfo=UTC)
    assert latest_due("0 3 * * *", datetime(2026, 11, 30, 3, tzinfo=UTC)) == datetime(
        2026, 11, 30, 3, tzinfo=UTC
    )
    assert latest_due("0 3 * * *", datetime(2026, 11, 30, 2, 59, 59, tzinfo=UTC)) == datetime(
        2026, 11, 29, 3, tzinfo=UTC
    )


async def test_concurrent_ticks_on_separate_connections_fire_once_per_period(
    db_url: str, aconn: Conn
) -> None:
    await set_schedule(aconn, "nightly", cron="0 3 * * *", workflow=NOOP.name, registry=REGISTRY)

    async def one_tick(now: datetime) -> int:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            return len((await tick(conn, REGISTRY, now)).fired)

    first = await asyncio.gather(*(one_tick(T0) for _ in range(8)))
    assert sum(first) == 1
    # Later the same day: the same period, nothing more.
    again = await asyncio.gather(*(one_tick(T0 + timedelta(hours=5)) for _ in range(8)))
    assert sum(again) == 0
    # The next night is a new period: fired once more.
    next_night = await asyncio.gather(*(one_tick(T0 + timedelta(days=1)) for _ in range(8)))
    assert sum(next_night) == 1

    fired = await firings(aconn, "nightly")
    assert [f["due_at"] for f in fired] == [
        datetime(2026, 11, 30, 3, tzinfo=UTC),
        datetime(2026, 12, 1, 3, tzinfo=UTC),
    ]
    assert all(f["kind"] == NOOP.name and f["started_by"] == "scheduler" for f in fired)
    assert [f["idempotency_key"] for f in fired] == [
        "schedule:nightly:2026-11-30T03:00:00+00:00",
        "schedule:nightly:2026-12-01T03:00:00+00:00",
    ]
    started = await rows(aconn, "SELECT count(*) AS n FROM workflows WHERE kind = %s", NOOP.name)
    assert started[0]["n"] == 2
    (stored,) = await list_schedules(aconn)
    assert stored.last_due_at == datetime(2026, 12, 1, 3, tzinfo=UTC)
    assert stored.last_fired_at is not None


TICKER = """
import asyncio, json, sys
from datetime import datetime, timedelta
import psycopg
from tests.integration.test_scheduler import REGISTRY
from automechanica.orchestrator.scheduler import tick

async def main(url, start, minutes):
    fired = []
    t0 = datetime.fromisoformat(start)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for k in range(minutes):
            for _ in range(3):  # several ticks a minute, as a loop every 30 s would
                report = await tick(conn, REGISTRY, t0 + timedelta(minutes=k))
                fired += [f.due_at.isoformat() for f in report.fired]
    print(json.dumps(fired))

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def test_two_processes_ticking_together_fire_each_minute_once(
    db_url: str, aconn: Conn, repo_root: Any
) -> None:
    await set_schedule(
        aconn, "every_minute", cron="* * * * *", workflow=NOOP.name, registry=REGISTRY
    )
    minutes = 15
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", TICKER, db_url, T0.isoformat(), str(minutes)],
            cwd=repo_root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
    by_process = [json.loads(out) for out, _ in outputs]
    fired = sorted(due for each in by_process for due in each)
    expected = [(T0.replace(second=0) + timedelta(minutes=k)).isoformat() for k in range(minutes)]
    assert fired == expected  # every minute once, by one process or the other
    stored = await firings(aconn, "every_minute")
    assert len(stored) == minutes
    assert all(f["workflow_id"] is not None for f in stored)


async def test_a_missed_period_fires_once_on_return(aconn: Conn) -> None:
    await set_schedule(aconn, "nightly", cron="0 3 * * *", workflow=NOOP.name, registry=REGISTRY)
    assert len((await tick(aconn, REGISTRY, T0)).fired) == 1
    # Everything was down for four nights; back at noon on the fifth day.
    back = T0 + timedelta(days=4)
    report = await tick(aconn, REGISTRY, back)
    assert [f.due_at for f in report.fired] == [datetime(2026, 12, 4, 3, tzinfo=UTC)]
    assert (await tick(aconn, REGISTRY, back + timedelta(minutes=1))).fired == []
    assert len(await firings(aconn, "nightly")) == 2


async def test_an_unknown_workflow_is_reported_and_fires_once_it_is_registered(
    aconn: Conn,
) -> None:
    await set_schedule(aconn, "later", cron="0 2 * * *", workflow="not_written_yet")
    report = await tick(aconn, REGISTRY, T0)
    assert report.fired == []
    assert "not_written_yet" in report.problems["later"]
    assert "schedules set" in report.problems["later"]
    assert await firings(aconn, "later") == []

    arrived = Workflow("not_written_yet", version=1, steps=(Step("run", noop),))
    report = await tick(aconn, WorkflowRegistry([NOOP, arrived]), T0)
    assert [f.workflow for f in report.fired] == ["not_written_yet"]


async def test_disabled_schedules_do_not_fire_and_run_now_fires_at_once(aconn: Conn) -> None:
    await set_schedule(aconn, "nightly", cron="0 3 * * *", workflow=NOOP.name, registry=REGISTRY)
    await set_schedule(aconn, "nightly", enabled=False)
    assert (await tick(aconn, REGISTRY, T0)).fired == []
    fired = await run_now(aconn, "nightly", REGISTRY, now=T0)
    assert fired.due_at == T0
    (row,) = await firings(aconn, "nightly")
    assert row["workflow_id"] == fired.workflow_id
    assert row["kind"] == NOOP.name


async def test_seeds_are_added_once_and_never_overwrite_an_operators_change(
    aconn: Conn,
) -> None:
    added = await seed_schedules(aconn)
    assert {"pricing_refresh", "nightly_analytics"} <= set(added)
    await set_schedule(aconn, "nightly_analytics", cron="30 4 * * *")
    assert await seed_schedules(aconn) == []
    stored = {s.name: s for s in await list_schedules(aconn)}
    assert stored["nightly_analytics"].cron == "30 4 * * *"
    assert stored["nightly_analytics"].workflow == "nightly_analytics"
    assert stored["pricing_refresh"].cron == "0 2 * * *"


async def test_bad_input_is_refused_with_what_to_do(aconn: Conn) -> None:
    with pytest.raises(InvalidInputError, match="five fields"):
        await set_schedule(aconn, "x", cron="every night", workflow=NOOP.name)
    with pytest.raises(InvalidInputError, match="--cron and --workflow"):
        await set_schedule(aconn, "x", cron="0 3 * * *")
    with pytest.raises(UnknownWorkflowError, match="scheduled_noop"):
        await set_schedule(aconn, "x", cron="0 3 * * *", workflow="nope", registry=REGISTRY)
    assert await list_schedules(aconn) == []


def test_the_schedules_command_lists_seeds_changes_and_refuses_bad_cron(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from automechanica.cli import app

    monkeypatch.setenv("AUTOMECHANICA_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    listed = runner.invoke(app, ["schedules", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    names = {s["name"]: s for s in json.loads(listed.output)}
    assert names["nightly_analytics"]["cron"] == "0 3 * * *"
    assert names["nightly_analytics"]["last_due_at"] is None

    changed = runner.invoke(app, ["schedules", "set", "nightly_analytics", "--cron", "15 4 * * *"])
    assert changed.exit_code == 0, changed.output
    assert "15 4 * * *" in changed.output
    disabled = runner.invoke(app, ["schedules", "set", "nightly_analytics", "--disabled"])
    assert "disabled" in disabled.output

    bad = runner.invoke(app, ["schedules", "set", "nightly_analytics", "--cron", "nightly"])
    assert bad.exit_code == 1
    assert "five fields" in bad.output
    again = json.loads(runner.invoke(app, ["schedules", "list", "--json"]).output)
    stored = {s["name"]: s for s in again}["nightly_analytics"]
    assert (stored["cron"], stored["enabled"]) == ("15 4 * * *", False)
