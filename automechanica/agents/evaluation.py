"""Labeled evaluation sets: run an agent over `evals/<set>/*.csv`, count how often it is right.

Sets are one table (`EVAL_SETS`): a name and a function from the set's folder to
a report. Each CSV file of a set is reported on its own (dev, holdout) and in
total. Metrics:

- part_types: accuracy of the top answer; precision = right among the answers at
  or above the policy threshold (what would be stored without a person); recall =
  right and above threshold among all rows; coverage = share above threshold.
- brands: a row counts as matched when the agent matches at or above the policy
  threshold; rows labeled NEW must not match. Accuracy = matched-right or
  correctly-not-matched; precision = right among matches; recall = matched-right
  among rows whose label is a brand.
- layouts: `catalog.feeds.layout_eval.evaluate_layouts(path)` when it exists.
"""

from __future__ import annotations

import csv
import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from automechanica.agents import order_evals
from automechanica.agents.brands import BrandAgent, BrandInput
from automechanica.agents.fitment_conflict_eval import eval_fitment_conflicts
from automechanica.agents.fitment_text_eval import eval_fitment_text
from automechanica.agents.fitment_text_llm_eval import eval_fitment_text_llm
from automechanica.agents.part_types import PartTypeAgent, PartTypeInput
from automechanica.agents.pricing_eval import eval_pricing
from automechanica.agents.search_eval import eval_search
from automechanica.agents.support_eval import eval_support
from automechanica.agents.vin_eval import eval_vins
from automechanica.catalog.brands import seed_index
from automechanica.catalog.taxonomy import Taxonomy
from automechanica.llm import Router
from automechanica.memory import Embedder

NEW = "NEW"


@dataclass
class EvalContext:
    """What the runs may use: thresholds (from the policies), vectors, a router."""

    part_type_threshold: float = 0.8
    brand_threshold: float = 0.9
    embedder: Embedder | None = None
    router: Router | None = None
    show_errors: int = 20
    database_url: str | None = None  # sets that search a catalog (search) build theirs there


@dataclass
class Tally:
    rows: int = 0
    right: int = 0  # top answer right (part types) / outcome right (brands)
    decided: int = 0  # at or above threshold (part types) / matched (brands)
    decided_right: int = 0
    positives: int = 0  # brands: rows whose label is a brand
    errors: list[dict[str, Any]] = field(default_factory=list)

    def metrics(self, *, brands: bool = False) -> dict[str, Any]:
        recall_base = self.positives if brands else self.rows
        return {
            "rows": self.rows,
            "accuracy": _ratio(self.right, self.rows),
            "precision": _ratio(self.decided_right, self.decided),
            "recall": _ratio(self.decided_right, recall_base),
            ("matched" if brands else "coverage"): (
                self.decided if brands else _ratio(self.decided, self.rows)
            ),
        }


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


async def eval_part_types(folder: Path, ctx: EvalContext) -> dict[str, Any]:
    agent = PartTypeAgent(Taxonomy.seed(), embedder=ctx.embedder, router=ctx.router)
    files: dict[str, Any] = {}
    total = Tally()
    for path in sorted(folder.glob("*.csv")):
        tally = Tally()
        for row in _rows(path):
            decision = await agent.decide(
                PartTypeInput(title=row["title"], description=row.get("description") or None)
            )
            got, expected = decision.output.part_type, row["expected"]
            sure = decision.confidence >= ctx.part_type_threshold
            for t in (tally, total):
                t.rows += 1
                t.right += got == expected
                t.decided += sure
                t.decided_right += sure and got == expected
            if got != expected and len(tally.errors) < ctx.show_errors:
                tally.errors.append(
                    {"title": row["title"], "expected": expected, "got": got,
                     "confidence": decision.confidence, "method": decision.output.method}
                )  # fmt: skip
        files[path.stem] = {**tally.metrics(), "errors": tally.errors}
    return {"files": files, "total": total.metrics()}


async def eval_brands(folder: Path, ctx: EvalContext) -> dict[str, Any]:
    agent = BrandAgent(
        seed_index(Taxonomy.seed().phrase_keys()),
        threshold=ctx.brand_threshold,
        embedder=ctx.embedder,
    )
    files: dict[str, Any] = {}
    total = Tally()
    for path in sorted(folder.glob("*.csv")):
        tally = Tally()
        for row in _rows(path):
            decision = await agent.decide(BrandInput(name=row["name"]))
            matched = decision.output.action == "match"
            got = decision.output.brand if matched else NEW
            expected = row["expected"]
            for t in (tally, total):
                t.rows += 1
                t.right += got == expected
                t.positives += expected != NEW
                t.decided += matched
                t.decided_right += matched and got == expected
            if got != expected and len(tally.errors) < ctx.show_errors:
                tally.errors.append(
                    {"name": row["name"], "expected": expected, "got": got,
                     "action": decision.output.action, "confidence": decision.confidence}
                )  # fmt: skip
        files[path.stem] = {**tally.metrics(brands=True), "errors": tally.errors}
    return {"files": files, "total": total.metrics(brands=True)}


async def eval_layouts(folder: Path, ctx: EvalContext) -> dict[str, Any]:
    """The feed-layout engineer's evaluation, when their module exists."""
    try:
        module = importlib.import_module("automechanica.catalog.feeds.layout_eval")
    except ImportError:
        return {"available": False, "reason": "not available (catalog.feeds.layout_eval)"}
    evaluate = getattr(module, "evaluate_layouts", None)
    if evaluate is None:
        return {"available": False, "reason": "not available (no evaluate_layouts)"}
    result: dict[str, Any] = evaluate(folder)
    return result


EvalSet = Callable[[Path, EvalContext], Awaitable[dict[str, Any]]]

#: Every labeled set: its folder under the evals root and what runs it.
EVAL_SETS: dict[str, EvalSet] = {
    "order_routing": order_evals.eval_order_routing,
    "return_triage": order_evals.eval_return_triage,
    "part_types": eval_part_types,
    "brands": eval_brands,
    "layouts": eval_layouts,
    "fitment_text": eval_fitment_text,
    "fitment_text_llm": eval_fitment_text_llm,
    "fitment_conflicts": eval_fitment_conflicts,
    "vins": eval_vins,
    "pricing": eval_pricing,
    "search": eval_search,
    "support": eval_support,
}


async def run_evals(
    root: Path, names: list[str] | None, ctx: EvalContext
) -> dict[str, dict[str, Any]]:
    """Run the named sets (all by default) found under `root`."""
    reports: dict[str, dict[str, Any]] = {}
    for name in names or list(EVAL_SETS):
        folder = root / name
        if not folder.is_dir():
            reports[name] = {"available": False, "reason": f"no folder {folder}"}
            continue
        reports[name] = await EVAL_SETS[name](folder, ctx)
    return reports


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if any((v or "").strip() for v in row.values())]
