"""`supplier_feed_onboarding`: a supplier's file from raw to stored, normalized offers and
canonical product pages.

    map_layout -> normalize -> import -> product_data (fan-out) -> fitment_review (fan-out)
    -> fitment -> seo (fan-out) -> interchange

`map_layout` asks SupplierNormalization's layout inference (or the supplier's
profile) how to read the file; unsure → the workflow waits for a person, with the
proposed mapping, the sampled values and the reasons as evidence. `normalize` has the
BrandAgent and the PartTypeAgent decide unknown brands and untyped rows (intake.py). `import` reads
with that layout (idempotent: a retried import stores nothing twice). Product pages
are built per part in batches; the Fitment agent weighs every part's fitment rows
(fitment_review.py); fitment rows under the publish threshold are held; parts
that look like another supplier's under another number wait as interchange candidates.
The SEO agent then writes each part's search title, meta description and JSON-LD
from the reviewed data (seo_pages.py).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from pydantic import BaseModel

from automechanica.catalog.feeds.importer import ImportSummary, import_feed
from automechanica.catalog.feeds.mapping import LayoutMapping
from automechanica.catalog.feeds.profiles import (
    ImportPlan,
    load_profile,
    plan_import,
    record_layout,
    remember_layout,
    save_profile,
)
from automechanica.catalog.feeds.records import FeedFormat
from automechanica.errors import AutoMechanicaError
from automechanica.orchestrator.definitions import (
    FanOut,
    Finish,
    Hold,
    ReviewRequest,
    Step,
    StepContext,
    Workflow,
)
from automechanica.orchestrator.engine import start_workflow
from automechanica.orchestrator.events import AgentEvent, record_event
from automechanica.orchestrator.policies import get_policy
from automechanica.orchestrator.queries import SELECT_WORKFLOW_BY_KEY
from automechanica.orchestrator.reviews import Review
from automechanica.orchestrator.workflows.fitment_review import fitment_batch
from automechanica.orchestrator.workflows.fitment_text import read_unresolved_fitment
from automechanica.orchestrator.workflows.intake import (
    ITEM_REVIEWS,
    Refused,
    approved_type_hints,
    normalize,
)
from automechanica.orchestrator.workflows.interchange import flag_interchange
from automechanica.orchestrator.workflows.product_pages import product_data_batch
from automechanica.orchestrator.workflows.seo_pages import seo_batch
from automechanica.orchestrator.workflows.steps import sum_counts

NAME = "supplier_feed_onboarding"
AGENT = "SupplierNormalization"
LAYOUT_DECISION = "feed.layout_mapping"

SUPPLIER_PARTS = """
SELECT DISTINCT o.part_id FROM supplier_parts o JOIN suppliers s ON s.id = o.supplier_id
WHERE s.name = %(supplier)s ORDER BY o.part_id
"""

HOLD_UNSURE_FITMENT = """
UPDATE fitments f SET status = 'pending_review'
FROM suppliers s
WHERE f.supplier_id = s.id AND s.name = %(supplier)s AND f.status = 'published'
  AND f.confidence < %(threshold)s
"""


class OnboardingInput(BaseModel):
    path: str
    supplier: str
    format: FeedFormat | None = None
    #: This run onboards the file again for the rows an earlier run held for review.
    reimport_of: UUID | None = None

    @property
    def supplier_key(self) -> str:
        return self.supplier.strip().lower()


def _input(ctx: StepContext) -> OnboardingInput:
    return OnboardingInput.model_validate(ctx.input)


def _evidence(layout: LayoutMapping | None) -> list[dict[str, Any]]:
    if layout is None:
        return []
    return [
        {
            "kind": "column",
            "ref": f"{name} ← {field.source}",
            "detail": f"confidence {field.confidence:.2f}: {field.reason}"
            + (f" (e.g. {', '.join(field.samples[:3])})" if field.samples else ""),
        }
        for name, field in layout.fields.items()
    ]


async def map_layout(ctx: StepContext) -> Any:
    """How to read the file: the profile, our own names, or an inferred layout."""
    given = _input(ctx)
    path = Path(given.path)
    if not path.is_file():
        return Finish("failed", reason=f"{path}: no such file")
    try:
        plan = await plan_import(ctx.conn, path, given.supplier, given.format)
    except AutoMechanicaError as exc:
        return Finish("failed", reason=exc.message)
    layout = plan.layout
    confidence = layout.confidence if layout is not None else 1.0
    policy = await get_policy(ctx.conn, LAYOUT_DECISION)
    sure = plan.sure and confidence >= policy.threshold
    event_id = await record_event(
        ctx.conn,
        AgentEvent(
            agent=AGENT,
            decision_type=LAYOUT_DECISION,
            outcome="accepted" if sure else "held",
            workflow_id=ctx.workflow_id,
            task_id=ctx.task_id,
            step_key=ctx.step_key,
            subject_kind="supplier",
            subject_id=given.supplier_key,
            input={"file": path.name, "format": plan.format},
            output=layout.sources() if layout else {"layout": "our own field names"},
            confidence=confidence,
            rationale=plan.reason,
            evidence=_evidence(layout),
        ),
    )
    if sure:
        return {"plan": plan.model_dump(mode="json")}
    assert layout is not None
    profile = await load_profile(ctx.conn, given.supplier)
    return Hold(
        ReviewRequest(
            kind=LAYOUT_DECISION,
            reason=f"unsure of {', '.join(layout.unsure_fields) or 'the layout'} in {path.name}",
            proposed=layout.model_dump(mode="json"),
            current={"mapping": profile.mapping} if profile and profile.mapping else None,
            agent=AGENT,
            confidence=confidence,
            rationale=plan.reason,
            evidence=_evidence(layout),
            subject_kind="supplier",
            subject_id=given.supplier_key,
            event_id=event_id,
        )
    )


def _decided_plan(decided: dict[str, Any]) -> ImportPlan | Finish:
    """A person's decision on the layout: rejected ends the run; otherwise it is read by."""
    if decided["decision"] == "rejected":
        note = f": {decided['note']}" if decided.get("note") else ""
        return Finish("failed", reason=f"the layout was rejected in review{note}")
    layout = LayoutMapping.model_validate(decided["value"]).settle()
    return ImportPlan(
        format=layout.format, layout=layout, reason=f"{decided['decision']} by a person"
    )


async def _confirm(ctx: StepContext, layout: LayoutMapping) -> None:
    """The person's mapping is the supplier's confirmed profile from now on."""
    given = _input(ctx)
    await remember_layout(ctx.conn, given.supplier, layout)
    profile = await load_profile(ctx.conn, given.supplier)
    if profile is not None:
        profile.confirmed = True
        await save_profile(ctx.conn, profile)


def _plan(ctx: StepContext) -> ImportPlan | Finish:
    """How the file is read: as map_layout found it, or as a person decided."""
    mapped = ctx.results["map_layout"]
    if "decision" in mapped:
        return _decided_plan(mapped)
    return ImportPlan.model_validate(mapped["plan"])


async def normalize_names(ctx: StepContext) -> Any:
    """Unknown brands and untyped rows, decided before the import (intake.py)."""
    plan = _plan(ctx)
    if isinstance(plan, Finish):
        return plan
    given = _input(ctx)
    refused = Refused()
    if given.reimport_of is not None:
        refused = await Refused.in_run(ctx.conn, given.reimport_of, given.supplier_key)
    try:
        return await normalize(ctx, plan, given.supplier_key, refused)
    except AutoMechanicaError as exc:
        return Finish("failed", reason=exc.message)


async def import_file(ctx: StepContext) -> Any:
    """Read and store the file (on its own connection: an import commits in phases and
    is idempotent, so a retry after a crash stores nothing twice). Nothing before the
    import may write the supplier's rows in this step's transaction (it would wait on
    itself)."""
    given = _input(ctx)
    decided = "decision" in ctx.results["map_layout"]
    plan = _plan(ctx)
    if isinstance(plan, Finish):
        return plan
    hints = await approved_type_hints(ctx.conn, given.supplier_key)
    hints |= ctx.results["normalize"]["part_type_hints"]
    url = ctx.services.database_url
    try:
        async with await psycopg.AsyncConnection.connect(url) as own:
            summary = await import_feed(
                own,
                Path(given.path),
                supplier=given.supplier,
                fmt=plan.format,
                layout=plan.layout,
                cost_price_type=plan.cost_price_type,
                part_type_hints=hints,
            )
            await record_layout(own, summary.report_id, plan)
    except AutoMechanicaError as exc:
        return Finish("failed", reason=exc.message)
    # Profile writes after the import: its own connection upserts the same supplier row,
    # which this step's transaction would otherwise hold locked until it commits.
    if decided and plan.layout is not None:
        await _confirm(ctx, plan.layout)
    elif plan.inferred and plan.layout is not None and plan.sure:
        await remember_layout(ctx.conn, given.supplier, plan.layout)
    return summary_fields(summary) | {"layout_reason": plan.reason}


def summary_fields(summary: ImportSummary) -> dict[str, Any]:
    """The import summary as JSON (its first rejections and warnings; the report has all)."""
    loaded: dict[str, Any] = json.loads(json.dumps(asdict(summary), default=str))
    return loaded


async def supplier_parts(ctx: StepContext) -> list[int]:
    async with ctx.conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SUPPLIER_PARTS, {"supplier": _input(ctx).supplier_key})
        return [r["part_id"] for r in await cur.fetchall()]


async def hold_unsure_fitment(ctx: StepContext) -> dict[str, Any]:
    """The publish rule: a fitment below the policy threshold is never shown to shoppers."""
    policy = await get_policy(ctx.conn, "fitment.publish")
    supplier = _input(ctx).supplier_key
    cur = await ctx.conn.execute(
        HOLD_UNSURE_FITMENT, {"supplier": supplier, "threshold": policy.threshold}
    )
    if cur.rowcount:
        await record_event(
            ctx.conn,
            AgentEvent(
                agent="Fitment",
                decision_type="fitment.publish",
                outcome="held",
                workflow_id=ctx.workflow_id,
                task_id=ctx.task_id,
                step_key=ctx.step_key,
                subject_kind="supplier",
                subject_id=supplier,
                output={"held": cur.rowcount},
                confidence=None,
                rationale=f"{cur.rowcount} fitment rows below the publish threshold "
                f"{policy.threshold:.2f} held for review.",
            ),
        )
    return {"fitment_held": cur.rowcount}


async def interchange_candidates(ctx: StepContext) -> dict[str, Any]:
    """Parts that look like another supplier's under another number, held for review;
    the run's summary is this last step's result."""
    flagged = await flag_interchange(ctx, _input(ctx).supplier_key)
    return {
        "import": ctx.results["import"],
        "product_pages": ctx.results["product_data"],
        "fitment_review": ctx.results.get("fitment_review", {}),
        "seo": ctx.results.get("seo", {}),
        "fitment_held": ctx.results["fitment"]["fitment_held"],
        "fitment_text": ctx.results.get("fitment_text", {}),
    } | flagged


ONBOARDING_V1 = Workflow(
    NAME,
    version=1,
    description="A supplier file to stored offers and canonical product pages.",
    steps=(
        Step("map_layout", map_layout),
        Step("normalize", normalize_names),
        Step("import", import_file),
        FanOut(
            "product_data", supplier_parts, product_data_batch, batch_size=200, combine=sum_counts
        ),
        Step("fitment", hold_unsure_fitment),
        Step("interchange", interchange_candidates),
    ),
)  # kept while runs started on it finish

ONBOARDING_V2 = Workflow(
    NAME,
    version=2,
    description="A supplier file to stored offers, canonical product pages and fitment "
    "the Fitment agent has weighed.",
    steps=(
        Step("map_layout", map_layout),
        Step("normalize", normalize_names),
        Step("import", import_file),
        FanOut(
            "product_data", supplier_parts, product_data_batch, batch_size=200, combine=sum_counts
        ),
        FanOut("fitment_review", supplier_parts, fitment_batch, batch_size=500, combine=sum_counts),
        Step("fitment", hold_unsure_fitment),
        FanOut("seo", supplier_parts, seo_batch, batch_size=500, combine=sum_counts),
        Step("interchange", interchange_candidates),
    ),
)  # kept while runs started on it finish

ONBOARDING = Workflow(
    NAME,
    version=3,
    description="A supplier file to stored offers, canonical product pages and fitment "
    "the Fitment agent has weighed, with the fitment text the parser could not read "
    "read by the LLM router and checked (or held for a person).",
    steps=(
        Step("map_layout", map_layout),
        Step("normalize", normalize_names),
        Step("import", import_file),
        Step("fitment_text", read_unresolved_fitment),
        FanOut(
            "product_data", supplier_parts, product_data_batch, batch_size=200, combine=sum_counts
        ),
        FanOut("fitment_review", supplier_parts, fitment_batch, batch_size=500, combine=sum_counts),
        Step("fitment", hold_unsure_fitment),
        FanOut("seo", supplier_parts, seo_batch, batch_size=500, combine=sum_counts),
        Step("interchange", interchange_candidates),
    ),
)


REIMPORT_KEY = "reimport:{run}"

# The item reviews (brands, part types) one run opened, by what became of them.
RUN_ITEM_REVIEWS = """
SELECT count(*) FILTER (WHERE r.status = 'open') AS open,
       count(*) FILTER (WHERE r.status IN ('approved', 'edited')) AS let_in,
       w.kind, w.input
FROM workflows w LEFT JOIN reviews r
  ON r.workflow_id = w.id AND r.step_key IS NULL AND r.kind = ANY(%(kinds)s)
WHERE w.id = %(run)s
GROUP BY w.id
"""


async def reimport_held_rows(conn: AsyncConnection[Any], review: Review) -> None:
    """The last brand or part type an onboarding run held has been decided: if a person
    let any in, the same file is onboarded again, so the rows that waited are stored now
    instead of with the supplier's next file. The import is idempotent (rows stored
    already change nothing), names a person refused are not asked about again, and the
    new run is started once per run (its idempotency key)."""
    if review.workflow_id is None:
        return
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(RUN_ITEM_REVIEWS, {"run": review.workflow_id, "kinds": ITEM_REVIEWS})
        run = await cur.fetchone()
    if run is None or run["kind"] != NAME or run["open"] or not run["let_in"]:
        return
    given = OnboardingInput.model_validate(run["input"]).model_copy(
        update={"reimport_of": review.workflow_id}
    )
    await start_workflow(
        conn,
        ONBOARDING,
        given.model_dump(mode="json", exclude_none=True),
        idempotency_key=REIMPORT_KEY.format(run=review.workflow_id),
        started_by=review.reviewer,
    )


async def reimport_run(conn: AsyncConnection[Any], run: UUID) -> UUID | None:
    """The re-import a decision started for `run`'s held rows, if any."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_WORKFLOW_BY_KEY, {"key": REIMPORT_KEY.format(run=run)})
        row = await cur.fetchone()
    return row["id"] if row else None


#: Deciding any of these may bring a run's held rows in.
REVIEW_FOLLOWUPS = {kind: reimport_held_rows for kind in ITEM_REVIEWS}
