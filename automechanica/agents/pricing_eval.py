"""The `pricing` eval set: the Pricing agent's rule against labeled cases and a few
thousand generated ones, each checked by arithmetic done here, apart from the rule.

- labeled (`evals/pricing/*.csv`): the expected price and basis of hand-made
  cases (competitor under MAP, at one cent, over MSRP, no MSRP, floor over the
  ceiling, rounding of the margin floor). Accuracy = price and basis right.
- generated (seeded): random offers and competitor prices, including the hostile
  ones (a competitor at $0.01 or under cost, MAP above MSRP, no MSRP, no MAP).
  Every case must land at or above the floor — max(MAP, cost × (1 + minimum
  margin)) — and at or under the ceiling unless the floor is above it (then at
  the floor exactly), with a reason. The figures to watch are the counts below
  floor, below MAP and above the ceiling: all must be 0.
"""

from __future__ import annotations

import csv
import random
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

from automechanica.agents.pricing import PricingAgent
from automechanica.commerce.pricing import PriceFacts, PriceQuote, PricingRules

CENT = Decimal("0.01")
GENERATED = 5000
SEED = 2026


def _amount(text: str | None) -> Decimal | None:
    text = (text or "").strip()
    return Decimal(text) if text else None


def _facts(n: int, row: dict[str, str]) -> PriceFacts:
    return PriceFacts(
        part_id=n,
        current=None,
        cost=_amount(row["cost"]),
        map_price=_amount(row.get("map_price")),
        msrp=_amount(row.get("msrp")),
        jobber=_amount(row.get("jobber")),
        competitor="competitor" if _amount(row.get("competitor_price")) is not None else None,
        competitor_price=_amount(row.get("competitor_price")),
        competitors=1 if _amount(row.get("competitor_price")) is not None else 0,
    )


def breaches(facts: PriceFacts, q: PriceQuote, rules: PricingRules) -> list[str]:
    """What is wrong with a quote, by arithmetic independent of the rule's code."""
    if q.price is None or facts.cost is None:
        return ["no price"]
    found = []
    margin_floor = (facts.cost * (1 + rules.min_margin) + rules.fees).quantize(
        CENT, rounding=ROUND_CEILING
    )
    floor = max(margin_floor, facts.map_price or Decimal(0))
    ceiling = facts.msrp if facts.msrp is not None else facts.jobber
    if q.price < margin_floor:
        found.append("below_floor")
    if facts.map_price is not None and q.price < facts.map_price:
        found.append("below_map")
    if ceiling is not None and ceiling >= floor and q.price > ceiling:
        found.append("above_ceiling")
    if ceiling is not None and ceiling < floor and q.price != floor:
        found.append("not_floor_when_floor_over_ceiling")
    if not q.reason.strip():
        found.append("no_reason")
    return found


def _generated(rng: random.Random, n: int) -> PriceFacts:
    cost = Decimal(str(round(rng.uniform(0.5, 900), 2)))
    jobber = (cost * Decimal(str(rng.uniform(0.9, 1.7)))).quantize(CENT)
    map_price = (jobber * Decimal(str(rng.uniform(0.8, 1.3)))).quantize(CENT)
    msrp = (map_price * Decimal(str(rng.uniform(0.85, 1.3)))).quantize(CENT)
    competitor = rng.choice(
        (
            None,
            Decimal("0.01"),
            (cost * Decimal(str(rng.uniform(0.2, 1.0)))).quantize(CENT),  # under cost
            (msrp * Decimal(str(rng.uniform(0.7, 1.4)))).quantize(CENT),
        )
    )
    return PriceFacts(
        part_id=n,
        current=None,
        cost=cost,
        map_price=map_price if rng.random() < 0.7 else None,
        msrp=msrp if rng.random() < 0.8 else None,
        jobber=jobber if rng.random() < 0.7 else None,
        competitor="generated" if competitor is not None else None,
        competitor_price=competitor,
        competitors=1 if competitor is not None else 0,
    )


async def eval_pricing(folder: Path, ctx: Any) -> dict[str, Any]:
    """Labeled cases (accuracy) and generated ones (guardrail breaches: all 0)."""
    rules = PricingRules()  # the pricing.price policy's seeded limits
    agent = PricingAgent(rules)
    labeled: dict[str, Any] = {"rows": 0, "right": 0, "errors": []}
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            for n, row in enumerate(csv.DictReader(f), start=1):
                facts = _facts(n, row)
                (q,) = agent.quote_all([facts])
                right = (
                    q.price == _amount(row["expected_price"]) and q.basis == row["expected_basis"]
                )
                labeled["rows"] += 1
                labeled["right"] += right
                if not right:
                    labeled["errors"].append(
                        {"case": row["case"], "expected": row["expected_price"],
                         "got": str(q.price), "basis": q.basis, "reason": q.reason}
                    )  # fmt: skip
    labeled["accuracy"] = round(labeled["right"] / labeled["rows"], 4) if labeled["rows"] else None
    rng = random.Random(SEED)
    counts = {"below_floor": 0, "below_map": 0, "above_ceiling": 0, "no_reason": 0}
    counts["not_floor_when_floor_over_ceiling"] = 0
    cases = [_generated(rng, n) for n in range(GENERATED)]
    examples: list[dict[str, Any]] = []
    for facts, q in zip(cases, agent.quote_all(cases), strict=True):
        for breach in breaches(facts, q, rules):
            counts[breach] = counts.get(breach, 0) + 1
            if len(examples) < 10:
                examples.append({"breach": breach, "facts": repr(facts), "quote": q.to_json()})
    generated = {"cases": GENERATED, "seed": SEED, **counts, "examples": examples}
    return {
        "labeled": labeled,
        "generated": generated,
        "guardrails_held": not any(counts.values()),
    }
