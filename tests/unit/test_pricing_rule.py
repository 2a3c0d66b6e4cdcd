"""The pricing rule on its own: clamp the lowest competitor less a step between the
floor (MAP, cost + margin) and the ceiling (MSRP, else jobber), and say why."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from automechanica.agents.pricing_eval import breaches, eval_pricing
from automechanica.commerce.pricing import PriceFacts, PriceQuote, PricingRules, move_pct, quote

D = Decimal
RULES = PricingRules()


def facts(
    cost: str,
    *,
    map_price: str | None = None,
    msrp: str | None = None,
    jobber: str | None = None,
    competitor: str | None = None,
) -> PriceFacts:
    return PriceFacts(
        part_id=1,
        current=None,
        cost=D(cost),
        map_price=D(map_price) if map_price else None,
        msrp=D(msrp) if msrp else None,
        jobber=D(jobber) if jobber else None,
        competitor="PartsBarn" if competitor else None,
        competitor_price=D(competitor) if competitor else None,
        competitors=1 if competitor else 0,
    )


@pytest.mark.parametrize(
    ("given", "price", "basis"),
    [
        (facts("40", map_price="60", msrp="80", competitor="70"), "69.99", "competitor"),
        (facts("30", map_price="45", msrp="50", competitor="40"), "45", "floor"),
        (facts("20", msrp="40", competitor="0.01"), "23.00", "floor"),
        (facts("40", map_price="60", msrp="80", competitor="95"), "80", "ceiling"),
        (facts("10", msrp="20"), "20", "no_competitor"),
        (facts("10", jobber="14"), "14", "no_competitor"),
        (facts("10"), "14.00", "no_competitor"),  # cost + the 40% default margin
        (facts("50", msrp="55"), "57.50", "floor_over_ceiling"),
        (facts("10.01", msrp="30", competitor="5"), "11.52", "floor"),  # rounded up
    ],
)
def test_the_rule(given: PriceFacts, price: str, basis: str) -> None:
    q = quote(given, RULES)
    assert (q.price, q.basis) == (D(price), basis)
    assert q.reason


def test_the_reason_names_the_competitor_and_the_bounds() -> None:
    q = quote(facts("30", map_price="45", msrp="50", competitor="40"), RULES)
    assert "PartsBarn" in q.reason and "$40.00" in q.reason
    assert "floor $45.00 (MAP $45.00" in q.reason and "ceiling $50.00 (MSRP)" in q.reason


def test_a_part_without_an_offer_gets_no_price() -> None:
    q = quote(PriceFacts(part_id=1, current=None, cost=None), RULES)
    assert q.price is None and q.basis == "no_cost"


def test_rules_come_from_the_policy_limits_with_defaults() -> None:
    rules = PricingRules.from_limits({"min_margin": 0.25, "max_change_pct": 20, "fees": 1.5})
    assert rules.min_margin == D("0.25") and rules.fees == D("1.5") and rules.step == D("0.01")
    q = quote(facts("20", msrp="40", competitor="1"), rules)
    assert q.price == D("26.50") and "fees $1.50" in q.reason


def test_moves_are_measured_from_the_current_price() -> None:
    assert move_pct(None, D("10")) is None
    assert move_pct(D("20"), D("13.99")) == D("30.05")


def test_the_eval_checker_catches_a_price_under_the_floor_or_map() -> None:
    given = facts("20", map_price="30", msrp="40")
    bad = PriceQuote(1, D("22.99"), D("30"), D("40"), "competitor", "because")
    assert breaches(given, bad, RULES) == ["below_floor", "below_map"]
    silent = PriceQuote(1, D("35"), D("30"), D("40"), "competitor", " ")
    assert breaches(given, silent, RULES) == ["no_reason"]


async def test_the_pricing_eval_set_holds_its_guardrails(repo_root: Path) -> None:
    report = await eval_pricing(repo_root / "evals" / "pricing", None)
    assert report["labeled"]["rows"] >= 10 and report["labeled"]["errors"] == []
    assert report["generated"]["cases"] >= 1000
    assert report["generated"]["below_floor"] == report["generated"]["below_map"] == 0
    assert report["guardrails_held"] is True
