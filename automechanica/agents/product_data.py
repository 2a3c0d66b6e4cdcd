"""ProductData: one canonical product page per part, from every offer of it.

Deterministic first: attributes are merged across offers by a normalized name;
values that differ beyond rounding (288 mm vs 11.34 in agree; 288 mm vs 300 mm do
not) are conflicts, and a page with conflicts comes back with low confidence so
the policy holds it for a person, the conflicting values as evidence. The page's
text is written from the data alone. With a router, a model may offer better
wording through its one tool, `propose_product_text`; the orchestrator checks that
text against the content policy (no markup, no links, no numbers the data does not
hold) before it is used. Any other tool a model asks for is refused and reported.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from typing import Any

from pydantic import BaseModel, Field

from automechanica.agents.base import (
    AgentTool,
    Decision,
    Evidence,
    ModelUse,
    Toolbox,
    as_data,
)
from automechanica.catalog.products import ProductFacts
from automechanica.llm import Router
from automechanica.llm.types import LLMRequest, Message

AGENT = "ProductData"
DECISION = "product.attributes"
CONFLICT_CONFIDENCE = 0.4
RELATIVE_TOLERANCE = 0.01  # 11.34 in is 288.04 mm: the same rotor
LENGTH_MM = {"mm": 1.0, "cm": 10.0, "in": 25.4, "inch": 25.4, "inches": 25.4, '"': 25.4}
MASS_LB = {"lb": 1.0, "lbs": 1.0, "kg": 2.20462, "oz": 1 / 16}
QUANTITY = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*([a-zA-Z\"]+)?\.?\s*$")
MAX_SPECS_IN_TEXT = 6


class OfferValue(BaseModel):
    supplier: str
    sku: str
    value: Any


class AttributeConflict(BaseModel):
    attribute: str
    values: list[OfferValue]


class ProductText(BaseModel):
    """Wording for the page; every fact in it must come from the part's data."""

    title: str = Field(max_length=200)
    description: str = Field(max_length=5000)
    bullets: list[str] = Field(default_factory=list, max_length=10)


class ProductPage(BaseModel):
    part_id: int
    slug: str
    text: ProductText
    generated: ProductText | None = Field(
        default=None, description="a model's wording, used only if the content policy accepts it"
    )
    specs: dict[str, Any]
    conflicts: list[AttributeConflict]
    grounding: str = Field(description="the data the text may draw on (for the policy check)")


def _key(name: str) -> str:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", spaced.lower()).split())


def _measure(value: Any) -> tuple[str, float] | None:
    """(dimension, value in a base unit) for numbers with a known unit, else None."""
    match = QUANTITY.match(str(value))
    if not match:
        return None
    number = float(match[1].replace(",", "."))
    unit = (match[2] or "").lower()
    if unit in LENGTH_MM:
        return "length", number * LENGTH_MM[unit]
    if unit in MASS_LB:
        return "mass", number * MASS_LB[unit]
    return f"number {unit}", number


def same_value(a: Any, b: Any) -> bool:
    ma, mb = _measure(a), _measure(b)
    if ma and mb:
        if ma[0] != mb[0]:
            return False
        return abs(ma[1] - mb[1]) <= RELATIVE_TOLERANCE * max(abs(ma[1]), abs(mb[1]), 1e-9)
    return " ".join(str(a).casefold().split()) == " ".join(str(b).casefold().split())


def merge_attributes(
    facts: ProductFacts,
) -> tuple[dict[str, Any], list[AttributeConflict]]:
    """The part's specs from all offers, and the attributes where offers disagree."""
    names: dict[str, Counter[str]] = defaultdict(Counter)
    stated: dict[str, list[OfferValue]] = defaultdict(list)
    for offer in facts.offers:
        for name, value in offer.attributes.items():
            if value in (None, ""):
                continue
            names[_key(name)][name] += 1
            stated[_key(name)].append(
                OfferValue(supplier=offer.supplier, sku=offer.sku, value=value)
            )
    specs: dict[str, Any] = {}
    conflicts = []
    for key, values in stated.items():
        display = names[key].most_common(1)[0][0]
        groups: list[list[OfferValue]] = []
        for v in values:
            for group in groups:
                if same_value(group[0].value, v.value):
                    group.append(v)
                    break
            else:
                groups.append([v])
        groups.sort(key=len, reverse=True)
        specs[display] = groups[0][0].value
        if len(groups) > 1:
            conflicts.append(AttributeConflict(attribute=display, values=values))
    for name, value in facts.attributes.items():  # the catalog's own, when no offer says
        if _key(name) not in stated and value not in (None, ""):
            specs[name] = value
    return dict(sorted(specs.items())), conflicts


def slugify(*parts: str) -> str:
    text = unicodedata.normalize("NFKD", " ".join(parts)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def written_from_data(facts: ProductFacts, specs: dict[str, Any]) -> ProductText:
    title = f"{facts.brand} {facts.part_type} {facts.part_number}"
    shown = list(specs.items())[:MAX_SPECS_IN_TEXT]
    description = f"{facts.brand} {facts.part_type.lower()}, part number {facts.part_number}."
    if shown:
        description += " " + "; ".join(f"{k}: {v}" for k, v in shown) + "."
    if facts.upc:
        description += f" UPC {facts.upc}."
    return ProductText(
        title=title, description=description, bullets=[f"{k}: {v}" for k, v in shown]
    )


def grounding_text(facts: ProductFacts, specs: dict[str, Any]) -> str:
    offers = " ".join(f"{o.title or ''} {o.attributes}" for o in facts.offers)
    own = f"{facts.brand} {facts.part_number} {facts.part_type} {facts.title} {facts.upc}"
    return f"{own} {specs} {offers}"


class ProductDataAgent:
    """Builds the canonical page of a part; asks a model only for wording."""

    name = AGENT

    def __init__(self, router: Router | None = None) -> None:
        self.router = router

    async def decide(
        self, facts: ProductFacts, *, workflow_id: Any = None
    ) -> Decision[ProductPage]:
        specs, conflicts = merge_attributes(facts)
        page = ProductPage(
            part_id=facts.part_id,
            slug=slugify(facts.brand, facts.part_number, facts.part_type),
            text=written_from_data(facts, specs),
            specs=specs,
            conflicts=conflicts,
            grounding=grounding_text(facts, specs),
        )
        evidence = [Evidence(kind="offer", ref=f"{o.supplier}:{o.sku}") for o in facts.offers]
        refused: list[str] = []
        model = None
        if self.router is not None:
            page.generated, model, refused = await self._wording(facts, specs, workflow_id)
        if conflicts:
            rationale = "Suppliers disagree on " + ", ".join(
                f"{c.attribute} ({', '.join(str(v.value) for v in c.values)})" for c in conflicts
            )
            confidence = CONFLICT_CONFIDENCE
        else:
            agreeing = len(facts.offers)
            rationale = f"{len(specs)} attributes from {agreeing} offer(s), none in conflict."
            confidence = 1.0 if agreeing else 0.9
        return Decision(
            decision_type=DECISION,
            output=page,
            confidence=confidence,
            rationale=rationale,
            evidence=evidence,
            model=model,
            refused=refused,
        )

    async def _wording(
        self, facts: ProductFacts, specs: dict[str, Any], workflow_id: Any
    ) -> tuple[ProductText | None, ModelUse | None, list[str]]:
        assert self.router is not None
        proposed: list[ProductText] = []

        async def propose(text: ProductText) -> str:
            proposed.append(text)
            return "received"

        tools = Toolbox(
            AGENT,
            {
                "propose_product_text": AgentTool(
                    "propose_product_text",
                    "Propose the product page's title, description and bullet points.",
                    ProductText,
                    propose,
                )
            },
        )
        data = {
            "brand": facts.brand,
            "part_number": facts.part_number,
            "part_type": facts.part_type,
            "specs": specs,
            "supplier_titles": [o.title for o in facts.offers if o.title],
        }
        request = LLMRequest(
            task_kind="product_text",
            complexity="low",
            agent=AGENT,
            workflow_id=workflow_id,
            tools=tools.specs,
            messages=(
                Message(
                    role="system",
                    content="You write plain-text product pages for an auto-parts store. Use "
                    "only facts in the data; no HTML, no Markdown, no links, no claims about "
                    "fit. Answer by calling propose_product_text once.",
                ),
                Message(role="user", content=as_data("part data", data)),
            ),
        )
        response = await self.router.complete(request)
        for call in response.tool_calls:
            await tools.call(call)
        return (proposed[0] if proposed else None), ModelUse.of(response), tools.refused
