"""`automechanica workflow | reviews | policies`: run workflows, decide reviews, edit policies."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import psycopg
import typer
from psycopg.rows import dict_row
from rich.markup import escape
from rich.table import Table

from automechanica.cli.common import console, run_on_database
from automechanica.cli.drive import drive
from automechanica.config import Settings
from automechanica.errors import InvalidInputError
from automechanica.orchestrator import (
    PolicyChange,
    Review,
    Timeline,
    all_policies,
    cancel_workflow,
    decide,
    get_policy,
    get_review,
    list_reviews,
    list_workflows,
    seed_policies,
    set_policy,
    start_workflow,
    workflow_timeline,
)
from automechanica.orchestrator.policies import policy_history
from automechanica.orchestrator.workflows import (
    review_actions,
    review_followups,
    workflow_registry,
)
from automechanica.orchestrator.workflows.onboarding import reimport_run

workflow_app = typer.Typer(help="Workflows: start, list, show, cancel.", no_args_is_help=True)
reviews_app = typer.Typer(
    help="The review queue: decisions held for a person.", no_args_is_help=True
)
policies_app = typer.Typer(
    help="Policies: thresholds and limits per decision.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
AsUser = Annotated[
    str | None, typer.Option("--as", help="who decides (recorded); default: your login name")
]


async def _connect(url: str) -> psycopg.AsyncConnection[Any]:
    return await psycopg.AsyncConnection.connect(url, autocommit=True, row_factory=dict_row)


def _json_input(value: str | None) -> dict[str, Any]:
    if value is None:
        return {}
    text = Path(value).read_text() if Path(value).is_file() else value
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"--input is neither a JSON object nor a file of one: {exc}"
        ) from exc
    if not isinstance(parsed, dict):
        raise InvalidInputError('--input must be a JSON object, e.g. \'{"path": "feed.csv"}\'.')
    return parsed


@workflow_app.command("start")
def start(
    name: str,
    input: Annotated[str | None, typer.Option(help="a JSON object, or a file holding one")] = None,
    key: Annotated[str | None, typer.Option(help="idempotency key: start once per key")] = None,
) -> None:
    """Start a workflow (its latest version); workers run its steps."""
    payload = _json_input(input)

    async def job(url: str, settings: Settings) -> None:
        workflow = workflow_registry().latest(name)
        async with await _connect(url) as conn:
            workflow_id = await start_workflow(
                conn, workflow, payload, idempotency_key=key, started_by=getpass.getuser()
            )
        console.print(f"Started {workflow.name} v{workflow.version}: {workflow_id}")
        console.print(f"Follow it with `automechanica workflow show {workflow_id}`.")

    run_on_database(job)


@workflow_app.command("list")
def list_(
    kind: Annotated[str | None, typer.Option(help="only this workflow")] = None,
    status: Annotated[str | None, typer.Option(help="running, waiting, completed…")] = None,
    limit: int = 30,
    as_json: JsonOpt = False,
) -> None:
    """Recent workflows, newest first."""

    async def job(url: str, settings: Settings) -> None:
        async with await _connect(url) as conn:
            runs = await list_workflows(conn, kind=kind, status=status, limit=limit)
        if as_json:
            console.print_json(json.dumps([r.model_dump(mode="json") for r in runs]))
            return
        table = Table("id", "workflow", "v", "status", "step", "started", "reviews", "dead")
        for r in runs:
            table.add_row(
                str(r.id),
                r.kind,
                str(r.version),
                r.status,
                r.current_step or "",
                f"{r.started_at:%Y-%m-%d %H:%M}",
                str(r.open_reviews or ""),
                str(r.dead_tasks or ""),
            )
        console.print(table)

    run_on_database(job)


def _print_timeline(t: Timeline) -> None:
    console.print(f"[bold]{t.kind}[/] v{t.version} {t.id} — {t.status}", soft_wrap=True)
    console.print(
        f"started {t.started_at:%Y-%m-%d %H:%M:%S} by {t.started_by or '?'}; "
        f"cost ${t.cost_usd:.4f}, {t.tokens} tokens"
    )
    table = Table("step", "status", "batches", "started", "finished")
    for s in t.steps:
        batches = f"{s.batches_done}/{s.batches_total}" if s.batches_total else ""
        finished = f"{s.finished_at:%H:%M:%S}" if s.finished_at else ""
        table.add_row(s.step_key, s.status, batches, f"{s.started_at:%H:%M:%S}", finished)
    console.print(table)
    if t.events:
        events = Table("step", "agent", "decision", "subject", "outcome", "conf.", "model", "cost")
        for e in t.events:
            events.add_row(
                e.step_key or "",
                escape(e.agent),
                e.decision_type,
                escape(f"{e.subject_kind or ''} {e.subject_id or ''}".strip()),
                e.outcome,
                f"{e.confidence:.2f}" if e.confidence is not None else "",
                e.model_used or "",
                f"${e.cost_usd:.4f}" if e.cost_usd else "",
            )
        console.print(events)
    for task in t.troubled_tasks:
        stuck = f"task {task.id} ({task.step_key}) is {task.status} after {task.attempts} "
        stuck += f"attempts: {task.last_error}"
        console.print(escape(stuck), style="red", soft_wrap=True)
        console.print(f"Replay it with `automechanica queue dead replay {task.id}`.")


@workflow_app.command("show")
def show(workflow_id: UUID, as_json: JsonOpt = False) -> None:
    """A workflow's timeline: steps, decisions, costs, and what is stuck."""

    async def job(url: str, settings: Settings) -> None:
        async with await _connect(url) as conn:
            timeline = await workflow_timeline(conn, workflow_id)
        if as_json:
            console.print_json(timeline.model_dump_json())
        else:
            _print_timeline(timeline)

    run_on_database(job)


@workflow_app.command("cancel")
def cancel(workflow_id: UUID) -> None:
    """Stop a workflow; steps not yet run will not run."""

    async def job(url: str, settings: Settings) -> None:
        async with await _connect(url) as conn:
            done = await cancel_workflow(conn, workflow_id)
        console.print("Cancelled." if done else "It had already finished.")

    run_on_database(job)


# -- reviews ---------------------------------------------------------------------------


def _print_review(r: Review) -> None:
    heading = f"[bold]Review {r.id}[/] ({r.kind}, {r.status}) — {escape(r.reason)}"
    console.print(heading, soft_wrap=True)
    if r.agent:
        conf = f", confidence {r.confidence:.2f}" if r.confidence is not None else ""
        console.print(f"agent {r.agent}{conf}: {r.rationale or ''}", soft_wrap=True, markup=False)
    console.print("now:      " + json.dumps(r.current, default=str), markup=False, soft_wrap=True)
    console.print("proposed: " + json.dumps(r.proposed, default=str), markup=False, soft_wrap=True)
    for e in r.evidence:
        console.print(f"  evidence: {json.dumps(e, default=str)}", markup=False, soft_wrap=True)
    if r.status == "open":
        console.print(
            f"Decide with `automechanica reviews approve {r.id}`, "
            f"`reviews edit {r.id} --value JSON` or `reviews reject {r.id}`."
        )


@reviews_app.command("list")
def reviews_list(
    status: Annotated[str, typer.Option(help="open, approved, edited, rejected or all")] = "open",
    kind: Annotated[str | None, typer.Option(help="only this kind")] = None,
    limit: int = 50,
    as_json: JsonOpt = False,
) -> None:
    """The review queue, oldest first (decided reviews newest first)."""

    async def job(url: str, settings: Settings) -> None:
        async with await _connect(url) as conn:
            found = await list_reviews(
                conn, status=None if status == "all" else status, kind=kind, limit=limit
            )
        if as_json:
            console.print_json(json.dumps([r.model_dump(mode="json") for r in found]))
            return
        table = Table("id", "kind", "status", "agent", "conf.", "reason", "opened")
        for r in found:
            table.add_row(
                str(r.id),
                r.kind,
                r.status,
                escape(r.agent or ""),
                f"{r.confidence:.2f}" if r.confidence is not None else "",
                escape(r.reason),
                f"{r.created_at:%Y-%m-%d %H:%M}",
            )
        console.print(table)

    run_on_database(job)


@reviews_app.command("show")
def reviews_show(review_id: int, as_json: JsonOpt = False) -> None:
    """One review: the proposal beside what is stored now, the evidence, the rationale."""

    async def job(url: str, settings: Settings) -> None:
        async with await _connect(url) as conn:
            review = await get_review(conn, review_id)
        if as_json:
            console.print_json(review.model_dump_json())
        else:
            _print_review(review)

    run_on_database(job)


def _decide(review_id: int, action: Any, who: str | None, value: Any, note: str | None) -> None:
    async def job(url: str, settings: Settings) -> None:
        async with await _connect(url) as conn:
            review = await decide(
                conn,
                review_id,
                action,
                reviewer=who or getpass.getuser(),
                workflows=workflow_registry(),
                actions=review_actions(),
                followups=review_followups(),
                value=value,
                note=note,
            )
            rerun = None
            if review.workflow_id is not None and review.step_key is None:
                rerun = await reimport_run(conn, review.workflow_id)
        console.print(f"Review {review.id} {review.status}.")
        if rerun is not None:
            console.print(
                "That was the last brand or part type its import held: the file is "
                "onboarded again for the rows that waited."
            )
        going_on = rerun or (review.workflow_id if review.step_key else None)
        if going_on is None:
            return
        # The workflow it held (or the re-import) goes on now, here and in any worker.
        timeline = await drive(url, settings, going_on)
        console.print(f"Workflow {timeline.id} ({timeline.kind}) is {timeline.status}.")
        if timeline.status == "waiting":
            console.print("It waits for another review: `automechanica reviews list`.")
        elif timeline.error:
            console.print(escape(timeline.error), markup=True)

    run_on_database(job)


NoteOpt = Annotated[str | None, typer.Option(help="why (kept with the decision)")]


@reviews_app.command("approve")
def approve(review_id: int, who: AsUser = None, note: NoteOpt = None) -> None:
    """Accept the proposal as it stands; what it held goes on."""
    _decide(review_id, "approve", who, None, note)


@reviews_app.command("edit")
def edit(
    review_id: int,
    value: Annotated[str, typer.Option(help="the corrected proposal, as JSON")],
    who: AsUser = None,
    note: NoteOpt = None,
) -> None:
    """Accept your corrected version of the proposal."""
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"--value is not JSON: {exc}") from exc
    _decide(review_id, "edit", who, parsed, note)


@reviews_app.command("reject")
def reject(review_id: int, who: AsUser = None, note: NoteOpt = None) -> None:
    """Refuse the proposal: nothing of it is stored."""
    _decide(review_id, "reject", who, None, note)


# -- policies --------------------------------------------------------------------------


@policies_app.command("show")
def policies_show(
    decision_type: Annotated[str | None, typer.Argument(help="one policy and its history")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Every policy, or one with its change history."""

    async def job(url: str, settings: Settings) -> None:
        async with await _connect(url) as conn:
            await seed_policies(conn)
            if decision_type is None:
                policies = await all_policies(conn)
                history: list[dict[str, Any]] = []
            else:
                policies = [await get_policy(conn, decision_type)]
                history = await policy_history(conn, decision_type)
        if as_json:
            body = {"policies": [p.model_dump() for p in policies], "history": history}
            console.print_json(json.dumps(body, default=str))
            return
        table = Table("decision", "threshold", "limits", "attempts", "v")
        for p in policies:
            table.add_row(
                p.decision_type,
                f"{p.threshold:.2f}",
                json.dumps(p.limits),
                str(p.max_attempts),
                str(p.version),
            )
        console.print(table)
        for h in history:
            console.print(
                f"{h['changed_at']:%Y-%m-%d %H:%M} {h['changed_by']}: {h['reason']}"
                f" — {json.dumps(h['before'])} → {json.dumps(h['after'])}",
                markup=False,
                soft_wrap=True,
            )

    run_on_database(job)


@policies_app.command("set")
def policies_set(
    decision_type: str,
    reason: Annotated[str, typer.Option(help="why it changes (kept with the change)")],
    threshold: Annotated[float | None, typer.Option(min=0, max=1)] = None,
    limit: Annotated[
        list[str] | None, typer.Option(help="NAME=VALUE (JSON value), repeatable")
    ] = None,
    max_attempts: Annotated[int | None, typer.Option(min=1, max=20)] = None,
    who: AsUser = None,
) -> None:
    """Change a policy's threshold, limits or retries; the change is recorded."""
    limits = None
    if limit:
        limits = {}
        for item in limit:
            name, sep, raw = item.partition("=")
            if not sep:
                raise typer.BadParameter(f"--limit {item!r}: write NAME=VALUE")
            try:
                limits[name] = json.loads(raw)
            except json.JSONDecodeError:
                limits[name] = raw

    async def job(url: str, settings: Settings) -> None:
        async with await _connect(url) as conn:
            await seed_policies(conn)
            current = await get_policy(conn, decision_type)
            merged = {**current.limits, **limits} if limits is not None else None
            change = PolicyChange(threshold=threshold, limits=merged, max_attempts=max_attempts)
            policy = await set_policy(
                conn, decision_type, change, by=who or getpass.getuser(), reason=reason
            )
        console.print(
            f"{policy.decision_type}: threshold {policy.threshold:.2f}, "
            f"limits {json.dumps(policy.limits)} (v{policy.version}).",
            markup=False,
        )

    run_on_database(job)
