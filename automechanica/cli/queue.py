"""`automechanica queue`: statistics, dead letters, cancellation, pruning, enqueue."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar
from uuid import UUID

import psycopg
import typer
from pydantic import BaseModel, TypeAdapter
from rich.table import Table

from automechanica.cli.common import console, database, fail
from automechanica.config import Settings
from automechanica.errors import AutoMechanicaError, ConfigurationError
from automechanica.queue import (
    DeadLetter,
    DeadLetterFilter,
    QueueStats,
    TaskInfo,
    cancel_pending,
    discard,
    get_task,
    insert_tasks,
    list_dead,
    new_task,
    prune_all,
    queue_stats,
    replay,
)

queue_app = typer.Typer(
    help="The task queue: stats, dead letters, cancel, prune.", no_args_is_help=True
)
dead_app = typer.Typer(help="The dead-letter queue.", no_args_is_help=True)
queue_app.add_typer(dead_app, name="dead")

T = TypeVar("T")
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
# The filter that picks dead letters to replay or discard.
TaskIdsArg = Annotated[list[int] | None, typer.Argument(help="task ids")]
DeadKindOpt = Annotated[str | None, typer.Option(help="every dead letter of this kind")]
DeadErrorOpt = Annotated[str | None, typer.Option(help="every one whose last error contains this")]
EveryOpt = Annotated[bool, typer.Option("--all", help="every dead letter")]


def _with_conn(job: Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]]) -> T:
    async def run(url: str) -> T:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            return await job(conn)

    try:
        with database(Settings()) as url:
            return asyncio.run(run(url))
    except AutoMechanicaError as exc:
        raise fail(exc) from exc


def _print_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        console.print_json(value.model_dump_json())
    else:
        console.print_json(TypeAdapter(type(value)).dump_json(value).decode())


def _age(seconds: float | None) -> str:
    return "-" if seconds is None else str(timedelta(seconds=round(seconds)))


@queue_app.command("stats")
def stats(as_json: JsonOpt = False) -> None:
    """Counts per state and kind, the oldest due task, throughput."""
    result: QueueStats = _with_conn(queue_stats)
    if as_json:
        _print_json(result)
        return
    table = Table("kind", *result.counts, "oldest due", "done/min", title="tasks")
    for kind in result.kinds:
        table.add_row(
            kind.kind,
            *(str(n) for n in kind.counts.values()),
            _age(kind.oldest_runnable_seconds),
            str(kind.completed_last_minute),
        )
    table.add_row(
        "[bold]all",
        *(f"[bold]{n}" for n in result.counts.values()),
        _age(result.oldest_runnable_seconds),
        str(round(result.completed_per_second_1m * 60)),
    )
    console.print(table)
    console.print(
        f"throughput: {result.completed_per_second_1m:.1f}/s (1 min), "
        f"{result.completed_per_second_5m:.1f}/s (5 min); table: "
        f"{result.table_live_rows} live rows, {result.table_dead_rows} dead"
    )


def _show(task: TaskInfo, as_json: bool) -> None:
    if as_json:
        _print_json(task)
        return
    for field, value in task.model_dump(exclude={"last_traceback"}).items():
        console.print(f"[bold]{field}:[/] {json.dumps(value, default=str)}")
    if task.last_traceback:
        console.print("[bold]last_traceback:[/]")
        console.print(task.last_traceback, markup=False, highlight=False)


@queue_app.command("show")
def show(task_id: int, as_json: JsonOpt = False) -> None:
    """Everything about one task: state, attempts, last error and traceback, result."""
    _show(_with_conn(lambda conn: get_task(conn, task_id)), as_json)


@dead_app.command("show")
def dead_show(task_id: int, as_json: JsonOpt = False) -> None:
    """Inspect a dead letter: last error, traceback, attempts."""
    _show(_with_conn(lambda conn: get_task(conn, task_id)), as_json)


@dead_app.command("list")
def dead_list(
    kind: Annotated[str | None, typer.Option(help="only this kind")] = None,
    error: Annotated[str | None, typer.Option(help="last error contains this")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Dead letters, newest first."""
    rows: list[DeadLetter] = _with_conn(
        lambda conn: list_dead(conn, kind=kind, error_contains=error, limit=limit)
    )
    if as_json:
        _print_json(rows)
        return
    table = Table("id", "kind", "attempts", "died", "last error", title="dead letters")
    for d in rows:
        died = d.finished_at.isoformat(timespec="seconds") if d.finished_at else "-"
        table.add_row(str(d.id), d.kind, f"{d.attempts}/{d.max_attempts}", died, d.last_error or "")
    console.print(table)


def _filter(
    ids: list[int] | None, kind: str | None, error: str | None, every: bool
) -> DeadLetterFilter:
    if not (ids or kind or error or every):
        raise fail(
            ConfigurationError(
                "Name task ids, or a --kind / --error filter, or --all for every one."
            )
        )
    return DeadLetterFilter(ids=ids or None, kind=kind, error_contains=error)


@dead_app.command("replay")
def dead_replay(
    task_ids: TaskIdsArg = None,
    kind: DeadKindOpt = None,
    error: DeadErrorOpt = None,
    every: EveryOpt = False,
) -> None:
    """Put dead letters back to pending with a fresh set of attempts."""
    which = _filter(task_ids, kind, error, every)
    done: list[int] = _with_conn(lambda conn: replay(conn, which))
    _missed(task_ids, done, "replayed")
    console.print(f"Replayed {len(done)} task(s): {_ids(done)}")


@dead_app.command("discard")
def dead_discard(
    task_ids: TaskIdsArg = None,
    kind: DeadKindOpt = None,
    error: DeadErrorOpt = None,
    every: EveryOpt = False,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Delete dead letters for good."""
    which = _filter(task_ids, kind, error, every)
    if not (yes or task_ids):
        typer.confirm("Delete every dead letter matching the filter?", abort=True)
    done: list[int] = _with_conn(lambda conn: discard(conn, which))
    _missed(task_ids, done, "discarded")
    console.print(f"Discarded {len(done)} task(s): {_ids(done)}")


def _ids(ids: list[int]) -> str:
    shown = ", ".join(map(str, ids[:20]))
    return shown + (f" … ({len(ids) - 20} more)" if len(ids) > 20 else "") if ids else "none"


def _missed(asked: list[int] | None, done: list[int], action: str) -> None:
    missing = sorted(set(asked or []) - set(done))
    if missing:
        console.print(
            f"[yellow]Not {action} (missing, or not dead; see `automechanica queue show ID`):"
            f"[/] {_ids(missing)}"
        )


@queue_app.command("cancel")
def cancel(
    task_ids: TaskIdsArg = None,
    kind: Annotated[str | None, typer.Option(help="every pending task of this kind")] = None,
    workflow: Annotated[
        UUID | None, typer.Option(help="every pending task of this workflow")
    ] = None,
) -> None:
    """Cancel (delete) tasks that have not started; running ones are left to finish."""
    if not (task_ids or kind or workflow):
        raise fail(ConfigurationError("Name task ids, a --kind or a --workflow to cancel."))
    done: list[int] = _with_conn(
        lambda conn: cancel_pending(conn, ids=task_ids or None, kind=kind, workflow_id=workflow)
    )
    missing = sorted(set(task_ids or []) - set(done))
    if missing:
        console.print(f"[yellow]Not cancelled (missing, or already started):[/] {_ids(missing)}")
    console.print(f"Cancelled {len(done)} task(s): {_ids(done)}")


@queue_app.command("prune")
def prune(
    older_than_hours: Annotated[float, typer.Option(min=0, help="finished this long ago")] = 168,
) -> None:
    """Delete completed tasks finished more than --older-than-hours ago."""
    deleted: int = _with_conn(
        lambda conn: prune_all(conn, older_than_seconds=older_than_hours * 3600)
    )
    console.print(f"Pruned {deleted} completed task(s).")


@queue_app.command("enqueue")
def enqueue(
    kind: str,
    payload: Annotated[str, typer.Argument(help="a JSON object")] = "{}",
    priority: Annotated[int, typer.Option(help="higher runs first")] = 0,
    delay_seconds: Annotated[float, typer.Option(help="not before this many seconds")] = 0,
    idempotency_key: Annotated[str | None, typer.Option(help="enqueue once per key")] = None,
    max_attempts: Annotated[int, typer.Option(min=1)] = 5,
) -> None:
    """Enqueue one task (handy for operations and smoke tests)."""
    try:
        data = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise fail(ConfigurationError(f"The payload is not JSON: {exc}")) from exc
    try:
        task = new_task(
            kind,
            data,
            priority=priority,
            run_at=datetime.now(UTC) + timedelta(seconds=delay_seconds) if delay_seconds else None,
            idempotency_key=idempotency_key,
            max_attempts=max_attempts,
        )
    except AutoMechanicaError as exc:
        raise fail(exc) from exc
    (task_id,) = _with_conn(lambda conn: insert_tasks(conn, [task]))
    console.print(f"Task {task_id} enqueued.")
