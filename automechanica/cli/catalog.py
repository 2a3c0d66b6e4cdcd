"""`automechanica vin | feeds | fitment | demo`: the catalog's commands."""

from __future__ import annotations

import asyncio
import getpass
import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import psycopg
import typer
from rich.markup import escape
from rich.table import Table

from automechanica.catalog.demo import demo_loaded, load_demo_store
from automechanica.catalog.feeds.importer import ImportSummary
from automechanica.catalog.feeds.layout import describe
from automechanica.catalog.feeds.mapping import LAYOUT_FIELDS, LayoutMapping
from automechanica.catalog.feeds.profiles import (
    ImportPlan,
    SupplierProfile,
    load_profile,
    save_profile,
    unknown_fields,
)
from automechanica.catalog.feeds.records import FEED_FORMATS, Rejection
from automechanica.catalog.feeds.reports import load_report
from automechanica.catalog.fitment_text import VehicleVocabulary, parse_fitment_text
from automechanica.catalog.fitment_vocabulary import load_vocabulary
from automechanica.catalog.vin_match import match_vin
from automechanica.cli.common import console, database, errors, fail, run_on_database
from automechanica.cli.drive import drive
from automechanica.cli.pricing import price_demo_store
from automechanica.commerce.store_policies import load_store_policies
from automechanica.config import Settings
from automechanica.db import migrate as migrations
from automechanica.errors import AutoMechanicaError
from automechanica.orchestrator import Review, Timeline, list_reviews, start_workflow
from automechanica.orchestrator.workflows.analytics import load_demo_history
from automechanica.orchestrator.workflows.onboarding import ONBOARDING

vin_app = typer.Typer(help="VIN decoding (offline NHTSA data).", no_args_is_help=True)
feeds_app = typer.Typer(help="Supplier feeds.", no_args_is_help=True)
fitment_app = typer.Typer(help="Fitment tools.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo store.", no_args_is_help=True)


@vin_app.command("decode")
def vin_decode(vin: str) -> None:
    """Decode a VIN and name the matching configurations in the catalog."""

    async def run(url: str) -> dict[str, Any]:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            return await match_vin(conn, vin)

    try:
        with database(Settings()) as url:
            result = asyncio.run(run(url))
    except AutoMechanicaError as exc:
        raise fail(exc) from exc
    console.print(result["message"])
    decoded = result["decoded"]
    console.print("decoded: " + ", ".join(f"{k}={v}" for k, v in decoded.items() if v is not None))
    for problem in result["problems"]:
        console.print(f"[yellow]warning:[/] {problem}")
    table = Table("id", "vehicle", "engine", "drive", "body", "transmission")
    for m in result["matches"]:
        engine = (
            f"{m['engine_liters']}L {m['engine_cylinders'] or ''}cyl"
            if m["engine_liters"]
            else (m["fuel"] or "")
        )
        table.add_row(
            str(m["id"]),
            f"{m['year']} {m['make']} {m['model']} {m['submodel'] or ''}",
            engine,
            m["drive"] or "",
            m["body"] or "",
            m["transmission"] or "",
        )
    if result["matches"]:
        console.print(table)


profile_app = typer.Typer(help="Supplier profiles: remembered layouts.", no_args_is_help=True)
feeds_app.add_typer(profile_app, name="profile")
SHOWN_ROWS = 20  # rejections and warnings printed; `feeds report ID` lists them all


@feeds_app.command("import")
def feeds_import(
    file: Annotated[Path, typer.Argument(help="the supplier's file")],
    supplier: Annotated[str, typer.Option(help="the supplier's name, e.g. northstar")],
    format: Annotated[str | None, typer.Option(help="csv, jsonl, pies or aces")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Onboard a supplier feed through the `supplier_feed_onboarding` workflow: map its
    layout, store offers and fitments, build product pages.

    The file is read by the supplier profile's mapping, by our own column names, or by
    a layout inferred from its header and values; an unsure layout waits in a review
    (nothing is stored) and the command says how to decide it.
    """
    if format is not None and format not in FEED_FORMATS:
        errors.print(
            f"[bold red]error:[/] unknown format {format!r}; use one of {', '.join(FEED_FORMATS)}"
        )
        raise typer.Exit(2)

    async def run(url: str) -> Timeline:
        given = {"path": str(file.resolve()), "supplier": supplier, "format": format}
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            workflow_id = await start_workflow(
                conn, ONBOARDING, given, started_by=getpass.getuser()
            )
        if not as_json:
            console.print(f"Onboarding {escape(file.name)}: workflow {workflow_id}")
        return await drive(url, settings, workflow_id, quiet=as_json)

    settings = Settings()
    try:
        with database(settings) as url:
            migrations.migrate(url)
            timeline = asyncio.run(run(url))
            review = (
                asyncio.run(_held_review(url, timeline)) if timeline.status == "waiting" else None
            )
    except AutoMechanicaError as exc:
        if as_json:
            typer.echo(json.dumps(_failure(exc, file, supplier), default=str, indent=2))
            raise typer.Exit(1) from exc
        raise fail(exc) from exc
    if review is not None:
        _refuse_unsure(review, supplier, file, as_json, timeline.id)
        raise typer.Exit(1)
    if timeline.status != "completed":
        why = timeline.error or _stuck(timeline)
        if as_json:
            document = _failure(AutoMechanicaError(why), file, supplier)
            typer.echo(json.dumps(document | {"workflow_id": str(timeline.id)}, indent=2))
            raise typer.Exit(1)
        raise fail(AutoMechanicaError(f"{file.name}: {why}"))
    output = timeline.output
    summary, reason = _summary_from(output["import"])
    if as_json:
        document = summary_document(summary) | {
            "layout_reason": reason,
            "workflow_id": str(timeline.id),
            "product_pages": output["product_pages"],
            "fitment_held": output["fitment_held"],
        }
        typer.echo(json.dumps(document, default=str, indent=2))
        return
    console.print(f"layout: {escape(reason)}")
    if summary.layout is not None and "inferred" in reason:
        for line in describe(LayoutMapping.model_validate(summary.layout)):
            console.print("  " + escape(line))
    _print_summary(summary)
    pages = ", ".join(f"{n} {k}" for k, n in output["product_pages"].items() if n)
    console.print(f"product pages: {pages or 'none'}; fitment rows held: {output['fitment_held']}")
    console.print(f"(`automechanica workflow show {timeline.id}` has the whole run)")


def _summary_from(fields: dict[str, Any]) -> tuple[ImportSummary, str]:
    """The import step's journaled summary, as the importer's own object."""
    fields = dict(fields)
    reason = str(fields.pop("layout_reason", ""))
    rejections = [Rejection(**r) for r in fields.pop("rejections", [])]
    warnings = [Rejection(**r) for r in fields.pop("warning_list", [])]
    summary = ImportSummary(**fields, rejections=rejections, warning_list=warnings)
    return summary, reason


async def _held_review(url: str, timeline: Timeline) -> Review | None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        held = [r for r in await list_reviews(conn, status="open", limit=200)]
    return next((r for r in held if r.workflow_id == timeline.id), None)


def _stuck(timeline: Timeline) -> str:
    dead = [t for t in timeline.troubled_tasks if t.status == "dead"]
    if dead:
        return (
            f"step {dead[0].step_key} failed: {dead[0].last_error} "
            f"(replay with `automechanica queue dead replay {dead[0].id}`)"
        )
    return f"the workflow is {timeline.status}"


def _failure(exc: AutoMechanicaError, file: Path, supplier: str) -> dict[str, Any]:
    """The one JSON document of an import that could not run."""
    line = getattr(exc, "line", None)
    return {
        "status": "failed",
        "file_name": file.name,
        "supplier": supplier.strip().lower(),
        "error": exc.message,
        "line": line,
        "rows_rejected": 0,
        "warnings": 0,
        "rejections": [],
        "warning_list": [],
    }


def summary_document(summary: ImportSummary, plan: ImportPlan | None = None) -> dict[str, Any]:
    """An import summary as one JSON document: rejections and warnings counted apart, the
    first of each listed, and how many more the report holds."""
    document = asdict(summary)
    document["rejections_not_shown"] = summary.rows_rejected - len(summary.rejections)
    document["warnings_not_shown"] = summary.warnings - len(summary.warning_list)
    document["all_rows"] = f"automechanica feeds report {summary.report_id}"
    if plan is not None:
        document["layout_reason"] = plan.reason
    return document


def _refuse_unsure(
    review: Review, supplier: str, file: Path, as_json: bool, workflow_id: UUID
) -> None:
    layout = LayoutMapping.model_validate(review.proposed)
    name = supplier.strip().lower()
    example = next((f for f in layout.unsure_fields), "cost")
    source = layout.fields[example].source if example in layout.fields else "COLUMN"
    confirm = [
        f"automechanica reviews approve {review.id}",
        f"automechanica reviews edit {review.id} --value JSON",
        f"automechanica feeds profile accept {name}",
        f"automechanica feeds profile set {name} --map {example}={source!r}",
    ]
    if "brand" in layout.unsure_fields and "brand" not in layout.fields:
        confirm.append(f"automechanica feeds profile set {name} --brand BRAND")
    if as_json:
        document = {
            "status": "needs_confirmation",
            "file_name": file.name,
            "supplier": name,
            "reason": review.rationale,
            "layout": layout.model_dump(),
            "confirm_with": confirm,
            "review": review.id,
            "workflow_id": str(workflow_id),
            "stored": False,
        }
        typer.echo(json.dumps(document, default=str, indent=2))
        return
    console.print(
        f"[yellow]waiting for a person:[/] the layout of {escape(file.name)} is unsure "
        f"({escape(', '.join(layout.unsure_fields))}); nothing was stored. Proposed mapping:"
    )
    for line in describe(layout):
        console.print("  " + escape(line))
    console.print(
        f"Review {review.id} holds the import. Approve it (the import then goes on), correct "
        "it, or set the supplier's profile and import again:"
    )
    for command in confirm:
        console.print("  " + escape(command))


def _print_summary(summary: ImportSummary) -> None:
    table = Table(
        title=f"{summary.file_name} ({summary.format}) from {summary.supplier}", show_header=False
    )
    for label, value in (
        ("rows read", summary.rows_read),
        ("parts created", summary.parts_created),
        ("parts updated", summary.parts_updated),
        ("parts merged", summary.parts_merged),
        ("offers", summary.offers),
        ("fitments", summary.fitments),
        ("rows rejected", summary.rows_rejected),
        ("warnings", summary.warnings),
    ):
        table.add_row(label, f"{value:,}")
    console.print(table)
    for title, rows, total in (
        ("rejected", summary.rejections, summary.rows_rejected),
        ("warnings", summary.warning_list, summary.warnings),
    ):
        if rows:
            console.print(f"{title}:")
        for r in rows[:SHOWN_ROWS]:
            console.print(f"  {escape(r.where)}: {escape(r.reason)}")
        hidden = total - min(len(rows), SHOWN_ROWS)
        if hidden > 0:
            console.print(
                f"  … and {hidden:,} more: automechanica feeds report {summary.report_id}"
            )


@feeds_app.command("report")
def feeds_report(
    report_id: Annotated[int, typer.Argument(help="the import report's number")],
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """An import report: its counts, the layout used, and every rejection and warning."""

    async def job(url: str, settings: Settings) -> dict[str, Any]:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            return await load_report(conn, report_id)

    report = run_on_database(job)
    if as_json:
        typer.echo(json.dumps(report, default=str, indent=2))
        return
    console.print(
        f"import report #{report['id']}: {escape(report['file_name'])} ({report['format']}) "
        f"from {report['supplier']}, {report['status']}"
    )
    if report["layout_reason"]:
        console.print(f"layout: {escape(report['layout_reason'])}")
    for key in ("rows_read", "offers", "fitments", "rows_rejected", "warnings"):
        console.print(f"  {key.replace('_', ' ')}: {report[key]:,}")
    if report["error"]:
        console.print(f"  error: {escape(report['error'])}")
    for title, rows in (("rejected", report["rejections"]), ("warnings", report["warning_list"])):
        if rows:
            console.print(f"{title} ({len(rows):,}):")
        for r in rows:
            where = f"line {r['line']}" if r["line"] is not None else (r["element"] or "file")
            console.print(f"  {escape(where)}: {escape(r['reason'])}")


@profile_app.command("show")
def profile_show(
    supplier: Annotated[str, typer.Argument(help="the supplier's name")],
    as_json: Annotated[bool, typer.Option("--json", help="print the profile as JSON")] = False,
) -> None:
    """A supplier's remembered mapping, brand, PIES cost price type, and any pending proposal."""

    async def job(url: str, settings: Settings) -> SupplierProfile | None:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            return await load_profile(conn, supplier)

    profile = run_on_database(job)
    if profile is None:
        errors.print(f"[bold red]error:[/] no profile for supplier {supplier!r} yet")
        raise typer.Exit(1)
    if as_json:
        typer.echo(profile.model_dump_json(indent=2))
        return
    state = "confirmed" if profile.confirmed else "not confirmed"
    console.print(f"supplier {profile.supplier}: {profile.format or '-'} mapping, {state}")
    for name, source in profile.mapping.items():
        console.print(f"  {name:<12} <- {escape(repr(source))}")
    if not profile.has_header:
        console.print("  (the files have no header row)")
    console.print(f"  brand: {profile.brand or '(from the file)'}")
    console.print(f"  PIES cost price type: {profile.cost_price_type or 'NET (else the lowest)'}")
    if profile.pending is not None:
        console.print("pending proposal (feeds profile accept to take it):")
        for line in describe(profile.pending):
            console.print("  " + escape(line))


@profile_app.command("set")
def profile_set(
    supplier: Annotated[str, typer.Argument(help="the supplier's name")],
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="FIELD=COLUMN (a column name, 'column 3', or a JSON key)"),
    ] = None,
    brand: Annotated[str | None, typer.Option(help="the supplier's own brand")] = None,
    cost_price_type: Annotated[
        str | None, typer.Option(help="the PIES PriceType that is the cost (NET, JBR, WD…)")
    ] = None,
    header: Annotated[
        bool | None, typer.Option("--header/--no-header", help="whether files have a header")
    ] = None,
    format: Annotated[str | None, typer.Option(help="csv or jsonl")] = None,
) -> None:
    """Set or correct a supplier's profile; the mapping is marked confirmed."""
    pairs: dict[str, str] = {}
    for item in map_ or []:
        name, sep, source = item.partition("=")
        if not sep or not source.strip():
            errors.print(f"[bold red]error:[/] --map {item!r}: write FIELD=COLUMN")
            raise typer.Exit(2)
        pairs[name.strip()] = source.strip()
    unknown = unknown_fields(pairs)
    if unknown:
        errors.print(
            f"[bold red]error:[/] unknown field(s) {', '.join(unknown)}; "
            f"fields are {', '.join(LAYOUT_FIELDS)}"
        )
        raise typer.Exit(2)
    if format is not None and format not in ("csv", "jsonl"):
        errors.print("[bold red]error:[/] --format is csv or jsonl")
        raise typer.Exit(2)

    async def job(url: str, settings: Settings) -> SupplierProfile:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            profile = await load_profile(conn, supplier) or SupplierProfile(supplier=supplier)
            if pairs:
                base = profile.mapping
                if not base and profile.pending is not None:  # correcting the proposal
                    base = profile.pending.sources()
                    profile.format = profile.pending.format
                    profile.has_header = profile.pending.has_header
                    profile.brand = profile.brand or profile.pending.brand
                profile.mapping = base | pairs
                profile.confirmed = True
                profile.pending = None
            if brand is not None:
                profile.brand = brand.strip() or None
            if cost_price_type is not None:
                profile.cost_price_type = cost_price_type.strip().upper() or None
            if header is not None:
                profile.has_header = header
            if format is not None:
                profile.format = format  # type: ignore[assignment]
            await save_profile(conn, profile)
            return profile

    profile = run_on_database(job)
    console.print(f"profile of {profile.supplier} saved")


@profile_app.command("accept")
def profile_accept(supplier: Annotated[str, typer.Argument(help="the supplier's name")]) -> None:
    """Accept the pending proposed mapping (shown by a refused import) as the supplier's."""

    async def job(url: str, settings: Settings) -> SupplierProfile | None:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            profile = await load_profile(conn, supplier)
            if profile is None or profile.pending is None:
                return None
            layout = profile.pending
            profile.format = layout.format
            profile.has_header = layout.has_header
            profile.mapping = layout.sources()
            profile.brand = profile.brand or layout.brand
            profile.confirmed = True
            profile.pending = None
            await save_profile(conn, profile)
            return profile

    profile = run_on_database(job)
    if profile is None:
        errors.print(f"[bold red]error:[/] supplier {supplier!r} has no pending mapping to accept")
        raise typer.Exit(1)
    console.print(
        f"mapping of {profile.supplier} accepted: "
        + ", ".join(f"{k}={v}" for k, v in profile.mapping.items())
    )


@fitment_app.command("parse")
def fitment_parse(text: str) -> None:
    """Parse free-text fitment into structured applications (JSON)."""

    async def vocabulary_of(url: str) -> VehicleVocabulary:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            return await load_vocabulary(conn)

    try:
        with database(Settings()) as url:
            vocabulary = asyncio.run(vocabulary_of(url))
        parsed = parse_fitment_text(text, vocabulary)
    except AutoMechanicaError as exc:
        raise fail(exc) from exc
    typer.echo(json.dumps(parsed.to_json(), indent=2))


@demo_app.command("load")
def demo_load() -> None:
    """Load the demo store (vehicles, three suppliers' feeds) into the database."""
    settings = Settings()
    try:
        with database(settings) as url:
            migrations.migrate(url)
            asyncio.run(load_demo(url, settings))
    except AutoMechanicaError as exc:
        raise fail(exc) from exc


async def load_demo(url: str, settings: Settings) -> None:
    """The demo store, each supplier's file onboarded through supplier_feed_onboarding."""

    async def onboard(path: Path, supplier: str) -> dict[str, Any]:
        given = {"path": str(path.resolve()), "supplier": supplier}
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            workflow_id = await start_workflow(conn, ONBOARDING, given, started_by="demo")
        timeline = await drive(url, settings, workflow_id)
        if timeline.status != "completed":
            raise AutoMechanicaError(
                f"Onboarding the demo file {path.name} ended {timeline.status}: "
                f"{timeline.error or _stuck(timeline)}"
            )
        counts: dict[str, Any] = timeline.output["import"]
        return counts

    async with await psycopg.AsyncConnection.connect(url) as conn:
        await load_demo_store(
            conn,
            settings.data_dir / "demo-feeds",
            seed=settings.demo_seed,
            parts=settings.demo_parts,
            vins_per_type=settings.demo_vins_per_type,
            say=console.print,
            onboard=onboard,
        )
        await load_store_policies(conn)  # support answers policy questions from these
        await conn.commit()
    await price_demo_store(url, settings)  # a competitor feed, then every part priced
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        # Generated orders over the last days, and their reports, for the console.
        await load_demo_history(conn, seed=settings.demo_seed, say=console.print)


async def demo_missing(url: str) -> bool:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        return not await demo_loaded(conn)
