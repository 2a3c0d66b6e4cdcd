"""`automechanica seo`: (re)build the search titles, meta descriptions and slugs of parts
through the `seo_build` workflow, run in this process (other workers may help)."""

from __future__ import annotations

import getpass
import json
from typing import Annotated, Any

import psycopg
import typer
from psycopg.rows import dict_row

from automechanica.cli.common import console, run_on_database
from automechanica.cli.drive import drive
from automechanica.config import Settings
from automechanica.errors import AutoMechanicaError, NotFoundError
from automechanica.orchestrator import start_workflow
from automechanica.orchestrator.workflows.seo_pages import SEO_BUILD

seo_app = typer.Typer(
    help="SEO: search titles, meta descriptions, slugs and structured data of parts.",
    no_args_is_help=True,
)

MISSING_PARTS = "SELECT unnest(%(ids)s::bigint[]) AS id EXCEPT SELECT id FROM parts"


async def run_build(
    url: str,
    settings: Settings,
    *,
    part_ids: list[int] | None = None,
    key: str | None = None,
    quiet: bool = False,
) -> dict[str, Any]:
    """Start `seo_build` and run its batches here until it settles; its counts."""
    async with await psycopg.AsyncConnection.connect(
        url, autocommit=True, row_factory=dict_row
    ) as conn:
        if part_ids:
            cur = await conn.execute(MISSING_PARTS, {"ids": part_ids})
            missing = sorted(r["id"] for r in await cur.fetchall())
            if missing:
                raise NotFoundError("part", ", ".join(str(i) for i in missing))
        given: dict[str, Any] = {"part_ids": part_ids} if part_ids else {}
        workflow_id = await start_workflow(
            conn, SEO_BUILD, given, idempotency_key=key, started_by=getpass.getuser()
        )
    timeline = await drive(url, settings, workflow_id, quiet=quiet)
    if timeline.status != "completed":
        raise AutoMechanicaError(
            f"seo_build {workflow_id} ended {timeline.status}: {timeline.error or ''} "
            f"(`automechanica workflow show {workflow_id}`)"
        )
    output: dict[str, Any] = timeline.output or {}
    return output


@seo_app.command("build")
def build(
    part: Annotated[list[int] | None, typer.Option(help="only this part id (repeatable)")] = None,
    key: Annotated[str | None, typer.Option(help="idempotency key: run once per key")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Write the SEO text of every active part (or of --part), checked by policy."""

    async def job(url: str, settings: Settings) -> None:
        counts = await run_build(url, settings, part_ids=part, key=key, quiet=as_json)
        if as_json:
            console.print_json(json.dumps(counts))
            return
        done = ", ".join(f"{k} {v}" for k, v in counts.items()) or "no active parts"
        console.print(f"SEO built: {done}.", markup=False)
        if counts.get("rejected"):
            console.print(
                "Rejected ones broke a content limit (their reasons: `automechanica workflow "
                "show`); their pages use the template written when served.",
                markup=False,
            )

    run_on_database(job)
