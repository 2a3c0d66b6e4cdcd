"""The normalize step of onboarding: brands the store does not know and rows that name no
part type, decided by the BrandAgent and the PartTypeAgent before the import.

Runs as its own step so what it learns (brand spellings) is committed before the
import reads the brand table. A confident brand match becomes a learned spelling; an
unsure one, or a brand never seen, waits as an item review (approving teaches the
spelling or adds the brand). A confident part type becomes a hint the importer applies
to that SKU; an unsure one waits as an item review, and an approved one is a hint for
every later import of the supplier. Rows that waited are rejected in the run's report;
once its last item review is decided, the file is onboarded again (onboarding.py) and
they come in — except those a person refused, which are not asked about again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from automechanica.agents.brands import MATCH, NEW_BRAND, BrandAgent, BrandInput
from automechanica.agents.part_types import DECISION_TYPE, PartTypeAgent, PartTypeInput
from automechanica.catalog.brands import add_brand, learn_alias, load_brand_index
from automechanica.catalog.feeds.profiles import ImportPlan
from automechanica.catalog.feeds.readers import read_feed
from automechanica.catalog.feeds.records import OfferRecord
from automechanica.catalog.feeds.resolve import Lookups
from automechanica.catalog.taxonomy import load_taxonomy
from automechanica.orchestrator.decisions import settle_decision
from automechanica.orchestrator.definitions import StepContext
from automechanica.orchestrator.policies import get_policy
from automechanica.orchestrator.reviews import Review

BRAND_AGENT = "SupplierNormalization.brands"
TYPE_AGENT = "SupplierNormalization.part_types"
MAX_TITLE = 2000

# Part types people approved (or corrected) for this supplier's SKUs in earlier runs.
APPROVED_TYPES = """
SELECT subject_id, resolution->'value'->>'part_type' AS part_type FROM reviews
WHERE kind = %(kind)s AND status IN ('approved', 'edited') AND subject_kind = 'supplier_sku'
  AND subject_id LIKE %(prefix)s
"""


# What a person refused among the item reviews of one run.
REFUSED_IN_RUN = """
SELECT subject_kind, subject_id FROM reviews
WHERE workflow_id = %(run)s AND step_key IS NULL AND status = 'rejected'
  AND subject_kind IN ('brand', 'supplier_sku')
"""


@dataclass(frozen=True)
class Refused:
    """Brand names and SKUs a person refused in an earlier run of the same file."""

    brands: frozenset[str] = frozenset()
    skus: frozenset[str] = frozenset()

    @classmethod
    async def in_run(cls, conn: AsyncConnection[Any], run: UUID, supplier: str) -> Refused:
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(REFUSED_IN_RUN, {"run": run})
            rows = await cur.fetchall()
        start = len(_sku_subject(supplier, ""))
        return cls(
            brands=frozenset(r["subject_id"] for r in rows if r["subject_kind"] == "brand"),
            skus=frozenset(
                r["subject_id"][start:] for r in rows if r["subject_kind"] == "supplier_sku"
            ),
        )


def _sku_subject(supplier: str, sku: str) -> str:
    return f"{supplier}:{sku}"


async def approved_type_hints(conn: AsyncConnection[Any], supplier: str) -> dict[str, str]:
    prefix = _sku_subject(supplier, "").replace("%", r"\%").replace("_", r"\_") + "%"
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(APPROVED_TYPES, {"kind": DECISION_TYPE, "prefix": prefix})
        rows = await cur.fetchall()
    start = len(_sku_subject(supplier, ""))
    return {r["subject_id"][start:]: r["part_type"] for r in rows if r["part_type"]}


def _scan(
    path: Path, plan: ImportPlan, lookups: Lookups
) -> tuple[set[str], dict[str, tuple[str, str | None]]]:
    """Brands the store does not know, and SKU -> (title, description) of untyped rows."""
    brands: set[str] = set()
    untyped: dict[str, tuple[str, str | None]] = {}
    for item in read_feed(
        path, plan.format, layout=plan.layout, cost_price_type=plan.cost_price_type
    ):
        if not isinstance(item, OfferRecord):
            continue
        if item.brand.strip() and lookups.brand(item.brand) is None:
            brands.add(item.brand.strip())
        text = (item.title or item.description or "").strip()
        if not item.part_type and text:
            untyped[item.supplier_sku] = (text[:MAX_TITLE], item.description)
    return brands, untyped


async def normalize(
    ctx: StepContext, plan: ImportPlan, supplier: str, refused: Refused = Refused()
) -> dict[str, Any]:
    lookups = await Lookups.load(ctx.conn)
    brands, untyped = _scan(Path(ctx.input["path"]), plan, lookups)
    brands -= refused.brands
    known = await approved_type_hints(ctx.conn, supplier)
    skip = known.keys() | refused.skus  # decided by a person already
    untyped = {sku: text for sku, text in untyped.items() if sku not in skip}
    embedder = getattr(ctx.services, "embedder", None)
    counts = {"brands_matched": 0, "brands_held": 0, "types_decided": 0, "types_held": 0}
    if brands:
        policy = await get_policy(ctx.conn, MATCH)
        brand_agent = BrandAgent(
            await load_brand_index(ctx.conn),
            threshold=policy.threshold,
            conn=ctx.conn,
            embedder=embedder,
        )
        for name in sorted(brands):
            decision = await brand_agent.decide(BrandInput(name=name[:300]))

            async def teach(conn: AsyncConnection[Any], output: Any, alias: str = name) -> None:
                if output.get("action") == "match" and output.get("brand_id"):
                    await learn_alias(conn, alias, int(output["brand_id"]), source="learned")

            outcome = await settle_decision(
                ctx,
                BRAND_AGENT,
                decision,
                apply=teach,
                subject=("brand", name),
                input_summary={"brand": name, "supplier": supplier},
            )
            counts["brands_matched" if outcome == "accepted" else "brands_held"] += 1
    hints: dict[str, str] = {}
    if untyped:
        policy = await get_policy(ctx.conn, DECISION_TYPE)
        router = ctx.services.router if getattr(ctx.services, "language_model", False) else None
        type_agent = PartTypeAgent(await load_taxonomy(ctx.conn), embedder=embedder, router=router)
        decided: dict[str, Any] = {}
        for sku, (title, description) in sorted(untyped.items()):
            if title not in decided:
                decided[title] = await type_agent.decide(
                    PartTypeInput(title=title, description=description)
                )
            decision = decided[title]

            async def hint(conn: AsyncConnection[Any], output: Any, sku: str = sku) -> None:
                if output.get("part_type"):
                    hints[sku] = output["part_type"]

            outcome = await settle_decision(
                ctx,
                TYPE_AGENT,
                decision,
                apply=hint,
                policy=policy,
                subject=("supplier_sku", _sku_subject(supplier, sku)),
                input_summary={"title": title, "sku": sku},
            )
            counts["types_decided" if outcome == "accepted" else "types_held"] += 1
    return counts | {"part_type_hints": hints}


async def apply_brand_decision(conn: AsyncConnection[Any], review: Review, value: Any) -> None:
    """A person decided what an unknown brand name is: one of ours (the spelling is
    remembered) or a brand the store has never carried (it is added). Either kind of
    review may be edited into the other."""
    name = review.subject_id or ""
    if value.get("action") == "new_brand":
        await add_brand(conn, str(value.get("brand") or name))
    elif value.get("brand_id") and name:
        await learn_alias(conn, name, int(value["brand_id"]), source="learned")


#: The item reviews this step opens.
ITEM_REVIEWS = [MATCH, NEW_BRAND, DECISION_TYPE]

#: What deciding them does (part types need nothing:
#: the next import reads approved ones as hints).
REVIEW_ACTIONS = {MATCH: apply_brand_decision, NEW_BRAND: apply_brand_decision}
