"""`automechanica eval [SET]`: run the labeled sets under evals/ and print how the agents do.

Offline by default: the local embedder and the router's offline provider; with
AUTOMECHANICA_* LLM settings configured, the router uses those models. Thresholds
are the policies' seeded defaults (orchestrator/policies.toml).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from automechanica.agents.evaluation import EVAL_SETS, EvalContext, run_evals
from automechanica.cli.common import console, database, errors, fail
from automechanica.config import Settings
from automechanica.errors import AutoMechanicaError
from automechanica.llm import build_router
from automechanica.memory import OnnxEmbedder
from automechanica.orchestrator.policies import seed_file

#: Sets that read or build a catalog in the store's database.
DATABASE_SETS = {"search", "support", "vins", "fitment_text_llm"}


def eval_command(
    sets: Annotated[
        list[str] | None, typer.Argument(help=f"sets to run: {', '.join(EVAL_SETS)} (all)")
    ] = None,
    root: Annotated[Path, typer.Option(help="the folder of labeled sets")] = Path("evals"),
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    vectors: Annotated[bool, typer.Option(help="use the local embedder (all-MiniLM-L6-v2)")] = True,
    model: Annotated[
        bool, typer.Option(help="ask the router when words and vectors disagree")
    ] = True,
) -> None:
    """Accuracy, precision and recall of the agents on labeled sets."""
    unknown = [s for s in sets or [] if s not in EVAL_SETS]
    if unknown:
        errors.print(
            f"[bold red]error:[/] no eval set {', '.join(unknown)}; use {', '.join(EVAL_SETS)}"
        )
        raise typer.Exit(2)
    policies = seed_file()
    ctx = EvalContext(
        part_type_threshold=policies["catalog.part_type"].threshold,
        brand_threshold=policies["catalog.brand_match"].threshold,
        embedder=OnnxEmbedder.default() if vectors else None,
        router=build_router(Settings()) if model else None,
    )
    try:
        if not sets or DATABASE_SETS & set(sets):
            with database(Settings(), migrated=False) as url:
                ctx.database_url = url
                reports = asyncio.run(run_evals(root, sets, ctx))
        else:
            reports = asyncio.run(run_evals(root, sets, ctx))
    except AutoMechanicaError as exc:
        raise fail(exc) from exc
    if as_json:
        typer.echo(json.dumps(reports, indent=2, default=str))
        return
    for name, report in reports.items():
        _print(name, report)


def _print(name: str, report: dict[str, Any]) -> None:
    if report.get("available") is False:
        console.print(f"[bold]{name}[/]: {report.get('reason', 'not available')}")
        return
    if not isinstance(report.get("files"), dict):  # its own shape (layouts: a file count)
        console.print(f"[bold]{name}[/]")
        console.print_json(json.dumps(report, default=str))
        return
    if "total" not in report:  # cases per file, and the set's own figures beside them
        table = Table("file", "cases", "accuracy", title=name)
        for file, m in report["files"].items():
            table.add_row(file, str(m.get("cases", m.get("rows"))), _pct(m.get("accuracy")))
        table.add_row("total", str(report.get("cases", "")), _pct(report.get("accuracy")))
        console.print(table)
        for key, value in report.items():
            if key not in {"files", "cases", "accuracy"} and isinstance(value, int | float):
                console.print(f"{key.replace('_', ' ')}: {value}")
        return
    table = Table("file", "rows", "accuracy", "precision", "recall", title=name)
    for file, m in [*report["files"].items(), ("total", report["total"])]:
        table.add_row(
            file, str(m["rows"]), _pct(m["accuracy"]), _pct(m["precision"]), _pct(m["recall"])
        )
    console.print(table)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def main() -> None:
    """`python -m automechanica.cli.eval` until the command is registered in the CLI."""
    typer.run(eval_command)


if __name__ == "__main__":
    main()
